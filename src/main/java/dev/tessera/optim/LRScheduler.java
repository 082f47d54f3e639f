package dev.tessera.optim;

/**
 * Base of the learning-rate schedulers, as {@code torch.optim.lr_scheduler.LRScheduler}: it records
 * the optimizer's lr at construction as the base lr, and each {@link #step()} (called once per
 * epoch, after {@code optimizer.step()}) advances the epoch counter and sets the optimizer's lr to
 * {@link #lrAt(int)}. Construction performs the initial step to epoch 0, as PyTorch's does.
 */
public abstract class LRScheduler {
    protected final Optimizer optimizer;
    protected final double baseLr;
    private int lastEpoch = -1;
    private double lastLr;

    protected LRScheduler(Optimizer optimizer) {
        if (optimizer == null) throw new IllegalArgumentException("optimizer must not be null");
        this.optimizer = optimizer;
        this.baseLr = optimizer.lr();
    }

    /** Subclass constructors call this once their fields are set. */
    protected final void initialStep() { step(); }

    /** The lr for {@code epoch}, given the current lr (for chainable rules such as StepLR's). */
    protected abstract double lrAt(int epoch);

    public void step() {
        lastEpoch++;
        lastLr = lrAt(lastEpoch);
        optimizer.setLr(lastLr);
    }

    /** The lr this scheduler last set, as {@code get_last_lr()[0]}. */
    public double lastLr() { return lastLr; }

    public int lastEpoch() { return lastEpoch; }

    public Optimizer optimizer() { return optimizer; }
}
