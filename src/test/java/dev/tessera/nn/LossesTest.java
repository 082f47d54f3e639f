package dev.tessera.nn;

import static dev.tessera.TestUtil.assertClose;
import static dev.tessera.TestUtil.assertThrowsWith;
import static dev.tessera.TestUtil.random64;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tessera.DType;
import dev.tessera.Tensor;
import dev.tessera.TesseraException;
import dev.tessera.autograd.GradCheck;
import dev.tessera.nn.functional.F;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The losses against float64 formulas written here and against values printed by PyTorch; float64 gradient checks; errors. */
class LossesTest {
    private final Random rng = new Random(4242);

    /** The fixed inputs of the PyTorch script quoted below. */
    private static final double[] X = {1.0, 2.0, 0.5, -0.5, -1.0, 0.0, 3.0, 0.25, 0.3, -0.7, 0.1, 2.2};
    private static final double[] Y = {0.0, 1.0, 0.25, 1.0, 1.0, 0.0, 0.5, 0.0, 0.0, 0.0, 1.0, 1.0};

    private static Tensor x() { return Tensor.of(X, 3, 4); }

    /**
     * Values printed by PyTorch 1.13 (Debian python3-torch 1.13.1) for
     * x = tensor(X, float64).view(3, 4), t = [1, 2, 3], y = tensor(Y, float64).view(3, 4):
     * F.cross_entropy(x, t, **kw).item(), F.nll_loss, F.binary_cross_entropy_with_logits(x, y), F.mse_loss(x, y).
     */
    @Test void knownValuesFromPyTorch() {
        Tensor t = Tensor.of(new long[] {1, 2, 3}, 3);
        double tol = 1e-12;   // float64 on both sides
        assertEquals(0.3072150256571886, new CrossEntropyLoss().forward(x(), t).item(), tol);
        assertEquals(0.9216450769715658, new CrossEntropyLoss(-100, 0, Reduction.SUM).forward(x(), t).item(), tol);
        assertEquals(0.668048358990522, new CrossEntropyLoss(-100, 0.2, Reduction.MEAN).forward(x(), t).item(), tol);
        assertEquals(0.39881604680616256, new CrossEntropyLoss(2, 0, Reduction.MEAN).forward(x(), t).item(), tol);
        assertEquals(0.5475660468061626, new CrossEntropyLoss(-100, 0.1, Reduction.MEAN).forward(x(), Tensor.of(new long[] {1, -100, 3}, 3)).item(), tol);
        assertClose(new CrossEntropyLoss(-100, 0, Reduction.NONE).forward(x(), t),
                new double[] {0.5146749655009752, 0.12401298335924078, 0.2829571281113498}, new long[] {3}, tol, tol);
        assertEquals(-2.4, new NLLLoss().forward(x(), t).item(), tol);
        assertEquals(0.8042750483040345, new BCEWithLogitsLoss().forward(x(), Tensor.of(Y, 3, 4)).item(), tol);
        assertEquals(1.4545833333333336, new MSELoss().forward(x(), Tensor.of(Y, 3, 4)).item(), tol);
    }

    // ---- float64 references ----

