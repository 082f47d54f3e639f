package dev.tessera.backend.cuda;

import static jcuda.jcudnn.JCudnn.*;

import dev.tessera.CudaOutOfMemoryException;
import dev.tessera.DType;
import dev.tessera.TesseraException;
import dev.tessera.backend.ConvGeometry;
import dev.tessera.backend.View;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import jcuda.Pointer;
import jcuda.jcudnn.cudnnBatchNormMode;
import jcuda.jcudnn.cudnnConvolutionBwdDataAlgoPerf;
import jcuda.jcudnn.cudnnConvolutionBwdFilterAlgoPerf;
import jcuda.jcudnn.cudnnConvolutionDescriptor;
import jcuda.jcudnn.cudnnConvolutionFwdAlgoPerf;
import jcuda.jcudnn.cudnnConvolutionMode;
import jcuda.jcudnn.cudnnDataType;
import jcuda.jcudnn.cudnnDeterminism;
import jcuda.jcudnn.cudnnFilterDescriptor;
import jcuda.jcudnn.cudnnHandle;
import jcuda.jcudnn.cudnnMathType;
import jcuda.jcudnn.cudnnTensorDescriptor;
import jcuda.jcudnn.cudnnTensorFormat;
import jcuda.runtime.cudaStream_t;

/**
 * cuDNN for one device: convolution (forward, backward data, backward filter and bias) and batch
 * normalisation (training, inference, backward; spatial mode), on a handle bound to the device's
 * stream. Settings follow PyTorch's {@code torch.backends.cudnn}: {@code enabled}, {@code
 * allow_tf32} (on: FLOAT32 convolutions may use TF32 tensor cores; off: FMA math), {@code benchmark}
 * (cudnnFind* once per shape, cached; otherwise cuDNN's heuristics, cached too) and {@code
 * deterministic} (only algorithms cuDNN reports deterministic).
 *
 * <p>Each entry point returns false when cuDNN declines the case (a NOT_SUPPORTED status, no
 * algorithm, a missing cuDNN 9 sub-library): the caller then runs Tessera's own kernels, and the
 * reason is kept for {@code tessera info}. Any other failing status is a bug and throws, naming the
 * function and the status as the loaded cuDNN names it (cuDNN 9 renumbered them).
 */
final class Cudnn {
    private final CudaDevice dev;
    private final cudnnHandle handle = new cudnnHandle();
    final long version;
    /** Process-wide, as torch.backends.cudnn's flags: enabled (TESSERA_CUDNN=0 starts it off), allow_tf32 (on), benchmark, deterministic. */
    static volatile boolean enabled = !"0".equals(System.getenv("TESSERA_CUDNN")), allowTf32 = true, benchmark, deterministic;
    private volatile String lastDecline;
    private final Map<List<Object>, Algo> algos = new ConcurrentHashMap<>();

    /** An algorithm chosen for one shape key, with the workspace it needs. */
    private record Algo(int id, long workspace) {}

    /** cuDNN said "not for this case"; the caller falls back. */
    private static final class Declined extends RuntimeException {
        Declined(String m) { super(m, null, false, false); }
    }

    Cudnn(CudaDevice dev) {
        this.dev = dev;
        this.version = cudnnGetVersion();
        dev.makeCurrent();
        check(cudnnCreate(handle), "cudnnCreate");
        check(cudnnSetStream(handle, new cudaStream_t(dev.stream)), "cudnnSetStream");
    }

    /** "8.9.7": cuDNN 8 encodes it as 8907, cuDNN 9 as 91002 (9.10.2). */
    static String versionString(long v) {
        return v >= 90000 ? (v / 10000) + "." + (v % 10000 / 100) + "." + (v % 100) : (v / 1000) + "." + (v % 1000 / 100) + "." + (v % 100);
    }

    /** For tessera info: which path convolution and batch norm take, and why. */
    String describe() {
        if (!enabled) return "off (" + ("0".equals(System.getenv("TESSERA_CUDNN")) ? "TESSERA_CUDNN=0" : "switched off") + "): conv2d and batch norm use Tessera's kernels";
        String s = "cuDNN " + versionString(version) + " for conv2d and batch norm (allow_tf32=" + allowTf32 + ", benchmark=" + benchmark
                + ", deterministic=" + deterministic + ")";
        return lastDecline == null ? s : s + "; last case it declined (ran on Tessera's kernels): " + lastDecline;
    }

