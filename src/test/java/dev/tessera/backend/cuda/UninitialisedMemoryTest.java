package dev.tessera.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.Cuda;
import dev.tessera.DType;
import dev.tessera.Device;
import dev.tessera.Tensor;
import dev.tessera.TestUtil;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Reads of device memory nobody wrote. The emulator poisons every block cuMemAlloc returns
 * (TESSERA_EMU_POISON), but Tessera's caching allocator gets a segment from cuMemAlloc once and then
 * reuses its blocks: only {@code TESSERA_CUDA_POISON=1} (CachingAllocator.poison) makes every
 * allocation show such a read. The mutant below takes its accumulator from empty() where the op
 * needs zeros().
 */
@Tag("cuda")
class UninitialisedMemoryTest {
    // 12 MiB: a segment of exactly this size (no split), so the best fit for it is the block this test released.
    private static final long BYTES = 12L << 20;
    private static final Device CUDA = Device.cuda();

    @BeforeEach void requireCuda() { TestUtil.assumeCuda(); }

    /** The mutant: x accumulated into the start of a workspace of {@code workspace} elements from empty(). */
    private static Tensor accumulateIntoEmpty(Tensor x, long workspace) {
        Tensor ws = Tensor.empty(new long[] {workspace}, x.dtype(), x.device());
        return ws.narrow(0, 0, x.numel()).add_(x);
    }

    private static long address(Tensor t) { return CudaBackend.at(t.raw()); }

    private static boolean setPoison(boolean on) {
        boolean was = CachingAllocator.poison;
        CachingAllocator.poison = on;
        return was;
    }

    @Test void theEmulatorPoisonsEveryBlockCuMemAllocReturns() {
        Assumptions.assumeTrue(System.getProperty("tessera.cudaEmulator") != null, "the emulator's poison: a GPU leaves fresh memory unspecified");
        String env = System.getenv("TESSERA_EMU_POISON");
        byte poison = (byte) (env == null ? 0xFF : Integer.decode(env).intValue());
        CudaRuntime.backend(0).cudaDevice().makeCurrent();
        CUdeviceptr p = new CUdeviceptr();
        JCudaDriver.cuMemAlloc(p, 1000);
        byte[] host = new byte[1000];
        JCudaDriver.cuMemcpyDtoH(Pointer.to(host), p, host.length);
        JCudaDriver.cuMemFree(p);
        byte[] expected = new byte[1000];
        java.util.Arrays.fill(expected, poison);
        assertArrayEquals(expected, host);
    }

    /** A segment fresh from cuMemAlloc: the emulator's poison alone shows the mutant's read as NaN. */
    @Test void theEmulatorsPoisonShowsAReadOfAFreshSegment() {
        Assumptions.assumeTrue(System.getProperty("tessera.cudaEmulator") != null, "the emulator's poison: a GPU leaves fresh memory unspecified");
        Assumptions.assumeTrue(System.getenv("TESSERA_EMU_POISON") == null, "TESSERA_EMU_POISON changes the poison");
        boolean was = setPoison(false);
        try {
            Tensor x = Tensor.of(new double[] {1, 2, 3}).to(CUDA);
            Cuda.emptyCache();
            long reserved = Cuda.memoryReserved();
            long workspace = 3L << 20;   // 24 MiB of FLOAT64: a segment of its own, larger than any cached free block
            Tensor y = accumulateIntoEmpty(x, workspace);
            assertEquals(reserved + workspace * 8, Cuda.memoryReserved(), "a new segment from cuMemAlloc");
            for (double v : y.toDoubleArray()) assertTrue(Double.isNaN(v), "poisoned bytes read as FLOAT64 are NaN, got " + v);
        } finally {
            setPoison(was);
        }
    }

    /** The block a released tensor leaves behind still holds its zeros: without the allocator's poison the mutant passes. */
    @Test void withoutTheAllocatorsPoisonAReusedBlockHidesTheMutant() {
        boolean was = setPoison(false);
        try {
            Tensor x = Tensor.of(new float[] {1, 2, 3}).to(CUDA);
            Tensor zeros = Tensor.zeros(BYTES / 4).to(CUDA);
            long at = address(zeros);
            zeros.close();
            Tensor y = accumulateIntoEmpty(x, BYTES / 4);
            assertEquals(at, address(y), "best fit hands back the block just released");
            assertArrayEquals(new float[] {1, 2, 3}, y.toFloatArray());   // a lucky zero: the bug goes unseen
        } finally {
            setPoison(was);
        }
    }

    /** With TESSERA_CUDA_POISON's fill, the same reuse shows the mutant's read as NaN; correct code is unaffected. */
    @Test void theAllocatorsPoisonShowsTheMutantInAReusedBlock() {
        boolean was = setPoison(true);
        try {
            for (DType dtype : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
                Tensor x = Tensor.of(new double[] {1, 2, 3}).to(dtype).to(CUDA);
                long n = BYTES / dtype.byteSize();
                Tensor zeros = Tensor.zeros(new long[] {n}, dtype, Device.CPU).to(CUDA);
                long at = address(zeros);
                zeros.close();
                Tensor y = accumulateIntoEmpty(x, n);
                assertEquals(at, address(y), "best fit hands back the block just released");
                for (double v : y.toDoubleArray()) assertTrue(Double.isNaN(v), dtype + ": expected NaN from the poison, got " + v);
                Tensor correct = Tensor.zeros(new long[] {3}, dtype, CUDA).add_(x);
                assertArrayEquals(new double[] {1, 2, 3}, correct.toDoubleArray());
                y.close();
            }
            Tensor ints = Tensor.empty(new long[] {3}, DType.INT64, CUDA);
            assertArrayEquals(new long[] {-1, -1, -1}, ints.toLongArray(), "0xFF bytes as INT64");
        } finally {
            setPoison(was);
        }
    }
}
