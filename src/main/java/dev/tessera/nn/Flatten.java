package dev.tessera.nn;

import dev.tessera.Tensor;

/** Flattens dims startDim..endDim (default 1..-1: everything but the batch). */
public class Flatten extends Module {
    public final int startDim, endDim;

    public Flatten() { this(1, -1); }

    public Flatten(int startDim, int endDim) { this.startDim = startDim; this.endDim = endDim; }

    @Override public Tensor forward(Tensor x) { return x.flatten(startDim, endDim); }

    @Override public String extraRepr() { return "start_dim=" + startDim + ", end_dim=" + endDim; }
}
