package dev.tessera.backend.cpu;

import dev.tessera.backend.UnaryOp;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * FLOAT32 elementwise rows on the Vector API: transcendental functions go to the JDK's vectorised
 * (SVML) implementations, about 30× faster here than Math.exp per element, and the relu backward
 * becomes a blend instead of an unpredictable branch. Loaded only when {@link Gemm#vectorApiAvailable()}
 * (same module, same switch); every caller has a scalar fallback. Rows are unit-stride.
 */
final class VectorKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final FloatVector ONE = FloatVector.broadcast(S, 1f), ZERO = FloatVector.zero(S);

    private VectorKernels() {}

    /**
     * o = op(x) over a row; false when op has no vector form here (the caller loops in scalar).
     * One small method per op: the Vector API is only compiled to vector instructions when the
     * operator is a constant and the loop is small enough for the JIT to inline everything.
     */
    static boolean unary(UnaryOp op, float[] x, int xo, float[] o, int oo, int len) {
        int done;
        switch (op) {
            case NEG -> done = neg(x, xo, o, oo, len);
            case EXP -> done = exp(x, xo, o, oo, len);
            case LOG -> done = log(x, xo, o, oo, len);
            case SQRT -> done = sqrt(x, xo, o, oo, len);
            case RSQRT -> done = rsqrt(x, xo, o, oo, len);
            case ABS -> done = abs(x, xo, o, oo, len);
            case RELU -> done = relu(x, xo, o, oo, len);
            case SIGMOID -> done = sigmoid(x, xo, o, oo, len);
            case TANH -> done = tanh(x, xo, o, oo, len);
            default -> { return false; }
        }
        for (int i = done; i < len; i++) o[oo + i] = (float) Scalar.unary(op, x[xo + i]);
        return true;
    }

    private static int neg(float[] x, int xo, float[] o, int oo, int len) {
        int i = 0;
        for (; i <= len - L; i += L) FloatVector.fromArray(S, x, xo + i).neg().intoArray(o, oo + i);
        return i;
    }

    private static int exp(float[] x, int xo, float[] o, int oo, int len) {
        int i = 0;
        for (; i <= len - L; i += L) FloatVector.fromArray(S, x, xo + i).lanewise(VectorOperators.EXP).intoArray(o, oo + i);
        return i;
    }

    private static int log(float[] x, int xo, float[] o, int oo, int len) {
        int i = 0;
        for (; i <= len - L; i += L) FloatVector.fromArray(S, x, xo + i).lanewise(VectorOperators.LOG).intoArray(o, oo + i);
        return i;
    }

    private static int sqrt(float[] x, int xo, float[] o, int oo, int len) {
        int i = 0;
        for (; i <= len - L; i += L) FloatVector.fromArray(S, x, xo + i).sqrt().intoArray(o, oo + i);
        return i;
    }

    private static int rsqrt(float[] x, int xo, float[] o, int oo, int len) {
        int i = 0;
        for (; i <= len - L; i += L) ONE.div(FloatVector.fromArray(S, x, xo + i).sqrt()).intoArray(o, oo + i);
        return i;
    }

    private static int abs(float[] x, int xo, float[] o, int oo, int len) {
        int i = 0;
        for (; i <= len - L; i += L) FloatVector.fromArray(S, x, xo + i).abs().intoArray(o, oo + i);
        return i;
    }

    private static int relu(float[] x, int xo, float[] o, int oo, int len) {
        int i = 0;
        for (; i <= len - L; i += L) FloatVector.fromArray(S, x, xo + i).max(ZERO).intoArray(o, oo + i);
        return i;
    }

    /** 1 / (1 + e^−x). */
    private static int sigmoid(float[] x, int xo, float[] o, int oo, int len) {
        int i = 0;
        for (; i <= len - L; i += L) ONE.div(FloatVector.fromArray(S, x, xo + i).neg().lanewise(VectorOperators.EXP).add(ONE)).intoArray(o, oo + i);
        return i;
    }

    private static int tanh(float[] x, int xo, float[] o, int oo, int len) {
        int i = 0;
        for (; i <= len - L; i += L) FloatVector.fromArray(S, x, xo + i).lanewise(VectorOperators.TANH).intoArray(o, oo + i);
        return i;
    }

    /** o = y > 0 ? g : 0 over a row (PyTorch's threshold_backward at 0). */
    static void reluBackward(float[] g, int go, float[] y, int yo, float[] o, int oo, int len) {
        int i = 0;
        for (; i <= len - L; i += L) {
            FloatVector yv = FloatVector.fromArray(S, y, yo + i);
            FloatVector.fromArray(S, g, go + i).blend(ZERO, yv.compare(VectorOperators.LE, ZERO)).intoArray(o, oo + i);
        }
        for (; i < len; i++) o[oo + i] = y[yo + i] > 0 ? g[go + i] : 0f;
    }

    /** Softmax or log-softmax of one contiguous row: (x − max) then exp and a sum, vectorised. */
    static void softmaxRow(float[] x, int xb, float[] o, int ob, int n, boolean log) {
        int i = 0;
        FloatVector vmax = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (; i <= n - L; i += L) vmax = vmax.max(FloatVector.fromArray(S, x, xb + i));
        float max = vmax.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) max = Math.max(max, x[xb + i]);
        FloatVector vsum = FloatVector.zero(S);
        i = 0;
        for (; i <= n - L; i += L) {
            FloatVector e = FloatVector.fromArray(S, x, xb + i).sub(max).lanewise(VectorOperators.EXP);
            if (!log) e.intoArray(o, ob + i);
            vsum = vsum.add(e);
        }
        double sum = vsum.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float e = (float) Math.exp(x[xb + i] - max);
            if (!log) o[ob + i] = e;
            sum += e;
        }
        if (log) {
            float logSum = (float) Math.log(sum);
            i = 0;
            for (; i <= n - L; i += L) FloatVector.fromArray(S, x, xb + i).sub(max).sub(logSum).intoArray(o, ob + i);
            for (; i < n; i++) o[ob + i] = (x[xb + i] - max) - logSum;
        } else {
            float inv = (float) (1.0 / sum);
            i = 0;
            for (; i <= n - L; i += L) FloatVector.fromArray(S, o, ob + i).mul(inv).intoArray(o, ob + i);
            for (; i < n; i++) o[ob + i] *= inv;
        }
    }

    /** One row of layer norm (two-pass variance); returns {mean, rstd}. weight/bias may be null. */
    static float[] layerNormRow(float[] x, int xb, float[] w, int wo, float[] b, int bo, float[] o, int ob, int n, float eps) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (; i <= n - L; i += L) acc = acc.add(FloatVector.fromArray(S, x, xb + i));
        double sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) sum += x[xb + i];
        float mean = (float) (sum / n);
        acc = FloatVector.zero(S);
        for (i = 0; i <= n - L; i += L) {
            FloatVector d = FloatVector.fromArray(S, x, xb + i).sub(mean);
            acc = d.fma(d, acc);
        }
        double sq = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) { double d = x[xb + i] - mean; sq += d * d; }
        float rstd = (float) (1 / Math.sqrt(sq / n + eps));
        for (i = 0; i <= n - L; i += L) {
            FloatVector y = FloatVector.fromArray(S, x, xb + i).sub(mean).mul(rstd);
            if (w != null) y = y.mul(FloatVector.fromArray(S, w, wo + i));
            if (b != null) y = y.add(FloatVector.fromArray(S, b, bo + i));
            y.intoArray(o, ob + i);
        }
        for (; i < n; i++) {
            float y = (x[xb + i] - mean) * rstd;
            if (w != null) y *= w[wo + i];
            if (b != null) y += b[bo + i];
            o[ob + i] = y;
        }
        return new float[] {mean, rstd};
    }

    // ---- batch-norm rows (float32, contiguous), summed in float lanes per row, in double across rows ----

    /** Σ (f[j] − k) over one row: a shift k near the data keeps the float lanes' sums small. */
    static double shiftedSum(float[] f, int off, int n, float k) {
        FloatVector acc = FloatVector.zero(S);
        int j = 0;
        for (; j <= n - L; j += L) acc = acc.add(FloatVector.fromArray(S, f, off + j).sub(k));
        double sum = acc.reduceLanes(VectorOperators.ADD);
        for (; j < n; j++) sum += f[off + j] - k;
        return sum;
    }

    /** Σ (f[j] − mean)² over one row. */
    static double centredSquares(float[] f, int off, int n, float mean) {
        FloatVector acc = FloatVector.zero(S);
        int j = 0;
        for (; j <= n - L; j += L) {
            FloatVector d = FloatVector.fromArray(S, f, off + j).sub(mean);
            acc = d.fma(d, acc);
        }
        double sum = acc.reduceLanes(VectorOperators.ADD);
        for (; j < n; j++) { double d = f[off + j] - mean; sum += d * d; }
        return sum;
    }

    /** sums[0] += Σ g, sums[1] += Σ g·(x − mean) over one row of g and x. */
    static void gradSums(float[] g, int go, float[] x, int xo, int n, float mean, double[] sums) {
        FloatVector ag = FloatVector.zero(S), agx = FloatVector.zero(S);
        int j = 0;
        for (; j <= n - L; j += L) {
            FloatVector gv = FloatVector.fromArray(S, g, go + j);
            ag = ag.add(gv);
            agx = FloatVector.fromArray(S, x, xo + j).sub(mean).fma(gv, agx);
        }
        double sg = ag.reduceLanes(VectorOperators.ADD), sgx = agx.reduceLanes(VectorOperators.ADD);
        for (; j < n; j++) { sg += g[go + j]; sgx += (double) g[go + j] * (x[xo + j] - mean); }
        sums[0] += sg;
        sums[1] += sgx;
    }

    /** o = (x − c)·scale + shift over one row. */
    static void centredAffine(float[] x, int xo, float[] o, int oo, int n, float c, float scale, float shift) {
        int j = 0;
        for (; j <= n - L; j += L) FloatVector.fromArray(S, x, xo + j).sub(c).fma(scale, shift).intoArray(o, oo + j);
        for (; j < n; j++) o[oo + j] = (x[xo + j] - c) * scale + shift;
    }

    /** o = u·p + ((v − c)·q + shift) over one row (batch norm's dx). */
    static void affine2(float[] u, int uo, float p, float[] v, int vo, float c, float q, float shift, float[] o, int oo, int n) {
        int j = 0;
        for (; j <= n - L; j += L)
            FloatVector.fromArray(S, u, uo + j).fma(FloatVector.broadcast(S, p), FloatVector.fromArray(S, v, vo + j).sub(c).fma(q, shift))
                    .intoArray(o, oo + j);
        for (; j < n; j++) o[oo + j] = u[uo + j] * p + ((v[vo + j] - c) * q + shift);
    }
}
