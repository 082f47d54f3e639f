package dev.tessera.backend.cuda;

import dev.tessera.DType;
import dev.tessera.Device;
import dev.tessera.TesseraException;
import dev.tessera.backend.Storage;
import java.util.Locale;
import jcuda.driver.CUdeviceptr;

/**
 * A block of device memory from the caching allocator. It goes back to the allocator's cache when
 * the storage is closed or becomes unreachable (a phantom reference that holds the block, never the
 * storage, handed back by the next allocation: {@link CachingAllocator#drainUnreachable}), whichever
 * comes first — the same stream-ordered reuse PyTorch's allocator relies on, since every kernel and
 * copy runs on the device's one stream.
 */
final class CudaStorage extends Storage {
    private final DevicePointer ptr;
    private final Device device;
    private final CachingAllocator.StorageRef release;

    CudaStorage(DType dtype, long numel, CachingAllocator.Block block, Device device) {
        super(dtype, numel);
        this.ptr = block.ptr();
        this.device = device;
        this.release = CachingAllocator.track(this, block);
    }

    @Override public Device device() { return device; }

    /** The block, for cuBLAS and copies. Refused after close(): the block may already hold another tensor. */
    CUdeviceptr ptr() {
        checkOpen();
        return ptr;
    }

    /** The block's device address, for kernel arguments; refused after close() like {@link #ptr()}. */
    long address() {
        checkOpen();
        return ptr.address();
    }

    private void checkOpen() {
        if (isClosed())
            throw new TesseraException("tensor used after close(): its " + device + " storage of " + numel() + " "
                    + dtype().name().toLowerCase(Locale.ROOT) + " elements was released");
    }

    /**
     * Gives the block back to the allocator now. The reference releases its block at most once, so
     * nothing happens when the storage later becomes unreachable, and a second close() is a no-op. Kernels already queued on the
     * stream may still read the block; whoever gets it next writes it only after them, in stream order.
     */
    @Override public void close() {
        super.close();
        release.releaseOnce();
    }
}