    private boolean major9() { return version >= 90000; }

    /** cuDNN 9's codes (cudnn_graph.h) for a sub-library (libcudnn_cnn.so.9, ...) of another version, or one that would not load. */
    private static final int SUBLIBRARY_VERSION_MISMATCH_9 = 1002, SUBLIBRARY_LOADING_FAILED_9 = 1008;

    /** Statuses that mean "cuDNN cannot do this case here" (NOT_SUPPORTED*, a missing sub-library) rather than a wrong call. */
    private boolean isDecline(int status) {
        if (major9()) return status / 1000 == 3 || status == SUBLIBRARY_VERSION_MISMATCH_9 || status == SUBLIBRARY_LOADING_FAILED_9;
        return status == 9 || status == 6;                                               // NOT_SUPPORTED, ARCH_MISMATCH (cuDNN 8)
    }

    private void check(int status, String fn) {
        if (status == 0) return;
        String name = status + " " + cudnnGetErrorString(status);
        if (major9() && (status == SUBLIBRARY_VERSION_MISMATCH_9 || status == SUBLIBRARY_LOADING_FAILED_9))
            name += " (a cuDNN 9 sub-library next to libcudnn.so.9 is missing or of another version: libcudnn_cnn.so.9 holds convolution, "
                    + "libcudnn_ops.so.9 batch norm)";
        if (isDecline(status)) throw new Declined(fn + " returned " + name);
        throw new TesseraException("cuDNN " + versionString(version) + ": " + fn + " failed with status " + name);
    }

    /**
     * Runs a cuDNN path; false (and the reason kept) when cuDNN declined it. The operands' views stay
     * reachable until the calls are queued (their raw device addresses are in the calls).
     */
    private boolean attempt(Runnable r, View... operands) {
        if (!enabled) return false;
        try {
            dev.makeCurrent();
            r.run();
            return true;
        } catch (Declined d) {
            lastDecline = d.getMessage();
            return false;
        } finally {
            java.lang.ref.Reference.reachabilityFence(operands);
        }
    }

    // ---- descriptors (made per call; cheap next to the work) ----

    private static int dataType(DType t) {
        return switch (t) {
            case FLOAT32 -> cudnnDataType.CUDNN_DATA_FLOAT;
            case FLOAT64 -> cudnnDataType.CUDNN_DATA_DOUBLE;
            default -> throw new Declined("cuDNN has no " + t.torchName() + " convolution or batch norm");
        };
    }

    private static int i32(long v) {
        if (v > Integer.MAX_VALUE) throw new Declined("a size or stride " + v + " does not fit cuDNN's int");
        return (int) v;
    }

    /** A 4-D descriptor over a view's own strides; a size-1 dim gets the packed stride (its stride is never used). */
    private cudnnTensorDescriptor tensor(List<Object> owned, DType t, long[] shape, long[] strides) {
        cudnnTensorDescriptor d = new cudnnTensorDescriptor();
        check(cudnnCreateTensorDescriptor(d), "cudnnCreateTensorDescriptor");
        owned.add(d);
        long[] packed = View.contiguousStrides(shape);
        int[] st = new int[4];
        for (int i = 0; i < 4; i++) {
            if (shape[i] > 1 && strides[i] == 0) throw new Declined("an expanded (stride-0) input " + Arrays.toString(shape) + " is not a cuDNN tensor");
            st[i] = i32(shape[i] == 1 ? Math.max(packed[i], 1) : strides[i]);
        }
        check(cudnnSetTensor4dDescriptorEx(d, dataType(t), i32(shape[0]), i32(shape[1]), i32(shape[2]), i32(shape[3]), st[0], st[1], st[2], st[3]),
                "cudnnSetTensor4dDescriptorEx");
        return d;
    }

    private cudnnTensorDescriptor packed(List<Object> owned, DType t, long... shape) {
        return tensor(owned, t, shape, View.contiguousStrides(shape));
    }

