package dev.tessera.nn;

/** How a loss combines its per-element values, as PyTorch's {@code reduction=} argument. */
public enum Reduction {
    MEAN, SUM, NONE;

    /** PyTorch's spelling, for reprs and messages. */
    public String pyName() { return name().toLowerCase(java.util.Locale.ROOT); }
}
