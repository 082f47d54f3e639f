package dev.tessera.nn;

import static dev.tessera.TestUtil.assertClose;
import static dev.tessera.TestUtil.assertThrowsWith;
import static dev.tessera.TestUtil.random64;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.DType;
import dev.tessera.Tensor;
import dev.tessera.autograd.GradCheck;
import dev.tessera.nn.utils.SpectralNorm;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** torch.nn.utils.spectral_norm semantics: names, power iteration per training forward, σ(W_eff) → 1. */
class SpectralNormTest {
    private final Random rng = new Random(99);

    @BeforeEach void seed() { Tensor.manualSeed(31337); }

    /** Identity matrix [n, n] in the dtype given. */
    private static Tensor eye(int n, DType dtype) {
        double[] v = new double[n * n];
        for (int i = 0; i < n; i++) v[i * n + i] = 1;
        return Tensor.of(v, n, n).to(dtype);
    }

    /** The weight a spectrally normalised Linear uses, read off in eval mode (no power iteration) as forward(I) − b, transposed. */
    private static double[][] effectiveWeight(Linear l) {
        boolean wasTraining = l.isTraining();
        l.eval();
        int in = (int) l.inFeatures, out = (int) l.outFeatures;
        double[] y = l.forward(eye(in, l.bias.dtype())).sub(l.bias).toDoubleArray();   // [in, out] = W_effᵀ
        l.train(wasTraining);
        double[][] w = new double[out][in];
        for (int i = 0; i < in; i++) for (int o = 0; o < out; o++) w[o][i] = y[i * out + o];
        return w;
    }