    private cudnnFilterDescriptor filter(List<Object> owned, DType t, long[] shape) {
        cudnnFilterDescriptor d = new cudnnFilterDescriptor();
        check(cudnnCreateFilterDescriptor(d), "cudnnCreateFilterDescriptor");
        owned.add(d);
        check(cudnnSetFilter4dDescriptor(d, dataType(t), cudnnTensorFormat.CUDNN_TENSOR_NCHW, i32(shape[0]), i32(shape[1]), i32(shape[2]), i32(shape[3])),
                "cudnnSetFilter4dDescriptor");
        return d;
    }

    /** PyTorch's math type: FMA for FLOAT32 when TF32 is off, else cuDNN's default (which may use TF32 on Ampere and later). */
    private int mathType(DType t) { return t == DType.FLOAT32 && !allowTf32 ? cudnnMathType.CUDNN_FMA_MATH : cudnnMathType.CUDNN_DEFAULT_MATH; }

    private cudnnConvolutionDescriptor convolution(List<Object> owned, DType t, ConvGeometry g, int groups) {
        cudnnConvolutionDescriptor d = new cudnnConvolutionDescriptor();
        check(cudnnCreateConvolutionDescriptor(d), "cudnnCreateConvolutionDescriptor");
        owned.add(d);
        check(cudnnSetConvolution2dDescriptor(d, g.ph(), g.pw(), g.sh(), g.sw(), g.dh(), g.dw(), cudnnConvolutionMode.CUDNN_CROSS_CORRELATION, dataType(t)),
                "cudnnSetConvolution2dDescriptor");
        check(cudnnSetConvolutionGroupCount(d, groups), "cudnnSetConvolutionGroupCount");
        check(cudnnSetConvolutionMathType(d, mathType(t)), "cudnnSetConvolutionMathType");
        return d;
    }

    /** Destroys the call's descriptors and returns its temporary blocks (stream order makes that safe at once). */
    private static void destroy(List<Object> owned) {
        for (Object o : owned) {
            if (o instanceof CudaStorage s) s.close();
            if (o instanceof cudnnTensorDescriptor d) cudnnDestroyTensorDescriptor(d);
            else if (o instanceof cudnnFilterDescriptor d) cudnnDestroyFilterDescriptor(d);
            else if (o instanceof cudnnConvolutionDescriptor d) cudnnDestroyConvolutionDescriptor(d);
        }
    }

    private static Pointer scalar(DType t, double v) {
        return t == DType.FLOAT64 ? Pointer.to(new double[] {v}) : Pointer.to(new float[] {(float) v});
    }

    // ---- convolution ----

    /** The three directions; each lists cuDNN's candidates for a shape, best first. */
    private enum Direction { FORWARD, BACKWARD_DATA, BACKWARD_FILTER }

    /** One candidate: algorithm id, status, workspace bytes, whether deterministic. */
    private record Candidate(int algo, int status, long memory, boolean deterministic) {}

    private List<Candidate> candidates(Direction dir, cudnnTensorDescriptor x, cudnnFilterDescriptor w, cudnnConvolutionDescriptor conv,
                                       cudnnTensorDescriptor y) {
        int max = 8;
        int[] count = {0};
        List<Candidate> out = new ArrayList<>();
        switch (dir) {
            case FORWARD -> {
                var perf = new cudnnConvolutionFwdAlgoPerf[max];
                for (int i = 0; i < max; i++) perf[i] = new cudnnConvolutionFwdAlgoPerf();
                check(benchmark ? cudnnFindConvolutionForwardAlgorithm(handle, x, w, conv, y, max, count, perf)
                        : cudnnGetConvolutionForwardAlgorithm_v7(handle, x, w, conv, y, max, count, perf), findName(dir));
                for (int i = 0; i < count[0]; i++) out.add(new Candidate(perf[i].algo, perf[i].status, perf[i].memory, perf[i].determinism == cudnnDeterminism.CUDNN_DETERMINISTIC));
            }
            case BACKWARD_DATA -> {
                var perf = new cudnnConvolutionBwdDataAlgoPerf[max];
                for (int i = 0; i < max; i++) perf[i] = new cudnnConvolutionBwdDataAlgoPerf();
                check(benchmark ? cudnnFindConvolutionBackwardDataAlgorithm(handle, w, y, conv, x, max, count, perf)
                        : cudnnGetConvolutionBackwardDataAlgorithm_v7(handle, w, y, conv, x, max, count, perf), findName(dir));
                for (int i = 0; i < count[0]; i++) out.add(new Candidate(perf[i].algo, perf[i].status, perf[i].memory, perf[i].determinism == cudnnDeterminism.CUDNN_DETERMINISTIC));
            }
            case BACKWARD_FILTER -> {
                var perf = new cudnnConvolutionBwdFilterAlgoPerf[max];
                for (int i = 0; i < max; i++) perf[i] = new cudnnConvolutionBwdFilterAlgoPerf();
                check(benchmark ? cudnnFindConvolutionBackwardFilterAlgorithm(handle, x, y, conv, w, max, count, perf)
                        : cudnnGetConvolutionBackwardFilterAlgorithm_v7(handle, x, y, conv, w, max, count, perf), findName(dir));
                for (int i = 0; i < count[0]; i++) out.add(new Candidate(perf[i].algo, perf[i].status, perf[i].memory, perf[i].determinism == cudnnDeterminism.CUDNN_DETERMINISTIC));
            }
        }
        return out;
    }

