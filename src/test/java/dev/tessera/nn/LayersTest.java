package dev.tessera.nn;

import static dev.tessera.TestUtil.assertClose;
import static dev.tessera.TestUtil.assertThrowsWith;
import static dev.tessera.TestUtil.random64;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.DType;
import dev.tessera.Tensor;
import dev.tessera.TesseraException;
import dev.tessera.autograd.GradCheck;
import dev.tessera.nn.functional.F;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every layer against a float64 reference written here (direct loops), float64 gradient checks,
 * PyTorch's default initialisation, PyTorch's reprs, and module vs functional form.
 * Float32 layers vs float64 loops: rtol 1e-5, atol 1e-5 unless a comment says otherwise.
 */
class LayersTest {
    private Random rng;

    @BeforeEach void seed() {
        Tensor.manualSeed(20240607);
        rng = new Random(77);
    }

    /** A seeded FLOAT32 tensor, uniform in [-1, 1). */
    private Tensor rand32(long... shape) { return random64(rng, shape).to(DType.FLOAT32); }

    private static double[] d(Tensor t) { return t.toDoubleArray(); }

    /** Makes every floating-point parameter and buffer FLOAT64, in place (same Parameter objects). */
    private static <M extends Module> M toFloat64(M m) {
        try (var ng = Tensor.noGrad()) {
            for (Parameter p : m.parameters()) p.internalSetData(p.detach().to(DType.FLOAT64));
            for (Tensor b : m.buffers()) if (b.dtype() == DType.FLOAT32) b.internalSetData(b.detach().to(DType.FLOAT64));
        }
        return m;
    }

    /** GradCheck of f(x) with respect to x (if given) and every parameter of m. */
    private static void gradCheck(Module m, Tensor x, Function<Tensor, Tensor> f) {
        List<Tensor> inputs = new ArrayList<>();
        if (x != null) inputs.add(x.requiresGrad(true));
        inputs.addAll(m.parameters());
        GradCheck.check(in -> f.apply(x), inputs.toArray(new Tensor[0]));   // float64 central differences, atol 1e-5, rtol 1e-3
    }

    private static void setUniform(Tensor t, double lo, double hi) { Init.uniform_(t, lo, hi); }

    // ================================================================= float64 references