    /** Per-item smoothed cross-entropy of logits laid out [N, C, S] (S = product of trailing dims); NaN marks an ignored item. */
    static double[] crossEntropyRef(double[] x, long[] target, int n, int c, int s, long ignore, double eps) {
        double[] out = new double[n * s];
        for (int b = 0; b < n; b++)
            for (int j = 0; j < s; j++) {
                long t = target[b * s + j];
                if (t == ignore) { out[b * s + j] = Double.NaN; continue; }
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int k = 0; k < c; k++) max = Math.max(max, x[(b * c + k) * s + j]);
                for (int k = 0; k < c; k++) sum += Math.exp(x[(b * c + k) * s + j] - max);
                double lse = max + Math.log(sum), smooth = 0;
                for (int k = 0; k < c; k++) smooth += lse - x[(b * c + k) * s + j];
                out[b * s + j] = (1 - eps) * (lse - x[(b * c + (int) t) * s + j]) + eps * smooth / c;
            }
        return out;
    }

    /** {none (ignored items 0), sum, mean over non-ignored}. */
    static Object[] reduce(double[] perItem) {
        double[] none = new double[perItem.length];
        double sum = 0;
        int count = 0;
        for (int i = 0; i < perItem.length; i++)
            if (!Double.isNaN(perItem[i])) { none[i] = perItem[i]; sum += perItem[i]; count++; }
        return new Object[] {none, sum, sum / count};
    }

    private static long[] randomTargets(Random rng, int n, int c, long ignore, double ignoreFraction) {
        long[] t = new long[n];
        for (int i = 0; i < n; i++) t[i] = rng.nextDouble() < ignoreFraction ? ignore : rng.nextInt(c);
        return t;
    }

    @Test void crossEntropyMatchesReference() {
        double[][] settings = {{-100, 0}, {-100, 0.1}, {2, 0}, {2, 0.3}, {-100, 1.0}};   // ignore index, label smoothing
        for (double[] st : settings) {
            long ignore = (long) st[0];
            double eps = st[1];
            // [N, C] in float32, compared with float64 loops: rtol 1e-5
            Tensor x = random64(rng, 6, 5).mul(3);
            long[] t = randomTargets(rng, 6, 5, ignore == 2 ? 2 : -100, 0.3);
            t[0] = 0;   // at least one counted item
            Object[] ref = reduce(crossEntropyRef(x.toDoubleArray(), t, 6, 5, 1, ignore, eps));
            Tensor x32 = x.to(DType.FLOAT32), tt = Tensor.of(t, 6);
            assertClose(new CrossEntropyLoss(ignore, eps, Reduction.NONE).forward(x32, tt), (double[]) ref[0], new long[] {6}, 1e-5, 1e-6);
            assertEquals((double) ref[1], new CrossEntropyLoss(ignore, eps, Reduction.SUM).forward(x32, tt).item(), 1e-5 * Math.abs((double) ref[1]) + 1e-6);
            assertEquals((double) ref[2], new CrossEntropyLoss(ignore, eps, Reduction.MEAN).forward(x32, tt).item(), 1e-5 * Math.abs((double) ref[2]) + 1e-6);
            // the same in float64: 1e-12
            assertEquals((double) ref[2], new CrossEntropyLoss(ignore, eps, Reduction.MEAN).forward(x, tt).item(), 1e-12);
        }
        assertEquals(DType.FLOAT32, new CrossEntropyLoss().forward(Tensor.zeros(2, 3), Tensor.of(new long[] {0, 1}, 2)).dtype());
        assertThrows(IllegalArgumentException.class, () -> new CrossEntropyLoss(-100, 1.5, Reduction.MEAN));
    }

    @Test void crossEntropyOnSpatialInputs() {
        // [N, C, d1, d2] against [N, d1, d2]: class dim is 1
        Tensor x = random64(rng, 2, 4, 3, 2).mul(2);
        long[] t = randomTargets(rng, 12, 4, -100, 0.2);
        t[0] = 3;
        Object[] ref = reduce(crossEntropyRef(x.toDoubleArray(), t, 2, 4, 6, -100, 0.1));
        Tensor tt = Tensor.of(t, 2, 3, 2);
        assertClose(new CrossEntropyLoss(-100, 0.1, Reduction.NONE).forward(x, tt), (double[]) ref[0], new long[] {2, 3, 2}, 1e-12, 1e-12);
        assertEquals((double) ref[2], new CrossEntropyLoss(-100, 0.1, Reduction.MEAN).forward(x, tt).item(), 1e-12);
        assertEquals((double) ref[1], F.crossEntropy(x, tt, -100, 0.1, Reduction.SUM).item(), 1e-12);
        // [N, C, d]
        Tensor x3 = random64(rng, 3, 5, 4);
        long[] t3 = randomTargets(rng, 12, 5, -100, 0);
        Object[] ref3 = reduce(crossEntropyRef(x3.toDoubleArray(), t3, 3, 5, 4, -100, 0));
        assertEquals((double) ref3[2], new CrossEntropyLoss().forward(x3, Tensor.of(t3, 3, 4)).item(), 1e-12);
    }

    @Test void nllLossMatchesReference() {
        Tensor logp = random64(rng, 5, 4).mul(3).logSoftmax(1);
        long[] t = {3, 1, -100, 0, 1};
        double[] lp = logp.toDoubleArray(), perItem = new double[5];
        for (int i = 0; i < 5; i++) perItem[i] = t[i] == -100 ? Double.NaN : -lp[i * 4 + (int) t[i]];
        Object[] ref = reduce(perItem);
        Tensor tt = Tensor.of(t, 5);
        assertClose(new NLLLoss(-100, Reduction.NONE).forward(logp, tt), (double[]) ref[0], new long[] {5}, 1e-12, 1e-12);
        assertEquals((double) ref[1], new NLLLoss(-100, Reduction.SUM).forward(logp, tt).item(), 1e-12);
        assertEquals((double) ref[2], new NLLLoss().forward(logp, tt).item(), 1e-12);
        // cross-entropy is log-softmax then NLL
        Tensor logits = random64(rng, 5, 4);
        assertEquals(F.nllLoss(logits.logSoftmax(1), tt).item(), F.crossEntropy(logits, tt).item(), 1e-12);
    }

    @Test void mseLossMatchesReference() {
        Tensor a = random64(rng, 3, 4, 2), b = random64(rng, 3, 4, 2);
        double[] x = a.toDoubleArray(), y = b.toDoubleArray(), none = new double[24];
        double sum = 0;
        for (int i = 0; i < 24; i++) { none[i] = (x[i] - y[i]) * (x[i] - y[i]); sum += none[i]; }
        assertClose(new MSELoss(Reduction.NONE).forward(a, b), none, new long[] {3, 4, 2}, 1e-12, 1e-12);
        assertEquals(sum, new MSELoss(Reduction.SUM).forward(a, b).item(), 1e-12);
        assertEquals(sum / 24, new MSELoss().forward(a, b).item(), 1e-12);
        assertEquals(sum / 24, new MSELoss().forward(a.to(DType.FLOAT32), b.to(DType.FLOAT32)).item(), 1e-6);   // float32
    }

    @Test void bceWithLogitsMatchesReferenceAndIsStable() {
        Tensor a = random64(rng, 4, 3).mul(5), b = Tensor.rand(new long[] {4, 3}, DType.FLOAT64, dev.tessera.Device.CPU);
        double[] x = a.toDoubleArray(), y = b.toDoubleArray(), none = new double[12];
        double sum = 0;
        for (int i = 0; i < 12; i++) {
            double s = 1 / (1 + Math.exp(-x[i]));
            none[i] = -(y[i] * Math.log(s) + (1 - y[i]) * Math.log(1 - s));
            sum += none[i];
        }
        assertClose(new BCEWithLogitsLoss(Reduction.NONE).forward(a, b), none, new long[] {4, 3}, 1e-10, 1e-12);
        assertEquals(sum, new BCEWithLogitsLoss(Reduction.SUM).forward(a, b).item(), 1e-10);
        assertEquals(sum / 12, new BCEWithLogitsLoss().forward(a, b).item(), 1e-10);
        // large logits: no overflow; loss(±100, target) = 100 when wrong, ~0 when right
        Tensor big = Tensor.of(new float[] {100, -100, 100, -100}, 4), tgt = Tensor.of(new float[] {0, 1, 1, 0}, 4);
        assertClose(new BCEWithLogitsLoss(Reduction.NONE).forward(big, tgt), new double[] {100, 100, 0, 0}, new long[] {4}, 1e-6, 1e-6);
    }

    // ---- gradients (float64 central differences, atol 1e-5, rtol 1e-3) ----

    @Test void lossGradients() {
        Tensor t = Tensor.of(new long[] {2, 0, 1, 2}, 4);
        Tensor tIgnore = Tensor.of(new long[] {2, -100, 1, 0}, 4);
        for (Reduction r : Reduction.values()) {
            GradCheck.check(in -> new CrossEntropyLoss(-100, 0, r).forward(in[0], t), random64(rng, 4, 3).requiresGrad(true));
            GradCheck.check(in -> new CrossEntropyLoss(-100, 0.2, r).forward(in[0], tIgnore), random64(rng, 4, 3).requiresGrad(true));
            GradCheck.check(in -> new NLLLoss(-100, r).forward(in[0], tIgnore), random64(rng, 4, 3).requiresGrad(true));
            GradCheck.check(in -> new MSELoss(r).forward(in[0], in[1]), random64(rng, 3, 2).requiresGrad(true), random64(rng, 3, 2).requiresGrad(true));
            GradCheck.check(in -> new BCEWithLogitsLoss(r).forward(in[0], in[1]),
                    random64(rng, 3, 2).mul(3).requiresGrad(true), random64(rng, 3, 2).add(1).mul(0.5).requiresGrad(true));
        }
        Tensor spatial = Tensor.of(new long[] {0, 3, 1, 2, 2, 0}, 2, 3);
        GradCheck.check(in -> new CrossEntropyLoss(-100, 0.1, Reduction.MEAN).forward(in[0], spatial), random64(rng, 2, 4, 3).requiresGrad(true));
    }

    // ---- errors ----

    @Test void errors() {
        Tensor x = Tensor.randn(3, 10);
        assertThrowsWith(TesseraException.class, "Target 10 is out of bounds.", () -> new CrossEntropyLoss().forward(x, Tensor.of(new long[] {0, 10, 2}, 3)));
        assertThrowsWith(TesseraException.class, "Target -1 is out of bounds.", () -> new CrossEntropyLoss().forward(x, Tensor.of(new long[] {0, -1, 2}, 3)));
        assertThrowsWith(TesseraException.class, "Target 12 is out of bounds.", () -> new NLLLoss().forward(x, Tensor.of(new long[] {12, 1, 2}, 3)));
        assertThrowsWith(TesseraException.class, "torch.int64", () -> new CrossEntropyLoss().forward(x, Tensor.of(new float[] {0, 1, 2}, 3)));
        assertThrowsWith(TesseraException.class, "torch.int64", () -> new NLLLoss().forward(x, Tensor.of(new double[] {0, 1, 2}, 3)));
        assertThrowsWith(TesseraException.class, "Expected target size", () -> new CrossEntropyLoss().forward(x, Tensor.of(new long[] {0, 1}, 2)));
        assertThrowsWith(TesseraException.class, "Expected target size", () -> new CrossEntropyLoss().forward(x, Tensor.of(new long[] {0, 1, 2}, 3, 1)));
        assertThrows(TesseraException.class, () -> new CrossEntropyLoss().forward(Tensor.randn(10), Tensor.of(new long[] {1}, 1)));
        assertThrowsWith(TesseraException.class, "must match", () -> new MSELoss().forward(Tensor.zeros(3, 2), Tensor.zeros(2, 3)));
        assertThrowsWith(TesseraException.class, "must be the same as input size", () -> new BCEWithLogitsLoss().forward(Tensor.zeros(3), Tensor.zeros(3, 1)));
    }

    @Test void reprsAreExactlyPyTorchs() {
        // PyTorch's _Loss has no extra_repr: the reduction is not printed (checked with PyTorch 1.13).
        assertEquals("CrossEntropyLoss()", new CrossEntropyLoss().toString());
        assertEquals("CrossEntropyLoss()", new CrossEntropyLoss(-100, 0.1, Reduction.NONE).toString());
        assertEquals("MSELoss()", new MSELoss(Reduction.SUM).toString());
        assertEquals("NLLLoss()", new NLLLoss().toString());
        assertEquals("BCEWithLogitsLoss()", new BCEWithLogitsLoss().toString());
    }
}
