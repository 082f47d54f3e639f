package dev.tessera.nn;

import dev.tessera.Tensor;
import dev.tessera.nn.functional.F;

/**
 * 1-D convolution over [N, C, L] (or [C, L]). Weight [out, in/groups, k], bias [out]. Constructor
 * arguments in PyTorch's order: in, out, kernel[, stride, padding, dilation, groups, bias].
 */
public class Conv1d extends Module {
    public final long inChannels, outChannels;
    public final int kernelSize, stride, padding, dilation, groups;
    public final Parameter weight;
    public final Parameter bias;

    public Conv1d(long in, long out, int kernel) { this(in, out, kernel, 1, 0, 1, 1, true); }
    public Conv1d(long in, long out, int kernel, int stride) { this(in, out, kernel, stride, 0, 1, 1, true); }
    public Conv1d(long in, long out, int kernel, int stride, int padding) { this(in, out, kernel, stride, padding, 1, 1, true); }
    public Conv1d(long in, long out, int kernel, int stride, int padding, int dilation) { this(in, out, kernel, stride, padding, dilation, 1, true); }
    public Conv1d(long in, long out, int kernel, int stride, int padding, int dilation, int groups) { this(in, out, kernel, stride, padding, dilation, groups, true); }

    public Conv1d(long in, long out, int kernel, int stride, int padding, int dilation, int groups, boolean bias) {
        ConvChecks.check(in, out, kernel, stride, padding, dilation, groups);
        this.inChannels = in; this.outChannels = out; this.kernelSize = kernel;
        this.stride = stride; this.padding = padding; this.dilation = dilation; this.groups = groups;
        this.weight = registerParameter("weight", new Parameter(Tensor.empty(out, in / groups, kernel)));
        this.bias = registerParameter("bias", bias ? new Parameter(Tensor.empty(out)) : null);
        Init.resetLinearLike(weight, this.bias);
    }

    @Override public Tensor forward(Tensor x) { return F.conv1d(x, param("weight"), bias, stride, padding, dilation, groups); }

    @Override public String extraRepr() {
        return ConvChecks.repr(inChannels, outChannels, 1, kernelSize, stride, padding, dilation, groups, bias != null);
    }
}
