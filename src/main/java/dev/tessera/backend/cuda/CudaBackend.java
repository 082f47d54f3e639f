package dev.tessera.backend.cuda;

import dev.tessera.DType;
import dev.tessera.Device;
import dev.tessera.TesseraException;
import dev.tessera.TesseraIndexException;
import dev.tessera.backend.Backend;
import dev.tessera.backend.BinaryOp;
import dev.tessera.backend.ConvGeometry;
import dev.tessera.backend.Im2colConvolution;
import dev.tessera.backend.MergedDims;
import dev.tessera.backend.ReduceOp;
import dev.tessera.backend.Storage;
import dev.tessera.backend.UnaryOp;
import dev.tessera.backend.View;
import java.lang.ref.Reference;
import java.util.Locale;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasOperation;

/**
 * The CUDA implementation of {@link Backend}: cuBLAS for matmul, Tessera's kernels from
 * {@code cuda-kernels/} for everything else, all on one stream per device. Host copies are
 * asynchronous copies on that stream through pinned buffers ({@link PinnedStaging}): a copy to the
 * device waits only while its staging buffer is still in use, and a host read only for the work
 * queued before it.
 *
 * <p>Threads: any Java threads may use a device at once (say a data-loading thread calling
 * {@code to("cuda")} beside a training thread). Launches, library calls, host copies and
 * allocations are serialised per device and run on its one stream in the order they were made; a
 * view's device address is kept reachable until the call that uses it is queued. Tessera does not
 * order one thread's ops against another's beyond that: share a tensor across threads only after
 * the writing thread's ops were issued (as with any Java object).
 */
public final class CudaBackend implements Backend {
    private final CudaDevice dev;

    CudaBackend(CudaDevice dev) { this.dev = dev; }

    @Override public Device device() { return dev.device(); }

    CudaDevice cudaDevice() { return dev; }

    // ---- memory ----

    static String dt(DType t) {
        return switch (t) { case FLOAT32 -> "f32"; case FLOAT64 -> "f64"; case INT64 -> "i64"; case BOOL -> "b8"; };
    }

    static int itemSize(DType t) { return t == DType.BOOL ? 1 : t.byteSize(); }

    @Override public Storage allocate(DType dtype, long numel) {
        CachingAllocator.Block block = dev.allocator.allocate(numel * itemSize(dtype));
        return new CudaStorage(dtype, numel, block, dev.device());
    }

    /** A view's first element as a kernel argument (a raw device address; 0 is NULL); throws once its storage is closed. */
    static long at(View v) {
        return ((CudaStorage) v.storage()).address() + v.offset() * itemSize(v.dtype());
    }

    /** The device address of a view's first element; throws once its storage is closed. */
    static CUdeviceptr ptr(View v) {
        CudaStorage s = (CudaStorage) v.storage();
        return s.ptr().withByteOffset(v.offset() * itemSize(v.dtype()));
    }

    @Override public Storage fromHost(Object array) {
        DType dtype;
        long n;
        if (array instanceof float[] a) { dtype = DType.FLOAT32; n = a.length; }
        else if (array instanceof double[] a) { dtype = DType.FLOAT64; n = a.length; }
        else if (array instanceof long[] a) { dtype = DType.INT64; n = a.length; }
        else if (array instanceof boolean[] a) { dtype = DType.BOOL; n = a.length; }
        else throw new IllegalArgumentException("fromHost: unsupported array type " + array.getClass().getSimpleName());
        CudaStorage s = (CudaStorage) allocate(dtype, n);
        dev.staging.toDevice(array, s.ptr());
        return s;
    }

