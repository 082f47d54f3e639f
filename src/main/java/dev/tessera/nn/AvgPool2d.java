package dev.tessera.nn;

import dev.tessera.Tensor;
import dev.tessera.nn.functional.F;

/** Mean over square windows (padding counted as zeros); stride defaults to the kernel size. */
public class AvgPool2d extends Module {
    public final int kernelSize, stride, padding;

    public AvgPool2d(int kernelSize) { this(kernelSize, kernelSize, 0); }
    public AvgPool2d(int kernelSize, int stride) { this(kernelSize, stride, 0); }
    public AvgPool2d(int kernelSize, int stride, int padding) { this.kernelSize = kernelSize; this.stride = stride; this.padding = padding; }

    @Override public Tensor forward(Tensor x) { return F.avgPool2d(x, kernelSize, stride, padding); }

    @Override public String extraRepr() { return "kernel_size=" + kernelSize + ", stride=" + stride + ", padding=" + padding; }
}
