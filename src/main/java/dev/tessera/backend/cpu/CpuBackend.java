package dev.tessera.backend.cpu;

import dev.tessera.DType;
import dev.tessera.Device;
import dev.tessera.TesseraException;
import dev.tessera.TesseraIndexException;
import dev.tessera.backend.Backend;
import dev.tessera.backend.BinaryOp;
import dev.tessera.backend.ConvGeometry;
import dev.tessera.backend.ReduceOp;
import dev.tessera.backend.Storage;
import dev.tessera.backend.UnaryOp;
import dev.tessera.backend.View;
import java.util.SplittableRandom;

/**
 * The host backend over Java arrays. FLOAT32 arithmetic on unit-stride rows has tight loops the
 * JIT vectorises; every other case goes through one generic path that computes in double
 * (exact for FLOAT32/FLOAT64, and for INT64 values up to 2^53).
 */
public final class CpuBackend implements Backend {
    public static final CpuBackend INSTANCE = new CpuBackend();
    /** The Vector API rows ({@link VectorKernels}) are used exactly when the GEMM fast path is; tests may switch them off. */
    private static boolean VECTOR = Gemm.vectorApiAvailable();

    /** For tests: run the scalar rows even where the Vector API is present (false), or restore the default (true). */
    static void useVectorRows(boolean on) { VECTOR = on && Gemm.vectorApiAvailable(); }

    private CpuBackend() {}

    @Override public Device device() { return Device.CPU; }

    @Override public Storage allocate(DType dtype, long numel) { return CpuStorage.allocate(dtype, numel); }

    @Override public Storage fromHost(Object array) {
        if (array instanceof float[] a) return new CpuStorage(DType.FLOAT32, a.clone(), a.length);
        if (array instanceof double[] a) return new CpuStorage(DType.FLOAT64, a.clone(), a.length);
        if (array instanceof long[] a) return new CpuStorage(DType.INT64, a.clone(), a.length);
        if (array instanceof boolean[] a) return new CpuStorage(DType.BOOL, a.clone(), a.length);
        throw new IllegalArgumentException("fromHost: unsupported array type " + array.getClass().getSimpleName());
    }

    static Object arrayOf(View v) { return ((CpuStorage) v.storage()).array; }

    @Override public Object toHost(View src) {
        CpuStorage out = CpuStorage.allocate(src.dtype(), src.numel());
        copy(src, new View(out, 0, src.shape(), View.contiguousStrides(src.shape())));
        return out.array;
    }

    // ---- element access for the generic path ----

    static double get(Object a, int i) {
        if (a instanceof float[] f) return f[i];
        if (a instanceof double[] d) return d[i];
        if (a instanceof long[] l) return l[i];
        return ((boolean[]) a)[i] ? 1 : 0;
    }

    static void set(Object a, int i, double v) {
        if (a instanceof float[] f) f[i] = (float) v;
        else if (a instanceof double[] d) d[i] = v;
        else if (a instanceof long[] l) l[i] = (long) v;
        else ((boolean[]) a)[i] = v != 0;
    }

    @Override public void copy(View src, View dst) {
        Object s = arrayOf(src), d = arrayOf(dst);
        Strided it = new Strided(dst.shape(), dst, src);
        int sd = it.s0, ss = it.s1;
        if (s.getClass() == d.getClass() && sd == 1 && ss == 1) {
            it.forEachRow((od, os, unused, len) -> System.arraycopy(s, os, d, od, len));
        } else if (s instanceof float[] sf && d instanceof float[] df) {
            it.forEachRow((od, os, unused, len) -> { for (int j = 0; j < len; j++) df[od + j * sd] = sf[os + j * ss]; });
        } else if (s instanceof boolean[] sb && d instanceof float[] df) {   // masks made numeric
            it.forEachRow((od, os, unused, len) -> { for (int j = 0; j < len; j++) df[od + j * sd] = sb[os + j * ss] ? 1f : 0f; });
        } else if (s instanceof long[] sl && d instanceof long[] dl) {   // exact beyond 2^53
            it.forEachRow((od, os, unused, len) -> { for (int j = 0; j < len; j++) dl[od + j * sd] = sl[os + j * ss]; });
        } else {
            it.forEachRow((od, os, unused, len) -> { for (int j = 0; j < len; j++) set(d, od + j * sd, get(s, os + j * ss)); });
        }
    }

    @Override public void fill(View dst, double value) {
        Object d = arrayOf(dst);
        Strided it = new Strided(dst.shape(), dst);
        int sd = it.s0;
        if (d instanceof float[] f && sd == 1) {
            float v = (float) value;
            it.forEachRow((o, u1, u2, len) -> java.util.Arrays.fill(f, o, o + len, v));
        } else {
            it.forEachRow((o, u1, u2, len) -> { for (int j = 0; j < len; j++) set(d, o + j * sd, value); });
        }
    }

    // ---- elementwise ----

    @Override public void unary(UnaryOp op, View x, View out) {
        Object xs = arrayOf(x), os = arrayOf(out);
        Strided it = new Strided(out.shape(), out, x);
        int so = it.s0, sx = it.s1;
        if (xs instanceof float[] xf && os instanceof float[] of) {
            if (VECTOR && so == 1 && sx == 1 && VectorKernels.unary(op, xf, 0, of, 0, 0))
                it.forEachRow((o, i, u, len) -> VectorKernels.unary(op, xf, i, of, o, len));
            else if (op == UnaryOp.RELU && so == 1 && sx == 1)
                it.forEachRow((o, i, u, len) -> { for (int j = 0; j < len; j++) of[o + j] = Math.max(xf[i + j], 0f); });
            else
                it.forEachRow((o, i, u, len) -> { for (int j = 0; j < len; j++) of[o + j * so] = (float) Scalar.unary(op, xf[i + j * sx]); });
            return;
        }
        it.forEachRow((o, i, u, len) -> {
            for (int j = 0; j < len; j++) set(os, o + j * so, Scalar.unary(op, get(xs, i + j * sx)));
        });
    }