    @Override public Object toHost(View src) {
        View c = src;
        if (!src.isContiguous()) {
            Storage tmp = allocate(src.dtype(), src.numel());
            c = new View(tmp, 0, src.shape(), View.contiguousStrides(src.shape()));
            copy(src, c);
        }
        int n = (int) src.numel();
        Object out = switch (src.dtype()) {
            case FLOAT32 -> new float[n];
            case FLOAT64 -> new double[n];
            case INT64 -> new long[n];
            case BOOL -> new boolean[n];
        };
        dev.staging.toHost(ptr(c), out);
        dev.errors.check();   // a sync point: kernels queued before this read have run
        return out;
    }

    // ---- elementwise ----

    @Override public void copy(View src, View dst) {
        if (dst.numel() == 0) return;
        if (src.dtype() == dst.dtype() && transpose(src, dst)) return;
        dev.kernels.launch("copy_" + dt(src.dtype()) + "_" + dt(dst.dtype()), dst.numel(), src, dst, Structs.strides(dst.shape(), dst, src));
    }

    /**
     * A copy whose destination is contiguous along its last (merged) dim while the source is
     * contiguous along another dim p — contiguous() of a transposed or permuted view — runs as
     * transpose_*: 32×32 shared-memory tiles over (p, last), every other dim a batch, so both sides
     * are read and written in whole cache lines. Only when both dims have at least
     * {@value #TILE_MIN} elements: thinner ones would leave most of a tile idle, and the plain copy
     * reads their few strided runs well enough. False: not this case, nothing done.
     */
    private boolean transpose(View src, View dst) {
        MergedDims m = new MergedDims(dst.shape(), dst, src);
        int nd = m.shape.length, last = nd - 1, p = -1;
        if (nd < 2 || m.strides[0][last] != 1 || m.strides[1][last] == 1) return false;
        for (int d = last - 1; d >= 0 && p < 0; d--) if (m.strides[1][d] == 1) p = d;
        if (p < 0 || m.shape[p] < TILE_MIN || m.shape[last] < TILE_MIN) return false;
        long[] batch = new long[nd - 2], dstBatch = new long[nd - 2], srcBatch = new long[nd - 2];
        for (int d = 0, k = 0; d < last; d++) {
            if (d == p) continue;
            batch[k] = m.shape[d];
            dstBatch[k] = m.strides[0][d];
            srcBatch[k++] = m.strides[1][d];
        }
        long batches = 1;
        for (long b : batch) batches *= b;
        long tiles = batches * -Math.floorDiv(-m.shape[p], 32) * -Math.floorDiv(-m.shape[last], 32);
        byte[] g = Structs.strides(batch, new View(dst.storage(), 0, batch, dstBatch), new View(src.storage(), 0, batch, srcBatch));
        dev.kernels.launchBlocks("transpose_" + dt(src.dtype()), tiles, src, dst, g, m.shape[p], m.shape[last], m.strides[1][last], m.strides[0][p]);
        return true;
    }

    static final long TILE_MIN = 16;

    @Override public void fill(View dst, double value) {
        if (dst.numel() == 0) return;
        dev.kernels.launch("fill_" + dt(dst.dtype()), dst.numel(), dst, Structs.strides(dst.shape(), dst), value);
    }

    private static String lower(Enum<?> op) { return op.name().toLowerCase(Locale.ROOT); }

    @Override public void unary(UnaryOp op, View x, View out) {
        if (out.numel() == 0) return;
        dev.kernels.launch("unary_" + lower(op) + "_" + dt(x.dtype()), out.numel(), x, out, Structs.strides(out.shape(), out, x));
    }

    @Override public void binary(BinaryOp op, View a, View b, View out) {
        if (out.numel() == 0) return;
        if (a.dtype() == DType.BOOL) { binaryBool(op, a, b, out); return; }
        dev.kernels.launch("binary_" + lower(op) + "_" + dt(a.dtype()), out.numel(), a, b, out, Structs.strides(out.shape(), out, a, b));
    }

