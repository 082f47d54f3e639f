package dev.tessera.nn;

import dev.tessera.Tensor;
import dev.tessera.nn.functional.F;

/** Max over square windows; stride defaults to the kernel size (dilation 1, ceil_mode off). */
public class MaxPool2d extends Module {
    public final int kernelSize, stride, padding;

    public MaxPool2d(int kernelSize) { this(kernelSize, kernelSize, 0); }
    public MaxPool2d(int kernelSize, int stride) { this(kernelSize, stride, 0); }
    public MaxPool2d(int kernelSize, int stride, int padding) { this.kernelSize = kernelSize; this.stride = stride; this.padding = padding; }

    @Override public Tensor forward(Tensor x) { return F.maxPool2d(x, kernelSize, stride, padding); }

    @Override public String extraRepr() {
        return "kernel_size=" + kernelSize + ", stride=" + stride + ", padding=" + padding + ", dilation=1, ceil_mode=False";
    }
}
