package dev.tessera.backend.cuda;

import dev.tessera.DType;
import dev.tessera.Device;
import dev.tessera.backend.Storage;
import java.lang.ref.Cleaner;
import jcuda.driver.CUdeviceptr;

/**
 * A block of device memory from the caching allocator. It goes back to the allocator's cache when
 * the storage becomes unreachable (a {@link Cleaner} action that holds the block, never the
 * storage) — the same stream-ordered reuse PyTorch's allocator relies on, since every kernel runs
 * on the device's one stream.
 */
final class CudaStorage extends Storage {
    private static final Cleaner CLEANER = Cleaner.create();

    final CUdeviceptr ptr;
    final long bytes;
    private final Device device;

    CudaStorage(DType dtype, long numel, CachingAllocator.Block block, Device device) {
        super(dtype, numel);
        this.ptr = block.ptr();
        this.bytes = block.size();
        this.device = device;
        CachingAllocator allocator = block.owner();
        CLEANER.register(this, () -> allocator.release(block));
    }

    @Override public Device device() { return device; }
}
