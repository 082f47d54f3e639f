package dev.tessera.nn;

import dev.tessera.Tensor;
import dev.tessera.TesseraException;

/** Batch normalisation of [N, C] or [N, C, L] over channel dim 1; otherwise as {@link BatchNorm2d}. */
public class BatchNorm1d extends BatchNorm2d {
    public BatchNorm1d(long numFeatures) { super(numFeatures); }

    public BatchNorm1d(long numFeatures, double eps, double momentum, boolean affine, boolean trackRunningStats) {
        super(numFeatures, eps, momentum, affine, trackRunningStats);
    }

    /** momentum null: PyTorch's momentum=None (cumulative moving average). */
    public BatchNorm1d(long numFeatures, double eps, Double momentum, boolean affine, boolean trackRunningStats) {
        super(numFeatures, eps, momentum, affine, trackRunningStats);
    }

    @Override protected void checkInput(Tensor x) {
        if (x.dim() != 2 && x.dim() != 3) throw new TesseraException("expected 2D or 3D input (got " + x.dim() + "D input)");
    }
}
