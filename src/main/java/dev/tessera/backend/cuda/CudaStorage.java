package dev.tessera.backend.cuda;

import dev.tessera.DType;
import dev.tessera.Device;
import dev.tessera.TesseraException;
import dev.tessera.backend.Storage;
import java.lang.ref.Cleaner;
import java.util.Locale;
import jcuda.driver.CUdeviceptr;

/**
 * A block of device memory from the caching allocator. It goes back to the allocator's cache when
 * the storage is closed or becomes unreachable (a {@link Cleaner} action that holds the block,
 * never the storage), whichever comes first — the same stream-ordered reuse PyTorch's allocator
 * relies on, since every kernel and copy runs on the device's one stream.
 */
final class CudaStorage extends Storage {
    private static final Cleaner CLEANER = Cleaner.create();

    private final DevicePointer ptr;
    private final Device device;
    private final Cleaner.Cleanable release;

    CudaStorage(DType dtype, long numel, CachingAllocator.Block block, Device device) {
        super(dtype, numel);
        this.ptr = block.ptr();
        this.device = device;
        CachingAllocator allocator = block.owner();
        this.release = CLEANER.register(this, () -> allocator.release(block));
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
     * Gives the block back to the allocator now. A Cleanable runs its action at most once, so the
     * Cleaner does nothing later and a second close() is a no-op. Kernels already queued on the
     * stream may still read the block; whoever gets it next writes it only after them, in stream order.
     */
    @Override public void close() {
        super.close();
        release.clean();
    }
}
