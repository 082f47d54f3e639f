package dev.tessera.nn;

import dev.tessera.Tensor;

/** Elementwise relu, as a layer. */
public class ReLU extends Module {
    @Override public Tensor forward(Tensor x) { return x.relu(); }
}
