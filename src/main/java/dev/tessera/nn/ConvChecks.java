package dev.tessera.nn;

/** Constructor checks and the repr shared by Conv1d and Conv2d (PyTorch's _ConvNd). */
final class ConvChecks {
    private ConvChecks() {}

    static void check(long in, long out, int kernel, int stride, int padding, int dilation, int groups) {
        if (groups <= 0) throw new IllegalArgumentException("groups must be a positive integer, got " + groups);
        if (in % groups != 0) throw new IllegalArgumentException("in_channels (" + in + ") must be divisible by groups (" + groups + ")");
        if (out % groups != 0) throw new IllegalArgumentException("out_channels (" + out + ") must be divisible by groups (" + groups + ")");
        if (kernel < 1 || stride < 1 || dilation < 1 || padding < 0)
            throw new IllegalArgumentException("convolution: kernel_size, stride and dilation must be positive and padding non-negative, got kernel_size="
                    + kernel + ", stride=" + stride + ", padding=" + padding + ", dilation=" + dilation);
    }

    static String repr(long in, long out, int dims, int kernel, int stride, int padding, int dilation, int groups, boolean bias) {
        StringBuilder sb = new StringBuilder().append(in).append(", ").append(out)
                .append(", kernel_size=").append(tuple(dims, kernel)).append(", stride=").append(tuple(dims, stride));
        if (padding != 0) sb.append(", padding=").append(tuple(dims, padding));
        if (dilation != 1) sb.append(", dilation=").append(tuple(dims, dilation));
        if (groups != 1) sb.append(", groups=").append(groups);
        if (!bias) sb.append(", bias=False");
        return sb.toString();
    }

    private static String tuple(int dims, long v) { return dims == 1 ? Repr.tuple(v) : Repr.tuple(v, v); }
}