    /**
     * There are no b8 binary kernels: BOOL operands (bool·bool masks, clamp's backward) go through
     * INT64, exact for 0/1, and an arithmetic result is narrowed as x != 0, like CpuBackend's generic path.
     */
    private void binaryBool(BinaryOp op, View a, View b, View out) {
        long[] shape = out.shape(), st = View.contiguousStrides(shape);
        View ai = new View(allocate(DType.INT64, out.numel()), 0, shape, st), bi = new View(allocate(DType.INT64, out.numel()), 0, shape, st);
        copy(a, ai);
        copy(b, bi);
        if (op.isComparison()) binary(op, ai, bi, out);
        else {
            binary(op, ai, bi, ai);   // in place: each element reads a[i], b[i] and then writes a[i]
            copy(ai, out);
        }
    }

    @Override public void where(View cond, View a, View b, View out) {
        if (out.numel() == 0) return;
        dev.kernels.launch("where_" + dt(out.dtype()), out.numel(), cond, a, b, out, Structs.strides(out.shape(), out, cond, a, b));
    }

    // ---- reductions and softmax ----

    /**
     * One block per row, unless there are few rows and they are long: then SUM, MAX and MIN cut
     * each row into slices of at least {@value #MIN_SLICE} elements over about {@value #SPREAD_BLOCKS}
     * blocks in all, and reduce the partial results again (a full reduction of a large tensor would
     * otherwise run on one multiprocessor).
     */
    @Override public void reduce(ReduceOp op, View x, View out) {
        long outer = x.shape()[0], inner = x.shape()[1];
        if (outer == 0) return;
        if (x.strides()[0] == 1 && x.strides()[1] != 1 && outer > 1) { reduceColumns(op, x, out); return; }
        String name = "reduce_" + lower(op) + "_" + dt(x.dtype());
        boolean split = op != ReduceOp.ARGMAX && op != ReduceOp.ARGMIN && outer < SPREAD_BLOCKS / 4 && inner >= 4 * MIN_SLICE;
        if (!split) {
            dev.kernels.launchRows(name, outer, x, out, outer, inner, x.strides()[0], x.strides()[1], inner);
            return;
        }
        long per = Math.max(MIN_SLICE, -Math.floorDiv(-inner * outer, SPREAD_BLOCKS)), slices = -Math.floorDiv(-inner, per);
        View partial = new View(allocate(out.dtype(), outer * slices), 0, new long[] {outer, slices}, new long[] {slices, 1});
        dev.kernels.launchRows(name, outer * slices, x, partial, outer, inner, x.strides()[0], x.strides()[1], per);
        dev.kernels.launchRows("reduce_" + lower(op) + "_" + dt(out.dtype()), outer, partial, out, outer, slices, slices, 1L, slices);
    }

    private static final long MIN_SLICE = 2048, SPREAD_BLOCKS = 1024;

    /**
     * The kept axis contiguous, the reduced one strided (sum over the batch of [N, C], a bias
     * gradient): reduce_cols_*, a thread per kept element. With few kept elements the reduced axis
     * is cut into slices (at least {@value #MIN_COLUMN_SLICE} long) so that about {@value #COLUMN_THREADS}
     * threads work, and the [slices, outer] partials are reduced again (SUM, MAX, MIN).
     */
    private void reduceColumns(ReduceOp op, View x, View out) {
        long outer = x.shape()[0], inner = x.shape()[1], so = x.strides()[0], si = x.strides()[1];
        boolean arg = op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN;
        long slices = arg ? 1 : Math.max(1, Math.min(-Math.floorDiv(-COLUMN_THREADS, outer), inner / MIN_COLUMN_SLICE));
        long per = slices == 1 ? inner : -Math.floorDiv(-inner, slices);
        slices = per == 0 ? 1 : -Math.floorDiv(-inner, per);
        String name = "reduce_cols_" + lower(op) + "_";
        if (slices == 1) {
            dev.kernels.launch(name + dt(x.dtype()), outer, x, out, outer, inner, so, si, per);
            return;
        }
        View partial = new View(allocate(out.dtype(), outer * slices), 0, new long[] {slices, outer}, new long[] {outer, 1});
        dev.kernels.launch(name + dt(x.dtype()), outer * slices, x, partial, outer, inner, so, si, per);
        dev.kernels.launch(name + dt(out.dtype()), outer, partial, out, outer, slices, 1L, outer, slices);
    }

