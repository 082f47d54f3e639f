package dev.tessera.backend.cuda;

import static dev.tessera.TestUtil.assertThrowsWith;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.Cuda;
import dev.tessera.CudaOutOfMemoryException;
import dev.tessera.DType;
import dev.tessera.Device;
import dev.tessera.Tensor;
import dev.tessera.TestUtil;
import dev.tessera.TesseraException;
import dev.tessera.backend.Storage;
import dev.tessera.backend.View;
import java.lang.reflect.Array;
import java.util.Objects;
import java.util.Random;
import jcuda.driver.CUdeviceptr;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Tensor.close() against the caching allocator, and host copies through the pinned staging
 * buffers (chunk boundaries, every dtype, array reuse). Without a GPU these skip (TestUtil.assumeCuda
 * says when that is a failure instead).
 */
@Tag("cuda")
class CudaMemoryTest {
    // An odd size no other test allocates, so the allocator's free list for its block holds only ours.
    private static final long N = 123_457;
    private static final long BLOCK = CachingAllocator.roundUp(N * 4);
    private final Random rng = new Random(11);

    @BeforeEach void requireCuda() { TestUtil.assumeCuda(); }

    /** Lets earlier tests' garbage come back first, so the counters move only by what a test does. */
    private static void settle() throws InterruptedException { TestUtil.settledCudaMemory(); }

    private static CUdeviceptr address(Tensor t) { return ((CudaStorage) t.raw().storage()).ptr(); }

    /** More than any GPU has: the allocator empties its cache, runs the GC, retries, then throws with the sizes; nothing is left allocated. */
    @Test void anImpossibleAllocationThrowsCudaOutOfMemoryWithTheSizes() throws InterruptedException {
        settle();
        long allocated = Cuda.memoryAllocated();
        CudaOutOfMemoryException e = assertThrows(CudaOutOfMemoryException.class,
                () -> Tensor.zeros(new long[] {1L << 38}, DType.FLOAT32, Device.cuda()));   // 1 TiB
        assertTrue(e.getMessage().startsWith("CUDA out of memory. Tried to allocate 1048576.00 MiB (cuda:0; "), e.getMessage());
        assertTrue(e.getMessage().matches(".*MiB total capacity; [0-9.]+ MiB free; .*"), e.getMessage());
        assertEquals(allocated, Cuda.memoryAllocated(), "memoryAllocated after the failed allocation");
        Tensor.zeros(new long[] {1000}, DType.FLOAT32, Device.cuda()).sum().item();   // the device still works
    }

    @Test void closeReturnsTheBlockAtOnceAndExactlyOnce() throws InterruptedException {
        settle();
        Tensor t = Tensor.zeros(new long[] {N}, DType.FLOAT32, Device.cuda());
        Tensor view = t.narrow(0, 1, 10);
        CUdeviceptr block = address(t);
        long allocated = Cuda.memoryAllocated(), reserved = Cuda.memoryReserved();
        t.close();
        assertEquals(allocated - BLOCK, Cuda.memoryAllocated(), "memoryAllocated right after close()");
        view.close();
        t.close();
        assertEquals(allocated - BLOCK, Cuda.memoryAllocated(), "a second close() releases nothing");

        Tensor next = Tensor.ones(new long[] {N}, DType.FLOAT32, Device.cuda());
        assertEquals(((DevicePointer) block).address(), ((DevicePointer) address(next)).address(), "the freed block is reused for the same size");
        assertEquals(reserved, Cuda.memoryReserved(), "no new cuMemAlloc");
        assertEquals(allocated, Cuda.memoryAllocated());

        t = null;
        view = null;
        settle();   // t's storage, now unreachable, must not hand the block back again: next holds it
        Tensor other = Tensor.zeros(new long[] {N}, DType.FLOAT32, Device.cuda());
        assertNotEquals(((DevicePointer) address(next)).address(), ((DevicePointer) address(other)).address());
        assertEquals(N, next.sum().item(), 0.0, "next's data was not overwritten through a second release");
    }

    @Test void aClosedTensorCannotBeUsed() {
        Tensor t = Tensor.ones(new long[] {N}, DType.FLOAT32, Device.cuda());
        Tensor view = t.narrow(0, 0, 5);
        t.close();
        String message = "tensor used after close(): its cuda:0 storage of " + N + " float32 elements was released";
        assertThrowsWith(TesseraException.class, message, () -> t.add(1.0));
        assertThrowsWith(TesseraException.class, message, view::toFloatArray);
        assertThrowsWith(TesseraException.class, message, t::cpu);
        assertThrowsWith(TesseraException.class, message, () -> Tensor.ones(5).to(Device.cuda()).add_(view));
        assertThrowsWith(TesseraException.class, message, () -> view.mul_(2.0));
    }

