package dev.tessera;

import static dev.tessera.TestUtil.assertThrowsWith;

import dev.tessera.nn.functional.F;
import org.junit.jupiter.api.Test;

/**
 * Backward reads only what was saved and version-checked: changing a tensor in place between
 * forward and backward fails loudly instead of giving a silently wrong gradient. PyTorch 1.13 raised
 * "one of the variables needed for gradient computation has been modified by an inplace operation"
 * for each of these (torch.where's condition, masked_fill's mask, embedding's indices, the class
 * targets of cross_entropy, layer_norm's weight).
 */
class SavedTensorsTest {
    private static final String MODIFIED = "one of the variables needed for gradient computation has been modified by an inplace operation";

    @Test void whereCondition() {
        Tensor a = Tensor.randn(3).requiresGrad(true), c = Tensor.of(new double[] {1, -1, 1}, 3).gt(0.0);
        Tensor y = Tensor.where(c, a, a.mul(2.0));
        c.fill_(0);
        assertThrowsWith(TesseraException.class, MODIFIED, () -> y.sum().backward());
    }

    @Test void maskedFillMask() {
        Tensor a = Tensor.randn(3).requiresGrad(true), m = Tensor.of(new double[] {1, -1, 1}, 3).gt(0.0);
        Tensor y = a.maskedFill(m, 0);
        m.fill_(0);
        assertThrowsWith(TesseraException.class, MODIFIED, () -> y.sum().backward());
    }

    @Test void embeddingIndices() {
        Tensor w = Tensor.randn(5, 2).requiresGrad(true), i = Tensor.of(new long[] {1, 2}, 2);
        Tensor y = F.embedding(i, w);
        i.add_(1.0);
        assertThrowsWith(TesseraException.class, MODIFIED, () -> y.sum().backward());
    }

    @Test void crossEntropyTargets() {
        Tensor x = Tensor.randn(2, 3).requiresGrad(true), t = Tensor.of(new long[] {0, 1}, 2);
        Tensor loss = F.crossEntropy(x, t);
        t.add_(1.0);
        assertThrowsWith(TesseraException.class, MODIFIED, loss::backward);
    }

    @Test void layerNormWeight() {
        Tensor x = Tensor.randn(2, 4).requiresGrad(true), w = Tensor.ones(4).requiresGrad(true);
        Tensor y = F.layerNorm(x, new long[] {4}, w, null, 1e-5);
        try (var ng = Tensor.noGrad()) { w.mul_(2.0); }
        assertThrowsWith(TesseraException.class, MODIFIED, () -> y.sum().backward());
    }
}
