package dev.tessera.nn;

import dev.tessera.Tensor;

/** Softmax along {@code dim}. */
public class Softmax extends Module {
    public final int dim;

    public Softmax(int dim) { this.dim = dim; }

    @Override public Tensor forward(Tensor x) { return x.softmax(dim); }

    @Override public String extraRepr() { return "dim=" + dim; }
}