    @Override public void binary(BinaryOp op, View a, View b, View out) {
        Object as = arrayOf(a), bs = arrayOf(b), os = arrayOf(out);
        Strided it = new Strided(out.shape(), out, a, b);
        int so = it.s0, sa = it.s1, sb = it.s2;
        if (as instanceof float[] af && bs instanceof float[] bf) {
            if (op.isComparison()) {
                boolean[] ob = (boolean[]) os;
                it.forEachRow((o, i, k, len) -> FloatLoops.compare(op, af, i, sa, bf, k, sb, ob, o, so, len));
            } else if (VECTOR && op == BinaryOp.RELU_BACKWARD && so == 1 && sa == 1 && sb == 1) {
                float[] of = (float[]) os;
                it.forEachRow((o, i, k, len) -> VectorKernels.reluBackward(af, i, bf, k, of, o, len));
            } else if (op != BinaryOp.POW) {
                float[] of = (float[]) os;
                it.forEachRow((o, i, k, len) -> FloatLoops.arithmetic(op, af, i, sa, bf, k, sb, of, o, so, len));
            } else {
                float[] of = (float[]) os;
                it.forEachRow((o, i, k, len) -> { for (int j = 0; j < len; j++) of[o + j * so] = (float) Math.pow(af[i + j * sa], bf[k + j * sb]); });
            }
            return;
        }
        if (as instanceof long[] al && bs instanceof long[] bl && os instanceof boolean[] ob) {   // index comparisons
            it.forEachRow((o, i, k, len) -> { for (int j = 0; j < len; j++) ob[o + j * so] = Scalar.compare(op, al[i + j * sa], bl[k + j * sb]); });
            return;
        }
        if (as instanceof long[] al && bs instanceof long[] bl && os instanceof long[] ol) {   // exact beyond 2^53
            it.forEachRow((o, i, k, len) -> { for (int j = 0; j < len; j++) ol[o + j * so] = Scalar.binaryLong(op, al[i + j * sa], bl[k + j * sb]); });
            return;
        }
        it.forEachRow((o, i, k, len) -> {
            for (int j = 0; j < len; j++) set(os, o + j * so, Scalar.binary(op, get(as, i + j * sa), get(bs, k + j * sb)));
        });
    }

    @Override public void where(View cond, View a, View b, View out) {
        Object as = arrayOf(a), bs = arrayOf(b), os = arrayOf(out);
        // Strided iterates three operands; cond is materialised in row-major order instead (BOOL, cheap),
        // and since out is contiguous, an element's offset in out is its index into cc.
        boolean[] cc = (boolean[]) toHost(cond);
        Strided it = new Strided(out.shape(), out, a, b);
        int so = it.s0, sa = it.s1, sb = it.s2;
        int base = (int) out.offset();
        if (as instanceof float[] af && bs instanceof float[] bf && os instanceof float[] of) {
            it.forEachRow((o, i, k, len) -> {
                for (int j = 0; j < len; j++) { int oi = o + j * so; of[oi] = cc[oi - base] ? af[i + j * sa] : bf[k + j * sb]; }
            });
            return;
        }
        if (as instanceof long[] al && bs instanceof long[] bl && os instanceof long[] ol) {   // exact beyond 2^53
            it.forEachRow((o, i, k, len) -> {
                for (int j = 0; j < len; j++) { int oi = o + j * so; ol[oi] = cc[oi - base] ? al[i + j * sa] : bl[k + j * sb]; }
            });
            return;
        }
        it.forEachRow((o, i, k, len) -> {
            for (int j = 0; j < len; j++) {
                int oi = o + j * so;
                set(os, oi, cc[oi - base] ? get(as, i + j * sa) : get(bs, k + j * sb));
            }
        });
    }

    // ---- reductions ----

    @Override public void reduce(ReduceOp op, View x, View out) {
        Object xs = arrayOf(x), os = arrayOf(out);
        int outer = (int) x.shape()[0], inner = (int) x.shape()[1];
        int xo = (int) x.offset(), so = (int) x.strides()[0], si = (int) x.strides()[1];
        int oo = (int) out.offset(), sout = (int) out.strides()[0];
        Parallel.forRange(outer, (long) outer * inner, (from, to) -> {
            for (int r = from; r < to; r++) {
                int base = xo + r * so;
                if (xs instanceof long[] xl) {   // INT64 exactly, beyond 2^53 (a SUM of BOOL is INT64 too, through the double path)
                    long best = inner == 0 ? 0 : xl[base];
                    int bestIdx = 0;
                    for (int j = 0; j < inner; j++) {
                        long v = xl[base + j * si];
                        if (op == ReduceOp.SUM) best = j == 0 ? v : best + v;
                        else if ((op == ReduceOp.MAX || op == ReduceOp.ARGMAX) ? v > best : v < best) { best = v; bestIdx = j; }
                    }
                    if (op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN) ((long[]) os)[oo + r * sout] = bestIdx;
                    else if (os instanceof long[] ol) ol[oo + r * sout] = best;
                    else set(os, oo + r * sout, best);
                    continue;
                }
                double result;
                if (op == ReduceOp.SUM) {
                    double acc = 0;
                    if (xs instanceof float[] f) for (int j = 0; j < inner; j++) acc += f[base + j * si];
                    else for (int j = 0; j < inner; j++) acc += get(xs, base + j * si);
                    result = acc;
                } else {
                    boolean max = op == ReduceOp.MAX || op == ReduceOp.ARGMAX;
                    double best = get(xs, base);
                    int bestIdx = 0;
                    if (xs instanceof float[] f) {
                        float fb = f[base];
                        for (int j = 1; j < inner && fb == fb; j++) {   // NaN wins, as in PyTorch
                            float v = f[base + j * si];
                            if (v != v || (max ? v > fb : v < fb)) { fb = v; bestIdx = j; }
                        }
                        best = fb;
                    } else {
                        for (int j = 1; j < inner && !Double.isNaN(best); j++) {
                            double v = get(xs, base + j * si);
                            if (Double.isNaN(v) || (max ? v > best : v < best)) { best = v; bestIdx = j; }
                        }
                    }
                    result = op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN ? bestIdx : best;
                }
                set(os, oo + r * sout, result);
            }
        });
    }

    // ---- matmul ----

    @Override public void matmul(View a, View b, View out) {
        long[] as = a.shape(), bs = b.shape();
        int batch = (int) as[0], m = (int) as[1], k = (int) as[2], n = (int) bs[2];
        Operand pa = Operand.of(a), pb = Operand.of(b);
        Object oa = arrayOf(out);
        boolean sumOverBatch = out.strides()[0] == 0 && batch > 1;
        int cStride = sumOverBatch ? 0 : m * n, oOff = (int) out.offset();
        long flopsPerMatrix = (long) m * n * Math.max(k, 1);
        Parallel.RangeBody body = (from, to) -> {
            for (int i = from; i < to; i++) {
                int ao = pa.offset + i * pa.batchStride, bo = pb.offset + i * pb.batchStride, co = oOff + i * cStride;
                boolean acc = sumOverBatch && i > 0;
                if (oa instanceof float[] c)
                    Gemm.sgemm(pa.trans, pb.trans, m, n, k, (float[]) pa.array, ao, pa.ld, (float[]) pb.array, bo, pb.ld, c, co, n, acc);
                else if (oa instanceof double[] c)
                    Gemm.dgemm(pa.trans, pb.trans, m, n, k, (double[]) pa.array, ao, pa.ld, (double[]) pb.array, bo, pb.ld, c, co, n, acc);
                else
                    naiveMatmul(pa, ao, pb, bo, oa, co, m, n, k, acc);
            }
        };
        // Many small products: one thread per group of matrices; few big ones: GEMM splits each.
        boolean acrossBatch = !sumOverBatch && batch >= 2 * Parallel.threads() && flopsPerMatrix < (1 << 22);
        if (acrossBatch) Parallel.forRange(batch, flopsPerMatrix * batch, body);
        else body.run(0, batch);
    }