    private String findName(Direction dir) {
        String d = switch (dir) { case FORWARD -> "Forward"; case BACKWARD_DATA -> "BackwardData"; case BACKWARD_FILTER -> "BackwardFilter"; };
        return benchmark ? "cudnnFindConvolution" + d + "Algorithm" : "cudnnGetConvolution" + d + "Algorithm_v7";
    }

    /**
     * Runs one direction: the cached algorithm for this shape key, else cuDNN's candidates in order
     * (successful, deterministic when asked) until one's workspace can be allocated; the choice is
     * cached. The workspace comes from the caching allocator and returns to it after the call is
     * queued (stream order makes the reuse safe).
     */
    private void runConvolution(Direction dir, List<Object> key, cudnnTensorDescriptor x, cudnnFilterDescriptor w,
                                cudnnConvolutionDescriptor conv, cudnnTensorDescriptor y, Call call) {
        List<Object> fullKey = new ArrayList<>(key);
        fullKey.addAll(List.of(dir, allowTf32, benchmark, deterministic));
        Algo cached = algos.get(fullKey);
        if (cached != null && run(call, cached)) return;
        List<Candidate> usable = new ArrayList<>();
        for (Candidate c : candidates(dir, x, w, conv, y))
            if (c.status() == 0 && c.algo() >= 0 && (!deterministic || c.deterministic())) usable.add(c);
        for (Candidate c : usable) {
            Algo a = new Algo(c.algo(), c.memory());
            if (run(call, a)) { algos.put(fullKey, a); return; }
        }
        throw new Declined("no " + (deterministic ? "deterministic " : "") + dir.name().toLowerCase(java.util.Locale.ROOT)
                + " algorithm" + (usable.isEmpty() ? "" : " whose workspace could be allocated") + " for " + key);
    }

    @FunctionalInterface private interface Call { int run(int algo, Pointer workspace, long bytes); }

    /** One attempt with an algorithm; false when its workspace cannot be allocated. */
    private boolean run(Call call, Algo a) {
        CachingAllocator.Block ws = null;
        if (a.workspace() > 0) {
            try {
                ws = dev.allocator.allocate(a.workspace());
            } catch (CudaOutOfMemoryException e) {
                return false;   // the next candidate may need less
            }
        }
        try {
            check(call.run(a.id(), ws == null ? new Pointer() : ws.ptr(), a.workspace()), "cudnnConvolution (algorithm " + a.id() + ")");
        } finally {
            if (ws != null) dev.allocator.release(ws);
        }
        return true;
    }

    private static List<Object> key(View x, View w, ConvGeometry g, int groups) {
        return List.of(x.dtype(), Arrays.toString(x.shape()), Arrays.toString(x.strides()), Arrays.toString(w.shape()),
                g.sh(), g.sw(), g.ph(), g.pw(), g.dh(), g.dw(), groups);
    }

