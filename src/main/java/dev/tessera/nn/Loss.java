package dev.tessera.nn;

import dev.tessera.Tensor;

/** A loss module: {@code forward(input, target)}, reduced by mean unless told otherwise. Prints as PyTorch's _Loss: "MSELoss()", whatever the reduction. */
public abstract class Loss extends Module {
    public final Reduction reduction;

    protected Loss(Reduction reduction) { this.reduction = reduction; }

    public abstract Tensor forward(Tensor input, Tensor target);
}
