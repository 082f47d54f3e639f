package dev.tessera.ops;

import dev.tessera.DType;
import dev.tessera.Tensor;
import dev.tessera.TesseraException;
import dev.tessera.autograd.Autograd;
import dev.tessera.nn.Reduction;

/** Losses over the backend's fused passes (F's crossEntropy and nllLoss are thin layers over these). */
public final class Losses {
    private Losses() {}

    /**
     * The negative log-likelihood of log-probabilities logp [N, C, d1, ...] against INT64 class
     * indices [N, d1, ...]: one backend pass for the per-item losses (targets equal to ignoreIndex
     * give 0; with label smoothing ε, (1−ε)·nll + ε·mean over classes of −log p), one for the
     * gradient. A class index out of range throws TesseraIndexException("Target t is out of
     * bounds."), on CUDA at the next synchronisation point. {@code op} names the caller in messages.
     */
    public static Tensor nll(Tensor logp, Tensor target, long ignoreIndex, double smoothing, Reduction reduction, String op) {
        if (target.dtype() != DType.INT64)
            throw new TesseraException(op + ": expected target of dtype torch.int64 (class indices), but got " + target.dtype().torchName());
        long c = logp.size(1);
        long[] expectedTarget = new long[logp.dim() - 1];
        expectedTarget[0] = logp.size(0);
        for (int d = 2; d < logp.dim(); d++) expectedTarget[d - 1] = logp.size(d);
        if (!target.shape().equals(dev.tessera.Size.of(expectedTarget)))
            throw new TesseraException(op + ": Expected target size " + dev.tessera.Size.of(expectedTarget).toList()
                    + ", got " + target.shape().toList());
        // Move classes last and flatten: [M, C] against [M]; one kernel computes the rows' losses.
        Tensor flat = (logp.dim() == 2 ? logp : logp.permute(classesLast(logp.dim())).reshape(-1, c)).contiguous();
        Tensor tgt = target.reshape(-1).contiguous();
        Tensor perItem = Creation.empty(new long[] {tgt.numel()}, logp.dtype(), logp.device());
        logp.backend().nll(flat.raw(), tgt.raw(), ignoreIndex, smoothing, perItem.raw());
        long[] flatShape = flat.shape().toArray();
        Autograd.record(perItem, "NllLossBackward0", new Tensor[] {flat}, (g, saved) -> {
            Tensor d = Creation.empty(flatShape, g.dtype(), g.device());
            g.backend().nllBackward(g.contiguous().raw(), saved.get(0).raw(), ignoreIndex, smoothing, d.raw());
            return new Tensor[] {d};
        }, tgt);   // the targets, flattened (a view of them when they were contiguous)
        return switch (reduction) {
            case NONE -> perItem.reshape(target.shape().toArray());
            case SUM -> perItem.sum();
            case MEAN -> perItem.sum().div(tgt.ne((double) ignoreIndex).sum().to(logp.dtype()));
        };
    }

    private static int[] classesLast(int rank) {
        int[] perm = new int[rank];
        for (int i = 0, j = 0; i < rank; i++) if (i != 1) perm[j++] = i;
        perm[rank - 1] = 1;
        return perm;
    }
}
