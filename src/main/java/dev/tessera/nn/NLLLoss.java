package dev.tessera.nn;

import dev.tessera.Tensor;
import dev.tessera.nn.functional.F;

/** Negative log-likelihood of log-probabilities [N, C] against INT64 class indices [N]. */
public class NLLLoss extends Loss {
    public final long ignoreIndex;

    public NLLLoss() { this(-100, Reduction.MEAN); }

    public NLLLoss(long ignoreIndex, Reduction reduction) { super(reduction); this.ignoreIndex = ignoreIndex; }

    @Override public Tensor forward(Tensor input, Tensor target) { return F.nllLoss(input, target, ignoreIndex, reduction); }
}