    static double[] linearRef(double[] x, int rows, int in, double[] w, int out, double[] b) {
        double[] y = new double[rows * out];
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < out; o++) {
                double s = b == null ? 0 : b[o];
                for (int i = 0; i < in; i++) s += x[r * in + i] * w[o * in + i];
                y[r * out + o] = s;
            }
        return y;
    }

    static int outSize(int in, int k, int s, int p, int dil) { return (in + 2 * p - dil * (k - 1) - 1) / s + 1; }

    /** x [N, C, L], w [O, C/g, K]. */
    static double[] conv1dRef(double[] x, int n, int c, int len, double[] w, int o, int k, double[] b, int s, int p, int dil, int g) {
        int ol = outSize(len, k, s, p, dil), cg = c / g, og = o / g;
        double[] y = new double[n * o * ol];
        for (int bn = 0; bn < n; bn++)
            for (int oc = 0; oc < o; oc++)
                for (int t = 0; t < ol; t++) {
                    double acc = b == null ? 0 : b[oc];
                    int grp = oc / og;
                    for (int ic = 0; ic < cg; ic++)
                        for (int kk = 0; kk < k; kk++) {
                            int pos = t * s - p + kk * dil;
                            if (pos < 0 || pos >= len) continue;
                            acc += x[(bn * c + grp * cg + ic) * len + pos] * w[(oc * cg + ic) * k + kk];
                        }
                    y[(bn * o + oc) * ol + t] = acc;
                }
        return y;
    }

    /** x [N, C, H, W], w [O, C/g, K, K]. */
    static double[] conv2dRef(double[] x, int n, int c, int h, int wd, double[] w, int o, int k, double[] b, int s, int p, int dil, int g) {
        int oh = outSize(h, k, s, p, dil), ow = outSize(wd, k, s, p, dil), cg = c / g, og = o / g;
        double[] y = new double[n * o * oh * ow];
        for (int bn = 0; bn < n; bn++)
            for (int oc = 0; oc < o; oc++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++) {
                        double acc = b == null ? 0 : b[oc];
                        int grp = oc / og;
                        for (int ic = 0; ic < cg; ic++)
                            for (int ki = 0; ki < k; ki++)
                                for (int kj = 0; kj < k; kj++) {
                                    int r = i * s - p + ki * dil, q = j * s - p + kj * dil;
                                    if (r < 0 || r >= h || q < 0 || q >= wd) continue;
                                    acc += x[((bn * c + grp * cg + ic) * h + r) * wd + q] * w[((oc * cg + ic) * k + ki) * k + kj];
                                }
                        y[((bn * o + oc) * oh + i) * ow + j] = acc;
                    }
        return y;
    }

    /** Per-channel mean and biased variance of x [N, C, S] (S = product of spatial dims). */
    static double[][] channelStats(double[] x, int n, int c, int sp) {
        double[] mean = new double[c], var = new double[c];
        for (int ch = 0; ch < c; ch++) {
            double s = 0;
            for (int bn = 0; bn < n; bn++) for (int i = 0; i < sp; i++) s += x[(bn * c + ch) * sp + i];
            mean[ch] = s / (n * sp);
            double v = 0;
            for (int bn = 0; bn < n; bn++) for (int i = 0; i < sp; i++) { double dd = x[(bn * c + ch) * sp + i] - mean[ch]; v += dd * dd; }
            var[ch] = v / (n * sp);
        }
        return new double[][] {mean, var};
    }

    static double[] normalizeRef(double[] x, int n, int c, int sp, double[] mean, double[] var, double[] gamma, double[] beta, double eps) {
        double[] y = new double[x.length];
        for (int bn = 0; bn < n; bn++)
            for (int ch = 0; ch < c; ch++)
                for (int i = 0; i < sp; i++) {
                    int at = (bn * c + ch) * sp + i;
                    y[at] = (x[at] - mean[ch]) / Math.sqrt(var[ch] + eps) * (gamma == null ? 1 : gamma[ch]) + (beta == null ? 0 : beta[ch]);
                }
        return y;
    }

    /** erf by its Maclaurin series; accurate to ~1e-13 for |x| ≤ 3. */
    static double erf(double x) {
        double term = x, sum = x;
        for (int n = 1; n < 80; n++) {
            term *= -x * x / n;
            sum += term / (2 * n + 1);
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }

    /** Pooling over x [N, C, H, W]; max ignores padding, average counts it (count_include_pad). */
    static double[] poolRef(double[] x, int n, int c, int h, int w, int k, int s, int p, boolean max) {
        int oh = outSize(h, k, s, p, 1), ow = outSize(w, k, s, p, 1);
        double[] y = new double[n * c * oh * ow];
        for (int nc = 0; nc < n * c; nc++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++) {
                    double acc = max ? Double.NEGATIVE_INFINITY : 0;
                    for (int a = 0; a < k; a++)
                        for (int bb = 0; bb < k; bb++) {
                            int r = i * s - p + a, q = j * s - p + bb;
                            if (r < 0 || r >= h || q < 0 || q >= w) continue;
                            double v = x[(nc * h + r) * w + q];
                            acc = max ? Math.max(acc, v) : acc + v;
                        }
                    y[(nc * oh + i) * ow + j] = max ? acc : acc / (k * k);
                }
        return y;
    }

    // ================================================================= Linear

    @Test void linearKnownCase() {
        Linear l = new Linear(3, 2);
        Init.ones_(l.weight);
        Init.zeros_(l.bias);
        Tensor x = Tensor.of(new float[] {1, 2, 3, -1, 0, 4}, 2, 3);
        assertClose(l.forward(x), new double[] {6, 6, 3, 3}, new long[] {2, 2}, 0, 0);   // y = row sums
    }

    @Test void linearMatchesReference() {
        for (boolean bias : new boolean[] {true, false}) {
            Linear l = new Linear(7, 5, bias);
            Tensor x = rand32(2, 3, 7);   // leading dims are batch dims
            double[] expected = linearRef(d(x), 6, 7, d(l.weight), 5, bias ? d(l.bias) : null);
            assertClose(l.forward(x), expected, new long[] {2, 3, 5}, 1e-5, 1e-5);
        }
        Linear l = new Linear(4, 3);
        Tensor x1 = rand32(4);   // a single vector
        assertClose(l.forward(x1), linearRef(d(x1), 1, 4, d(l.weight), 3, d(l.bias)), new long[] {3}, 1e-5, 1e-5);
        assertThrowsWith(TesseraException.class, "mat1 and mat2 shapes cannot be multiplied (1x20 and 10x100)",
                () -> new Linear(10, 100).forward(Tensor.randn(1, 20)));
    }

    @Test void linearGradients() {
        Linear l = toFloat64(new Linear(4, 3));
        gradCheck(l, random64(rng, 2, 4), l::forward);
    }

    // ================================================================= convolutions

    @Test void conv1dMatchesReference() {
        int[][] configs = {{1, 0, 1, 1}, {2, 1, 1, 1}, {1, 2, 2, 1}, {2, 1, 1, 2}, {1, 0, 3, 4}};   // stride, padding, dilation, groups
        for (int[] cfg : configs) {
            int s = cfg[0], p = cfg[1], dil = cfg[2], g = cfg[3];
            for (boolean bias : new boolean[] {true, false}) {
                Conv1d conv = new Conv1d(4, 8, 3, s, p, dil, g, bias);
                Tensor x = rand32(2, 4, 11);
                double[] expected = conv1dRef(d(x), 2, 4, 11, d(conv.weight), 8, 3, bias ? d(conv.bias) : null, s, p, dil, g);
                assertClose(conv.forward(x), expected, new long[] {2, 8, outSize(11, 3, s, p, dil)}, 1e-5, 1e-5);
            }
        }
    }

    @Test void conv2dMatchesReference() {
        int[][] configs = {{1, 0, 1, 1}, {2, 1, 1, 1}, {1, 2, 2, 1}, {2, 1, 1, 2}, {1, 1, 1, 4}, {3, 2, 2, 2}};
        for (int[] cfg : configs) {
            int s = cfg[0], p = cfg[1], dil = cfg[2], g = cfg[3];
            Conv2d conv = new Conv2d(4, 8, 3, s, p, dil, g, g != 4);
            Tensor x = rand32(2, 4, 9, 8);
            double[] expected = conv2dRef(d(x), 2, 4, 9, 8, d(conv.weight), 8, 3, conv.bias == null ? null : d(conv.bias), s, p, dil, g);
            assertClose(conv.forward(x), expected, new long[] {2, 8, outSize(9, 3, s, p, dil), outSize(8, 3, s, p, dil)}, 1e-5, 1e-5);
        }
        // unbatched [C, H, W]
        Conv2d conv = new Conv2d(2, 3, 2);
        Tensor x = rand32(2, 4, 4);
        assertClose(conv.forward(x), conv2dRef(d(x), 1, 2, 4, 4, d(conv.weight), 3, 2, d(conv.bias), 1, 0, 1, 1), new long[] {3, 3, 3}, 1e-5, 1e-5);
        assertThrowsWith(IllegalArgumentException.class, "in_channels (3) must be divisible by groups (2)", () -> new Conv2d(3, 4, 3, 1, 0, 1, 2, true));
    }

    @Test void convGradients() {
        Conv1d c1 = toFloat64(new Conv1d(2, 4, 3, 2, 1, 1, 2, true));
        gradCheck(c1, random64(rng, 2, 2, 7), c1::forward);
        Conv2d c2 = toFloat64(new Conv2d(4, 4, 3, 2, 1, 1, 2, true));   // groups = 2
        gradCheck(c2, random64(rng, 1, 4, 5, 5), c2::forward);
        Conv2d c3 = toFloat64(new Conv2d(2, 2, 2, 1, 1, 2, 1, false));   // dilation 2, no bias
        gradCheck(c3, random64(rng, 1, 2, 4, 4), c3::forward);
    }

    // ================================================================= BatchNorm

    @Test void batchNorm2dTrainingEvalAndRunningStats() {
        BatchNorm2d bn = new BatchNorm2d(3);
        setUniform(bn.weight, 0.5, 1.5);
        setUniform(bn.bias, -0.5, 0.5);
        double eps = 1e-5;
        double[] rm = new double[3], rv = {1, 1, 1};
        for (int step = 1; step <= 3; step++) {
            Tensor x = rand32(4, 3, 2, 5).mul(step).add(step * 0.3);
            double[] xs = d(x);
            double[][] st = channelStats(xs, 4, 3, 10);
            double[] expected = normalizeRef(xs, 4, 3, 10, st[0], st[1], d(bn.weight), d(bn.bias), eps);
            assertClose(bn.forward(x), expected, new long[] {4, 3, 2, 5}, 1e-4, 1e-5);   // float32 normalisation
            int m = 4 * 10;
            for (int c = 0; c < 3; c++) {
                rm[c] = 0.9 * rm[c] + 0.1 * st[0][c];
                rv[c] = 0.9 * rv[c] + 0.1 * st[1][c] * m / (m - 1);   // unbiased variance in the running estimate
            }
            assertClose(bn.runningMean, rm, new long[] {3}, 1e-5, 1e-6);
            assertClose(bn.runningVar, rv, new long[] {3}, 1e-5, 1e-6);
            assertEquals(DType.INT64, bn.numBatchesTracked.dtype());
            assertEquals(step, bn.numBatchesTracked.toLongArray()[0]);
        }
        bn.eval();
        Tensor x = rand32(2, 3, 3, 3);
        double[] expected = normalizeRef(d(x), 2, 3, 9, rm, rv, d(bn.weight), d(bn.bias), eps);
        assertClose(bn.forward(x), expected, new long[] {2, 3, 3, 3}, 1e-5, 1e-5);
        assertEquals(3L, bn.numBatchesTracked.toLongArray()[0]);   // eval neither counts nor updates
        assertClose(bn.runningMean, rm, new long[] {3}, 1e-5, 1e-6);
        assertThrowsWith(TesseraException.class, "expected 4D input (got 3D input)", () -> bn.forward(Tensor.zeros(2, 3, 4)));
    }

    @Test void batchNorm1dOn2dAnd3dInputs() {
        BatchNorm1d bn = new BatchNorm1d(4);
        Tensor x = rand32(6, 4);
        double[][] st = channelStats(d(x), 6, 4, 1);
        assertClose(bn.forward(x), normalizeRef(d(x), 6, 4, 1, st[0], st[1], null, null, 1e-5), new long[] {6, 4}, 1e-4, 1e-5);
        Tensor x3 = rand32(3, 4, 5);
        double[][] st3 = channelStats(d(x3), 3, 4, 5);
        assertClose(bn.forward(x3), normalizeRef(d(x3), 3, 4, 5, st3[0], st3[1], null, null, 1e-5), new long[] {3, 4, 5}, 1e-4, 1e-5);
        double[] rm = new double[4];
        for (int c = 0; c < 4; c++) rm[c] = 0.9 * 0.1 * st[0][c] + 0.1 * st3[0][c];
        assertClose(bn.runningMean, rm, new long[] {4}, 1e-5, 1e-6);
        assertEquals(2L, bn.numBatchesTracked.toLongArray()[0]);
        assertThrowsWith(TesseraException.class, "expected 2D or 3D input (got 4D input)", () -> bn.forward(Tensor.zeros(2, 4, 1, 1)));
    }

    @Test void batchNormWithoutRunningStatsUsesBatchStatsInEval() {
        BatchNorm2d bn = new BatchNorm2d(2, 1e-3, 0.1, false, false);
        assertTrue(bn.buffers().isEmpty());
        assertTrue(bn.parameters().isEmpty());
        assertNull(bn.runningMean);
        Tensor x = rand32(3, 2, 2, 2);
        double[][] st = channelStats(d(x), 3, 2, 4);
        double[] expected = normalizeRef(d(x), 3, 2, 4, st[0], st[1], null, null, 1e-3);
        assertClose(bn.forward(x), expected, new long[] {3, 2, 2, 2}, 1e-4, 1e-5);
        bn.eval();
        assertClose(bn.forward(x), expected, new long[] {3, 2, 2, 2}, 1e-4, 1e-5);
    }

    @Test void batchNormGradients() {
        BatchNorm2d bn = toFloat64(new BatchNorm2d(3));
        setUniform(bn.weight, 0.5, 1.5);
        setUniform(bn.bias, -0.5, 0.5);
        gradCheck(bn, random64(rng, 2, 3, 2, 2), bn::forward);
    }

    @Test void batchNormGradientsInEvalWithoutAffineAndFor1d() {
        BatchNorm2d bn = toFloat64(new BatchNorm2d(3));
        setUniform(bn.weight, 0.5, 1.5);
        try (var ng = Tensor.noGrad()) { bn.runningMean.copy_(random64(rng, 3)); bn.runningVar.copy_(random64(rng, 3).abs().add(0.5)); }
        bn.eval();   // fixed statistics: the backward is the elementwise one
        gradCheck(bn, random64(rng, 2, 3, 2, 2), bn::forward);
        BatchNorm2d plain = toFloat64(new BatchNorm2d(2, 1e-5, 0.1, false, true));
        gradCheck(plain, random64(rng, 3, 2, 2, 1), plain::forward);
        BatchNorm1d bn1 = toFloat64(new BatchNorm1d(4));
        setUniform(bn1.weight, 0.5, 1.5);
        setUniform(bn1.bias, -0.5, 0.5);
        gradCheck(bn1, random64(rng, 5, 4), bn1::forward);
        gradCheck(bn1, random64(rng, 2, 4, 3), bn1::forward);
    }

    @Test void batchNormMomentumNoneIsTheCumulativeAverage() {
        // PyTorch: momentum=None uses the factor 1/num_batches_tracked, so after k batches the running
        // mean is the plain average of the k batch means (and the running var of the unbiased variances)
        BatchNorm2d bn = new BatchNorm2d(2, 1e-5, null, true, true);
        assertEquals("BatchNorm2d(2, eps=1e-05, momentum=None, affine=True, track_running_stats=True)", bn.toString());
        double[] sumMean = new double[2], sumVar = new double[2];
        for (int step = 1; step <= 4; step++) {
            Tensor x = rand32(3, 2, 2, 2).mul(step).add(step);
            double[][] st = channelStats(d(x), 3, 2, 4);
            for (int c = 0; c < 2; c++) { sumMean[c] += st[0][c]; sumVar[c] += st[1][c] * 12 / 11; }
            bn.forward(x);
            assertClose(bn.runningMean, new double[] {sumMean[0] / step, sumMean[1] / step}, new long[] {2}, 1e-5, 1e-6);
            assertClose(bn.runningVar, new double[] {sumVar[0] / step, sumVar[1] / step}, new long[] {2}, 1e-5, 1e-6);
        }
    }

    @Test void batchNormArgumentErrors() {
        Tensor x = rand32(4, 3);
        assertThrowsWith(TesseraException.class, "Expected more than 1 value per channel when training, got input size",
                () -> F.batchNorm(rand32(1, 3), null, null, null, null, true, 0.1, 1e-5));
        assertThrowsWith(TesseraException.class, "running_mean should contain 3 elements not 2",
                () -> F.batchNorm(x, Tensor.zeros(2), Tensor.ones(2), null, null, true, 0.1, 1e-5));
        assertThrowsWith(TesseraException.class, "weight should contain 3 elements not 4",
                () -> F.batchNorm(x, null, null, Tensor.ones(4), null, true, 0.1, 1e-5));
        assertThrowsWith(TesseraException.class, "running_mean and running_var must be defined in evaluation mode",
                () -> F.batchNorm(x, null, null, null, null, false, 0.1, 1e-5));
        assertThrowsWith(TesseraException.class, "expected running_var to have dtype torch.float32, but got torch.float64",
                () -> F.batchNorm(x, Tensor.zeros(3), Tensor.ones(3).to(DType.FLOAT64), null, null, true, 0.1, 1e-5));
    }

    // ================================================================= LayerNorm

    @Test void layerNormMatchesReference() {
        LayerNorm ln = new LayerNorm(3, 4);
        setUniform(ln.weight, 0.5, 1.5);
        setUniform(ln.bias, -0.5, 0.5);
        Tensor x = rand32(2, 5, 3, 4).mul(3).add(1);
        double[] xs = d(x), g = d(ln.weight), b = d(ln.bias), expected = new double[xs.length];
        for (int r = 0; r < 10; r++) {
            double mean = 0, var = 0;
            for (int i = 0; i < 12; i++) mean += xs[r * 12 + i] / 12;
            for (int i = 0; i < 12; i++) var += Math.pow(xs[r * 12 + i] - mean, 2) / 12;   // biased
            for (int i = 0; i < 12; i++) expected[r * 12 + i] = (xs[r * 12 + i] - mean) / Math.sqrt(var + 1e-5) * g[i] + b[i];
        }
        assertClose(ln.forward(x), expected, new long[] {2, 5, 3, 4}, 1e-4, 1e-5);
        LayerNorm plain = new LayerNorm(new long[] {4}, 1e-5, false);
        assertTrue(plain.parameters().isEmpty());
        assertThrows(TesseraException.class, () -> ln.forward(Tensor.zeros(2, 4, 3)));
    }

    @Test void layerNormGradients() {
        LayerNorm ln = toFloat64(new LayerNorm(4));
        setUniform(ln.weight, 0.5, 1.5);
        setUniform(ln.bias, -0.5, 0.5);
        gradCheck(ln, random64(rng, 3, 4), ln::forward);
    }

    // ================================================================= Embedding

    @Test void embeddingLooksUpRows() {
        Embedding e = new Embedding(6, 3);
        Tensor idx = Tensor.of(new long[] {5, 0, 2, 2, 1, 4}, 2, 3);
        double[] w = d(e.weight), expected = new double[18];
        long[] ids = idx.toLongArray();
        for (int i = 0; i < 6; i++) System.arraycopy(w, (int) ids[i] * 3, expected, i * 3, 3);
        assertClose(e.forward(idx), expected, new long[] {2, 3, 3}, 0, 0);
        assertThrowsWith(TesseraException.class, "index out of range in self", () -> e.forward(Tensor.of(new long[] {6}, 1)));
        assertThrows(TesseraException.class, () -> e.forward(Tensor.zeros(2)));   // float indices
    }

    @Test void embeddingPaddingIdxIsZeroAndGetsNoGradient() {
        Embedding e = new Embedding(5, 4, 1);
        assertEquals(1, e.paddingIdx);
        assertClose(e.weight.detach().select(0, 1), new double[4], new long[] {4}, 0, 0);
        Tensor idx = Tensor.of(new long[] {1, 3, 1, 3, 0}, 5);
        Tensor out = e.forward(idx);
        assertClose(out.select(0, 0), new double[4], new long[] {4}, 0, 0);
        out.sum().backward();
        double[] expected = new double[20];
        for (int j = 0; j < 4; j++) { expected[j] = 1; expected[3 * 4 + j] = 2; }   // row 1 (padding) stays 0; row 3 used twice
        assertClose(e.weight.grad(), expected, new long[] {5, 4}, 0, 0);
        assertEquals(4, new Embedding(5, 4, -1).paddingIdx);   // negative counts from the end
        assertThrows(IllegalArgumentException.class, () -> new Embedding(5, 4, 5));
    }

    @Test void embeddingGradients() {
        Embedding e = toFloat64(new Embedding(5, 3));
        Tensor idx = Tensor.of(new long[] {0, 2, 4, 4, 1, 2}, 3, 2);
        gradCheck(e, null, x -> e.forward(idx));
        // With a padding_idx that the indices avoid (its row's gradient is zero by design, so a used
        // padding row would differ from finite differences, in PyTorch too).
        Embedding p = toFloat64(new Embedding(5, 3, 2));
        Tensor avoid = Tensor.of(new long[] {0, 3, 4, 4, 1, 0}, 3, 2);
        gradCheck(p, null, x -> p.forward(avoid));
    }

    // ================================================================= Dropout

    @Test void dropoutScalesSurvivorsAndZeroesAFractionP() {
        Dropout drop = new Dropout(0.3);
        int n = 20000;
        double[] y = d(drop.forward(Tensor.ones(n)));
        int zeros = 0;
        for (double v : y) {
            if (v == 0) zeros++;
            else assertEquals(1 / 0.7, v, 1e-6);   // float32 1/(1-p)
        }
        assertEquals(0.3, zeros / (double) n, 0.02);   // binomial sd ≈ 0.0032
        drop.eval();
        Tensor x = rand32(3, 4);
        assertClose(drop.forward(x), x, 0, 0);
        assertClose(new Dropout(1.0).forward(Tensor.ones(10)), new double[10], new long[] {10}, 0, 0);
        assertClose(new Dropout(0.0).forward(x), x, 0, 0);
        for (double p : new double[] {-0.1, 1.5, Double.NaN})
            assertThrowsWith(IllegalArgumentException.class, "dropout probability has to be between 0 and 1", () -> new Dropout(p));
    }

    // ================================================================= activations, shapes, pooling

    @Test void elementwiseActivationsMatchReference() {
        Tensor x = rand32(4, 5).mul(3);
        double[] xs = d(x), relu = new double[20], sig = new double[20], tanh = new double[20], gelu = new double[20];
        for (int i = 0; i < 20; i++) {
            relu[i] = Math.max(xs[i], 0);
            sig[i] = 1 / (1 + Math.exp(-xs[i]));
            tanh[i] = Math.tanh(xs[i]);
            gelu[i] = 0.5 * xs[i] * (1 + erf(xs[i] / Math.sqrt(2)));   // exact (erf) form
        }
        long[] shape = {4, 5};
        assertClose(new ReLU().forward(x), relu, shape, 0, 0);
        assertClose(new Sigmoid().forward(x), sig, shape, 1e-5, 1e-6);
        assertClose(new Tanh().forward(x), tanh, shape, 1e-5, 1e-6);
        assertClose(new GELU().forward(x), gelu, shape, 1e-5, 1e-6);
    }

    @Test void softmaxAlongDim() {
        Tensor x = rand32(2, 3, 4).mul(4);
        double[] xs = d(x), expected = new double[24];
        for (int a = 0; a < 2; a++)
            for (int c = 0; c < 4; c++) {
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int b = 0; b < 3; b++) max = Math.max(max, xs[(a * 3 + b) * 4 + c]);
                for (int b = 0; b < 3; b++) sum += Math.exp(xs[(a * 3 + b) * 4 + c] - max);
                for (int b = 0; b < 3; b++) expected[(a * 3 + b) * 4 + c] = Math.exp(xs[(a * 3 + b) * 4 + c] - max) / sum;
            }
        assertClose(new Softmax(1).forward(x), expected, new long[] {2, 3, 4}, 1e-5, 1e-6);
    }

    @Test void flattenKeepsValues() {
        Tensor x = rand32(2, 3, 4, 5);
        assertClose(new Flatten().forward(x), d(x), new long[] {2, 60}, 0, 0);
        assertClose(new Flatten(0, 1).forward(x), d(x), new long[] {6, 4, 5}, 0, 0);
        assertClose(new Flatten(1, 2).forward(x), d(x), new long[] {2, 12, 5}, 0, 0);
    }

    @Test void poolingMatchesReference() {
        Tensor x = rand32(2, 3, 7, 6);
        int[][] configs = {{2, 2, 0}, {3, 2, 1}, {3, 1, 0}, {2, 1, 1}};   // kernel, stride, padding
        for (int[] c : configs) {
            int k = c[0], s = c[1], p = c[2];
            long[] shape = {2, 3, outSize(7, k, s, p, 1), outSize(6, k, s, p, 1)};
            assertClose(new MaxPool2d(k, s, p).forward(x), poolRef(d(x), 2, 3, 7, 6, k, s, p, true), shape, 0, 0);
            assertClose(new AvgPool2d(k, s, p).forward(x), poolRef(d(x), 2, 3, 7, 6, k, s, p, false), shape, 1e-5, 1e-6);
        }
        assertClose(new MaxPool2d(2).forward(x), poolRef(d(x), 2, 3, 7, 6, 2, 2, 0, true), new long[] {2, 3, 3, 3}, 0, 0);
    }

    @Test void identityIgnoresArgumentsAndReturnsItsInput() {
        Identity id = new Identity(54, "unused", 0.1, false);
        Tensor x = rand32(3, 2);
        assertSame(x, id.forward(x));
        assertTrue(id.parameters().isEmpty());
        assertEquals("Identity()", id.toString());
    }

    // ================================================================= MultiheadAttention

    /** Reference multi-head attention (batch_first=False) in float64 with the module's weights; returns {output, avgWeights}. */
    static double[][] mhaRef(MultiheadAttention m, double[] q, double[] k, double[] v, int l, int s, int n) {
        int e = (int) m.embedDim, h = (int) m.numHeads, hd = e / h;
        double[] w = d(m.inProjWeight), b = d(m.inProjBias), wo = d(m.outProj.weight), bo = d(m.outProj.bias);
        double[] out = new double[l * n * e], avg = new double[n * l * s];
        for (int bn = 0; bn < n; bn++) {
            double[] concat = new double[l * e];
            for (int hh = 0; hh < h; hh++) {
                double[][] qh = proj(q, l, n, bn, e, w, b, 0 * e + hh * hd, hd);
                double[][] kh = proj(k, s, n, bn, e, w, b, 1 * e + hh * hd, hd);
                double[][] vh = proj(v, s, n, bn, e, w, b, 2 * e + hh * hd, hd);
                for (int i = 0; i < l; i++) {
                    double[] sc = new double[s];
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int j = 0; j < s; j++) {
                        for (int t = 0; t < hd; t++) sc[j] += qh[i][t] * kh[j][t];
                        sc[j] /= Math.sqrt(hd);
                        max = Math.max(max, sc[j]);
                    }
                    for (int j = 0; j < s; j++) sum += sc[j] = Math.exp(sc[j] - max);
                    for (int j = 0; j < s; j++) {
                        double p = sc[j] / sum;
                        avg[(bn * l + i) * s + j] += p / h;
                        for (int t = 0; t < hd; t++) concat[i * e + hh * hd + t] += p * vh[j][t];
                    }
                }
            }
            for (int i = 0; i < l; i++)
                for (int o = 0; o < e; o++) {
                    double acc = bo[o];
                    for (int t = 0; t < e; t++) acc += concat[i * e + t] * wo[o * e + t];
                    out[(i * n + bn) * e + o] = acc;
                }
        }
        return new double[][] {out, avg};
    }

    /** Rows [row0, row0 + rows) of the packed projection applied to x[:, bn, :]; x is [len, N, E]. */
    private static double[][] proj(double[] x, int len, int n, int bn, int e, double[] w, double[] b, int row0, int rows) {
        double[][] y = new double[len][rows];
        for (int i = 0; i < len; i++)
            for (int r = 0; r < rows; r++) {
                double acc = b[row0 + r];
                for (int t = 0; t < e; t++) acc += x[(i * n + bn) * e + t] * w[(row0 + r) * e + t];
                y[i][r] = acc;
            }
        return y;
    }

    @Test void multiheadAttentionMatchesReference() {
        MultiheadAttention m = new MultiheadAttention(8, 2);
        setUniform(m.inProjBias, -0.5, 0.5);   // zero by default; make the reference see them
        setUniform(m.outProj.bias, -0.5, 0.5);
        int l = 3, s = 5, n = 2;
        Tensor q = rand32(l, n, 8), k = rand32(s, n, 8), v = rand32(s, n, 8);
        double[][] ref = mhaRef(m, d(q), d(k), d(v), l, s, n);
        assertClose(m.forward(q, k, v), ref[0], new long[] {l, n, 8}, 1e-5, 1e-5);
        Tensor weights = m.lastAttentionWeights();
        assertClose(weights, ref[1], new long[] {n, l, s}, 1e-5, 1e-6);
        double[] sums = d(weights.sum(-1));
        for (double sum : sums) assertEquals(1.0, sum, 1e-6);   // float32 softmax rows
        // self-attention: forward(x) == forward(x, x, x)
        Tensor x = rand32(4, n, 8);
        double[][] self = mhaRef(m, d(x), d(x), d(x), 4, 4, n);
        assertClose(m.forward(x), self[0], new long[] {4, n, 8}, 1e-5, 1e-5);
        assertThrows(IllegalArgumentException.class, () -> new MultiheadAttention(6, 4));
        assertThrows(TesseraException.class, () -> m.forward(Tensor.zeros(3, 8)));
    }

    @Test void multiheadAttentionGradients() {
        MultiheadAttention m = toFloat64(new MultiheadAttention(4, 2));
        setUniform(m.inProjBias, -0.5, 0.5);
        setUniform(m.outProj.bias, -0.5, 0.5);
        gradCheck(m, random64(rng, 3, 2, 4), m::forward);
    }

    // ================================================================= default initialisation

    /** Values within [−bound, bound] and, by their moments, U(−bound, bound); tolerances are 5 standard errors for n samples. */
    private static void assertUniformWithin(Tensor t, double bound, String what) {
        double[] v = d(t);
        int n = v.length;
        double max = 0, mean = 0, sq = 0;
        for (double x : v) { max = Math.max(max, Math.abs(x)); mean += x / n; sq += x * x / n; }
        assertTrue(max <= bound, what + ": max |w| " + max + " exceeds bound " + bound);
        if (n >= 1000) assertTrue(max > 0.99 * bound, what + ": max |w| " + max + " far below bound " + bound);   // P(miss) = 0.99^n
        assertEquals(0, mean, 5 * bound / Math.sqrt(3.0 * n), what + " mean");                          // sd of x: b/√3
        assertEquals(bound * bound / 3, sq, 5 * 0.2982 * bound * bound / Math.sqrt(n), what + " E[x²]");  // sd of x²: b²·√(1/5 − 1/9)
    }

    @Test void defaultInitialisationIsPyTorchs() {
        Linear lin = new Linear(100, 60);
        assertUniformWithin(lin.weight, 1 / Math.sqrt(100), "Linear.weight");   // kaiming-uniform a=√5 → 1/√fan_in
        assertUniformWithin(lin.bias, 1 / Math.sqrt(100), "Linear.bias");
        Conv2d conv = new Conv2d(8, 32, 3);
        assertUniformWithin(conv.weight, 1 / Math.sqrt(72), "Conv2d.weight");    // fan_in = 8·3·3
        assertUniformWithin(conv.bias, 1 / Math.sqrt(72), "Conv2d.bias");
        Conv1d conv1 = new Conv1d(16, 64, 5, 1, 0, 1, 4, true);
        assertUniformWithin(conv1.weight, 1 / Math.sqrt(20), "Conv1d.weight");   // fan_in = 16/4·5
        MultiheadAttention mha = new MultiheadAttention(32, 4);
        assertUniformWithin(mha.inProjWeight, Math.sqrt(6.0 / (32 + 96)), "in_proj_weight");   // xavier-uniform on [3E, E]
        assertClose(mha.inProjBias.detach(), new double[96], new long[] {96}, 0, 0);
        assertClose(mha.outProj.bias.detach(), new double[32], new long[] {32}, 0, 0);

        BatchNorm2d bn = new BatchNorm2d(5);
        assertClose(bn.weight.detach(), new double[] {1, 1, 1, 1, 1}, new long[] {5}, 0, 0);
        assertClose(bn.bias.detach(), new double[5], new long[] {5}, 0, 0);
        assertClose(bn.runningMean, new double[5], new long[] {5}, 0, 0);
        assertClose(bn.runningVar, new double[] {1, 1, 1, 1, 1}, new long[] {5}, 0, 0);
        LayerNorm ln = new LayerNorm(3);
        assertClose(ln.weight.detach(), new double[] {1, 1, 1}, new long[] {3}, 0, 0);
        assertClose(ln.bias.detach(), new double[3], new long[] {3}, 0, 0);

        double[] emb = d(new Embedding(1000, 64).weight);   // N(0, 1)
        double mean = 0, sq = 0;
        for (double x : emb) mean += x / emb.length;
        for (double x : emb) sq += (x - mean) * (x - mean) / emb.length;
        assertEquals(0, mean, 0.02);              // sd of the mean ≈ 0.004
        assertEquals(1, Math.sqrt(sq), 0.02);     // sd of the std ≈ 0.003
        for (Parameter p : lin.parameters()) assertTrue(p.requiresGrad());
    }

    // ================================================================= reprs

    @Test void reprsAreExactlyPyTorchs() {
        assertEquals("Linear(in_features=10, out_features=100, bias=True)", new Linear(10, 100).toString());
        assertEquals("Linear(in_features=3, out_features=1, bias=False)", new Linear(3, 1, false).toString());
        assertEquals("Conv1d(16, 2, kernel_size=(1,), stride=(1,), bias=False)", new Conv1d(16, 2, 1, 1, 0, 1, 1, false).toString());
        assertEquals("Conv1d(4, 8, kernel_size=(3,), stride=(2,), padding=(1,))", new Conv1d(4, 8, 3, 2, 1).toString());
        assertEquals("Conv2d(1, 20, kernel_size=(5, 5), stride=(1, 1))", new Conv2d(1, 20, 5).toString());
        assertEquals("Conv2d(16, 33, kernel_size=(3, 3), stride=(2, 2), padding=(4, 4), dilation=(3, 3))",
                new Conv2d(16, 33, 3, 2, 4, 3, 1, true).toString());
        assertEquals("Conv2d(4, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), groups=2, bias=False)",
                new Conv2d(4, 8, 3, 1, 1, 1, 2, false).toString());
        assertEquals("BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)", new BatchNorm2d(16).toString());
        assertEquals("BatchNorm1d(100, eps=0.001, momentum=0.01, affine=False, track_running_stats=False)",
                new BatchNorm1d(100, 1e-3, 0.01, false, false).toString());
        assertEquals("LayerNorm((10,), eps=1e-05, elementwise_affine=True)", new LayerNorm(10).toString());
        assertEquals("LayerNorm((5, 10), eps=1e-06, elementwise_affine=False)", new LayerNorm(new long[] {5, 10}, 1e-6, false).toString());
        assertEquals("Embedding(10, 3)", new Embedding(10, 3).toString());
        assertEquals("Embedding(10, 3, padding_idx=0)", new Embedding(10, 3, 0).toString());
        assertEquals("Dropout(p=0.5, inplace=False)", new Dropout().toString());
        assertEquals("Dropout(p=0.25, inplace=False)", new Dropout(0.25).toString());
        assertEquals("ReLU()", new ReLU().toString());
        assertEquals("Sigmoid()", new Sigmoid().toString());
        assertEquals("Tanh()", new Tanh().toString());
        assertEquals("GELU(approximate='none')", new GELU().toString());
        assertEquals("Softmax(dim=1)", new Softmax(1).toString());
        assertEquals("Flatten(start_dim=1, end_dim=-1)", new Flatten().toString());
        assertEquals("MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)", new MaxPool2d(2).toString());
        assertEquals("AvgPool2d(kernel_size=2, stride=2, padding=0)", new AvgPool2d(2).toString());
        assertEquals("AvgPool2d(kernel_size=3, stride=1, padding=1)", new AvgPool2d(3, 1, 1).toString());
        assertEquals("MultiheadAttention(\n  (out_proj): NonDynamicallyQuantizableLinear(in_features=8, out_features=8, bias=True)\n)",
                new MultiheadAttention(8, 2).toString());
        assertEquals(List.of("in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"),
                new ArrayList<>(new MultiheadAttention(8, 2).namedParameters().keySet()));
    }

    // ================================================================= module vs functional form

    @Test void modulesAndFunctionalFormsAgree() {
        Tensor x2 = rand32(4, 6), x3 = rand32(2, 4, 9), x4 = rand32(2, 4, 6, 6);
        Linear lin = new Linear(6, 3);
        assertClose(lin.forward(x2), F.linear(x2, lin.weight, lin.bias), 0, 0);
        Conv1d c1 = new Conv1d(4, 6, 3, 2, 1, 1, 2, true);
        assertClose(c1.forward(x3), F.conv1d(x3, c1.weight, c1.bias, 2, 1, 1, 2), 0, 0);
        Conv2d c2 = new Conv2d(4, 4, 3, 1, 2, 2, 4, true);
        assertClose(c2.forward(x4), F.conv2d(x4, c2.weight, c2.bias, 1, 2, 2, 4), 0, 0);
        BatchNorm2d bn = new BatchNorm2d(4);
        Tensor rm = Tensor.zeros(4), rv = Tensor.ones(4);
        assertClose(bn.forward(x4), F.batchNorm(x4, rm, rv, bn.weight, bn.bias, true, 0.1, 1e-5), 0, 0);
        assertClose(bn.runningMean, rm, 0, 0);
        assertClose(bn.runningVar, rv, 0, 0);
        bn.eval();
        assertClose(bn.forward(x4), F.batchNorm(x4, rm, rv, bn.weight, bn.bias, false, 0.1, 1e-5), 0, 0);
        LayerNorm ln = new LayerNorm(6);
        assertClose(ln.forward(x2), F.layerNorm(x2, new long[] {6}, ln.weight, ln.bias, 1e-5), 0, 0);
        Embedding emb = new Embedding(7, 3, 2);
        Tensor idx = Tensor.of(new long[] {0, 2, 6, 1}, 2, 2);
        assertClose(emb.forward(idx), F.embedding(idx, emb.weight, 2), 0, 0);
        assertClose(new ReLU().forward(x2), F.relu(x2), 0, 0);
        assertClose(new Sigmoid().forward(x2), F.sigmoid(x2), 0, 0);
        assertClose(new Tanh().forward(x2), F.tanh(x2), 0, 0);
        assertClose(new GELU().forward(x2), F.gelu(x2), 0, 0);
        assertClose(new Softmax(0).forward(x2), F.softmax(x2, 0), 0, 0);
        assertClose(new MaxPool2d(3, 2, 1).forward(x4), F.maxPool2d(x4, 3, 2, 1), 0, 0);
        assertClose(new AvgPool2d(2).forward(x4), F.avgPool2d(x4, 2), 0, 0);
        Tensor.manualSeed(5);
        Tensor a = new Dropout(0.4).forward(x4);
        Tensor.manualSeed(5);
        assertClose(a, F.dropout(x4, 0.4, true), 0, 0);   // same generator state → same mask
        assertClose(new Dropout(0.4).eval().forward(x4), F.dropout(x4, 0.4, false), 0, 0);
    }
}
