package dev.tessera.nn;

import dev.tessera.Tensor;

/**
 * A tensor that a {@link Module} registers as learnable: it requires grad by default and shares
 * storage with the tensor it wraps. {@code Module.to(device)} moves a Parameter's data in place,
 * so references held by optimizers stay valid.
 */
public class Parameter extends Tensor {
    public Parameter(Tensor data) { this(data, true); }

    public Parameter(Tensor data, boolean requiresGrad) {
        super(data.detach());
        requiresGrad(requiresGrad);
    }

    /** {@code Parameter containing:} then the tensor, as PyTorch prints it. */
    @Override public String toString() { return format("Parameter containing:\ntensor("); }
}
