package dev.tessera.optim;

/**
 * Decays the lr by {@code gamma} every {@code stepSize} epochs, as {@code torch.optim.lr_scheduler.StepLR}:
 * {@code lr(epoch) = baseLr · gamma^⌊epoch / stepSize⌋}. Like PyTorch's, the rule is chainable:
 * at a multiple of stepSize it multiplies the optimizer's current lr by gamma, otherwise keeps it.
 */
public final class StepLR extends LRScheduler {
    private final int stepSize;
    private final double gamma;

    public StepLR(Optimizer optimizer, int stepSize) { this(optimizer, stepSize, 0.1); }

    public StepLR(Optimizer optimizer, int stepSize, double gamma) {
        super(optimizer);
        if (stepSize <= 0) throw new IllegalArgumentException("StepLR: stepSize must be positive, got " + stepSize);
        if (!(gamma >= 0)) throw new IllegalArgumentException("StepLR: gamma must be non-negative, got " + gamma);
        this.stepSize = stepSize;
        this.gamma = gamma;
        initialStep();
    }

    @Override protected double lrAt(int epoch) {
        double lr = optimizer.lr();
        return epoch == 0 || epoch % stepSize != 0 ? lr : lr * gamma;
    }
}