    private static final long COLUMN_THREADS = 1 << 16, MIN_COLUMN_SLICE = 64;

    /**
     * Rows of up to {@value #WARP_ROW_MAX} elements: one warp per row (softmax_warp_*, shuffle
     * reductions, 8 rows per block), as PyTorch's persistent softmax does up to 1024; a 256-thread
     * block would leave most of its threads idle on such rows and pay two barriers per reduction
     * level. Longer rows: one block per row; fewer than {@value #SPREAD_BLOCKS}/4 rows of at least
     * 2·{@value #MIN_SLICE} elements: each row cut into slices of at least {@value #MIN_SLICE}, about
     * {@value #SPREAD_BLOCKS} blocks in all (as {@link #reduce} spreads few long rows).
     */
    @Override public void softmax(View x, View out, boolean log) {
        long rows = x.shape()[0], n = x.shape()[1];
        if (rows == 0 || n == 0) return;
        String name = (log ? "log_softmax_" : "softmax_");
        if (n <= WARP_ROW_MAX) { dev.kernels.launchWarpRows(name + "warp_" + dt(x.dtype()), rows, x, out, rows, n); return; }
        long slices = rows >= SPREAD_BLOCKS / 4 ? 1 : Math.min(-Math.floorDiv(-SPREAD_BLOCKS, rows), n / MIN_SLICE);
        if (slices <= 1) { dev.kernels.launchRows(name + dt(x.dtype()), rows, x, out, rows, n); return; }
        // few very long rows: a block per slice of a row, then the slices' (max, sum) combined per row
        long per = -Math.floorDiv(-n, slices);
        slices = -Math.floorDiv(-n, per);
        CudaStorage part = (CudaStorage) allocate(DType.FLOAT64, 2 * rows * slices);
        try {
            dev.kernels.launchRows("softmax_partial_" + dt(x.dtype()), rows * slices, x, part, rows, n, per, slices);
            dev.kernels.launchRows(name + "split_" + dt(x.dtype()), rows * slices, x, out, part, rows, n, per, slices);
        } finally {
            part.close();   // stream order: reused only by work queued after these kernels
        }
    }

    static final long WARP_ROW_MAX = 1024;

    /** As {@link #softmax}: a warp per row up to {@value #WARP_ROW_MAX} elements, else a block per row. */
    @Override public void layerNorm(View x, View weight, View bias, double eps, View out, View mean, View rstd) {
        long rows = x.shape()[0], n = x.shape()[1];
        if (rows == 0) return;
        if (n <= WARP_ROW_MAX) dev.kernels.launchWarpRows("layer_norm_warp_" + dt(x.dtype()), rows, x, weight, bias, out, mean, rstd, rows, n, eps);
        else dev.kernels.launchRows("layer_norm_" + dt(x.dtype()), rows, x, weight, bias, out, mean, rstd, rows, n, eps);
    }

    /** The kernel records a bad target in a device flag, reported at the next sync point (DeviceErrors): no sync here. */
    @Override public void nll(View logp, View target, long ignoreIndex, double smoothing, View loss) {
        long rows = logp.shape()[0], c = logp.shape()[1];
        if (rows == 0) return;
        CudaStorage bad = (CudaStorage) fromHost(new long[] {Long.MIN_VALUE});   // "no bad target"; an async copy, no kernel
        dev.kernels.launch("nll_" + dt(logp.dtype()), rows, logp, target, loss, rows, c, ignoreIndex, smoothing, bad);
        dev.errors.add(bad, Long.MIN_VALUE, t -> new TesseraIndexException("Target " + t + " is out of bounds."));
    }

