package dev.tessera.ops;

import dev.tessera.Tensor;
import dev.tessera.TesseraException;
import dev.tessera.autograd.Autograd;

/** Normalisation written as a composite of Tensor ops (STYLE E6): its backward comes for free. */
public final class Normalization {
    private Normalization() {}

    /**
     * y = (x − E[x]) / √(Var[x] + eps) · weight + bias over the last {@code normalizedShape.length}
     * dims (biased variance, as PyTorch); weight and bias may be null.
     */
    public static Tensor layerNorm(Tensor x, long[] normalizedShape, Tensor weight, Tensor bias, double eps) {
        int k = normalizedShape.length;
        if (k == 0 || k > x.dim())
            throw new TesseraException("layer_norm: normalized_shape " + java.util.Arrays.toString(normalizedShape) + " does not fit input of size " + x.shape());
        for (int i = 0; i < k; i++)
            if (x.size(x.dim() - k + i) != normalizedShape[i])
                throw new TesseraException("Given normalized_shape=" + java.util.Arrays.toString(normalizedShape) + ", expected input with shape [*, "
                        + java.util.Arrays.toString(normalizedShape).substring(1) + ", but got input of size" + x.shape().toString().substring(4));
        int[] dims = new int[k];
        for (int i = 0; i < k; i++) dims[i] = x.dim() - k + i;
        Tensor mean = x.mean(dims, true);
        Tensor centered = x.sub(mean);
        Tensor y = centered.mul(centered.mul(centered).mean(dims, true).add(eps).rsqrt());
        if (weight != null) y = y.mul(weight);
        if (bias != null) y = y.add(bias);
        return Autograd.relabel(y, "NativeLayerNormBackward0");
    }
}