    /** Largest singular value by 500 power iterations on WᵀW, in float64. */
    static double sigmaMax(double[][] w) {
        int rows = w.length, cols = w[0].length;
        double[] v = new double[cols];
        Arrays.fill(v, 1);
        double sigma = 0;
        for (int it = 0; it < 500; it++) {
            double[] u = new double[rows];
            for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) u[r] += w[r][c] * v[c];
            double[] nv = new double[cols];
            for (int c = 0; c < cols; c++) for (int r = 0; r < rows; r++) nv[c] += w[r][c] * u[r];
            double norm = Math.sqrt(Arrays.stream(nv).map(a -> a * a).sum());
            for (int c = 0; c < cols; c++) v[c] = nv[c] / norm;
            sigma = Math.sqrt(norm);   // ‖WᵀW v‖ → σ² for a unit v
        }
        return sigma;
    }

    private static double[] normalize(double[] x) {
        double n = Math.sqrt(Arrays.stream(x).map(a -> a * a).sum());
        return Arrays.stream(x).map(a -> a / n).toArray();
    }

    @Test void registersWeightOrigAndBuffers() {
        Linear l = new Linear(5, 4);
        Parameter w = l.weight;
        Parameter b = l.bias;
        assertSame(l, SpectralNorm.spectralNorm(l));
        // checked against torch 1.13: named_parameters ['bias', 'weight_orig'], buffers ['weight_u', 'weight_v']
        assertEquals(List.of("bias", "weight_orig"), new ArrayList<>(l.namedParameters().keySet()));
        assertSame(w, l.namedParameters().get("weight_orig"));
        assertSame(b, l.namedParameters().get("bias"));
        assertEquals(List.of("weight_u", "weight_v"), new ArrayList<>(l.namedBuffers().keySet()));
        assertEquals(List.of("bias", "weight_orig", "weight_u", "weight_v"), new ArrayList<>(l.stateDict().keySet()));
        Tensor u = l.namedBuffers().get("weight_u"), v = l.namedBuffers().get("weight_v");
        assertEquals(dev.tessera.Size.of(4), u.shape());
        assertEquals(dev.tessera.Size.of(5), v.shape());
        assertEquals(1.0, Math.sqrt(u.mul(u).sum().item()), 1e-5);   // unit vectors (float32)
        assertEquals("Linear(in_features=5, out_features=4, bias=True)", l.toString());

        Conv2d conv = SpectralNorm.spectralNorm(new Conv2d(3, 6, 3));
        assertEquals(dev.tessera.Size.of(6), conv.namedBuffers().get("weight_u").shape());
        assertEquals(dev.tessera.Size.of(27), conv.namedBuffers().get("weight_v").shape());   // weight viewed as [out, in·k·k]
        assertEquals(dev.tessera.Size.of(2, 6, 2, 2), conv.forward(Tensor.randn(2, 3, 4, 4)).shape());

        assertThrowsWith(IllegalArgumentException.class, "Cannot register two spectral_norm hooks", () -> SpectralNorm.spectralNorm(l));
        assertThrowsWith(IllegalArgumentException.class, "n_power_iterations", () -> SpectralNorm.spectralNorm(new Linear(2, 2), "weight", 0, 1e-12));
    }

    @Test void onePowerIterationPerTrainingForwardNoneInEval() {
        Linear l = SpectralNorm.spectralNorm(new Linear(6, 3));
        Tensor u = l.namedBuffers().get("weight_u"), v = l.namedBuffers().get("weight_v");
        double[] w = l.namedParameters().get("weight_orig").toDoubleArray();   // [3, 6]
        double[] u0 = u.toDoubleArray();
        l.forward(Tensor.randn(2, 6));
        // v = normalize(Wᵀ u0), u = normalize(W v): exactly one iteration
        double[] ev = new double[6], eu = new double[3];
        for (int c = 0; c < 6; c++) for (int r = 0; r < 3; r++) ev[c] += w[r * 6 + c] * u0[r];
        ev = normalize(ev);
        for (int r = 0; r < 3; r++) for (int c = 0; c < 6; c++) eu[r] += w[r * 6 + c] * ev[c];
        eu = normalize(eu);
        assertClose(v, ev, new long[] {6}, 1e-5, 1e-6);   // float32 vs float64
        assertClose(u, eu, new long[] {3}, 1e-5, 1e-6);

        l.eval();
        double[] uEval = u.toDoubleArray(), vEval = v.toDoubleArray();
        for (int i = 0; i < 3; i++) l.forward(Tensor.randn(2, 6));
        assertClose(u, uEval, new long[] {3}, 0, 0);
        assertClose(v, vEval, new long[] {6}, 0, 0);

        l.train();
        l.forward(Tensor.randn(2, 6));
        assertFalse(Arrays.equals(uEval, u.toDoubleArray()) && Arrays.equals(vEval, v.toDoubleArray()), "u, v must move in training");
    }

    @Test void effectiveWeightIsOrigDividedByEstimatedSigma() {
        Linear l = SpectralNorm.spectralNorm(new Linear(4, 3));
        l.forward(Tensor.randn(1, 4));
        double[] w = l.namedParameters().get("weight_orig").toDoubleArray();
        double[] u = l.namedBuffers().get("weight_u").toDoubleArray(), v = l.namedBuffers().get("weight_v").toDoubleArray();
        double sigma = 0;
        for (int r = 0; r < 3; r++) for (int c = 0; c < 4; c++) sigma += u[r] * w[r * 4 + c] * v[c];
        double[][] eff = effectiveWeight(l);
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 4; c++) assertEquals(w[r * 4 + c] / sigma, eff[r][c], 1e-5, "W_eff[" + r + "][" + c + "]");   // float32
    }

    @Test void largestSingularValueConvergesToOne() {
        Linear l = SpectralNorm.spectralNorm(new Linear(8, 5));
        double[][] orig = new double[5][8];
        double[] w = l.namedParameters().get("weight_orig").toDoubleArray();
        for (int r = 0; r < 5; r++) for (int c = 0; c < 8; c++) orig[r][c] = w[r * 8 + c];
        assertTrue(Math.abs(sigmaMax(orig) - 1) > 0.05, "the test needs a weight whose σ is not already 1");
        for (int i = 0; i < 60; i++) l.forward(Tensor.randn(3, 8));
        assertEquals(1.0, sigmaMax(effectiveWeight(l)), 1e-3);   // float32 power iteration after 60 steps
    }

    @Test void gradientsFlowToWeightOrig() {
        Linear l = SpectralNorm.spectralNorm(new Linear(3, 2));
        l.forward(Tensor.randn(4, 3)).sum().backward();
        assertNotNull(l.namedParameters().get("weight_orig").grad());
        assertNotNull(l.bias.grad());

        // float64 gradcheck of W/σ(W) (σ = uᵀWv with u, v held constant) in eval mode, where u, v do not move.
        Linear m = new Linear(3, 2);
        try (var ng = Tensor.noGrad()) {
            for (Parameter p : m.parameters()) p.internalSetData(p.detach().to(DType.FLOAT64));
        }
        SpectralNorm.spectralNorm(m);
        m.forward(random64(rng, 1, 3));   // one training step so u, v are meaningful
        m.eval();
        Tensor x = random64(rng, 4, 3).requiresGrad(true);
        List<Tensor> inputs = new ArrayList<>(List.of(x));
        inputs.addAll(m.parameters());
        GradCheck.check(in -> m.forward(x), inputs.toArray(new Tensor[0]));   // atol 1e-5, rtol 1e-3
    }
}
