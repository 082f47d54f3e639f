package dev.tessera.nn;

import dev.tessera.Tensor;
import dev.tessera.nn.functional.F;

/** In training, zeroes each element with probability p and scales survivors by 1/(1−p); identity in eval. */
public class Dropout extends Module {
    public final double p;

    public Dropout() { this(0.5); }

    public Dropout(double p) {
        if (!(p >= 0 && p <= 1)) throw new IllegalArgumentException("dropout probability has to be between 0 and 1, but got " + p);
        this.p = p;
    }

    @Override public Tensor forward(Tensor x) { return F.dropout(x, p, isTraining()); }

    @Override public String extraRepr() { return "p=" + Repr.pyFloat(p) + ", inplace=False"; }
}
