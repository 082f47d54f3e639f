package dev.tessera.nn.functional;

import dev.tessera.DType;
import dev.tessera.Tensor;
import dev.tessera.TesseraException;
import dev.tessera.autograd.Autograd;
import dev.tessera.nn.Reduction;
import dev.tessera.ops.Conv;
import dev.tessera.ops.Indexing;
import dev.tessera.ops.Losses;
import dev.tessera.ops.Normalization;

/**
 * The functional forms of the layers and losses, as {@code torch.nn.functional}. Layers are thin
 * holders of parameters that call these.
 */
public final class F {
    private F() {}

    public static Tensor relu(Tensor x) { return x.relu(); }
    public static Tensor sigmoid(Tensor x) { return x.sigmoid(); }
    public static Tensor tanh(Tensor x) { return x.tanh(); }
    public static Tensor gelu(Tensor x) { return x.gelu(); }
    public static Tensor softmax(Tensor x, int dim) { return x.softmax(dim); }
    public static Tensor logSoftmax(Tensor x, int dim) { return x.logSoftmax(dim); }
    public static Tensor dropout(Tensor x, double p, boolean training) { return x.dropout(p, training); }

    /** y = x·Wᵀ + b; x [*, in], weight [out, in], bias [out] or null. */
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        if (x.dim() == 0) throw new TesseraException("linear: input must have at least 1 dimension, got a 0-dim tensor");
        if (x.size(-1) != weight.size(-1))
            throw new TesseraException("mat1 and mat2 shapes cannot be multiplied (" + x.numel() / Math.max(1, x.size(-1)) + "x" + x.size(-1)
                    + " and " + weight.size(1) + "x" + weight.size(0) + ")");
        Tensor y = x.matmul(weight.t());
        if (bias == null) return y;
        // PyTorch's node names: addmm for a matrix, addmm then view for more dims, add for a vector.
        return x.dim() == 1 ? y.add(bias) : Autograd.relabel(y.add(bias), x.dim() == 2 ? "AddmmBackward0" : "ViewBackward0");
    }

    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int stride, int padding, int dilation, int groups) {
        return Conv.conv2d(x, weight, bias, new int[] {stride, stride}, new int[] {padding, padding}, new int[] {dilation, dilation}, groups);
    }

    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int[] stride, int[] padding, int[] dilation, int groups) {
        return Conv.conv2d(x, weight, bias, stride, padding, dilation, groups);
    }

    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias) { return conv2d(x, weight, bias, 1, 0, 1, 1); }

    public static Tensor conv1d(Tensor x, Tensor weight, Tensor bias, int stride, int padding, int dilation, int groups) {
        return Conv.conv1d(x, weight, bias, stride, padding, dilation, groups);
    }

    public static Tensor conv1d(Tensor x, Tensor weight, Tensor bias) { return conv1d(x, weight, bias, 1, 0, 1, 1); }

    /** Max pooling with a square window; stride defaults to the kernel size. */
    public static Tensor maxPool2d(Tensor x, int kernel) { return maxPool2d(x, kernel, kernel, 0); }
    public static Tensor maxPool2d(Tensor x, int kernel, int stride) { return maxPool2d(x, kernel, stride, 0); }
    public static Tensor maxPool2d(Tensor x, int kernel, int stride, int padding) {
        return Conv.maxPool2d(x, new int[] {kernel, kernel}, new int[] {stride, stride}, new int[] {padding, padding});
    }

    /** Average pooling (padding counted, PyTorch's count_include_pad=True); stride defaults to the kernel size. */
    public static Tensor avgPool2d(Tensor x, int kernel) { return avgPool2d(x, kernel, kernel, 0); }
    public static Tensor avgPool2d(Tensor x, int kernel, int stride) { return avgPool2d(x, kernel, stride, 0); }
    public static Tensor avgPool2d(Tensor x, int kernel, int stride, int padding) {
        return Conv.avgPool2d(x, new int[] {kernel, kernel}, new int[] {stride, stride}, new int[] {padding, padding});
    }

    /**
     * Batch normalisation over all dims but 1 (channels), as {@code F.batch_norm}. Training:
     * normalises with the batch's biased variance and, when running stats are given, updates them in
     * place with running = (1 − momentum)·running + momentum·batch (the unbiased variance for
     * running_var). Eval: normalises with the running stats. See {@link Normalization#batchNorm}.
     */
    public static Tensor batchNorm(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
                                   boolean training, double momentum, double eps) {
        return Normalization.batchNorm(x, runningMean, runningVar, weight, bias, training, momentum, eps);
    }

    /** Layer normalisation over the trailing {@code normalizedShape} dims (biased variance). */
    public static Tensor layerNorm(Tensor x, long[] normalizedShape, Tensor weight, Tensor bias, double eps) {
        return Normalization.layerNorm(x, normalizedShape, weight, bias, eps);
    }

    public static Tensor layerNorm(Tensor x, long[] normalizedShape) { return layerNorm(x, normalizedShape, null, null, 1e-5); }

    /** Rows of weight picked by INT64 indices; {@code paddingIdx} (or -1 for none) gets no gradient. */
    public static Tensor embedding(Tensor indices, Tensor weight, long paddingIdx) { return Indexing.embedding(indices, weight, paddingIdx); }
    public static Tensor embedding(Tensor indices, Tensor weight) { return Indexing.embedding(indices, weight, -1); }

    // ---- losses ----

    /**
     * Cross-entropy of logits input [N, C] (or [N, C, d1, ...]) against INT64 class indices
     * [N] (or [N, d1, ...]): −log softmax(input)[target], with targets equal to
     * {@code ignoreIndex} skipped (mean divides by the number of the others) and, with
     * label smoothing ε, (1−ε)·nll + ε·mean over classes of −log p.
     */
    public static Tensor crossEntropy(Tensor input, Tensor target, long ignoreIndex, double labelSmoothing, Reduction reduction) {
        if (labelSmoothing < 0 || labelSmoothing > 1)
            throw new TesseraException("label_smoothing must be between 0.0 and 1.0. Got: " + labelSmoothing);
        if (input.dim() < 2) throw new TesseraException("cross_entropy: expected input of shape [N, C] or [N, C, d1, ...], got " + input.shape());
        Tensor logp = input.logSoftmax(1);
        return Autograd.relabel(Losses.nll(logp, target, ignoreIndex, labelSmoothing, reduction, "cross_entropy"), "NllLossBackward0");
    }

    public static Tensor crossEntropy(Tensor input, Tensor target) { return crossEntropy(input, target, -100, 0, Reduction.MEAN); }

    /** Negative log-likelihood of log-probabilities input [N, C] against INT64 targets [N]. */
    public static Tensor nllLoss(Tensor input, Tensor target, long ignoreIndex, Reduction reduction) {
        if (input.dim() < 2) throw new TesseraException("nll_loss: expected input of shape [N, C] or [N, C, d1, ...], got " + input.shape());
        return Autograd.relabel(Losses.nll(input, target, ignoreIndex, 0, reduction, "nll_loss"), "NllLossBackward0");
    }

    public static Tensor nllLoss(Tensor input, Tensor target) { return nllLoss(input, target, -100, Reduction.MEAN); }


    /** Mean (or sum, or none) of (input − target)². */
    public static Tensor mseLoss(Tensor input, Tensor target, Reduction reduction) {
        if (!input.shape().equals(target.shape()))
            throw new TesseraException("mse_loss: input size " + input.shape() + " and target size " + target.shape() + " must match");
        Tensor d = input.sub(target);
        return Autograd.relabel(reduce(d.mul(d), reduction), "MseLossBackward0");
    }

    public static Tensor mseLoss(Tensor input, Tensor target) { return mseLoss(input, target, Reduction.MEAN); }

    /** Binary cross-entropy on logits, computed stably as max(x, 0) − x·y + log(1 + e^(−|x|)). */
    public static Tensor binaryCrossEntropyWithLogits(Tensor input, Tensor target, Reduction reduction) {
        if (!input.shape().equals(target.shape()))
            throw new TesseraException("Target size (" + target.shape() + ") must be the same as input size (" + input.shape() + ")");
        Tensor loss = input.relu().sub(input.mul(target)).add(input.abs().neg().exp().add(1.0).log());
        return Autograd.relabel(reduce(loss, reduction), "BinaryCrossEntropyWithLogitsBackward0");
    }

    public static Tensor binaryCrossEntropyWithLogits(Tensor input, Tensor target) { return binaryCrossEntropyWithLogits(input, target, Reduction.MEAN); }

    private static Tensor reduce(Tensor t, Reduction reduction) {
        return switch (reduction) { case NONE -> t; case SUM -> t.sum(); case MEAN -> t.mean(); };
    }

    /** x1·x2 / √max(‖x1‖²·‖x2‖², eps²) along dim, as PyTorch 2. */
    public static Tensor cosineSimilarity(Tensor x1, Tensor x2, int dim, double eps) {
        Tensor dot = x1.mul(x2).sum(dim);
        Tensor norms = x1.mul(x1).sum(dim).mul(x2.mul(x2).sum(dim));
        return dot.div(norms.clamp(eps * eps, Double.NaN).sqrt());
    }

    public static Tensor cosineSimilarity(Tensor x1, Tensor x2) { return cosineSimilarity(x1, x2, 1, 1e-8); }

    /** Cosine similarity along dim with PyTorch's default eps = 1e-8. */
    public static Tensor cosineSimilarity(Tensor x1, Tensor x2, int dim) { return cosineSimilarity(x1, x2, dim, 1e-8); }
}
