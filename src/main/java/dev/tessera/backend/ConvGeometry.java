package dev.tessera.backend;

/**
 * The geometry of a sliding window over [N, C, H, W] (im2col/col2im): kernel, stride, padding,
 * dilation, and the output size it implies. {@code padValue} is what the window sees outside the
 * image (0 for convolution and average pooling, -inf for max pooling).
 */
public record ConvGeometry(long n, long c, long h, long w, int kh, int kw, int sh, int sw, int ph, int pw,
                           int dh, int dw, double padValue) {
    public long outH() { return Math.floorDiv(h + 2L * ph - (long) dh * (kh - 1) - 1, sh) + 1; }
    public long outW() { return Math.floorDiv(w + 2L * pw - (long) dw * (kw - 1) - 1, sw) + 1; }
}
