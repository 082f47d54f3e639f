package dev.tessera.backend.cpu;

import static dev.tessera.TestUtil.assertClose;
import static dev.tessera.TestUtil.random64;

import dev.tessera.DType;
import dev.tessera.Tensor;
import dev.tessera.nn.functional.F;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The float32 batch-norm loops (read in place; Vector API rows or four-chain sums; centred affine writes) against
 * the float64 ones (which GradCheck covers in LayersTest), on rows whose length leaves a tail of
 * the four chains, and on values far from zero (a mean of 1000 must not cancel float precision).
 */
class BatchNormFloat32Test {
    @AfterEach void restore() { CpuBackend.useVectorRows(true); }

    /** Both float32 paths: the Vector API rows (float lanes per row, shifted sums) and the scalar four-chain loops. */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void trainingForwardAndBackwardMatchFloat64(boolean vectorRows) {
        CpuBackend.useVectorRows(vectorRows);
        Random rng = new Random(11);
        for (double offset : new double[] {0, 1000})
            // rows of 35, 36, 1 and 784 (the bench's 28×28: many full vector lanes per row)
            for (long[] shape : new long[][] {{4, 3, 5, 7}, {2, 5, 6, 6}, {3, 2, 1, 1}, {8, 2, 28, 28}}) {
                // three values per channel at 1000: the saved float32 mean's rounding is a large part of their spread
                if (offset != 0 && shape[2] == 1) continue;
                // float64 inputs equal to the float32 ones, so only the loops' rounding differs
                Tensor x64 = random64(rng, shape).add(offset).to(DType.FLOAT32).to(DType.FLOAT64);
                Tensor w64 = random64(rng, shape[1]).to(DType.FLOAT32).to(DType.FLOAT64), b64 = random64(rng, shape[1]).to(DType.FLOAT32).to(DType.FLOAT64);
                Tensor r64 = random64(rng, shape).to(DType.FLOAT32).to(DType.FLOAT64);
                Tensor[] g32 = run(x64.to(DType.FLOAT32), w64.to(DType.FLOAT32), b64.to(DType.FLOAT32), r64.to(DType.FLOAT32));
                Tensor[] g64 = run(x64, w64, b64, r64);
                long[] c = {shape[1]};
                // out: float32 rounding of values ~1, also at offset 1000 (x is centred before scaling);
                // gradients at 1000: the saved mean is float32 (as in PyTorch), off by up to 3e-5
                double tol = 1e-5, gradTol = offset == 0 ? 1e-5 : 5e-4;
                assertClose(g32[0], g64[0].toDoubleArray(), shape, tol, tol);
                assertClose(g32[1], g64[1].toDoubleArray(), shape, gradTol, gradTol);
                assertClose(g32[2], g64[2].toDoubleArray(), c, gradTol, gradTol);
                assertClose(g32[3], g64[3].toDoubleArray(), c, tol, tol);
            }
    }

    /** out, dx, dweight, dbias of training-mode batch norm for upstream gradient r. */
    private static Tensor[] run(Tensor x0, Tensor w0, Tensor b0, Tensor r) {
        Tensor x = x0.requiresGrad(true), w = w0.requiresGrad(true), b = b0.requiresGrad(true);
        Tensor out = F.batchNorm(x, null, null, w, b, true, 0.1, 1e-5);
        out.backward(r);
        return new Tensor[] {out, x.grad(), w.grad(), b.grad()};
    }
}