    @Override public void nllBackward(View grad, View target, long ignoreIndex, double smoothing, View dlogp) {
        long rows = dlogp.shape()[0], c = dlogp.shape()[1];
        if (rows * c == 0) return;
        dev.kernels.launch("nll_backward_" + dt(dlogp.dtype()), rows * c, grad, target, dlogp, rows, c, ignoreIndex, smoothing);
    }

    @Override public void sgdStep(View p, View g, View buf, double lr, double momentum, double dampening, double weightDecay,
                                  boolean nesterov, boolean first) {
        long n = p.numel();
        if (n == 0) return;
        dev.kernels.launch("sgd_step_" + dt(p.dtype()), n, p, g, buf, n,
                lr, momentum, dampening, weightDecay, nesterov ? 1 : 0, first ? 1 : 0);
    }

    @Override public void adamStep(View p, View g, View m, View v, double lr, double beta1, double beta2, double eps,
                                   double weightDecay, boolean decoupled, long step) {
        long n = p.numel();
        if (n == 0) return;
        dev.kernels.launch("adam_step_" + dt(p.dtype()), n, p, g, m, v, n,
                lr, beta1, beta2, eps, weightDecay, decoupled ? 1 : 0, step);
    }

    // ---- matmul: cuBLAS ----

    /**
     * Row-major C = A·B is column-major Cᵀ = Bᵀ·Aᵀ, so cuBLAS is called with the operands swapped.
     * A row-major operand is a column-major transposed one (op N), a transposed view is passed as
     * op T without a copy; anything else (broadcast matrix axes) is packed first. Stride-0 batch
     * axes go to the strided-batched call as stride 0.
     */
    @Override public void matmul(View a, View b, View out) {
        if (a.dtype() != DType.FLOAT32 && a.dtype() != DType.FLOAT64)
            throw new UnsupportedOperationException("matmul of " + a.dtype().torchName() + " has no CUDA implementation (cuBLAS takes float32/float64)");
        int batch = (int) a.shape()[0], m = (int) a.shape()[1], k = (int) a.shape()[2], n = (int) b.shape()[2];
        if ((long) batch * m * n == 0) return;
        if (k == 0) { fill(out, 0); return; }
        Operand pa = operand(a), pb = operand(b);
        try {
            dev.makeCurrent();
            CUdeviceptr c = ptr(out);
            int opA = pa.trans ? cublasOperation.CUBLAS_OP_T : cublasOperation.CUBLAS_OP_N;
            int opB = pb.trans ? cublasOperation.CUBLAS_OP_T : cublasOperation.CUBLAS_OP_N;
            if (out.strides()[0] == 0 && batch > 1) {   // summed over the batch: stream-ordered GEMMs with beta = 1 after the first
                for (int i = 0; i < batch; i++)
                    gemm(a.dtype(), opA, opB, m, n, k, pa.ptr.withByteOffset(i * pa.batchStride * itemSize(a.dtype())), pa.ld,
                            pb.ptr.withByteOffset(i * pb.batchStride * itemSize(a.dtype())), pb.ld, c, i > 0);
                return;
            }
            if (a.dtype() == DType.FLOAT32) {
                Pointer one = Pointer.to(new float[] {1f}), zero = Pointer.to(new float[] {0f});
                JCublas2.cublasSgemmStridedBatched(dev.cublas, opB, opA, n, m, k, one, pb.ptr, pb.ld, pb.batchStride,
                        pa.ptr, pa.ld, pa.batchStride, zero, c, n, (long) m * n, batch);
            } else {
                Pointer one = Pointer.to(new double[] {1}), zero = Pointer.to(new double[] {0});
                JCublas2.cublasDgemmStridedBatched(dev.cublas, opB, opA, n, m, k, one, pb.ptr, pb.ld, pb.batchStride,
                        pa.ptr, pa.ld, pa.batchStride, zero, c, n, (long) m * n, batch);
            }
        } finally {
            // A packed copy is held only through its Operand: were it collected before the GEMMs are
            // enqueued, its block could go back to the cache and be handed to b's packed copy.
            Reference.reachabilityFence(pa);
            Reference.reachabilityFence(pb);
        }
    }

