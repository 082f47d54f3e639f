package dev.tessera.ops;

import dev.tessera.Tensor;
import dev.tessera.TesseraException;
import dev.tessera.autograd.Autograd;
import dev.tessera.backend.ConvGeometry;
import java.util.Arrays;

/**
 * Convolution and pooling. Convolution is one autograd node over the backend's convolution
 * primitives (cuDNN on CUDA; im2col + GEMM on the CPU and as the CUDA fallback); average pooling is the mean over the window axis of the differentiable
 * {@link #unfold}; max pooling has its own kernel that saves the winners' indices.
 */
public final class Conv {
    private Conv() {}

    /**
     * x [N, C, H, W] → columns [N, C·kh·kw, outH·outW] (PyTorch's {@code F.unfold}); positions
     * outside the image read {@code g.padValue()}, and their gradient is dropped.
     */
    public static Tensor unfold(Tensor x, ConvGeometry g) {
        long l = g.outH() * g.outW();
        Tensor cols = Creation.empty(new long[] {g.n(), g.c() * g.kh() * g.kw(), l}, x.dtype(), x.device());
        x.backend().im2col(x.raw(), g, cols.raw());
        long[] shape = x.shape().toArray();
        return Autograd.record(cols, "Im2ColBackward0", new Tensor[] {x}, (grad, saved) -> {
            Tensor dx = Creation.empty(shape, grad.dtype(), grad.device());
            Tensor gc = grad.contiguous();
            grad.backend().col2im(gc.raw(), g, dx.raw());
            return new Tensor[] {dx};
        });
    }

