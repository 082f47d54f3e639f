package dev.tessera.ops;

import dev.tessera.Tensor;
import dev.tessera.TesseraException;
import dev.tessera.autograd.Autograd;

/**
 * Layer normalisation: one fused kernel forward (the backend's layerNorm, which also saves the row
 * statistics), backward from those statistics as Tensor ops. {@link #layerNormComposite} is the
 * same function written with Tensor ops only (STYLE E6), kept as the tests' oracle.
 */
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
        long count = 1;
        for (long d : normalizedShape) count *= d;
        long n = count, rows = x.numel() / Math.max(n, 1);
        if (!x.dtype().isFloatingPoint() || n == 0) return layerNormComposite(x, normalizedShape, weight, bias, eps);
        Tensor x2 = x.contiguous().view(rows, n);
        Tensor w = weight == null ? null : weight.contiguous().view(n), b = bias == null ? null : bias.contiguous().view(n);
        Tensor out = Creation.empty(new long[] {rows, n}, x.dtype(), x.device());
        Tensor mean = Creation.empty(new long[] {rows, 1}, x.dtype(), x.device()), rstd = Creation.empty(new long[] {rows, 1}, x.dtype(), x.device());
        x.backend().layerNorm(x2.raw(), w == null ? null : w.raw(), b == null ? null : b.raw(), eps, out.raw(), mean.raw(), rstd.raw());
        long[] shape = x.shape().toArray();
        Tensor result = out.view(shape);
        return Autograd.record(result, "NativeLayerNormBackward0", new Tensor[] {x, weight, bias}, g -> {
            Tensor g2 = g.contiguous().view(rows, n);
            Tensor xhat = x2.sub(mean).mul(rstd);
            Tensor gw = w == null ? g2 : g2.mul(w);
            // dx = rstd·(gŵ − mean(gŵ) − x̂·mean(gŵ·x̂)), the derivative of normalising by the row's own statistics
            Tensor dx = gw.sub(gw.mean(1, true)).sub(xhat.mul(gw.mul(xhat).mean(1, true))).mul(rstd).view(shape);
            Tensor dw = weight == null ? null : g2.mul(xhat).sum(0).view(weight.shape().toArray());
            Tensor db = bias == null ? null : g2.sum(0).view(bias.shape().toArray());
            return new Tensor[] {dx, dw, db};
        }, x);
    }

    /** The same function as {@link #layerNorm} from Tensor ops only; the reference the fused kernel is tested against. */
    public static Tensor layerNormComposite(Tensor x, long[] normalizedShape, Tensor weight, Tensor bias, double eps) {
        int k = normalizedShape.length;
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