    private void gemm(DType t, int opA, int opB, int m, int n, int k, CUdeviceptr a, int lda, CUdeviceptr b, int ldb, CUdeviceptr c, boolean accumulate) {
        if (t == DType.FLOAT32)
            JCublas2.cublasSgemm(dev.cublas, opB, opA, n, m, k, Pointer.to(new float[] {1f}), b, ldb, a, lda,
                    Pointer.to(new float[] {accumulate ? 1f : 0f}), c, n);
        else
            JCublas2.cublasDgemm(dev.cublas, opB, opA, n, m, k, Pointer.to(new double[] {1}), b, ldb, a, lda,
                    Pointer.to(new double[] {accumulate ? 1 : 0}), c, n);
    }

    /** packed: the contiguous copy ptr points into (null when v is used in place), kept reachable by matmul. */
    private record Operand(CUdeviceptr ptr, boolean trans, int ld, long batchStride, Storage packed) {}

    private Operand operand(View v) {
        long[] st = v.strides(), sh = v.shape();
        boolean rowMajor = (st[2] == 1 || sh[2] == 1) && (sh[1] == 1 || st[1] >= sh[2]);
        boolean colMajor = (st[1] == 1 || sh[1] == 1) && (sh[2] == 1 || st[2] >= sh[1]);
        if (rowMajor) return new Operand(ptr(v), false, (int) Math.max(Math.max(st[1], sh[2]), 1), st[0], null);
        if (colMajor) return new Operand(ptr(v), true, (int) Math.max(Math.max(st[2], sh[1]), 1), st[0], null);
        View packed = new View(allocate(v.dtype(), v.numel()), 0, sh, View.contiguousStrides(sh));
        copy(v, packed);
        return new Operand(ptr(packed), false, (int) Math.max(sh[2], 1), sh[1] * sh[2], packed.storage());
    }

    // ---- convolution and batch norm: cuDNN, else Tessera's kernels ----

    /** Primitive calls that cuDNN served, and that ran on Tessera's kernels instead (tests, tessera info). */
    final java.util.concurrent.atomic.AtomicLong cudnnCalls = new java.util.concurrent.atomic.AtomicLong(),
            fallbackCalls = new java.util.concurrent.atomic.AtomicLong();

    /** Runs a cuDNN path when cuDNN is there; false (counted) when the caller must run the fallback. */
    private boolean viaCudnn(java.util.function.BooleanSupplier call) {
        if (dev.cudnn != null && call.getAsBoolean()) { cudnnCalls.incrementAndGet(); return true; }
        fallbackCalls.incrementAndGet();
        return false;
    }

    @Override public void conv2d(View x, View weight, View bias, ConvGeometry g, int groups, View out) {
        if (viaCudnn(() -> dev.cudnn.conv2d(x, weight, bias, g, groups, out))) return;
        Im2colConvolution.forward(this, x, weight, bias, g, groups, out);
    }

    @Override public void conv2dBackwardData(View grad, View weight, ConvGeometry g, int groups, View dx) {
        if (viaCudnn(() -> dev.cudnn.conv2dBackwardData(grad, weight, g, groups, dx))) return;
        Im2colConvolution.backwardData(this, grad, weight, g, groups, dx);
    }

    @Override public void conv2dBackwardWeight(View grad, View x, ConvGeometry g, int groups, View dweight, View dbias) {
        if (viaCudnn(() -> dev.cudnn.conv2dBackwardWeight(grad, x, g, groups, dweight, dbias))) return;
        Im2colConvolution.backwardWeight(this, grad, x, g, groups, dweight, dbias);
    }


