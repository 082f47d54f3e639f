package dev.tessera.nn;

import dev.tessera.Tensor;

/** Elementwise tanh, as a layer. */
public class Tanh extends Module {
    @Override public Tensor forward(Tensor x) { return x.tanh(); }
}
