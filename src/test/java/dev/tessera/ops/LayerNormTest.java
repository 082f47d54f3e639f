package dev.tessera.ops;

import static dev.tessera.TestUtil.assertClose;
import static dev.tessera.TestUtil.random64;

import dev.tessera.Tensor;
import dev.tessera.autograd.GradCheck;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The fused layer norm (kernel forward, statistics-based backward) against its Tensor-op composite. */
class LayerNormTest {
    private final Random rng = new Random(11);

    @Test void fusedMatchesCompositeInBothDtypes() {
        Tensor x = random64(rng, 3, 4, 10), w = random64(rng, 4, 10), b = random64(rng, 4, 10);
        long[] shape = {4, 10};
        assertClose(Normalization.layerNorm(x, shape, w, b, 1e-5), Normalization.layerNormComposite(x, shape, w, b, 1e-5), 1e-12, 1e-12);   // float64
        Tensor xf = x.to(dev.tessera.DType.FLOAT32), wf = w.to(dev.tessera.DType.FLOAT32);
        assertClose(Normalization.layerNorm(xf, new long[] {10}, wf.select(0, 1), null, 1e-5),
                Normalization.layerNormComposite(xf, new long[] {10}, wf.select(0, 1), null, 1e-5), 1e-5, 1e-5);   // float32 rounding
        assertClose(Normalization.layerNorm(xf.transpose(0, 2), new long[] {3}, null, null, 1e-5),
                Normalization.layerNormComposite(xf.transpose(0, 2), new long[] {3}, null, null, 1e-5), 1e-5, 1e-5);   // non-contiguous input
    }

    @Test void gradientsOfInputWeightAndBias() {
        Tensor x = random64(rng, 2, 3, 5).requiresGrad(true), w = random64(rng, 5).requiresGrad(true), b = random64(rng, 5).requiresGrad(true);
        GradCheck.check(in -> Normalization.layerNorm(in[0], new long[] {5}, in[1], in[2], 1e-5), x, w, b);
        Tensor x2 = random64(rng, 4, 2, 3).requiresGrad(true);
        GradCheck.check(in -> Normalization.layerNorm(in[0], new long[] {2, 3}, null, null, 1e-5), x2);
    }
}