    /** Fallback: batch_norm.cu, a block per channel for the statistics, then an elementwise pass. */
    @Override public void batchNorm(View x, View weight, View bias, View runningMean, View runningVar, double factor, double eps,
                                    View out, View saveMean, View saveInvStd) {
        if (viaCudnn(() -> dev.cudnn.batchNorm(this, x, weight, bias, runningMean, runningVar, factor, eps, out, saveMean, saveInvStd))) return;
        long n = x.shape()[0], c = x.shape()[1], s = x.shape()[2];
        dev.kernels.launchRows("batch_norm_stats_" + dt(x.dtype()), c, x, saveMean, saveInvStd, runningMean, runningVar,
                n, c, s, factor, eps);
        dev.kernels.launch("batch_norm_apply_" + dt(x.dtype()), x.numel(), x, saveMean, saveInvStd, 0, eps,
                weight, bias, out, n, c, s);
    }

    @Override public void batchNormInference(View x, View weight, View bias, View runningMean, View runningVar, double eps, View out) {
        if (viaCudnn(() -> dev.cudnn.batchNormInference(this, x, weight, bias, runningMean, runningVar, eps, out))) return;
        dev.kernels.launch("batch_norm_apply_" + dt(x.dtype()), x.numel(), x, runningMean, runningVar, 1, eps,
                weight, bias, out, x.shape()[0], x.shape()[1], x.shape()[2]);
    }

    @Override public void batchNormBackward(View grad, View x, View weight, View saveMean, View saveInvStd, double eps, View dx, View dweight, View dbias) {
        if (viaCudnn(() -> dev.cudnn.batchNormBackward(this, grad, x, weight, saveMean, saveInvStd, eps, dx, dweight, dbias))) return;
        long n = x.shape()[0], c = x.shape()[1], s = x.shape()[2];
        CudaStorage sums = (CudaStorage) allocate(x.dtype(), 2 * c);
        try {
            dev.kernels.launchRows("batch_norm_backward_reduce_" + dt(x.dtype()), c, grad, x, saveMean, saveInvStd, sums,
                    dweight, dbias, n, c, s);
            if (dx != null)
                dev.kernels.launch("batch_norm_backward_apply_" + dt(x.dtype()), x.numel(), grad, x, saveMean, saveInvStd, weight,
                        sums, dx, n, c, s);
        } finally {
            sums.close();   // stream order: the block is reused only by work queued after these kernels
        }
    }

    // ---- sliding windows ----

    @Override public void im2col(View x, ConvGeometry g, View cols) {
        dev.kernels.launch("im2col_" + dt(x.dtype()), cols.numel(), x, cols, Structs.conv(g, x.strides(), cols.strides()));
    }

    @Override public void col2im(View cols, ConvGeometry g, View out) {
        dev.kernels.launch("col2im_" + dt(out.dtype()), out.numel(), cols, out, Structs.conv(g, null, cols.strides()));
    }

    @Override public void maxPool2d(View x, ConvGeometry g, View out, View indices) {
        dev.kernels.launch("maxpool2d_" + dt(x.dtype()), out.numel(), x, out, indices, Structs.conv(g, x.strides(), null));
    }

    @Override public void maxPool2dBackward(View grad, View indices, ConvGeometry g, View dx) {
        fill(dx, 0);
        dev.kernels.launch("maxpool2d_backward_" + dt(dx.dtype()), grad.numel(), grad, indices, dx, Structs.conv(g, null, null));
    }

    // ---- gather / scatter ----

    /** The kernel flags a bad index instead of faulting; the flag is reported at the next sync point (DeviceErrors). */
    @Override public void indexSelect(View table, View index, View out) {
        long m = index.numel(), d = table.shape()[1], rows = table.shape()[0];
        if (m == 0) return;
        CudaStorage flag = (CudaStorage) fromHost(new long[] {0});   // an async copy, no kernel
        dev.kernels.launch("index_select_" + dt(table.dtype()), m * d, table, index, out, m, d, rows, flag);
        dev.errors.add(flag, 0, v -> new TesseraIndexException("index out of range in self"));
    }

