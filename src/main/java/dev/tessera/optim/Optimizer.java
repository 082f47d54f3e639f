package dev.tessera.optim;

import dev.tessera.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Base of all optimizers, as {@code torch.optim.Optimizer} with a single parameter group.
 * Hyperparameters live in {@link #group} under PyTorch's names ({@code "lr"}, {@code "momentum"},
 * {@code "betas"}, ...), so {@link #stateDict()} has PyTorch's layout:
 * {@code {"state": {index: {name: Tensor|Long}}, "param_groups": [{"lr": .., .., "params": [0, 1, ..]}]}}.
 * {@link #step()} updates the parameters in place (the same tensor objects) under no-grad.
 */
public abstract class Optimizer {
    protected final List<Tensor> params;
    /** The one parameter group's hyperparameters, in PyTorch's names and order (no "params" entry). */
    protected Map<String, Object> group;
    /** Per-parameter state, index-aligned with {@link #params}; an empty map until the first update. */
    protected List<Map<String, Object>> state;

    /** {@code hyperparameters} is checked by {@link #checkHyperparameters}, which therefore must not read instance fields. */
    protected Optimizer(List<? extends Tensor> params, Map<String, Object> hyperparameters) {
        if (params == null || params.isEmpty()) throw new IllegalArgumentException("optimizer got an empty parameter list");
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Tensor p : params) {
            if (p == null) throw new IllegalArgumentException("optimizer can only optimize Tensors, but one of the params is null");
            if (!p.isLeaf()) throw new IllegalArgumentException("can't optimize a non-leaf Tensor");
            if (!seen.add(p)) throw new IllegalArgumentException("optimizer contains a parameter group with duplicate parameters");
        }
        checkHyperparameters(hyperparameters);
        this.params = List.copyOf(params);
        this.group = new LinkedHashMap<>(hyperparameters);
        this.state = new ArrayList<>();
        for (int i = 0; i < params.size(); i++) state.add(new LinkedHashMap<>());
    }

    /** Updates every parameter that has a gradient; parameters whose grad is null are left untouched. */
    public abstract void step();

    /** Throws IllegalArgumentException (PyTorch's message) if a hyperparameter is out of range or missing. */
    protected abstract void checkHyperparameters(Map<String, Object> hyperparameters);

    /** The names of the state a parameter has once updated, e.g. {@code exp_avg}; Tensors unless named "step". */
    protected abstract List<String> stateKeys();

    /** Sets every parameter's grad to null (PyTorch 2's {@code zero_grad(set_to_none=True)}). */
    public void zeroGrad() { for (Tensor p : params) p.setGrad(null); }

    public List<Tensor> params() { return params; }

    public double lr() { return hp("lr"); }

    /** Used by the LR schedulers; takes effect at the next {@link #step()}. */
    public void setLr(double lr) {
        if (!(lr >= 0)) throw new IllegalArgumentException("Invalid learning rate: " + lr);
        group.put("lr", lr);
    }

    protected double hp(String name) { return ((Number) group.get(name)).doubleValue(); }

    /** A zero tensor with p's shape, dtype and device: the initial value of a state buffer. */
    protected static Tensor zerosLike(Tensor p) { return Tensor.zeros(p.shape().toArray(), p.dtype(), p.device()); }

    /**
     * A snapshot in PyTorch's layout. Unlike PyTorch's (which holds references), the state tensors
     * are detached copies, so later steps do not change a saved dict.
     */
    public Map<String, Object> stateDict() {
        Map<Integer, Map<String, Object>> st = new LinkedHashMap<>();
        for (int i = 0; i < params.size(); i++) {
            if (state.get(i).isEmpty()) continue;
            Map<String, Object> s = new LinkedHashMap<>();
            state.get(i).forEach((k, v) -> s.put(k, v instanceof Tensor t ? t.detach().clone() : v));
            st.put(i, s);
        }
        Map<String, Object> g = new LinkedHashMap<>(group);
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < params.size(); i++) ids.add(i);
        g.put("params", ids);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("state", st);
        out.put("param_groups", List.of(g));
        return out;
    }

    /**
     * Replaces hyperparameters and state with {@code dict}'s, as {@code load_state_dict}: state ids
     * are mapped to this optimizer's parameters by their position in the saved "params" list, and
     * state tensors are copied to each parameter's dtype and device. Everything is validated first;
     * on an IllegalArgumentException nothing has changed.
     */
    public void loadStateDict(Map<String, Object> dict) {
        try {
            if (!(dict.get("state") instanceof Map<?, ?> savedState) || !(dict.get("param_groups") instanceof List<?> groups))
                throw new IllegalArgumentException("state dict must have a \"state\" map and a \"param_groups\" list");
            if (groups.size() != 1) throw new IllegalArgumentException("loaded state dict has a different number of parameter groups");
            Map<?, ?> saved = (Map<?, ?>) groups.get(0);
            List<?> ids = (List<?>) saved.get("params");
            if (ids == null || ids.size() != params.size())
                throw new IllegalArgumentException("loaded state dict contains a parameter group that doesn't match the size of optimizer's group");
            Map<String, Object> newGroup = new LinkedHashMap<>();
            for (var e : group.entrySet()) {
                Object v = saved.get(e.getKey());
                if (v == null || !sameKind(v, e.getValue()))
                    throw new IllegalArgumentException("loaded param group has no valid \"" + e.getKey() + "\" (got " + v + ")");
                newGroup.put(e.getKey(), v instanceof List<?> l ? List.copyOf(l) : v);
            }
            checkHyperparameters(newGroup);
            Map<Integer, Integer> position = new LinkedHashMap<>();
            for (int i = 0; i < ids.size(); i++) position.put(((Number) ids.get(i)).intValue(), i);
            List<Map<String, Object>> newState = new ArrayList<>();
            for (int i = 0; i < params.size(); i++) newState.add(new LinkedHashMap<>());
            for (var e : savedState.entrySet()) {
                Integer i = position.get(((Number) e.getKey()).intValue());
                if (i == null) throw new IllegalArgumentException("loaded state refers to parameter " + e.getKey() + ", which is not in param_groups");
                newState.set(i, loadEntry(i, (Map<?, ?>) e.getValue()));
            }
            group = newGroup;
            state = newState;
        } catch (ClassCastException | NullPointerException e) {
            throw new IllegalArgumentException("malformed optimizer state dict: " + e.getMessage(), e);
        }
    }

    private Map<String, Object> loadEntry(int i, Map<?, ?> saved) {
        Tensor p = params.get(i);
        if (!saved.keySet().equals(Set.copyOf(stateKeys())))
            throw new IllegalArgumentException("state of parameter " + i + " has keys " + saved.keySet() + ", expected " + stateKeys());
        Map<String, Object> s = new LinkedHashMap<>();
        for (String k : stateKeys()) {
            Object v = saved.get(k);
            if (k.equals("step")) {        // a Long here; PyTorch 1.13 saves a one-element tensor
                long step = v instanceof Tensor t ? Math.round(t.item()) : ((Number) v).longValue();
                if (step < 0) throw new IllegalArgumentException("state of parameter " + i + " has a negative step " + step);
                s.put(k, step);
                continue;
            }
            Tensor t = (Tensor) v;
            if (!t.shape().equals(p.shape()))
                throw new IllegalArgumentException("state \"" + k + "\" of parameter " + i + " has shape " + t.shape() + ", but the parameter has " + p.shape());
            try (var ng = Tensor.noGrad()) { s.put(k, zerosLike(p).copy_(t.detach().to(p.dtype()))); }
        }
        return s;
    }

    private static boolean sameKind(Object loaded, Object current) {
        if (current instanceof Number) return loaded instanceof Number;
        return current.getClass().isInstance(loaded) || (current instanceof List && loaded instanceof List);
    }
}
