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

    // PyTorch 1.13 raised the same error for these three (checked here: conv2d's weight and
    // batch_norm's weight changed under no_grad after forward, max_pool2d's input).
    @Test void convWeight() {
        Tensor x = Tensor.randn(2, 3, 5, 5).requiresGrad(true), w = Tensor.randn(4, 3, 3, 3).requiresGrad(true);
        Tensor y = F.conv2d(x, w, null);
        try (var ng = Tensor.noGrad()) { w.mul_(2.0); }
        assertThrowsWith(TesseraException.class, MODIFIED, () -> y.sum().backward());
    }

    @Test void batchNormWeight() {
        Tensor x = Tensor.randn(4, 3, 5, 5).requiresGrad(true), w = Tensor.ones(3).requiresGrad(true), b = Tensor.zeros(3).requiresGrad(true);
        Tensor y = F.batchNorm(x, null, null, w, b, true, 0.1, 1e-5);
        try (var ng = Tensor.noGrad()) { w.mul_(2.0); }
        assertThrowsWith(TesseraException.class, MODIFIED, () -> y.sum().backward());
    }

    @Test void maxPoolInput() {
        Tensor x = Tensor.randn(4, 3, 5, 5).requiresGrad(true);
        Tensor h = x.mul(1.0);
        Tensor y = F.maxPool2d(h, 2);
        try (var ng = Tensor.noGrad()) { h.mul_(2.0); }
        assertThrowsWith(TesseraException.class, MODIFIED, () -> y.sum().backward());
    }

    /** The rule is enforced, not a convention: a backward function that captures a tensor cannot be recorded. */
    @Test void aBackwardThatCapturesATensorIsRefused() {
        Tensor x = Tensor.randn(3).requiresGrad(true), c = Tensor.randn(3);
        Tensor out;
        try (var ng = Tensor.noGrad()) { out = x.mul(c); }
        Tensor result = out;
        var e = assertThrowsWith(IllegalStateException.class, "the backward function of ScaleBackward0 captures Tensor",
                () -> dev.tessera.autograd.Autograd.record(result, "ScaleBackward0", new Tensor[] {x}, (g, saved) -> new Tensor[] {g.mul(c)}));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("Saved.get"), e.getMessage());
        // the same op through the saved list records, and its gradient is c
        Tensor ok = dev.tessera.autograd.Autograd.record(result, "ScaleBackward0", new Tensor[] {x}, (g, saved) -> new Tensor[] {g.mul(saved.get(0))}, c);
        ok.sum().backward();
        org.junit.jupiter.api.Assertions.assertArrayEquals(c.toFloatArray(), x.grad().toFloatArray());
    }
}