    /**
     * embedding.cu: the indices sorted stably on the device (a radix sort, 8 bits a pass, as many
     * passes as rows needs), each row's segment of positions found, then one thread per element of
     * dw sums its segment in increasing position — no float atomics, so a frequent or padding index
     * does not serialise on one row, and the result is the CPU's to the bit. Scratch: keys and
     * positions (twice, ping-pong) as 4-byte elements, 256 counts per tile of 2048 keys, two
     * segment bounds per row; closed once the kernels that use them are queued.
     */
    @Override public void embeddingBackward(View grad, View index, long paddingIdx, View dw) {
        long m = index.numel(), rows = dw.shape()[0], d = dw.shape()[1];
        if (rows * d == 0) return;
        if (m >= Integer.MAX_VALUE || rows >= Integer.MAX_VALUE)
            throw new UnsupportedOperationException("embedding backward on CUDA: " + m + " indices into " + rows + " rows; both must be below 2^31 - 1");
        java.util.List<CudaStorage> scratch = new java.util.ArrayList<>();
        try {
            CudaStorage seg = scratch(scratch, DType.INT64, 2 * rows);
            fill(new View(seg, 0, new long[] {2 * rows}, new long[] {1}), 0);
            CudaStorage pos = null;
            if (m > 0) {
                long tiles = -Math.floorDiv(-m, RADIX_TILE);
                CudaStorage key = scratch(scratch, DType.FLOAT32, m), key2 = scratch(scratch, DType.FLOAT32, m);   // FLOAT32: 4-byte unsigned slots
                CudaStorage pos2 = scratch(scratch, DType.FLOAT32, m), hist = scratch(scratch, DType.FLOAT32, 256 * tiles);
                pos = scratch(scratch, DType.FLOAT32, m);
                dev.kernels.launch("embedding_keys", m, index, key, pos, m, rows);
                int bits = 64 - Long.numberOfLeadingZeros(rows);   // keys run up to rows (an index out of range)
                for (int shift = 0; shift < bits; shift += 8) {
                    dev.kernels.launchBlocks("radix_histogram", tiles, key, hist, m, shift, tiles);
                    dev.kernels.launchBlocks("radix_scan", 1, hist, 256 * tiles);
                    dev.kernels.launchBlocks("radix_scatter", tiles, key, pos, key2, pos2, hist, m, shift, tiles);
                    CudaStorage k = key, p = pos;
                    key = key2; pos = pos2; key2 = k; pos2 = p;
                }
                dev.kernels.launch("embedding_segments", m, key, seg, m, rows);
            }
            dev.kernels.launch("embedding_backward_" + dt(dw.dtype()), rows * d, grad, pos, seg, dw, rows, d, paddingIdx);
        } finally {
            for (CudaStorage s : scratch) s.close();   // stream order: reused only by work queued after these kernels
        }
    }

    private static final long RADIX_TILE = 2048;   // TS_RADIX_TILE in embedding.cu

    private CudaStorage scratch(java.util.List<CudaStorage> owned, DType dtype, long n) {
        CudaStorage s = (CudaStorage) allocate(dtype, n);
        owned.add(s);
        return s;
    }

    // ---- random: counter-based, so a seed gives the same stream on any launch shape ----

    @Override public void uniform(View out, double lo, double hi, long seed) {
        dev.kernels.launch("uniform_" + dt(out.dtype()), out.numel(), out, out.numel(), seed, lo, hi);
    }

    @Override public void normal(View out, double mean, double std, long seed) {
        dev.kernels.launch("normal_" + dt(out.dtype()), out.numel(), out, out.numel(), seed, mean, std);
    }
}
