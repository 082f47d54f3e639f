package dev.tessera.nn;

import dev.tessera.Tensor;
import dev.tessera.nn.functional.F;

/** Mean squared error. */
public class MSELoss extends Loss {
    public MSELoss() { this(Reduction.MEAN); }

    public MSELoss(Reduction reduction) { super(reduction); }

    @Override public Tensor forward(Tensor input, Tensor target) { return F.mseLoss(input, target, reduction); }
}
