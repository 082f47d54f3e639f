package dev.tessera.backend.cuda;

import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;
import static jcuda.driver.JCudaDriver.cuMemAllocHost;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;

import java.lang.reflect.Array;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;

/**
 * Copies between Java arrays and device memory through two page-locked host buffers of one device.
 * A cuMemcpy from a pageable Java array makes the driver stage it through its own small pinned
 * buffers and blocks the thread throughout; from pinned memory the DMA engine runs at full speed,
 * asynchronously on the device's stream, so the copies order with the kernels without a device-wide
 * sync. Alternating two buffers overlaps the Java-side copy of one chunk with the DMA of the other.
 *
 * <p>The buffers (2 × {@value #CHUNK} bytes) are allocated on first use and kept for the life of the
 * process, like the device's primary context. One event per buffer is recorded on the stream after
 * each copy that uses it; the host waits on it before touching the buffer again. Every JCuda call
 * throws CudaException on failure (exceptions are enabled in CudaLibraries).
 */
final class PinnedStaging {
    static final int CHUNK = 4 << 20;

    private final CudaDevice device;
    private final Pointer[] buffers = new Pointer[2];
    private final ByteBuffer[] bytes = new ByteBuffer[2];
    private final CUevent[] done = new CUevent[2];
    private int next;   // toDevice's next buffer: alternating across calls too, a copy waits only when the GPU is two copies behind

    PinnedStaging(CudaDevice device) { this.device = device; }

    /**
     * Queues a copy of the whole array (float[], double[], long[], int[], or boolean[] as bytes 0/1)
     * to dst on the stream. The array may be reused as soon as this returns: its data is in the
     * staging buffers; later kernels on the stream see it.
     */
    synchronized void toDevice(Object array, CUdeviceptr dst) {
        int n = Array.getLength(array), size = elementSize(array), per = CHUNK / size;
        if (n == 0) return;
        begin();
        for (int k = 0, chunks = (n - 1) / per + 1; k < chunks; k++) {
            int i = next, start = k * per, len = Math.min(per, n - start);
            next ^= 1;
            cuEventSynchronize(done[i]);   // the copy before last through this buffer has run
            put(array, start, len, bytes[i]);
            cuMemcpyHtoDAsync(dst.withByteOffset((long) start * size), buffers[i], (long) len * size, device.stream);
            cuEventRecord(done[i], device.stream);
        }
    }

    /**
     * Fills the whole array from src, after the work queued on the stream before it. Chunk k + 1 is
     * queued before chunk k is read out, so the DMA overlaps the copy into the array.
     */
    synchronized void toHost(CUdeviceptr src, Object array) {
        device.hostSyncs.incrementAndGet();
        readBack(src, array);
    }

    /**
     * {@link #toHost} without counting a host sync: for reading device flags right after a read or
     * synchronize drained the stream (DeviceErrors), when nothing queued is left to wait for.
     */
    synchronized void readBack(CUdeviceptr src, Object array) {
        int n = Array.getLength(array), size = elementSize(array), per = CHUNK / size;
        if (n == 0) return;
        begin();
        int chunks = (n - 1) / per + 1;
        fetch(src, 0, per, n, size);
        for (int k = 0; k < chunks; k++) {
            // the other buffer was read out in the previous iteration; a copy to the device still
            // reading it runs first, in stream order
            if (k + 1 < chunks) fetch(src, k + 1, per, n, size);
            int i = k & 1, start = k * per;
            cuEventSynchronize(done[i]);
            get(bytes[i], array, start, Math.min(per, n - start));
        }
    }

    private void fetch(CUdeviceptr src, int k, int per, int n, int size) {
        int i = k & 1, start = k * per, len = Math.min(per, n - start);
        cuMemcpyDtoHAsync(buffers[i], src.withByteOffset((long) start * size), (long) len * size, device.stream);
        cuEventRecord(done[i], device.stream);
    }

    private void begin() {
        device.makeCurrent();
        if (buffers[0] != null) return;
        Pointer base = new Pointer();
        cuMemAllocHost(base, 2L * CHUNK);   // one allocation: nothing half-made to undo if it fails
        for (int i = 0; i < 2; i++) {
            buffers[i] = base.withByteOffset((long) i * CHUNK);
            bytes[i] = base.getByteBuffer((long) i * CHUNK, CHUNK).order(ByteOrder.nativeOrder());
            done[i] = new CUevent();
            cuEventCreate(done[i], CUevent_flags.CU_EVENT_DISABLE_TIMING);
            cuEventRecord(done[i], device.stream);   // so the first wait on each buffer has a recorded event
        }
    }

    private static int elementSize(Object array) {
        return array instanceof boolean[] ? 1 : array instanceof float[] || array instanceof int[] ? 4 : 8;
    }

    private static void put(Object a, int from, int len, ByteBuffer b) {
        if (a instanceof float[] f) b.asFloatBuffer().put(f, from, len);
        else if (a instanceof double[] d) b.asDoubleBuffer().put(d, from, len);
        else if (a instanceof long[] l) b.asLongBuffer().put(l, from, len);
        else if (a instanceof int[] x) b.asIntBuffer().put(x, from, len);
        else {
            boolean[] z = (boolean[]) a;
            for (int j = 0; j < len; j++) b.put(j, (byte) (z[from + j] ? 1 : 0));
        }
    }

    private static void get(ByteBuffer b, Object a, int from, int len) {
        if (a instanceof float[] f) b.asFloatBuffer().get(f, from, len);
        else if (a instanceof double[] d) b.asDoubleBuffer().get(d, from, len);
        else if (a instanceof long[] l) b.asLongBuffer().get(l, from, len);
        else if (a instanceof int[] x) b.asIntBuffer().get(x, from, len);
        else {
            boolean[] z = (boolean[]) a;
            for (int j = 0; j < len; j++) z[from + j] = b.get(j) != 0;
        }
    }
}
