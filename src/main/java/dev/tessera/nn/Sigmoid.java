package dev.tessera.nn;

import dev.tessera.Tensor;

/** Elementwise sigmoid, as a layer. */
public class Sigmoid extends Module {
    @Override public Tensor forward(Tensor x) { return x.sigmoid(); }
}
