package dev.tessera.nn;

import dev.tessera.Tensor;
import dev.tessera.nn.functional.F;

/**
 * y = x·Wᵀ + b. x [*, in], W [out, in], b [out], y [*, out]. Init as PyTorch: W kaiming-uniform
 * with a = √5 (U(±1/√in)), b U(±1/√in).
 */
public class Linear extends Module {
    public final long inFeatures, outFeatures;
    public final Parameter weight;
    /** Null when constructed with {@code bias = false}. */
    public final Parameter bias;

    public Linear(long inFeatures, long outFeatures) { this(inFeatures, outFeatures, true); }

    public Linear(long inFeatures, long outFeatures, boolean bias) {
        if (inFeatures < 0 || outFeatures < 0)
            throw new IllegalArgumentException("Linear: in_features and out_features must be non-negative, got " + inFeatures + " and " + outFeatures);
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        this.weight = registerParameter("weight", new Parameter(Tensor.empty(outFeatures, inFeatures)));
        this.bias = registerParameter("bias", bias ? new Parameter(Tensor.empty(outFeatures)) : null);
        Init.resetLinearLike(weight, this.bias);
    }

    @Override public Tensor forward(Tensor x) { return F.linear(x, param("weight"), bias); }

    @Override public String extraRepr() {
        return "in_features=" + inFeatures + ", out_features=" + outFeatures + ", bias=" + Repr.bool(bias != null);
    }
}