    /**
     * 2-D convolution (cross-correlation, as PyTorch). x [N, C, H, W] (or unbatched [C, H, W]),
     * weight [OC, C/groups, kh, kw], bias [OC] or null → [N, OC, outH, outW] with
     * outH = ⌊(H + 2·padH − dilH·(kh−1) − 1) / strideH⌋ + 1.
     */
    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int[] stride, int[] padding, int[] dilation, int groups) {
        if (x.dim() == 3) return conv2d(x.unsqueeze(0), weight, bias, stride, padding, dilation, groups).squeeze(0);
        if (x.dim() != 4)
            throw new TesseraException("Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: " + shapeList(x));
        if (weight.dim() != 4) throw new TesseraException("conv2d: weight should be 4-D [out_channels, in_channels/groups, kH, kW], got " + shapeList(weight));
        checkPositive("conv2d", "stride", stride);
        checkPositive("conv2d", "dilation", dilation);
        if (padding[0] < 0 || padding[1] < 0) throw new TesseraException("conv2d: negative padding is not supported, got " + Arrays.toString(padding));
        if (groups < 1) throw new TesseraException("conv2d: non-positive groups is not supported, got " + groups);
        long n = x.size(0), c = x.size(1), oc = weight.size(0), kh = weight.size(2), kw = weight.size(3);
        if (weight.size(1) * groups != c)
            throw new TesseraException("Given groups=" + groups + ", weight of size " + shapeList(weight) + ", expected input" + shapeList(x)
                    + " to have " + weight.size(1) * groups + " channels, but got " + c + " channels instead");
        if (oc % groups != 0) throw new TesseraException("conv2d: out_channels (" + oc + ") must be divisible by groups (" + groups + ")");
        if (bias != null && (bias.dim() != 1 || bias.size(0) != oc))
            throw new TesseraException("Given weight of size " + shapeList(weight) + ", expected bias to be 1-dimensional with " + oc + " elements, but got bias of size " + shapeList(bias) + " instead");
        Elementwise.checkSameDevice(x, weight);
        if (bias != null) Elementwise.checkSameDevice(x, bias);
        if (x.dtype() != weight.dtype())
            throw new TesseraException("Input type (" + x.dtype().torchName() + ") and weight type (" + weight.dtype().torchName() + ") should be the same");
        if (!x.dtype().isFloatingPoint()) throw new TesseraException("conv2d: not implemented for " + x.dtype().torchName() + " (float32 and float64 only)");
        if (bias != null && bias.dtype() != x.dtype())
            throw new TesseraException("Input type (" + x.dtype().torchName() + ") and bias type (" + bias.dtype().torchName() + ") should be the same");
        ConvGeometry g = new ConvGeometry(n, c, x.size(2), x.size(3), (int) kh, (int) kw, stride[0], stride[1], padding[0], padding[1], dilation[0], dilation[1], 0);
        checkOutputSize("conv2d", x, g);
        return convolution(x, weight, bias, g, groups);
    }

    /**
     * One node over the backend's convolution primitives (cuDNN on CUDA): forward conv2d, backward
     * conv2dBackwardData and conv2dBackwardWeight (bias gradient included). The backward is not itself
     * differentiable (no double backward), as everywhere in Tessera's autograd.
     */
    private static Tensor convolution(Tensor x, Tensor weight, Tensor bias, ConvGeometry g, int groups) {
        long oc = weight.size(0);
        Tensor w = weight.contiguous();
        Tensor out = Creation.empty(new long[] {g.n(), oc, g.outH(), g.outW()}, x.dtype(), x.device());
        if (out.numel() > 0) x.backend().conv2d(x.raw(), w.raw(), bias == null ? null : bias.raw(), g, groups, out.raw());
        long[] xShape = x.shape().toArray(), wShape = weight.shape().toArray();
        return Autograd.record(out, "ConvolutionBackward0", new Tensor[] {x, weight, bias}, (grad, saved) -> {
            Tensor xs = saved.get(0), ws = saved.get(1);   // ws: the contiguous weight the forward read
            Tensor gc = grad.contiguous();
            var be = grad.backend();
            boolean empty = gc.numel() == 0;
            Tensor dx = null, dw = null, db = null;
            if (saved.needsInputGrad(0)) {
                dx = Creation.empty(xShape, grad.dtype(), grad.device());
                if (empty) be.fill(dx.raw(), 0); else be.conv2dBackwardData(gc.raw(), ws.raw(), g, groups, dx.raw());
            }
            boolean wantW = saved.needsInputGrad(1), wantB = saved.needsInputGrad(2);
            if (wantW) dw = Creation.empty(wShape, grad.dtype(), grad.device());
            if (wantB) db = Creation.empty(new long[] {oc}, grad.dtype(), grad.device());
            if (empty) {
                if (dw != null) be.fill(dw.raw(), 0);
                if (db != null) be.fill(db.raw(), 0);
            } else if (wantW || wantB) {
                be.conv2dBackwardWeight(gc.raw(), xs.raw(), g, groups, dw == null ? null : dw.raw(), db == null ? null : db.raw());
            }
            return new Tensor[] {dx, dw, db};
        }, x, w);
    }

    /** 1-D convolution: x [N, C, L] (or [C, L]), weight [OC, C/groups, k]; conv2d over a height of 1. */
    public static Tensor conv1d(Tensor x, Tensor weight, Tensor bias, int stride, int padding, int dilation, int groups) {
        if (x.dim() == 2) return conv1d(x.unsqueeze(0), weight, bias, stride, padding, dilation, groups).squeeze(0);
        if (x.dim() != 3)
            throw new TesseraException("Expected 2D (unbatched) or 3D (batched) input to conv1d, but got input of size: " + shapeList(x));
        if (weight.dim() != 3) throw new TesseraException("conv1d: weight should be 3-D [out_channels, in_channels/groups, k], got " + shapeList(weight));
        Tensor out = conv2d(x.unsqueeze(2), weight.unsqueeze(2), bias, new int[] {1, stride}, new int[] {0, padding}, new int[] {1, dilation}, groups);
        return Autograd.relabel(out.squeeze(2), "ConvolutionBackward0");
    }

    /** Max over each kh×kw window (padding never wins); stride defaults to the kernel size. Its own kernel, with saved indices for backward. */
    public static Tensor maxPool2d(Tensor x, int[] kernel, int[] stride, int[] padding) {
        return pool(x, kernel, stride, padding, true);
    }

    /** Mean over each window, padding counted as zeros (PyTorch's count_include_pad=True). */
    public static Tensor avgPool2d(Tensor x, int[] kernel, int[] stride, int[] padding) {
        return pool(x, kernel, stride, padding, false);
    }

    private static Tensor pool(Tensor x, int[] kernel, int[] strideIn, int[] padding, boolean max) {
        String op = max ? "max_pool2d" : "avg_pool2d";
        String name = max ? "MaxPool2DWithIndicesBackward0" : "AvgPool2DBackward0";
        // PyTorch's pooling kernels take [C, H, W] as they are, so the unbatched result carries the pooling name too.
        if (x.dim() == 3) return Autograd.relabel(pool(x.unsqueeze(0), kernel, strideIn, padding, max).squeeze(0), name);
        if (x.dim() != 4) throw new TesseraException(op + ": Expected 3D or 4D (batch mode) tensor for input, got " + shapeList(x));
        int[] stride = strideIn == null ? kernel : strideIn;
        checkPositive(op, "kernel_size", kernel);
        checkPositive(op, "stride", stride);
        for (int i = 0; i < 2; i++)
            if (padding[i] < 0 || padding[i] > kernel[i] / 2)
                throw new TesseraException(op + ": pad should be at most half of effective kernel size, but got pad=" + padding[i] + ", kernel_size=" + kernel[i] + " and dilation=1");
        long n = x.size(0), c = x.size(1);
        ConvGeometry g = new ConvGeometry(n, c, x.size(2), x.size(3), kernel[0], kernel[1], stride[0], stride[1], padding[0], padding[1], 1, 1,
                max ? Double.NEGATIVE_INFINITY : 0);
        checkOutputSize(op, x, g);
        if (max) {
            long[] outShape = {n, c, g.outH(), g.outW()}, inShape = x.shape().toArray();
            Tensor out = Creation.empty(outShape, x.dtype(), x.device());
            Tensor indices = Creation.empty(outShape, dev.tessera.DType.INT64, x.device());
            x.backend().maxPool2d(x.raw(), g, out.raw(), indices.raw());
            return Autograd.record(out, name, new Tensor[] {x}, (grad, saved) -> {
                Tensor dx = Creation.empty(inShape, grad.dtype(), grad.device());
                grad.backend().maxPool2dBackward(grad.contiguous().raw(), saved.get(0).raw(), g, dx.raw());
                return new Tensor[] {dx};
            }, Autograd.temporary(indices), x);   // x only for the version check: PyTorch saves it, and errors if it changed
        }
        Tensor windows = unfold(x, g).view(n, c, (long) kernel[0] * kernel[1], g.outH() * g.outW());
        return Autograd.relabel(windows.mean(2).view(n, c, g.outH(), g.outW()), name);
    }

    private static void checkOutputSize(String op, Tensor x, ConvGeometry g) {
        // Compare sizes rather than test outH() < 1: with stride > 1 a negative numerator truncates to 0, giving outH = 1.
        long paddedH = g.h() + 2L * g.ph(), paddedW = g.w() + 2L * g.pw();
        long kernelH = (long) g.dh() * (g.kh() - 1) + 1, kernelW = (long) g.dw() * (g.kw() - 1) + 1;
        if (paddedH < kernelH || paddedW < kernelW)
            throw new TesseraException(op + ": Calculated padded input size per channel: (" + paddedH + " x " + paddedW
                    + "). Kernel size: (" + kernelH + " x " + kernelW + "). Kernel size can't be greater than actual input size");
    }

    private static void checkPositive(String op, String what, int[] v) {
        for (int i : v) if (i < 1) throw new TesseraException(op + ": non-positive " + what + " is not supported, got " + Arrays.toString(v));
    }

    static String shapeList(Tensor t) { return Arrays.toString(t.shape().toArray()); }
}
