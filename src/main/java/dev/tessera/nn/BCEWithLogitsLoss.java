package dev.tessera.nn;

import dev.tessera.Tensor;
import dev.tessera.nn.functional.F;

/** Binary cross-entropy on logits (sigmoid folded in, numerically stable). */
public class BCEWithLogitsLoss extends Loss {
    public BCEWithLogitsLoss() { this(Reduction.MEAN); }

    public BCEWithLogitsLoss(Reduction reduction) { super(reduction); }

    @Override public Tensor forward(Tensor input, Tensor target) { return F.binaryCrossEntropyWithLogits(input, target, reduction); }
}
