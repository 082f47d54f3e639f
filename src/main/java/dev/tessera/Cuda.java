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

    /** The peak of {@link #memoryAllocated()} since start or {@link #resetPeakMemoryStats()} (torch.cuda.max_memory_allocated). */
    public static long maxMemoryAllocated() { return maxMemoryAllocated(Device.cuda()); }
    public static long maxMemoryAllocated(Device d) { return CudaRuntime.maxMemoryAllocated(d.index()); }

    /** Starts the peak over from the current allocation (torch.cuda.reset_peak_memory_stats). */
    public static void resetPeakMemoryStats() { resetPeakMemoryStats(Device.cuda()); }
    public static void resetPeakMemoryStats(Device d) { CudaRuntime.resetPeakMemoryStats(d.index()); }

    /** A readable table of the allocator's counters (torch.cuda.memory_summary's gist). */
    public static String memorySummary() { return memorySummary(Device.cuda()); }
    public static String memorySummary(Device d) { return CudaRuntime.memorySummary(d.index()); }

    /** Returns cached, unused blocks to the driver. */
    public static void emptyCache() { emptyCache(Device.cuda()); }
    public static void emptyCache(Device d) { CudaRuntime.emptyCache(d.index()); }

    /** Waits until all work queued on the device's stream has finished. */
    public static void synchronize() { synchronize(Device.cuda()); }
    public static void synchronize(Device d) { CudaRuntime.synchronize(d.index()); }

    /** PyTorch's {@code torch.backends.cuda.matmul.allow_tf32}: false (exact FP32 GEMM) by default. */
    public static void setAllowTf32(boolean allow) { setAllowTf32(Device.cuda(), allow); }
    public static void setAllowTf32(Device d, boolean allow) { CudaRuntime.setAllowTf32(d.index(), allow); }

    // torch.backends.cudnn: process-wide switches; setting them never throws, also without a GPU.

    /** {@code torch.backends.cudnn.enabled}: true by default (false when TESSERA_CUDNN=0); false runs conv2d and batch norm on Tessera's kernels. */
    public static void setCudnnEnabled(boolean on) { CudaRuntime.setCudnnEnabled(on); }

    /** {@code torch.backends.cudnn.allow_tf32}: true by default, as PyTorch (FLOAT32 convolutions may use TF32); false forces FMA math. */
    public static void setCudnnAllowTf32(boolean allow) { CudaRuntime.setCudnnAllowTf32(allow); }

    /** {@code torch.backends.cudnn.benchmark}: false by default (cuDNN's heuristics); true times the algorithms once per shape. */
    public static void setCudnnBenchmark(boolean on) { CudaRuntime.setCudnnBenchmark(on); }

    /** {@code torch.backends.cudnn.deterministic}: false by default; true admits only algorithms cuDNN reports deterministic. */
    public static void setCudnnDeterministic(boolean on) { CudaRuntime.setCudnnDeterministic(on); }
}
