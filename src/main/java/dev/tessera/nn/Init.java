package dev.tessera.nn;

import dev.tessera.Tensor;
import dev.tessera.TesseraException;

/**
 * Weight initialisation, as {@code torch.nn.init}: each function fills its tensor in place
 * (without recording a graph) from the global generator and returns it.
 */
public final class Init {
    private Init() {}

    public static Tensor uniform_(Tensor t, double a, double b) {
        try (var s = Tensor.noGrad()) {
            return t.copy_(Tensor.rand(t.shape().toArray(), t.dtype(), t.device()).mul(b - a).add(a));
        }
    }

    public static Tensor normal_(Tensor t, double mean, double std) {
        try (var s = Tensor.noGrad()) {
            return t.copy_(Tensor.randn(t.shape().toArray(), t.dtype(), t.device()).mul(std).add(mean));
        }
    }

    public static Tensor zeros_(Tensor t) { try (var s = Tensor.noGrad()) { return t.zero_(); } }
    public static Tensor ones_(Tensor t) { try (var s = Tensor.noGrad()) { return t.fill_(1); } }

    /** fan_in = size(1)·receptive field, fan_out = size(0)·receptive field, for tensors of ≥ 2 dims. */
    public static long[] fans(Tensor t) {
        if (t.dim() < 2)
            throw new TesseraException("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions");
        long receptive = t.numel() / (t.size(0) * t.size(1));
        return new long[] {t.size(1) * receptive, t.size(0) * receptive};
    }

    /** PyTorch's calculate_gain for "linear", "relu", "leaky_relu" (with slope a), "tanh", "sigmoid". */
    public static double gain(String nonlinearity, double a) {
        return switch (nonlinearity) {
            case "linear", "conv1d", "conv2d", "sigmoid" -> 1.0;
            case "tanh" -> 5.0 / 3;
            case "relu" -> Math.sqrt(2.0);
            case "leaky_relu" -> Math.sqrt(2.0 / (1 + a * a));
            default -> throw new IllegalArgumentException("Unsupported nonlinearity " + nonlinearity);
        };
    }

    /** U(−b, b) with b = gain·√(3 / fan_in); PyTorch's default for Linear/Conv weights uses a = √5. */
    public static Tensor kaimingUniform_(Tensor t, double a, String nonlinearity) {
        double bound = gain(nonlinearity, a) * Math.sqrt(3.0 / fans(t)[0]);
        return uniform_(t, -bound, bound);
    }

    /** kaimingUniform_(t, 0, "leaky_relu"), PyTorch's defaults. */
    public static Tensor kaimingUniform_(Tensor t) { return kaimingUniform_(t, 0, "leaky_relu"); }

    /** N(0, std²) with std = gain / √fan_in. */
    public static Tensor kaimingNormal_(Tensor t, double a, String nonlinearity) {
        return normal_(t, 0, gain(nonlinearity, a) / Math.sqrt(fans(t)[0]));
    }

    public static Tensor kaimingNormal_(Tensor t) { return kaimingNormal_(t, 0, "leaky_relu"); }

    /** U(−b, b) with b = gain·√(6 / (fan_in + fan_out)). */
    public static Tensor xavierUniform_(Tensor t, double gain) {
        long[] f = fans(t);
        double bound = gain * Math.sqrt(6.0 / (f[0] + f[1]));
        return uniform_(t, -bound, bound);
    }

    public static Tensor xavierUniform_(Tensor t) { return xavierUniform_(t, 1.0); }

    /** The default init of Linear and Conv layers: kaiming-uniform weights with a = √5, biases U(±1/√fan_in). */
    static void resetLinearLike(Tensor weight, Tensor bias) {
        kaimingUniform_(weight, Math.sqrt(5), "leaky_relu");
        if (bias != null) {
            long fanIn = fans(weight)[0];
            double bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
            uniform_(bias, -bound, bound);
        }
    }
}
