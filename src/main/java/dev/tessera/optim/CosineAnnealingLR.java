package dev.tessera.optim;

/**
 * Cosine annealing from the base lr down to {@code etaMin} over {@code tMax} epochs, as
 * {@code torch.optim.lr_scheduler.CosineAnnealingLR} (without restarts), in closed form:
 * {@code lr(t) = etaMin + (baseLr − etaMin)·(1 + cos(π·t / tMax)) / 2}. Past tMax it rises again
 * (period 2·tMax), as PyTorch's does.
 */
public final class CosineAnnealingLR extends LRScheduler {
    private final int tMax;
    private final double etaMin;

    public CosineAnnealingLR(Optimizer optimizer, int tMax) { this(optimizer, tMax, 0); }

    public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin) {
        super(optimizer);
        if (tMax <= 0) throw new IllegalArgumentException("CosineAnnealingLR: tMax must be positive, got " + tMax);
        if (!(etaMin >= 0)) throw new IllegalArgumentException("CosineAnnealingLR: etaMin must be non-negative, got " + etaMin);
        this.tMax = tMax;
        this.etaMin = etaMin;
        initialStep();
    }

    @Override protected double lrAt(int epoch) {
        return etaMin + (baseLr - etaMin) * (1 + Math.cos(Math.PI * epoch / tMax)) / 2;
    }
}