    boolean conv2d(View x, View w, View bias, ConvGeometry g, int groups, View out) {
        return attempt(() -> {
            List<Object> owned = new ArrayList<>();
            try {
                DType t = x.dtype();
                var xd = tensor(owned, t, x.shape(), x.strides());
                var wd = filter(owned, t, w.shape());
                var cd = convolution(owned, t, g, groups);
                var yd = packed(owned, t, out.shape());
                Pointer one = scalar(t, 1), zero = scalar(t, 0);
                runConvolution(Direction.FORWARD, key(x, w, g, groups), xd, wd, cd, yd, (algo, ws, bytes) ->
                        cudnnConvolutionForward(handle, one, xd, CudaBackend.ptr(x), wd, CudaBackend.ptr(w), cd, algo, ws, bytes, zero, yd, CudaBackend.ptr(out)));
                if (bias != null) {
                    var bd = packed(owned, t, 1, w.shape()[0], 1, 1);
                    check(cudnnAddTensor(handle, one, bd, CudaBackend.ptr(bias), one, yd, CudaBackend.ptr(out)), "cudnnAddTensor");
                }
            } finally {
                destroy(owned);
            }
        }, x, w, bias, out);
    }

    boolean conv2dBackwardData(View grad, View w, ConvGeometry g, int groups, View dx) {
        return attempt(() -> {
            List<Object> owned = new ArrayList<>();
            try {
                DType t = grad.dtype();
                var dxd = packed(owned, t, dx.shape());
                var wd = filter(owned, t, w.shape());
                var cd = convolution(owned, t, g, groups);
                var dyd = packed(owned, t, grad.shape());
                Pointer one = scalar(t, 1), zero = scalar(t, 0);
                runConvolution(Direction.BACKWARD_DATA, key(dx, w, g, groups), dxd, wd, cd, dyd, (algo, ws, bytes) ->
                        cudnnConvolutionBackwardData(handle, one, wd, CudaBackend.ptr(w), dyd, CudaBackend.ptr(grad), cd, algo, ws, bytes, zero, dxd, CudaBackend.ptr(dx)));
            } finally {
                destroy(owned);
            }
        }, grad, w, dx);
    }

    boolean conv2dBackwardWeight(View grad, View x, ConvGeometry g, int groups, View dw, View db) {
        return attempt(() -> {
            List<Object> owned = new ArrayList<>();
            try {
                DType t = grad.dtype();
                var dyd = packed(owned, t, grad.shape());
                Pointer one = scalar(t, 1), zero = scalar(t, 0);
                if (dw != null) {
                    var xd = tensor(owned, t, x.shape(), x.strides());
                    var wd = filter(owned, t, dw.shape());
                    var cd = convolution(owned, t, g, groups);
                    runConvolution(Direction.BACKWARD_FILTER, key(x, dw, g, groups), xd, wd, cd, dyd, (algo, ws, bytes) ->
                            cudnnConvolutionBackwardFilter(handle, one, xd, CudaBackend.ptr(x), dyd, CudaBackend.ptr(grad), cd, algo, ws, bytes, zero, wd, CudaBackend.ptr(dw)));
                }
                if (db != null) {
                    var bd = packed(owned, t, 1, grad.shape()[1], 1, 1);
                    check(cudnnConvolutionBackwardBias(handle, one, dyd, CudaBackend.ptr(grad), zero, bd, CudaBackend.ptr(db)), "cudnnConvolutionBackwardBias");
                }
            } finally {
                destroy(owned);
            }
        }, grad, x, dw, db);
    }

    // ---- batch norm: [N, C, S] as the 4-D [N, C, S, 1], spatial mode (statistics per channel) ----

    /** PyTorch clamps epsilon to cuDNN's minimum (CUDNN_BN_MIN_EPSILON: 0 in cuDNN 8.x and 9.x headers). */
    private static double bnEpsilon(double eps) { return Math.max(eps, CUDNN_BN_MIN_EPSILON); }

    /** cuDNN needs a scale and a bias; absent ones (affine=False) become ones and zeros. */
    private static View paramOrConstant(List<Object> owned, View p, DType t, long c, double value, CudaBackend be) {
        if (p != null) return p;
        View v = scratch(owned, null, t, new long[] {c}, be);
        be.fill(v, value);
        return v;
    }

    /** p, or a temporary of the shape that the call writes and nobody reads. */
    private static View scratch(List<Object> owned, View p, DType t, long[] shape, CudaBackend be) {
        if (p != null) return p;
        var s = be.allocate(t, java.util.Arrays.stream(shape).reduce(1, (a, b2) -> a * b2));
        owned.add(s);
        return new View(s, 0, shape, View.contiguousStrides(shape));
    }

