package dev.tessera.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tessera.Tensor;
import java.util.Random;
import java.util.function.DoubleUnaryOperator;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The float32 elementwise rows have a Vector API path and a scalar one; both are checked here
 * against float64 formulas written in the test, on rows whose lengths leave vector tails.
 */
class VectorRowsTest {
    private final Random rng = new Random(5);

    @AfterEach void restore() { CpuBackend.useVectorRows(true); }

    private float[] values(int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (rng.nextGaussian() * scale);
        return v;
    }

    /** fn on both paths vs ref per element; tolerance 2e-6 relative + 1e-7 absolute (a few float32 ulps). */
    private void check(String name, float[] x, UnaryOperator<Tensor> fn, DoubleUnaryOperator ref) {
        for (boolean vector : new boolean[] {true, false}) {
            CpuBackend.useVectorRows(vector);
            float[] got = fn.apply(Tensor.of(x, 3, x.length / 3)).toFloatArray();
            for (int i = 0; i < x.length; i++) {
                double e = ref.applyAsDouble(x[i]);
                if (!(Math.abs(got[i] - e) <= 2e-6 * Math.abs(e) + 1e-7))
                    fail(name + (vector ? " (vector)" : " (scalar)") + " at " + i + ": x=" + x[i] + " got " + got[i] + " expected " + e);
            }
        }
    }

    @Test void unaryFunctionsOnBothPaths() {
        float[] x = values(3 * 37, 3);
        check("exp", x, Tensor::exp, Math::exp);
        check("tanh", x, Tensor::tanh, Math::tanh);
        check("sigmoid", x, Tensor::sigmoid, v -> 1 / (1 + Math.exp(-v)));
        check("relu", x, Tensor::relu, v -> Math.max(v, 0));
        check("neg", x, Tensor::neg, v -> -v);
        check("abs", x, Tensor::abs, Math::abs);
        float[] pos = x.clone();
        for (int i = 0; i < pos.length; i++) pos[i] = Math.abs(pos[i]) + 0.01f;
        check("log", pos, Tensor::log, Math::log);
        check("sqrt", pos, Tensor::sqrt, Math::sqrt);
        check("rsqrt", pos, Tensor::rsqrt, v -> 1 / Math.sqrt(v));
    }

    @Test void softmaxAndReluBackwardOnBothPaths() {
        float[] x = values(3 * 45, 4);
        for (boolean vector : new boolean[] {true, false}) {
            CpuBackend.useVectorRows(vector);
            float[] sm = Tensor.of(x, 3, 45).softmax(1).toFloatArray(), lsm = Tensor.of(x, 3, 45).logSoftmax(1).toFloatArray();
            for (int r = 0; r < 3; r++) {
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int j = 0; j < 45; j++) max = Math.max(max, x[r * 45 + j]);
                for (int j = 0; j < 45; j++) sum += Math.exp(x[r * 45 + j] - max);
                for (int j = 0; j < 45; j++) {
                    double e = Math.exp(x[r * 45 + j] - max) / sum, le = x[r * 45 + j] - max - Math.log(sum);
                    assertTrue(Math.abs(sm[r * 45 + j] - e) <= 2e-6 * e + 1e-8, "softmax " + vector + " " + sm[r * 45 + j] + " vs " + e);
                    assertTrue(Math.abs(lsm[r * 45 + j] - le) <= 2e-6 * Math.abs(le) + 2e-6, "log_softmax " + vector + " " + lsm[r * 45 + j] + " vs " + le);
                }
            }
            Tensor in = Tensor.of(x, 3, 45).requiresGrad(true);
            Tensor upstream = Tensor.of(values(3 * 45, 1), 3, 45);
            in.relu().backward(upstream);
            float[] g = in.grad().toFloatArray(), u = upstream.toFloatArray();
            for (int i = 0; i < x.length; i++)
                assertTrue(g[i] == (x[i] > 0 ? u[i] : 0f), "relu backward " + vector + " at " + i);   // exact: a selection
        }
    }
}
