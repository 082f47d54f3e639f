package dev.tessera.optim;

import dev.tessera.Tensor;
import dev.tessera.ops.OptimizerSteps;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Stochastic gradient descent with optional momentum, as {@code torch.optim.SGD}. Per parameter p
 * with gradient g, on each {@link #step()}:
 * <pre>
 *   d = g + weightDecay·p
 *   if momentum ≠ 0:  b = d (first step, no dampening)  else  b = momentum·b + (1 − dampening)·d
 *                     d = nesterov ? d + momentum·b : b
 *   p ← p − lr·d
 * </pre>
 * p is modified in place; b is the state "momentum_buffer".
 */
public final class SGD extends Optimizer {
    public SGD(List<? extends Tensor> params, double lr) { this(params, lr, 0, 0, 0, false); }

    public SGD(List<? extends Tensor> params, double lr, double momentum) { this(params, lr, momentum, 0, 0, false); }

    public SGD(List<? extends Tensor> params, double lr, double momentum, double weightDecay, boolean nesterov) {
        this(params, lr, momentum, 0, weightDecay, nesterov);
    }

    public SGD(List<? extends Tensor> params, double lr, double momentum, double dampening, double weightDecay, boolean nesterov) {
        super(params, hyperparameters(lr, momentum, dampening, weightDecay, nesterov));
    }

    private static Map<String, Object> hyperparameters(double lr, double momentum, double dampening, double weightDecay, boolean nesterov) {
        Map<String, Object> g = new LinkedHashMap<>();
        g.put("lr", lr);
        g.put("momentum", momentum);
        g.put("dampening", dampening);
        g.put("weight_decay", weightDecay);
        g.put("nesterov", nesterov);
        return g;
    }

    @Override protected void checkHyperparameters(Map<String, Object> g) {
        double lr = ((Number) g.get("lr")).doubleValue(), momentum = ((Number) g.get("momentum")).doubleValue();
        double dampening = ((Number) g.get("dampening")).doubleValue(), weightDecay = ((Number) g.get("weight_decay")).doubleValue();
        if (!(lr >= 0)) throw new IllegalArgumentException("Invalid learning rate: " + lr);
        if (!(momentum >= 0)) throw new IllegalArgumentException("Invalid momentum value: " + momentum);
        if (!(weightDecay >= 0)) throw new IllegalArgumentException("Invalid weight_decay value: " + weightDecay);
        if ((Boolean) g.get("nesterov") && (momentum <= 0 || dampening != 0))
            throw new IllegalArgumentException("Nesterov momentum requires a momentum and zero dampening");
    }

    @Override protected List<String> stateKeys() { return List.of("momentum_buffer"); }

    @Override public void step() {
        double lr = lr(), momentum = hp("momentum"), dampening = hp("dampening"), weightDecay = hp("weight_decay");
        boolean nesterov = (Boolean) group.get("nesterov");
        try (var ng = Tensor.noGrad()) {
            for (int i = 0; i < params.size(); i++) {
                Tensor p = params.get(i);
                if (p.grad() == null) continue;
                Tensor buf = null;
                boolean first = false;
                if (momentum != 0) {
                    buf = (Tensor) state.get(i).get("momentum_buffer");
                    if (buf == null) { state.get(i).put("momentum_buffer", buf = zerosLike(p)); first = true; }   // set to d by the kernel
                }
                OptimizerSteps.sgd(p, buf, lr, momentum, dampening, weightDecay, nesterov, first);
            }
        }
    }
}
