package dev.tessera.nn;

import dev.tessera.DType;
import dev.tessera.Tensor;
import dev.tessera.TesseraException;
import dev.tessera.nn.functional.F;

/**
 * Batch normalisation over channel dim 1 of [N, C, H, W]: y = (x − mean) / √(var + eps)·γ + β.
 * Training uses the batch's statistics and updates the running ones (momentum 0.1, unbiased
 * running variance); eval uses the running statistics. Buffers running_mean, running_var and
 * num_batches_tracked (INT64), as PyTorch; none when {@code trackRunningStats} is false (then the
 * batch statistics are used in eval too). γ = 1, β = 0 initially. A null momentum is PyTorch's
 * {@code momentum=None}: the running stats are the cumulative average, updated with the factor
 * 1/num_batches_tracked.
 */
public class BatchNorm2d extends Module {
    public final long numFeatures;
    public final double eps;
    /** The running-average factor; null for PyTorch's momentum=None (cumulative average). */
    public final Double momentum;
    public final boolean affine, trackRunningStats;
    public final Parameter weight, bias;
    public final Tensor runningMean, runningVar, numBatchesTracked;

    public BatchNorm2d(long numFeatures) { this(numFeatures, 1e-5, 0.1, true, true); }

    public BatchNorm2d(long numFeatures, double eps, double momentum, boolean affine, boolean trackRunningStats) {
        this(numFeatures, eps, (Double) momentum, affine, trackRunningStats);
    }

    /** momentum null: PyTorch's momentum=None (cumulative moving average). */
    public BatchNorm2d(long numFeatures, double eps, Double momentum, boolean affine, boolean trackRunningStats) {
        if (numFeatures < 1) throw new IllegalArgumentException(getClass().getSimpleName() + ": num_features must be positive, got " + numFeatures);
        this.numFeatures = numFeatures; this.eps = eps; this.momentum = momentum;
        this.affine = affine; this.trackRunningStats = trackRunningStats;
        this.weight = registerParameter("weight", affine ? new Parameter(Tensor.ones(numFeatures)) : null);
        this.bias = registerParameter("bias", affine ? new Parameter(Tensor.zeros(numFeatures)) : null);
        this.runningMean = registerBuffer("running_mean", trackRunningStats ? Tensor.zeros(numFeatures) : null);
        this.runningVar = registerBuffer("running_var", trackRunningStats ? Tensor.ones(numFeatures) : null);
        this.numBatchesTracked = registerBuffer("num_batches_tracked",
                trackRunningStats ? Tensor.zeros(new long[0], DType.INT64, dev.tessera.Device.CPU) : null);
    }

    /** The input rank this layer accepts (4 for BatchNorm2d); BatchNorm1d accepts 2 or 3. */
    protected void checkInput(Tensor x) {
        if (x.dim() != 4) throw new TesseraException("expected 4D input (got " + x.dim() + "D input)");
    }

    @Override public Tensor forward(Tensor x) {
        checkInput(x);
        if (x.size(1) != numFeatures)
            throw new TesseraException("running_mean should contain " + x.size(1) + " elements not " + numFeatures);
        double factor = momentum == null ? 0 : momentum;
        if (isTraining() && trackRunningStats) {
            try (var s = Tensor.noGrad()) { numBatchesTracked.add_(1.0); }
            if (momentum == null) factor = 1.0 / numBatchesTracked.item();
        }
        return F.batchNorm(x, runningMean, runningVar, weight, bias, isTraining() || !trackRunningStats, factor, eps);
    }

    @Override public String extraRepr() {
        return numFeatures + ", eps=" + Repr.pyFloat(eps) + ", momentum=" + (momentum == null ? "None" : Repr.pyFloat(momentum)) + ", affine=" + Repr.bool(affine)
                + ", track_running_stats=" + Repr.bool(trackRunningStats);
    }
}
