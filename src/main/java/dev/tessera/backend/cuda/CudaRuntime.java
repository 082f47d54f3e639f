package dev.tessera.backend.cuda;

import dev.tessera.TesseraException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The process-wide CUDA state: libraries loaded once ({@link CudaLibraries}), then one
 * {@link CudaDevice} per GPU created on first use. Nothing here throws to a caller that only asks
 * whether CUDA is there; asking for a backend that cannot exist throws with the reason.
 */
public final class CudaRuntime {
    private static CudaBackend[] backends;
    private static String deviceFailure;   // e.g. kernel images missing: CUDA is present but unusable

    private CudaRuntime() {}

    /** Why CUDA cannot be used, or empty when it can. Never throws. */
    public static synchronized Optional<String> unavailableReason() {
        try {
            CudaLibraries.Result r = CudaLibraries.load();
            if (!r.ok()) return Optional.of(r.reason());
            if (r.deviceCount() == 0) return Optional.of("no CUDA device found");
            if (deviceFailure == null) backend(0);
            return Optional.empty();
        } catch (TesseraException e) {
            return Optional.of(e.getMessage().replaceFirst("^CUDA unavailable: ", ""));
        } catch (RuntimeException | LinkageError e) {
            return Optional.of("CUDA could not be initialised: " + e);
        }
    }

    /** Usable CUDA devices; 0 when CUDA cannot be used. Never throws. */
    public static synchronized int deviceCount() {
        return unavailableReason().isPresent() ? 0 : CudaLibraries.load().deviceCount();
    }

    /** The backend of cuda:index; throws "CUDA unavailable: reason" when there is none. */
    public static synchronized CudaBackend backend(int index) {
        CudaLibraries.Result r = CudaLibraries.load();
        if (!r.ok()) throw new TesseraException("CUDA unavailable: " + r.reason());
        if (deviceFailure != null) throw new TesseraException("CUDA unavailable: " + deviceFailure);
        if (index >= r.deviceCount())
            throw new TesseraException("CUDA error: invalid device ordinal (asked for cuda:" + index + ", " + r.deviceCount() + " device(s) present)");
        if (backends == null) backends = new CudaBackend[r.deviceCount()];
        if (backends[index] == null) {
            try {
                backends[index] = new CudaBackend(new CudaDevice(index));
            } catch (TesseraException e) {
                deviceFailure = e.getMessage();
                throw new TesseraException("CUDA unavailable: " + deviceFailure, e);
            } catch (RuntimeException e) {
                deviceFailure = "initialising cuda:" + index + " failed: " + e.getMessage();
                throw new TesseraException("CUDA unavailable: " + deviceFailure, e);
            }
        }
        return backends[index];
    }

    public static long memoryAllocated(int index) { return backend(index).cudaDevice().allocator.allocated(); }
    public static long memoryReserved(int index) { return backend(index).cudaDevice().allocator.reserved(); }
    public static long maxMemoryAllocated(int index) { return backend(index).cudaDevice().allocator.peakAllocated(); }
    public static void resetPeakMemoryStats(int index) { backend(index).cudaDevice().allocator.resetPeak(); }
    public static String memorySummary(int index) { return backend(index).cudaDevice().allocator.summary(); }
    public static long allocationRetries(int index) { return backend(index).cudaDevice().allocator.retries(); }
    /** Garbage collections the allocator ran before growing past its soft limit. */
    public static long gcCollections(int index) { return backend(index).cudaDevice().allocator.collections(); }
    public static void emptyCache(int index) { backend(index).cudaDevice().allocator.emptyCache(); }
    public static void synchronize(int index) { backend(index).cudaDevice().synchronize(); }
    public static void setAllowTf32(int index, boolean allow) { backend(index).cudaDevice().setAllowTf32(allow); }

    /** torch.backends.cudnn's switches, process-wide; they take effect on the next convolution or batch norm. */
    public static void setCudnnEnabled(boolean on) { Cudnn.enabled = on; }
    public static boolean cudnnEnabled() { return Cudnn.enabled; }
    public static void setCudnnAllowTf32(boolean on) { Cudnn.allowTf32 = on; }
    public static void setCudnnBenchmark(boolean on) { Cudnn.benchmark = on; }
    public static void setCudnnDeterministic(boolean on) { Cudnn.deterministic = on; }

    /** Whether cuda:index has cuDNN loaded (whether or not it is switched on). */
    public static boolean cudnnLoaded(int index) { return backend(index).cudaDevice().cudnn != null; }

    /**
     * Convolution and batch-norm primitive calls on cuda:index so far: {served by cuDNN, run on
     * Tessera's own kernels}. Tests use it to prove which path ran.
     */
    public static long[] cudnnCallCounts(int index) {
        CudaBackend b = backend(index);
        return new long[] {b.cudnnCalls.get(), b.fallbackCalls.get()};
    }

    /** Times the host has waited for cuda:index (host reads, synchronize): what tests of "no sync in a training step" count. */
    public static long hostSyncCount(int index) { return backend(index).cudaDevice().hostSyncs.get(); }

    /** One line: the path conv2d and batch norm take on cuda:index, and why. */
    public static String cudnnPath(int index) {
        CudaDevice d = backend(index).cudaDevice();
        return d.cudnn != null ? d.cudnn.describe()
                : "Tessera's kernels for conv2d and batch norm (cuDNN unavailable: " + d.cudnnUnavailable + ")";
    }

    /** Lines for {@code tessera info}: per GPU its name, compute capability and memory; versions; library files. */
    public static synchronized List<String> describe() {
        List<String> lines = new ArrayList<>();
        Optional<String> reason = unavailableReason();
        CudaLibraries.Result r = CudaLibraries.load();
        if (reason.isPresent()) {
            lines.add("cuda:        unavailable: " + reason.get());
        } else {
            for (int i = 0; i < r.deviceCount(); i++) {
                CudaDevice d = backend(i).cudaDevice();
                lines.add(String.format("cuda:%d      %s, compute capability %s, %.1f GiB", i, d.name(), d.computeCapability(), d.totalMemory() / 1073741824.0));
                lines.add("conv/bn:     " + cudnnPath(i));
            }
        }
        lines.addAll(r.details());
        return lines;
    }
}
