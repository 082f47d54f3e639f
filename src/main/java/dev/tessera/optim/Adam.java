package dev.tessera.optim;

import dev.tessera.Tensor;
import dev.tessera.ops.OptimizerSteps;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adam, as {@code torch.optim.Adam} (amsgrad off). Per parameter p with gradient g, at step t = 1, 2, ..:
 * <pre>
 *   g ← g + weightDecay·p                       (L2 penalty; {@link AdamW} decays p directly instead)
 *   m ← β1·m + (1 − β1)·g                       v ← β2·v + (1 − β2)·g²
 *   p ← p − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + eps)
 * </pre>
 * p is modified in place; m, v and t are the state "exp_avg", "exp_avg_sq" and "step".
 * Defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weightDecay 0.
 */
public class Adam extends Optimizer {
    private final boolean decoupled;

    public Adam(List<? extends Tensor> params) { this(params, 1e-3); }

    public Adam(List<? extends Tensor> params, double lr) { this(params, lr, 0.9, 0.999, 1e-8, 0); }

    public Adam(List<? extends Tensor> params, double lr, double beta1, double beta2) { this(params, lr, beta1, beta2, 1e-8, 0); }

    public Adam(List<? extends Tensor> params, double lr, double beta1, double beta2, double eps, double weightDecay) {
        this(params, lr, beta1, beta2, eps, weightDecay, false);
    }

    Adam(List<? extends Tensor> params, double lr, double beta1, double beta2, double eps, double weightDecay, boolean decoupled) {
        super(params, hyperparameters(lr, beta1, beta2, eps, weightDecay));
        this.decoupled = decoupled;
    }

    private static Map<String, Object> hyperparameters(double lr, double beta1, double beta2, double eps, double weightDecay) {
        Map<String, Object> g = new LinkedHashMap<>();
        g.put("lr", lr);
        g.put("betas", List.of(beta1, beta2));
        g.put("eps", eps);
        g.put("weight_decay", weightDecay);
        return g;
    }

    @Override protected void checkHyperparameters(Map<String, Object> g) {
        double lr = ((Number) g.get("lr")).doubleValue(), eps = ((Number) g.get("eps")).doubleValue();
        List<?> betas = (List<?>) g.get("betas");
        if (!(lr >= 0)) throw new IllegalArgumentException("Invalid learning rate: " + lr);
        if (!(eps >= 0)) throw new IllegalArgumentException("Invalid epsilon value: " + eps);
        if (betas.size() != 2) throw new IllegalArgumentException("betas must have 2 elements, got " + betas);
        for (int i = 0; i < 2; i++) {
            double b = ((Number) betas.get(i)).doubleValue();
            if (!(b >= 0 && b < 1)) throw new IllegalArgumentException("Invalid beta parameter at index " + i + ": " + b);
        }
        double wd = ((Number) g.get("weight_decay")).doubleValue();
        if (!(wd >= 0)) throw new IllegalArgumentException("Invalid weight_decay value: " + wd);
    }

    @Override protected List<String> stateKeys() { return List.of("step", "exp_avg", "exp_avg_sq"); }

    @Override public void step() {
        List<?> betas = (List<?>) group.get("betas");
        double lr = lr(), beta1 = ((Number) betas.get(0)).doubleValue(), beta2 = ((Number) betas.get(1)).doubleValue();
        double eps = hp("eps"), weightDecay = hp("weight_decay");
        try (var ng = Tensor.noGrad()) {
            for (int i = 0; i < params.size(); i++) {
                Tensor p = params.get(i);
                if (p.grad() == null) continue;
                Map<String, Object> s = state.get(i);
                if (s.isEmpty()) { s.put("step", 0L); s.put("exp_avg", zerosLike(p)); s.put("exp_avg_sq", zerosLike(p)); }
                long t = (Long) s.get("step") + 1;
                s.put("step", t);
                Tensor m = (Tensor) s.get("exp_avg"), v = (Tensor) s.get("exp_avg_sq");
                OptimizerSteps.adam(p, m, v, lr, beta1, beta2, eps, weightDecay, decoupled, t);
            }
        }
    }
}
