package dev.tessera.optim;

import dev.tessera.Tensor;
import java.util.List;

/**
 * Adam with decoupled weight decay, as {@code torch.optim.AdamW}: before the {@link Adam} update
 * (which then runs without the L2 term), {@code p ← p·(1 − lr·weightDecay)}.
 * Defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weightDecay 1e-2.
 */
public final class AdamW extends Adam {
    public AdamW(List<? extends Tensor> params) { this(params, 1e-3); }

    public AdamW(List<? extends Tensor> params, double lr) { this(params, lr, 0.9, 0.999, 1e-8, 1e-2); }

    public AdamW(List<? extends Tensor> params, double lr, double beta1, double beta2) { this(params, lr, beta1, beta2, 1e-8, 1e-2); }

    public AdamW(List<? extends Tensor> params, double lr, double beta1, double beta2, double eps, double weightDecay) {
        super(params, lr, beta1, beta2, eps, weightDecay, true);
    }
}
