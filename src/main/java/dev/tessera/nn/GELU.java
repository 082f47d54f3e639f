package dev.tessera.nn;

import dev.tessera.Tensor;

/** Exact GELU: x·Φ(x) = 0.5·x·(1 + erf(x/√2)) (PyTorch's approximate='none'). */
public class GELU extends Module {
    @Override public Tensor forward(Tensor x) { return x.gelu(); }

    @Override public String extraRepr() { return "approximate='none'"; }
}
