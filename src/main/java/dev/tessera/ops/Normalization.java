package dev.tessera.ops;

import dev.tessera.DType;
import dev.tessera.Device;
import dev.tessera.Tensor;
import dev.tessera.TesseraException;
import dev.tessera.autograd.Autograd;

/**
 * Batch normalisation over the backend's batch-norm primitives (cuDNN on CUDA). Layer normalisation: one fused kernel forward (the backend's layerNorm, which also saves the row
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
                        + java.util.Arrays.toString(normalizedShape).substring(1) + ", but got input of size" + x.shape().toList());
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
        long[] wShape = weight == null ? null : weight.shape().toArray(), bShape = bias == null ? null : bias.shape().toArray();
        return Autograd.record(result, "NativeLayerNormBackward0", new Tensor[] {x, weight, bias}, (g, saved) -> {
            Tensor xs = saved.get(0), ws = saved.get(1), mu = saved.get(2), r = saved.get(3);
            Tensor g2 = g.contiguous().view(rows, n);
            Tensor xhat = xs.sub(mu).mul(r);
            Tensor gw = ws == null ? g2 : g2.mul(ws);
            // dx = rstd·(gŵ − mean(gŵ) − x̂·mean(gŵ·x̂)), the derivative of normalising by the row's own statistics
            Tensor dx = gw.sub(gw.mean(1, true)).sub(xhat.mul(gw.mul(xhat).mean(1, true))).mul(r).view(shape);
            Tensor dw = saved.needsInputGrad(1) ? g2.mul(xhat).sum(0).view(wShape) : null;
            Tensor db = saved.needsInputGrad(2) ? g2.sum(0).view(bShape) : null;
            return new Tensor[] {dx, dw, db};
        }, x2, w, Autograd.temporary(mean), Autograd.temporary(rstd));
    }

    /**
     * Batch normalisation over every dim but 1 (channels) of x [N, C, *] (PyTorch's
     * {@code F.batch_norm}). Training: normalises with the batch's mean and biased variance over
     * N·∏* values per channel and, when running stats are given, updates them in place with
     * running = (1 − momentum)·running + momentum·batch (the unbiased variance for runningVar;
     * momentum is the exponential-average factor: BatchNorm passes 1/num_batches_tracked for
     * PyTorch's momentum=None). Eval: normalises with the running stats. y = x̂·weight + bias;
     * weight and bias ([C]) may be null. One backend pass each way: the backend's batchNorm /
     * batchNormInference forward and batchNormBackward (cuDNN on CUDA).
     */
    public static Tensor batchNorm(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
                                   boolean training, double momentum, double eps) {
        if (x.dim() < 2) throw new TesseraException("batch_norm: expected at least 2-D input (got " + x.dim() + "D input)");
        long n = x.size(0), c = x.size(1), s = c == 0 || n == 0 ? 0 : x.numel() / (n * c);
        if ((runningMean == null) != (runningVar == null))
            throw new TesseraException("batch_norm: running_mean and running_var must be given together");
        if (!training && runningMean == null)
            throw new TesseraException("batch_norm: running_mean and running_var must be defined in evaluation mode");
        checkChannelParam("running_mean", runningMean, x);
        checkChannelParam("running_var", runningVar, x);
        checkChannelParam("weight", weight, x);
        checkChannelParam("bias", bias, x);
        if (!x.dtype().isFloatingPoint()) throw new TesseraException("batch_norm: not implemented for " + x.dtype().torchName());
        if (training && n * s <= 1)
            throw new TesseraException("Expected more than 1 value per channel when training, got input size " + x.shape());
        long[] shape = x.shape().toArray();
        Tensor x3 = x.contiguous().view(n, c, s);
        Tensor out = Creation.empty(new long[] {n, c, s}, x.dtype(), x.device());
        var be = x.backend();
        if (!training) {
            if (out.numel() > 0) be.batchNormInference(x3.raw(), raw(weight), raw(bias), runningMean.raw(), runningVar.raw(), eps, out.raw());
            return Autograd.record(out.view(shape), "NativeBatchNormBackward0", new Tensor[] {x, weight, bias}, (g, saved) -> {
                // y = (x − μ)·r·w + b with fixed μ, r = 1/√(σ² + eps): the gradients are elementwise
                Tensor xs = saved.get(0), rMean = saved.get(1), rVar = saved.get(2), ws = saved.get(3);
                Tensor g3 = g.contiguous().view(n, c, s);
                Tensor rstd = rVar.add(eps).rsqrt().view(1, c, 1), xhat = xs.sub(rMean.view(1, c, 1)).mul(rstd);
                Tensor dx = saved.needsInputGrad(0) ? g3.mul(ws == null ? rstd : rstd.mul(ws.view(1, c, 1))).view(shape) : null;
                Tensor dw = saved.needsInputGrad(1) ? g3.mul(xhat).sum(new int[] {0, 2}, false) : null;
                Tensor db = saved.needsInputGrad(2) ? g3.sum(new int[] {0, 2}, false) : null;
                return new Tensor[] {dx, dw, db};
            }, x3, runningMean, runningVar, weight);
        }
        Tensor saveMean = Creation.empty(new long[] {c}, x.dtype(), x.device()), saveInvStd = Creation.empty(new long[] {c}, x.dtype(), x.device());
        Tensor rm = runningMean == null ? null : runningMean.contiguous(), rv = runningVar == null ? null : runningVar.contiguous();
        be.batchNorm(x3.raw(), raw(weight), raw(bias), raw(rm), raw(rv), momentum, eps, out.raw(), saveMean.raw(), saveInvStd.raw());
        if (runningMean != null) {
            try (var noGrad = Tensor.noGrad()) {   // the update went to a copy when the buffers are strided views
                if (rm != runningMean) runningMean.copy_(rm); else runningMean.internalBumpVersion();
                if (rv != runningVar) runningVar.copy_(rv); else runningVar.internalBumpVersion();
            }
        }
        DType dtype = x.dtype();
        Device device = x.device();
        return Autograd.record(out.view(shape), "NativeBatchNormBackward0", new Tensor[] {x, weight, bias}, (g, saved) -> {
            Tensor g3 = g.contiguous().view(n, c, s);
            Tensor dx = saved.needsInputGrad(0) ? Creation.empty(new long[] {n, c, s}, dtype, device) : null;
            Tensor dw = saved.needsInputGrad(1) ? Creation.empty(new long[] {c}, dtype, device) : null;
            Tensor db = saved.needsInputGrad(2) ? Creation.empty(new long[] {c}, dtype, device) : null;
            g.backend().batchNormBackward(g3.raw(), saved.get(0).raw(), raw(saved.get(1)), saved.get(2).raw(), saved.get(3).raw(), eps,
                    raw(dx), raw(dw), raw(db));
            return new Tensor[] {dx == null ? null : dx.view(shape), dw, db};
        }, x3, weight, Autograd.temporary(saveMean), Autograd.temporary(saveInvStd));
    }

    private static dev.tessera.backend.View raw(Tensor t) { return t == null ? null : t.contiguous().raw(); }

    /** A per-channel operand of batch_norm: [C], on x's device, of x's dtype (PyTorch's messages). */
    private static void checkChannelParam(String name, Tensor p, Tensor x) {
        if (p == null) return;
        if (p.numel() != x.size(1))
            throw new TesseraException(name + " should contain " + x.size(1) + " elements not " + p.numel());
        Elementwise.checkSameDevice(x, p);
        if (p.dtype() != x.dtype())
            throw new TesseraException("batch_norm: expected " + name + " to have dtype " + x.dtype().torchName() + ", but got " + p.dtype().torchName());
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