    private static long[] as4d(View x) { return new long[] {x.shape()[0], x.shape()[1], x.shape()[2], 1}; }

    private static Pointer ptrOrNull(View v) { return v == null ? null : CudaBackend.ptr(v); }

    boolean batchNorm(CudaBackend be, View x, View w, View b, View rm, View rv, double factor, double eps, View out, View saveMean, View saveInvStd) {
        return attempt(() -> {
            List<Object> owned = new ArrayList<>();
            try {
                DType t = x.dtype();
                long c = x.shape()[1];
                var xd = packed(owned, t, as4d(x));
                var pd = packed(owned, t, 1, c, 1, 1);
                View scale = paramOrConstant(owned, w, t, c, 1, be), shift = paramOrConstant(owned, b, t, c, 0, be);
                check(cudnnBatchNormalizationForwardTraining(handle, cudnnBatchNormMode.CUDNN_BATCHNORM_SPATIAL, scalar(t, 1), scalar(t, 0), xd, CudaBackend.ptr(x),
                        xd, CudaBackend.ptr(out), pd, CudaBackend.ptr(scale), CudaBackend.ptr(shift), factor, ptrOrNull(rm), ptrOrNull(rv), bnEpsilon(eps),
                        CudaBackend.ptr(saveMean), CudaBackend.ptr(saveInvStd)), "cudnnBatchNormalizationForwardTraining");
            } finally {
                destroy(owned);
            }
        }, x, w, b, rm, rv, out, saveMean, saveInvStd);
    }

    boolean batchNormInference(CudaBackend be, View x, View w, View b, View rm, View rv, double eps, View out) {
        return attempt(() -> {
            List<Object> owned = new ArrayList<>();
            try {
                DType t = x.dtype();
                long c = x.shape()[1];
                var xd = packed(owned, t, as4d(x));
                var pd = packed(owned, t, 1, c, 1, 1);
                View scale = paramOrConstant(owned, w, t, c, 1, be), shift = paramOrConstant(owned, b, t, c, 0, be);
                check(cudnnBatchNormalizationForwardInference(handle, cudnnBatchNormMode.CUDNN_BATCHNORM_SPATIAL, scalar(t, 1), scalar(t, 0), xd, CudaBackend.ptr(x),
                        xd, CudaBackend.ptr(out), pd, CudaBackend.ptr(scale), CudaBackend.ptr(shift), CudaBackend.ptr(rm), CudaBackend.ptr(rv), bnEpsilon(eps)),
                        "cudnnBatchNormalizationForwardInference");
            } finally {
                destroy(owned);
            }
        }, x, w, b, rm, rv, out);
    }

    boolean batchNormBackward(CudaBackend be, View grad, View x, View w, View saveMean, View saveInvStd, double eps, View dx, View dw, View db) {
        return attempt(() -> {
            List<Object> owned = new ArrayList<>();
            try {
                DType t = x.dtype();
                long c = x.shape()[1];
                var xd = packed(owned, t, as4d(x));
                var pd = packed(owned, t, 1, c, 1, 1);
                View scale = paramOrConstant(owned, w, t, c, 1, be);
                View dxOut = scratch(owned, dx, t, x.shape(), be);
                Pointer one = scalar(t, 1), zero = scalar(t, 0);
                check(cudnnBatchNormalizationBackward(handle, cudnnBatchNormMode.CUDNN_BATCHNORM_SPATIAL, one, zero, one, zero, xd, CudaBackend.ptr(x),
                        xd, CudaBackend.ptr(grad), xd, CudaBackend.ptr(dxOut), pd, CudaBackend.ptr(scale), CudaBackend.ptr(scratch(owned, dw, t, new long[] {c}, be)),
                        CudaBackend.ptr(scratch(owned, db, t, new long[] {c}, be)), bnEpsilon(eps), CudaBackend.ptr(saveMean), CudaBackend.ptr(saveInvStd)),
                        "cudnnBatchNormalizationBackward");
            } finally {
                destroy(owned);
            }
        }, grad, x, w, saveMean, saveInvStd, dx, dw, db);
    }
}