    @Test void copiesRoundTripAcrossChunkBoundariesInEveryDtype() {
        CudaBackend cuda = CudaRuntime.backend(0);
        int floats = 2 * PinnedStaging.CHUNK / 4 + 1234, bytes = 2 * PinnedStaging.CHUNK + 77;
        float[] f = new float[floats];
        double[] d = new double[floats / 2 + 5];
        long[] l = new long[floats / 2 + 5];
        boolean[] b = new boolean[bytes];
        for (int i = 0; i < f.length; i++) f[i] = (float) rng.nextGaussian();
        for (int i = 0; i < d.length; i++) { d[i] = rng.nextGaussian(); l[i] = rng.nextLong(); }
        for (int i = 0; i < b.length; i++) b[i] = rng.nextBoolean();
        for (Object host : new Object[] {f, d, l, b, new float[0], new long[] {42}}) {
            int n = Array.getLength(host);
            Object expected = Array.newInstance(host.getClass().getComponentType(), n);
            System.arraycopy(host, 0, expected, 0, n);
            Storage s = cuda.fromHost(host);
            System.arraycopy(Array.newInstance(host.getClass().getComponentType(), n), 0, host, 0, n);   // the caller may reuse its array at once
            Object back = cuda.toHost(new View(s, 0, new long[] {n}, new long[] {1}));
            assertTrue(Objects.deepEquals(expected, back), () -> host.getClass().getSimpleName() + " of " + n + " elements changed on the way");
        }
    }

    @Test void manySmallCopiesInARowLandInOrder() {
        Tensor[] ts = new Tensor[9];
        for (int i = 0; i < ts.length; i++) ts[i] = Tensor.of(new float[] {i, -i, 0.5f * i}, 3).to(Device.cuda());
        for (int i = 0; i < ts.length; i++) assertArrayEquals(new float[] {i, -i, 0.5f * i}, ts[i].toFloatArray());
    }

    /**
     * Varying batch sizes (a training loop's last batch, bucketing) reuse the cached segments: after a
     * warm-up, reserved memory stays within 1.2× of its warm-up peak. Blocks go back through close(),
     * no System.gc() anywhere.
     */
    @Test void varyingSizesReuseTheCache() throws InterruptedException {
        settle();
        long[] batches = {64, 48, 17, 33};
        long warmPeak = 0;
        for (int step = 0; step < 400; step++) {
            long b = batches[step % batches.length];
            Tensor x = Tensor.empty(new long[] {b, 16, 28, 28}, DType.FLOAT32, Device.cuda());
            Tensor y = Tensor.empty(new long[] {b, 32, 14, 14}, DType.FLOAT32, Device.cuda());
            Tensor z = Tensor.empty(new long[] {b * 10}, DType.FLOAT32, Device.cuda());
            x.close(); z.close(); y.close();
            if (step == 3) warmPeak = Cuda.memoryReserved();
        }
        assertTrue(Cuda.memoryReserved() <= warmPeak * 1.2, "reserved grew from " + warmPeak + " to " + Cuda.memoryReserved());
    }

    /**
     * Blocks split from one segment and merge back when freed: two 4 MiB tensors come from one 20 MiB
     * segment, one after the other; once both are closed, an 8 MiB request gets the merged block.
     */
    @Test void freedNeighboursMergeAndSplitBlocksAreReused() throws InterruptedException {
        settle();
        Cuda.emptyCache();
        long reserved = Cuda.memoryReserved();
        Tensor a = Tensor.empty(new long[] {1L << 20}, DType.FLOAT32, Device.cuda());   // 4 MiB: a new 20 MiB segment
        Tensor b = Tensor.empty(new long[] {1L << 20}, DType.FLOAT32, Device.cuda());   // the next 4 MiB of it
        assertEquals(reserved + (20L << 20), Cuda.memoryReserved(), "one segment for both");
        long aAt = ((DevicePointer) address(a)).address();
        assertEquals(aAt + (4L << 20), ((DevicePointer) address(b)).address(), "b is split from the same segment, right after a");
        a.close();
        b.close();
        Tensor c = Tensor.empty(new long[] {2L << 20}, DType.FLOAT32, Device.cuda());   // 8 MiB: the merged a + b
        assertEquals(aAt, ((DevicePointer) address(c)).address(), "the merged block is reused");
        assertEquals(reserved + (20L << 20), Cuda.memoryReserved(), "no new segment");
        assertTrue(Cuda.maxMemoryAllocated() >= Cuda.memoryAllocated());
        Cuda.resetPeakMemoryStats();
        assertEquals(Cuda.memoryAllocated(), Cuda.maxMemoryAllocated());
        assertTrue(Cuda.memorySummary().contains("reserved memory"), Cuda.memorySummary());
        c.close();
    }

    /**
     * Dropped (not closed) 64 MiB tensors, three times the device's memory in all: the allocator gets
     * their blocks back through the GC when cuMemAlloc fails, and never throws.
     */
    @Test void droppedTensorsAreReclaimedWhenTheDeviceIsFull() throws InterruptedException {
        settle();
        long total = (long) CudaRuntime.backend(0).cudaDevice().totalMemory(), passed = 0, count = 0;
        while (passed < 3 * total) {
            Tensor t = Tensor.empty(new long[] {16L << 20}, DType.FLOAT32, Device.cuda());   // 64 MiB, dropped at once
            passed += 64L << 20;
            count++;
            assertEquals(16L << 20, t.numel());
        }
        assertTrue(count > 0);
    }
}
