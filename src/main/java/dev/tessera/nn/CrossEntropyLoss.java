package dev.tessera.nn;

import dev.tessera.Tensor;
import dev.tessera.nn.functional.F;

/** Softmax cross-entropy of logits [N, C] against INT64 class indices [N]; see {@link F#crossEntropy}. */
public class CrossEntropyLoss extends Loss {
    public final long ignoreIndex;
    public final double labelSmoothing;

    public CrossEntropyLoss() { this(-100, 0, Reduction.MEAN); }

    public CrossEntropyLoss(long ignoreIndex, double labelSmoothing, Reduction reduction) {
        super(reduction);
        if (labelSmoothing < 0 || labelSmoothing > 1)
            throw new IllegalArgumentException("label_smoothing must be between 0.0 and 1.0. Got: " + labelSmoothing);
        this.ignoreIndex = ignoreIndex;
        this.labelSmoothing = labelSmoothing;
    }

    @Override public Tensor forward(Tensor input, Tensor target) { return F.crossEntropy(input, target, ignoreIndex, labelSmoothing, reduction); }
}