    /**
     * A matrix operand as GEMM wants it: row-major with a leading dimension of at least a row, or
     * the transpose of that. Anything else (a matrix axis broadcast with stride 0, a doubly strided
     * slice) is packed first; a stride-0 batch axis is fine as it is.
     */
    private record Operand(Object array, int offset, int batchStride, boolean trans, int ld) {
        static Operand of(View v) {
            long[] st = v.strides(), sh = v.shape();
            boolean rowMajor = (st[2] == 1 || sh[2] == 1) && (sh[1] == 1 || st[1] >= sh[2]);
            boolean colMajor = (st[1] == 1 || sh[1] == 1) && (sh[2] == 1 || st[2] >= sh[1]);
            if (rowMajor) return new Operand(arrayOf(v), (int) v.offset(), (int) st[0], false, (int) Math.max(st[1], sh[2]));
            if (colMajor) return new Operand(arrayOf(v), (int) v.offset(), (int) st[0], true, (int) Math.max(st[2], sh[1]));
            Object packed = INSTANCE.toHost(v);
            return new Operand(packed, 0, (int) (sh[1] * sh[2]), false, (int) sh[2]);
        }
    }

    private static void naiveMatmul(Operand a, int ao, Operand b, int bo, Object out, int co, int m, int n, int k, boolean accumulate) {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double acc = 0;
                for (int p = 0; p < k; p++) {
                    int ai = a.trans ? ao + p * a.ld + i : ao + i * a.ld + p;
                    int bi = b.trans ? bo + j * b.ld + p : bo + p * b.ld + j;
                    acc += get(a.array, ai) * get(b.array, bi);
                }
                set(out, co + i * n + j, accumulate ? get(out, co + i * n + j) + acc : acc);
            }
    }

    // ---- softmax ----

    @Override public void softmax(View x, View out, boolean log) {
        int rows = (int) x.shape()[0], n = (int) x.shape()[1];
        int xo = (int) x.offset(), oo = (int) out.offset();
        Object xs = arrayOf(x), os = arrayOf(out);
        Parallel.forRange(rows, (long) rows * n * 4, (from, to) -> {
            for (int r = from; r < to; r++) {
                int xb = xo + r * n, ob = oo + r * n;
                if (xs instanceof float[] xf && os instanceof float[] of) {
                    if (VECTOR) VectorKernels.softmaxRow(xf, xb, of, ob, n, log);
                    else softmaxRow(xf, xb, of, ob, n, log);
                }
                else {
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < n; j++) max = Math.max(max, get(xs, xb + j));
                    double sum = 0;
                    for (int j = 0; j < n; j++) sum += Math.exp(get(xs, xb + j) - max);
                    double logSum = Math.log(sum);
                    for (int j = 0; j < n; j++) {
                        double shifted = get(xs, xb + j) - max;
                        set(os, ob + j, log ? shifted - logSum : Math.exp(shifted) / sum);
                    }
                }
            }
        });
    }

    private static void softmaxRow(float[] x, int xb, float[] o, int ob, int n, boolean log) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) max = Math.max(max, x[xb + j]);
        double sum = 0;
        for (int j = 0; j < n; j++) {
            float e = (float) Math.exp(x[xb + j] - max);
            if (!log) o[ob + j] = e;
            sum += e;
        }
        if (log) {
            float logSum = (float) Math.log(sum);   // (x − max) − log Σ: subtracting max + log Σ at once loses a float step
            for (int j = 0; j < n; j++) o[ob + j] = (x[xb + j] - max) - logSum;
        } else {
            float inv = (float) (1.0 / sum);
            for (int j = 0; j < n; j++) o[ob + j] *= inv;
        }
    }

    @Override public void layerNorm(View x, View weight, View bias, double eps, View out, View mean, View rstd) {
        int rows = (int) x.shape()[0], n = (int) x.shape()[1];
        Object xs = arrayOf(x), os = arrayOf(out), ms = arrayOf(mean), rs = arrayOf(rstd);
        Object ws = weight == null ? null : arrayOf(weight), bs = bias == null ? null : arrayOf(bias);
        int xo = (int) x.offset(), oo = (int) out.offset(), mo = (int) mean.offset(), ro = (int) rstd.offset();
        int wo = weight == null ? 0 : (int) weight.offset(), bo = bias == null ? 0 : (int) bias.offset();
        Parallel.forRange(rows, (long) rows * n * 3, (from, to) -> {
            for (int r = from; r < to; r++) {
                int xb = xo + r * n, ob = oo + r * n;
                if (VECTOR && xs instanceof float[] xf && os instanceof float[] of) {
                    float[] st = VectorKernels.layerNormRow(xf, xb, (float[]) ws, wo, (float[]) bs, bo, of, ob, n, (float) eps);
                    set(ms, mo + r, st[0]);
                    set(rs, ro + r, st[1]);
                    continue;
                }
                double sum = 0, sq = 0;
                for (int j = 0; j < n; j++) sum += get(xs, xb + j);
                double mu = sum / n;
                for (int j = 0; j < n; j++) { double d = get(xs, xb + j) - mu; sq += d * d; }
                double inv = 1 / Math.sqrt(sq / n + eps);
                for (int j = 0; j < n; j++) {
                    double y = (get(xs, xb + j) - mu) * inv;
                    if (ws != null) y *= get(ws, wo + j);
                    if (bs != null) y += get(bs, bo + j);
                    set(os, ob + j, y);
                }
                set(ms, mo + r, mu);
                set(rs, ro + r, inv);
            }
        });
    }

    // ---- negative log-likelihood ----

    @Override public void nll(View logp, View target, long ignoreIndex, double smoothing, View loss) {
        Object ls = arrayOf(logp), out = arrayOf(loss);
        long[] t = (long[]) arrayOf(target);
        int rows = (int) logp.shape()[0], c = (int) logp.shape()[1], lo = (int) logp.offset(), to = (int) target.offset(), oo = (int) loss.offset();
        for (int i = 0; i < rows; i++)
            if (t[to + i] != ignoreIndex && (t[to + i] < 0 || t[to + i] >= c)) throw new TesseraIndexException("Target " + t[to + i] + " is out of bounds.");
        for (int i = 0; i < rows; i++) {
            long ti = t[to + i];
            if (ti == ignoreIndex) { set(out, oo + i, 0); continue; }
            double picked = get(ls, lo + i * c + (int) ti), all = 0;
            if (smoothing != 0) for (int j = 0; j < c; j++) all += get(ls, lo + i * c + j);
            set(out, oo + i, -((1 - smoothing) * picked + smoothing / c * all));
        }
    }

    @Override public void nllBackward(View grad, View target, long ignoreIndex, double smoothing, View dlogp) {
        Object gs = arrayOf(grad), ds = arrayOf(dlogp);
        long[] t = (long[]) arrayOf(target);
        int rows = (int) dlogp.shape()[0], c = (int) dlogp.shape()[1], go = (int) grad.offset(), to = (int) target.offset(), doff = (int) dlogp.offset();
        for (int i = 0; i < rows; i++) {
            long ti = t[to + i];
            double g = ti == ignoreIndex ? 0 : get(gs, go + i), spread = -g * smoothing / c;
            for (int j = 0; j < c; j++) set(ds, doff + i * c + j, spread);
            if (ti != ignoreIndex) set(ds, doff + i * c + (int) ti, spread - g * (1 - smoothing));
        }
    }

    // ---- optimizer updates: one pass over the parameter, in double ----

    @Override public void sgdStep(View p, View g, View buf, double lr, double momentum, double dampening, double weightDecay,
                                  boolean nesterov, boolean first) {
        Object ps = arrayOf(p), gs = arrayOf(g), bs = buf == null ? null : arrayOf(buf);
        int po = (int) p.offset(), go = (int) g.offset(), bo = buf == null ? 0 : (int) buf.offset();
        int n = (int) p.numel();
        if (ps instanceof float[] pf && gs instanceof float[] gf && (bs == null || bs instanceof float[])) {
            sgdStep(pf, po, gf, go, (float[]) bs, bo, n, (float) lr, (float) momentum, (float) (1 - dampening), (float) weightDecay, nesterov, first);
            return;
        }
        Parallel.forRange(n, (long) n * 4, (from, to) -> {
            for (int i = from; i < to; i++) {
                double w = get(ps, po + i), d = get(gs, go + i) + weightDecay * w;
                if (bs != null) {
                    double b = first ? d : momentum * get(bs, bo + i) + (1 - dampening) * d;
                    set(bs, bo + i, b);
                    d = nesterov ? d + momentum * b : b;
                }
                set(ps, po + i, w - lr * d);
            }
        });
    }

    /**
     * sgdStep on float32 arrays, in float arithmetic as PyTorch's kernels (the scalars rounded to
     * float): one plain loop per case, which C2 vectorises (the generic loop tests each array's
     * type per element, several times slower on an MLP's 670 k parameters).
     */
    private static void sgdStep(float[] p, int po, float[] g, int go, float[] b, int bo, int n, float lr, float momentum,
                                float keep, float wd, boolean nesterov, boolean first) {
        Parallel.forRange(n, (long) n * 4, (from, to) -> {
            if (b == null) {
                for (int i = from; i < to; i++) p[po + i] -= lr * (g[go + i] + wd * p[po + i]);
                return;
            }
            for (int i = from; i < to; i++) {
                float w = p[po + i], d = g[go + i] + wd * w;
                float v = first ? d : momentum * b[bo + i] + keep * d;
                b[bo + i] = v;
                p[po + i] = w - lr * (nesterov ? d + momentum * v : v);
            }
        });
    }

    @Override public void adamStep(View p, View g, View m, View v, double lr, double beta1, double beta2, double eps,
                                   double weightDecay, boolean decoupled, long step) {
        Object ps = arrayOf(p), gs = arrayOf(g), ms = arrayOf(m), vs = arrayOf(v);
        int po = (int) p.offset(), go = (int) g.offset(), mo = (int) m.offset(), vo = (int) v.offset(), n = (int) p.numel();
        double stepSize = lr / (1 - Math.pow(beta1, step)), sqrtBc2 = Math.sqrt(1 - Math.pow(beta2, step));
        Parallel.forRange(n, (long) n * 8, (from, to) -> {
            for (int i = from; i < to; i++) {
                double w = get(ps, po + i), grad = get(gs, go + i);
                if (weightDecay != 0) {
                    if (decoupled) w *= 1 - lr * weightDecay;
                    else grad += weightDecay * w;
                }
                double mi = beta1 * get(ms, mo + i) + (1 - beta1) * grad, vi = beta2 * get(vs, vo + i) + (1 - beta2) * grad * grad;
                set(ms, mo + i, mi);
                set(vs, vo + i, vi);
                set(ps, po + i, w - stepSize * mi / (Math.sqrt(vi) / sqrtBc2 + eps));
            }
        });
    }

    // ---- convolution and batch norm ----

    /** Without a column matrix: see {@link CpuConvolution}. */
    @Override public void conv2d(View x, View weight, View bias, ConvGeometry g, int groups, View out) {
        CpuConvolution.forward(x, weight, bias, g, groups, out);
    }

    @Override public void conv2dBackwardData(View grad, View weight, ConvGeometry g, int groups, View dx) {
        CpuConvolution.backwardData(grad, weight, g, groups, dx);
    }

    @Override public void conv2dBackwardWeight(View grad, View x, ConvGeometry g, int groups, View dweight, View dbias) {
        CpuConvolution.backwardWeight(grad, x, g, groups, dweight, dbias);
    }

    /** Per channel (in parallel over channels): a pass for the mean, one for the variance about it, one to write. */
    @Override public void batchNorm(View x, View weight, View bias, View runningMean, View runningVar, double factor, double eps,
                                    View out, View saveMean, View saveInvStd) {
        BatchNormLoops bn = new BatchNormLoops(x);
        Parallel.forRange(bn.c, x.numel() * 4, (from, to) -> {
            double[] row = new double[bn.s];
            for (int c = from; c < to; c++) {
                double sum = 0, sq = 0;
                if (VECTOR && arrayOf(x) instanceof float[] xf && bn.m > 0) {
                    float k = xf[bn.at(x, 0, c)];   // a shift inside the data: the float lanes sum values near zero
                    for (int i = 0; i < bn.n; i++) sum += VectorKernels.shiftedSum(xf, bn.at(x, i, c), bn.s, k);
                    sum += (double) k * bn.m;
                } else {
                    for (int i = 0; i < bn.n; i++) sum += bn.sum(arrayOf(x), bn.at(x, i, c), row);
                }
                double mean = sum / bn.m;
                for (int i = 0; i < bn.n; i++) sq += bn.sumSquares(arrayOf(x), bn.at(x, i, c), mean, row);
                double var = sq / bn.m, invstd = 1 / Math.sqrt(var + eps);
                bn.normalise(x, out, c, mean, invstd, param(weight, c, 1), param(bias, c, 0), row);
                set(arrayOf(saveMean), (int) saveMean.offset() + c, mean);
                set(arrayOf(saveInvStd), (int) saveInvStd.offset() + c, invstd);
                if (runningMean != null) {
                    int rm = (int) runningMean.offset() + c, rv = (int) runningVar.offset() + c;
                    set(arrayOf(runningMean), rm, (1 - factor) * get(arrayOf(runningMean), rm) + factor * mean);
                    set(arrayOf(runningVar), rv, (1 - factor) * get(arrayOf(runningVar), rv) + factor * var * bn.m / (bn.m - 1));
                }
            }
        });
    }

    @Override public void batchNormInference(View x, View weight, View bias, View runningMean, View runningVar, double eps, View out) {
        BatchNormLoops bn = new BatchNormLoops(x);
        Parallel.forRange(bn.c, x.numel() * 2, (from, to) -> {
            double[] row = new double[bn.s];
            for (int c = from; c < to; c++)
                bn.normalise(x, out, c, param(runningMean, c, 0), 1 / Math.sqrt(param(runningVar, c, 1) + eps),
                        param(weight, c, 1), param(bias, c, 0), row);
        });
    }

    @Override public void batchNormBackward(View grad, View x, View weight, View saveMean, View saveInvStd, double eps, View dx, View dweight, View dbias) {
        BatchNormLoops bn = new BatchNormLoops(x);
        Parallel.forRange(bn.c, x.numel() * 4, (from, to) -> {
            double[] xr = new double[bn.s], gr = new double[bn.s], sums = new double[2];
            for (int c = from; c < to; c++) {
                double mean = param(saveMean, c, 0), invstd = param(saveInvStd, c, 1), sumG = 0, sumGx = 0;
                for (int i = 0; i < bn.n; i++) {
                    bn.gradSums(arrayOf(grad), bn.at(grad, i, c), arrayOf(x), bn.at(x, i, c), mean, sums, xr, gr);
                    sumG += sums[0];
                    sumGx += sums[1];
                }
                sumGx *= invstd;
                if (dweight != null) set(arrayOf(dweight), (int) dweight.offset() + c, sumGx);
                if (dbias != null) set(arrayOf(dbias), (int) dbias.offset() + c, sumG);
                if (dx == null) continue;
                // dx = scale·(g − meanG − (x − mean)·invstd·meanGx) = scale·g + k·(x − mean) + shift
                double scale = param(weight, c, 1) * invstd, meanG = sumG / bn.m, meanGx = sumGx / bn.m;
                double k = -scale * invstd * meanGx, shift = -scale * meanG;
                for (int i = 0; i < bn.n; i++) bn.affine2(arrayOf(grad), bn.at(grad, i, c), scale, arrayOf(x), bn.at(x, i, c), mean, k, shift,
                        arrayOf(dx), bn.at(dx, i, c), xr, gr);
            }
        });
    }

    /** v[c], or {@code absent} when v is null (batch norm's optional weight, bias and statistics). */
    private static double param(View v, int c, double absent) { return v == null ? absent : get(arrayOf(v), (int) v.offset() + c); }

    /** Rows of a contiguous [N, C, S] batch-norm operand: row (i, c) holds S elements, read and written in double. */
    private static final class BatchNormLoops {
        final int n, c, s;
        final long m;

        BatchNormLoops(View x) {
            n = (int) x.shape()[0]; c = (int) x.shape()[1]; s = (int) x.shape()[2];
            m = (long) n * s;
        }

        int at(View v, int i, int ch) { return (int) v.offset() + (i * c + ch) * s; }

        void load(Object a, int off, double[] row) {
            if (a instanceof float[] f) for (int j = 0; j < s; j++) row[j] = f[off + j];
            else System.arraycopy((double[]) a, off, row, 0, s);
        }

        void store(Object a, int off, double[] row) {
            if (a instanceof float[] f) for (int j = 0; j < s; j++) f[off + j] = (float) row[j];
            else System.arraycopy(row, 0, (double[]) a, off, s);
        }

        // The sums below run four chains: a single chain waits an add's latency (4 cycles) per
        // element. Float32 rows are read in place (no copy into a double row), summed in double.

        double sum(Object a, int off, double[] row) {
            double t0 = 0, t1 = 0, t2 = 0, t3 = 0;
            int j = 0;
            if (a instanceof float[] f) {
                for (; j + 3 < s; j += 4) { t0 += f[off + j]; t1 += f[off + j + 1]; t2 += f[off + j + 2]; t3 += f[off + j + 3]; }
                for (; j < s; j++) t0 += f[off + j];
            } else {
                double[] d = (double[]) a;
                for (; j + 3 < s; j += 4) { t0 += d[off + j]; t1 += d[off + j + 1]; t2 += d[off + j + 2]; t3 += d[off + j + 3]; }
                for (; j < s; j++) t0 += d[off + j];
            }
            return (t0 + t1) + (t2 + t3);
        }

        /** Σ (v − mean)² over one row. */
        double sumSquares(Object a, int off, double mean, double[] row) {
            if (VECTOR && a instanceof float[] f) return VectorKernels.centredSquares(f, off, s, (float) mean);
            if (a instanceof float[] f) {   // in place, no copy into a double row
                double t0 = 0, t1 = 0, t2 = 0, t3 = 0;
                int j = 0;
                for (; j + 3 < s; j += 4) {
                    double v0 = f[off + j] - mean, v1 = f[off + j + 1] - mean, v2 = f[off + j + 2] - mean, v3 = f[off + j + 3] - mean;
                    t0 += v0 * v0; t1 += v1 * v1; t2 += v2 * v2; t3 += v3 * v3;
                }
                for (; j < s; j++) { double v = f[off + j] - mean; t0 += v * v; }
                return (t0 + t1) + (t2 + t3);
            }
            load(a, off, row);
            double t0 = 0, t1 = 0, t2 = 0, t3 = 0;
            int j = 0;
            for (; j + 3 < s; j += 4) {
                double v0 = row[j] - mean, v1 = row[j + 1] - mean, v2 = row[j + 2] - mean, v3 = row[j + 3] - mean;
                t0 += v0 * v0; t1 += v1 * v1; t2 += v2 * v2; t3 += v3 * v3;
            }
            for (; j < s; j++) { double v = row[j] - mean; t0 += v * v; }
            return (t0 + t1) + (t2 + t3);
        }

        /** sums[0] = Σ g, sums[1] = Σ g·(x − mean) over one row of g and x. */
        void gradSums(Object g, int gOff, Object x, int xOff, double mean, double[] sums, double[] xr, double[] gr) {
            if (VECTOR && g instanceof float[] gf && x instanceof float[] xf) {
                sums[0] = 0;
                sums[1] = 0;
                VectorKernels.gradSums(gf, gOff, xf, xOff, s, (float) mean, sums);
                return;
            }
            if (g instanceof float[] gf && x instanceof float[] xf) {   // in place, no copies into double rows
                double a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
                int j = 0;
                for (; j + 3 < s; j += 4) {
                    double g0 = gf[gOff + j], g1 = gf[gOff + j + 1], g2 = gf[gOff + j + 2], g3 = gf[gOff + j + 3];
                    a0 += g0; a1 += g1; a2 += g2; a3 += g3;
                    b0 += g0 * (xf[xOff + j] - mean); b1 += g1 * (xf[xOff + j + 1] - mean);
                    b2 += g2 * (xf[xOff + j + 2] - mean); b3 += g3 * (xf[xOff + j + 3] - mean);
                }
                for (; j < s; j++) { double gj = gf[gOff + j]; a0 += gj; b0 += gj * (xf[xOff + j] - mean); }
                sums[0] = (a0 + a1) + (a2 + a3);
                sums[1] = (b0 + b1) + (b2 + b3);
                return;
            }
            load(x, xOff, xr);
            load(g, gOff, gr);
            double a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
            int j = 0;
            for (; j + 3 < s; j += 4) {
                a0 += gr[j]; a1 += gr[j + 1]; a2 += gr[j + 2]; a3 += gr[j + 3];
                b0 += gr[j] * (xr[j] - mean); b1 += gr[j + 1] * (xr[j + 1] - mean);
                b2 += gr[j + 2] * (xr[j + 2] - mean); b3 += gr[j + 3] * (xr[j + 3] - mean);
            }
            for (; j < s; j++) { a0 += gr[j]; b0 += gr[j] * (xr[j] - mean); }
            sums[0] = (a0 + a1) + (a2 + a3);
            sums[1] = (b0 + b1) + (b2 + b3);
        }

        /**
         * out row = p·u + q·(v − center) + shift (the batch-norm backward's dx), in float for float32
         * rows; v is centred first so that a large mean does not cancel away float precision.
         */
        void affine2(Object u, int uOff, double p, Object v, int vOff, double center, double q, double shift, Object out, int oOff,
                     double[] ur, double[] vr) {
            if (u instanceof float[] uf && v instanceof float[] vf && out instanceof float[] of) {
                // (v − center) = (v − cf) − (center − cf): the float centre's rounding is folded into the shift exactly
                float pf = (float) p, qf = (float) q, cf = (float) center, sf = (float) (shift - q * (center - cf));
                if (VECTOR) VectorKernels.affine2(uf, uOff, pf, vf, vOff, cf, qf, sf, of, oOff, s);
                else for (int j = 0; j < s; j++) of[oOff + j] = uf[uOff + j] * pf + ((vf[vOff + j] - cf) * qf + sf);
                return;
            }
            load(u, uOff, ur);
            load(v, vOff, vr);
            for (int j = 0; j < s; j++) ur[j] = p * ur[j] + q * (vr[j] - center) + shift;
            store(out, oOff, ur);
        }

        /** out rows of channel ch = (x − mean)·invstd·w + b. */
        void normalise(View x, View out, int ch, double mean, double invstd, double w, double b, double[] row) {
            double scale = invstd * w, shift = b - mean * scale;
            if (arrayOf(x) instanceof float[] xf && arrayOf(out) instanceof float[] of) {
                // centred first, as in affine2
                float sc = (float) scale, mf = (float) mean, bf = (float) (b - scale * (mean - mf));
                for (int i = 0; i < n; i++) {
                    int xi = at(x, i, ch), oi = at(out, i, ch);
                    if (VECTOR) VectorKernels.centredAffine(xf, xi, of, oi, s, mf, sc, bf);
                    else for (int j = 0; j < s; j++) of[oi + j] = (xf[xi + j] - mf) * sc + bf;
                }
                return;
            }
            for (int i = 0; i < n; i++) {
                load(arrayOf(x), at(x, i, ch), row);
                for (int j = 0; j < s; j++) row[j] = row[j] * scale + shift;
                store(arrayOf(out), at(out, i, ch), row);
            }
        }
    }

    // ---- sliding windows ----

    @Override public void im2col(View x, ConvGeometry g, View cols) {
        Window win = new Window(g);
        Object xs = arrayOf(x), cs = arrayOf(cols);
        int c = (int) g.c(), kh = g.kh(), kw = g.kw(), oh = win.oh, ow = win.ow;
        long[] st = x.strides();
        int sn = (int) st[0], sc = (int) st[1], sh = (int) st[2], sw = (int) st[3], xo = (int) x.offset(), co = (int) cols.offset();
        int cn = (int) cols.strides()[0], cr = (int) cols.strides()[1];   // cols' last stride is 1
        int planes = (int) g.n() * c;
        float[] xf = xs instanceof float[] f ? f : null, cf = cs instanceof float[] f ? f : null;
        Parallel.forRange(planes, (long) planes * kh * kw * oh * ow, (from, to) -> {
            for (int p = from; p < to; p++) {
                int ni = p / c, ci = p % c, xBase = xo + ni * sn + ci * sc;
                for (int ki = 0; ki < kh; ki++)
                    for (int kj = 0; kj < kw; kj++) {
                        int row = co + ni * cn + (ci * kh * kw + ki * kw + kj) * cr;
                        int lo = win.colLo[kj], end = win.colEnd[kj], first = win.colFirst[kj] * sw, step = g.sw() * sw;
                        for (int oi = 0; oi < oh; oi++) {
                            int hi = oi * g.sh() - g.ph() + ki * g.dh(), rowOff = row + oi * ow;
                            boolean rowInside = hi >= 0 && hi < win.h;
                            if (xf != null && cf != null) {
                                float pad = (float) g.padValue();
                                int inLo = rowInside ? lo : ow, inEnd = rowInside ? end : ow;
                                for (int oj = 0; oj < inLo; oj++) cf[rowOff + oj] = pad;
                                for (int oj = inLo, src = xBase + hi * sh + first; oj < inEnd; oj++, src += step) cf[rowOff + oj] = xf[src];
                                for (int oj = inEnd; oj < ow; oj++) cf[rowOff + oj] = pad;
                            } else {
                                for (int oj = 0; oj < ow; oj++) {
                                    boolean inside = rowInside && oj >= lo && oj < end;
                                    set(cs, rowOff + oj, inside ? get(xs, xBase + hi * sh + first + (oj - lo) * step) : g.padValue());
                                }
                            }
                        }
                    }
            }
        });
    }

    @Override public void col2im(View cols, ConvGeometry g, View out) {
        Window win = new Window(g);
        Object cs = arrayOf(cols), os = arrayOf(out);
        int c = (int) g.c(), h = win.h, w = win.w, oh = win.oh, ow = win.ow, kh = g.kh(), kw = g.kw();
        int co = (int) cols.offset(), oo = (int) out.offset(), sW = g.sw();
        int cn = (int) cols.strides()[0], cr = (int) cols.strides()[1];   // cols' last stride is 1
        int planes = (int) g.n() * c;
        float[] cf = cs instanceof float[] f ? f : null, of = os instanceof float[] f ? f : null;
        fill(out, 0);
        // Each (n, c) plane of out is written by one thread only, so planes are independent.
        Parallel.forRange(planes, (long) planes * kh * kw * oh * ow, (from, to) -> {
            for (int p = from; p < to; p++) {
                int outBase = oo + p * h * w, colsBase = co + (p / c) * cn + (p % c) * kh * kw * cr;
                for (int ki = 0; ki < kh; ki++)
                    for (int kj = 0; kj < kw; kj++) {
                        int row = colsBase + (ki * kw + kj) * cr, lo = win.colLo[kj], end = win.colEnd[kj], first = win.colFirst[kj];
                        for (int oi = win.rowLo[ki]; oi < win.rowEnd[ki]; oi++) {
                            int t = outBase + (oi * g.sh() - g.ph() + ki * g.dh()) * w + first, src = row + oi * ow;
                            if (cf != null && of != null) for (int oj = lo; oj < end; oj++, t += sW) of[t] += cf[src + oj];
                            else for (int oj = lo; oj < end; oj++, t += sW) set(os, t, get(os, t) + get(cs, src + oj));
                        }
                    }
            }
        });
    }

    /**
     * Per kernel tap, the output rows and columns whose input lies inside the image, computed once
     * per call so that the inner loops have no bounds tests: output column oj of tap kj reads input
     * column oj·stride − pad + kj·dil, which is ≥ 0 from colLo and &lt; w before colEnd.
     */
    private static final class Window {
        final int h, w, oh, ow;
        final int[] colLo, colEnd, colFirst, rowLo, rowEnd;

        Window(ConvGeometry g) {
            h = (int) g.h(); w = (int) g.w(); oh = (int) g.outH(); ow = (int) g.outW();
            colLo = new int[g.kw()]; colEnd = new int[g.kw()]; colFirst = new int[g.kw()];
            for (int kj = 0; kj < g.kw(); kj++) {
                colLo[kj] = firstInside(kj, g.sw(), g.pw(), g.dw(), ow);
                colEnd[kj] = endInside(kj, g.sw(), g.pw(), g.dw(), w, ow, colLo[kj]);
                colFirst[kj] = colLo[kj] * g.sw() - g.pw() + kj * g.dw();
            }
            rowLo = new int[g.kh()]; rowEnd = new int[g.kh()];
            for (int ki = 0; ki < g.kh(); ki++) {
                rowLo[ki] = firstInside(ki, g.sh(), g.ph(), g.dh(), oh);
                rowEnd[ki] = endInside(ki, g.sh(), g.ph(), g.dh(), h, oh, rowLo[ki]);
            }
        }
    }

    /** The first output column whose input column oj·stride − pad + kj·dil is ≥ 0. */
    private static int firstInside(int kj, int stride, int pad, int dil, int ow) {
        int need = pad - kj * dil;   // oj·stride ≥ need
        return Math.min(ow, Math.max(0, need <= 0 ? 0 : (need + stride - 1) / stride));
    }

    /** One past the last output column whose input column is < w (at least lo). */
    private static int endInside(int kj, int stride, int pad, int dil, int w, int ow, int lo) {
        int limit = w + pad - kj * dil;   // oj·stride < limit
        int end = limit <= 0 ? 0 : (limit + stride - 1) / stride;
        return Math.max(lo, Math.min(ow, end));
    }

    @Override public void maxPool2d(View x, ConvGeometry g, View out, View indices) {
        Object xs = arrayOf(x), os = arrayOf(out);
        float[] xf = xs instanceof float[] f ? f : null;
        long[] idx = (long[]) arrayOf(indices);
        int c = (int) g.c(), h = (int) g.h(), w = (int) g.w(), oh = (int) g.outH(), ow = (int) g.outW();
        long[] st = x.strides();
        int sn = (int) st[0], sc = (int) st[1], sh = (int) st[2], sw = (int) st[3], xo = (int) x.offset();
        int oo = (int) out.offset(), io = (int) indices.offset(), planes = (int) g.n() * c;
        if (xf != null && os instanceof float[] of) {
            Parallel.forRange(planes, (long) planes * oh * ow * g.kh() * g.kw(), (from, to) -> {
                for (int p = from; p < to; p++) maxPoolPlane(xf, xo + (p / c) * sn + (p % c) * sc, sh, sw, h, w, g, of, idx, oo + p * oh * ow, io + p * oh * ow);
            });
            return;
        }
        Parallel.forRange(planes, (long) planes * oh * ow * g.kh() * g.kw(), (from, to) -> {
            for (int p = from; p < to; p++) {
                int base = xo + (p / c) * sn + (p % c) * sc;
                for (int oi = 0; oi < oh; oi++)
                    for (int oj = 0; oj < ow; oj++) {
                        double best = Double.NEGATIVE_INFINITY;
                        int bestAt = -1;
                        for (int ki = 0; ki < g.kh(); ki++) {
                            int hi = oi * g.sh() - g.ph() + ki * g.dh();
                            if (hi < 0 || hi >= h) continue;
                            for (int kj = 0; kj < g.kw(); kj++) {
                                int wi = oj * g.sw() - g.pw() + kj * g.dw();
                                if (wi < 0 || wi >= w) continue;
                                double v = xf != null ? xf[base + hi * sh + wi * sw] : get(xs, base + hi * sh + wi * sw);
                                if (bestAt < 0 || v > best || (v != v && best == best)) { best = v; bestAt = hi * w + wi; }   // NaN wins
                            }
                        }
                        int t = (p * oh + oi) * ow + oj;
                        set(os, oo + t, best);
                        idx[io + t] = bestAt;
                    }
            }
        });
    }

    /**
     * One float32 plane of maxPool2d: the window's valid rows and columns are found once per output
     * row and column, so the inner loop only compares (the generic loop tests bounds and converts
     * to double per element).
     */
    private static void maxPoolPlane(float[] x, int base, int sh, int sw, int h, int w, ConvGeometry g, float[] out, long[] idx, int o, int io) {
        int oh = (int) g.outH(), ow = (int) g.outW(), kh = g.kh(), kw = g.kw(), dh = g.dh(), dw = g.dw();
        if (kh == 2 && kw == 2 && g.sh() == 2 && g.sw() == 2 && g.ph() == 0 && g.pw() == 0 && dh == 1 && dw == 1) {
            // The CNN's 2×2 pool: every window inside the image, so no bounds and no loops per window.
            for (int oi = 0; oi < oh; oi++) {
                int r0 = base + 2 * oi * sh, r1 = r0 + sh, at0 = 2 * oi * w;
                for (int oj = 0, c = 0; oj < ow; oj++, c += 2 * sw) {
                    float best = x[r0 + c], v;
                    int at = at0 + 2 * oj, bestAt = at;
                    v = x[r0 + c + sw]; if (v > best || (v != v && best == best)) { best = v; bestAt = at + 1; }   // NaN wins
                    v = x[r1 + c];      if (v > best || (v != v && best == best)) { best = v; bestAt = at + w; }
                    v = x[r1 + c + sw]; if (v > best || (v != v && best == best)) { best = v; bestAt = at + w + 1; }
                    out[o + oi * ow + oj] = best;
                    idx[io + oi * ow + oj] = bestAt;
                }
            }
            return;
        }
        for (int oi = 0; oi < oh; oi++) {
            int h0 = oi * g.sh() - g.ph();
            int kiLo = Math.max(0, -Math.floorDiv(h0, dh)), kiHi = Math.min(kh, Math.floorDiv(h - 1 - h0, dh) + 1);
            for (int oj = 0; oj < ow; oj++) {
                int w0 = oj * g.sw() - g.pw();
                float best = Float.NEGATIVE_INFINITY;
                int bestAt = -1;
                for (int ki = kiLo; ki < kiHi; ki++) {
                    int hi = h0 + ki * dh, row = base + hi * sh;
                    for (int kj = 0; kj < kw; kj++) {
                        int wi = w0 + kj * dw;
                        if (wi < 0 || wi >= w) continue;
                        float v = x[row + wi * sw];
                        if (bestAt < 0 || v > best || (v != v && best == best)) { best = v; bestAt = hi * w + wi; }   // NaN wins
                    }
                }
                out[o + oi * ow + oj] = best;
                idx[io + oi * ow + oj] = bestAt;
            }
        }
    }

    @Override public void maxPool2dBackward(View grad, View indices, ConvGeometry g, View dx) {
        Object gs = arrayOf(grad), ds = arrayOf(dx);
        long[] idx = (long[]) arrayOf(indices);
        int hw = (int) (g.h() * g.w()), l = (int) (g.outH() * g.outW()), planes = (int) (g.n() * g.c());
        int go = (int) grad.offset(), io = (int) indices.offset(), dox = (int) dx.offset();
        if (gs instanceof float[] gf && ds instanceof float[] df) {
            // dx is contiguous: each plane is zeroed by the thread that scatters into it (warm in cache).
            Parallel.forRange(planes, (long) planes * (l + hw), (from, to) -> {
                java.util.Arrays.fill(df, dox + from * hw, dox + to * hw, 0f);
                for (int p = from; p < to; p++) {
                    int d = dox + p * hw, gi = go + p * l, ii = io + p * l;
                    for (int i = 0; i < l; i++) df[d + (int) idx[ii + i]] += gf[gi + i];
                }
            });
            return;
        }
        fill(dx, 0);
        Parallel.forRange(planes, (long) planes * l, (from, to) -> {
            for (int p = from; p < to; p++)
                for (int i = 0; i < l; i++) {
                    int t = dox + p * hw + (int) idx[io + p * l + i];
                    set(ds, t, get(ds, t) + get(gs, go + p * l + i));
                }
        });
    }

    // ---- gather / scatter ----

    @Override public void indexSelect(View table, View index, View out) {
        long[] idx = (long[]) arrayOf(index);
        int rows = (int) table.shape()[0], d = (int) table.shape()[1], m = (int) index.numel(), io = (int) index.offset();
        for (int i = 0; i < m; i++)
            if (idx[io + i] < 0 || idx[io + i] >= rows) throw new TesseraIndexException("index out of range in self");
        Object ts = arrayOf(table), os = arrayOf(out);
        int to = (int) table.offset(), oo = (int) out.offset();
        for (int i = 0; i < m; i++) System.arraycopy(ts, to + (int) idx[io + i] * d, os, oo + i * d, d);
    }

    @Override public void embeddingBackward(View grad, View index, long paddingIdx, View dw) {
        long[] idx = (long[]) arrayOf(index);
        int d = (int) dw.shape()[1], rows = (int) dw.shape()[0], m = (int) index.numel(), io = (int) index.offset();
        Object gs = arrayOf(grad), os = arrayOf(dw);
        int go = (int) grad.offset(), oo = (int) dw.offset();
        for (int e = 0; e < rows * d; e++) set(os, oo + e, 0);
        for (int i = 0; i < m; i++) {
            long r = idx[io + i];
            if (r == paddingIdx || r < 0 || r >= rows) continue;
            int dst = oo + (int) r * d, s = go + i * d;
            for (int j = 0; j < d; j++) set(os, dst + j, get(os, dst + j) + get(gs, s + j));
        }
    }

    // ---- random ----

    @Override public void uniform(View out, double lo, double hi, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Object os = arrayOf(out);
        int n = (int) out.numel(), o = (int) out.offset();
        for (int i = 0; i < n; i++) set(os, o + i, lo + (hi - lo) * rng.nextDouble());
    }

    @Override public void normal(View out, double mean, double std, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Object os = arrayOf(out);
        int n = (int) out.numel(), o = (int) out.offset();
        for (int i = 0; i < n; i++) set(os, o + i, mean + std * rng.nextGaussian());
    }
}
