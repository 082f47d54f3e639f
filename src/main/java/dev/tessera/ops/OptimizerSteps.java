package dev.tessera.ops;

import dev.tessera.Tensor;
import dev.tessera.backend.View;
import java.util.function.BiConsumer;

/**
 * The optimizers' fused updates (one backend pass per parameter): SGD and Adam/AdamW as the
 * backend's {@code sgdStep} / {@code adamStep} define them. Each runs on p's data in place, with p's
 * gradient; state buffers (momentum, m, v) are updated in place too. Called under no-grad by
 * {@code dev.tessera.optim}.
 */
public final class OptimizerSteps {
    private OptimizerSteps() {}

    /** torch.optim.SGD's step for one parameter; buf is null without momentum, first on its first use. */
    public static void sgd(Tensor p, Tensor buf, double lr, double momentum, double dampening, double weightDecay, boolean nesterov, boolean first) {
        update(p, (work, g) -> p.backend().sgdStep(work, g, buf == null ? null : buf.raw(), lr, momentum, dampening, weightDecay, nesterov, first));
    }

    /** torch.optim.Adam's (decoupled: AdamW's) step for one parameter at the 1-based step t. */
    public static void adam(Tensor p, Tensor m, Tensor v, double lr, double beta1, double beta2, double eps, double weightDecay,
                            boolean decoupled, long t) {
        update(p, (work, g) -> p.backend().adamStep(work, g, m.raw(), v.raw(), lr, beta1, beta2, eps, weightDecay, decoupled, t));
    }

    /**
     * Runs a fused update on p: the kernel gets p's data (a contiguous working copy, written back
     * afterwards, if p is not contiguous) and p's gradient as contiguous views of p's dtype. p's
     * version is bumped, as any in-place write.
     */
    private static void update(Tensor p, BiConsumer<View, View> kernel) {
        Tensor work = p.isContiguous() ? p : p.detach().contiguous();
        Tensor g = p.grad().to(p.dtype()).contiguous();
        kernel.accept(work.raw(), g.raw());
        if (work != p) p.detach().copy_(work);
        else p.internalBumpVersion();
    }
}
