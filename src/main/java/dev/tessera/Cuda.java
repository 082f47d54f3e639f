package dev.tessera;

import dev.tessera.backend.cuda.CudaRuntime;

/**
 * CUDA memory and settings, as {@code torch.cuda}: what Tessera's caching allocator holds, emptying
 * its cache, waiting for queued work, and the TF32 switch. Each method without a device argument
 * means {@code cuda:0}; all of them throw "CUDA unavailable: ..." where there is no GPU.
 */
public final class Cuda {
    private Cuda() {}

    /** Bytes of device memory held by live tensors (rounded up to the allocator's block sizes). */
    public static long memoryAllocated() { return memoryAllocated(Device.cuda()); }
    public static long memoryAllocated(Device d) { return CudaRuntime.memoryAllocated(d.index()); }

    /** Bytes obtained from the driver: live blocks plus the cache. */
    public static long memoryReserved() { return memoryReserved(Device.cuda()); }
    public static long memoryReserved(Device d) { return CudaRuntime.memoryReserved(d.index()); }

    /** Returns cached, unused blocks to the driver. */
    public static void emptyCache() { emptyCache(Device.cuda()); }
    public static void emptyCache(Device d) { CudaRuntime.emptyCache(d.index()); }

    /** Waits until all work queued on the device's stream has finished. */
    public static void synchronize() { synchronize(Device.cuda()); }
    public static void synchronize(Device d) { CudaRuntime.synchronize(d.index()); }

    /** PyTorch's {@code torch.backends.cuda.matmul.allow_tf32}: false (exact FP32 GEMM) by default. */
    public static void setAllowTf32(boolean allow) { setAllowTf32(Device.cuda(), allow); }
    public static void setAllowTf32(Device d, boolean allow) { CudaRuntime.setAllowTf32(d.index(), allow); }
}
