package dev.tessera.nn;

import dev.tessera.DType;
import dev.tessera.Device;
import dev.tessera.Tensor;
import dev.tessera.TesseraException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Base class of all layers and models, as {@code torch.nn.Module}: parameters, buffers and child
 * modules are registered explicitly and kept in registration order, which is the order of
 * {@link #parameters()}, {@link #stateDict()} and the printed repr.
 *
 * <h2>Registration is explicit, and a forgotten one is an error</h2>
 * PyTorch registers a module or parameter when it is assigned to an attribute; Java has no such
 * hook, so a field is registered where it is assigned:
 * <pre>{@code
 * class Net extends Module {
 *     final Linear l1 = register("l1", new Linear(784, 128));
 *     final Parameter scale = registerParameter("scale", new Parameter(Tensor.ones(128)));
 * }
 * }</pre>
 * Tessera does <b>not</b> register fields by reflection: Java does not specify the order in which
 * reflection lists fields, and that order would become the order of {@code parameters()} and of
 * the state-dict keys. Instead, a forgotten registration fails loudly at first use: whenever a
 * module is asked for its parameters, buffers, modules, children or state dict, is moved
 * ({@code to}), switched ({@code train}/{@code eval}), has its grads zeroed, or is printed, every
 * module in the tree checks its fields (its own and those its superclasses declare). A non-static
 * field holding a {@code Module} or a {@link Parameter} that is not registered in that module or
 * anywhere below it throws an {@link IllegalStateException} naming the class, the field and the call
 * that registers it. Building an optimizer from {@code parameters()} is such a use, so a forgotten
 * layer cannot train silently. A field that deliberately refers to a module outside this one (a
 * parent, a frozen teacher) is marked {@link Unregistered @Module.Unregistered}; plain (non-Parameter)
 * tensor fields are not checked, as PyTorch does not register them either; fields that reflection
 * cannot open (a named Java module that does not open its package to Tessera) are skipped.
 */
public abstract class Module {
    /**
     * Marks a {@code Module} or {@code Parameter} field that deliberately is not part of this
     * module (not iterated, saved or moved with it), so the registration check leaves it alone.
     */
    @java.lang.annotation.Retention(java.lang.annotation.RetentionPolicy.RUNTIME)
    @java.lang.annotation.Target(java.lang.annotation.ElementType.FIELD)
    public @interface Unregistered {}


    private final Map<String, Parameter> params = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private final Map<String, java.util.function.Supplier<Tensor>> computed = new java.util.HashMap<>();
    private boolean training = true;

    /** The computation; the default throws, naming the class, as PyTorch's missing forward does. */
    public Tensor forward(Tensor input) {
        throw new UnsupportedOperationException("Module [" + getClass().getSimpleName() + "] is missing the required \"forward\" function");
    }

    /** Registers (or replaces) a child module under {@code name}; returns it. */
    protected <M extends Module> M register(String name, M child) {
        checkName(name, children);
        children.put(name, child);
        return child;
    }

    /** Registers a parameter; null is allowed (e.g. {@code bias=false}) and is skipped by iteration. */
    protected Parameter registerParameter(String name, Parameter p) {
        checkName(name, params);
        params.put(name, p);
        return p;
    }

    /** Registers a buffer: state that is saved and moved with the module but not trained (running stats). */
    protected Tensor registerBuffer(String name, Tensor t) {
        checkName(name, buffers);
        buffers.put(name, t);
        return t;
    }

    /**
     * The tensor a layer should use for its parameter {@code name} in forward: the registered
     * parameter, or the value computed from it when a utility such as spectral norm has
     * reparametrised it (see {@link #reparametrize}).
     */
    protected Tensor param(String name) {
        java.util.function.Supplier<Tensor> f = computed.get(name);
        return f != null ? f.get() : params.get(name);
    }

    /**
     * Replaces parameter {@code name} by a computed value: the Parameter is re-registered as
     * {@code newName} (moved to the end of the parameter order, as PyTorch's re-registration does),
     * {@code extraBuffers} are registered, and {@link #param(String)} returns {@code value.get()}.
     * Used by {@code nn.utils.SpectralNorm}.
     */
    public void reparametrize(String name, String newName, Map<String, Tensor> extraBuffers, java.util.function.Supplier<Tensor> value) {
        Parameter p = params.get(name);
        if (p == null) throw new IllegalArgumentException("Module '" + getClass().getSimpleName() + "' has no parameter or buffer with name '" + name + "'");
        if (computed.containsKey(name)) throw new IllegalArgumentException("Cannot register two spectral_norm hooks on the same parameter " + name);
        params.remove(name);
        registerParameter(newName, p);
        extraBuffers.forEach(this::registerBuffer);
        computed.put(name, value);
    }

    private void checkName(String name, Map<String, ?> own) {
        if (name == null || name.isEmpty() || name.contains("."))
            throw new IllegalArgumentException("module, parameter and buffer names must be non-empty and contain no \".\", got \"" + name + "\"");
        boolean taken = (params.containsKey(name) && own != params) || (buffers.containsKey(name) && own != buffers)
                || (children.containsKey(name) && own != children);
        if (taken) throw new IllegalArgumentException("attribute '" + name + "' already exists in " + getClass().getSimpleName());
    }

    // ---- iteration ----

    /** Parameters in PyTorch's order: pre-order over modules, own parameters first; each object once. */
    public List<Parameter> parameters() { return new ArrayList<>(namedParameters().values()); }

    public Map<String, Parameter> namedParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Map.Entry<String, Module> m : namedModules().entrySet())
            for (Map.Entry<String, Parameter> p : m.getValue().params.entrySet())
                if (p.getValue() != null && seen.add(p.getValue())) out.put(join(m.getKey(), p.getKey()), p.getValue());
        return out;
    }

    public List<Tensor> buffers() { return new ArrayList<>(namedBuffers().values()); }

    public Map<String, Tensor> namedBuffers() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Map.Entry<String, Module> m : namedModules().entrySet())
            for (Map.Entry<String, Tensor> b : m.getValue().buffers.entrySet())
                if (b.getValue() != null && seen.add(b.getValue())) out.put(join(m.getKey(), b.getKey()), b.getValue());
        return out;
    }

    /** This module and all below it, pre-order, each once; this module's name is "". */
    public List<Module> modules() { return new ArrayList<>(namedModules().values()); }

    public Map<String, Module> namedModules() {
        Map<String, Module> out = new LinkedHashMap<>();
        collect("", this, out, Collections.newSetFromMap(new IdentityHashMap<>()));
        return out;
    }

    private static void collect(String prefix, Module m, Map<String, Module> out, Set<Module> seen) {
        if (!seen.add(m)) return;
        m.checkFieldsRegistered();
        out.put(prefix, m);
        for (Map.Entry<String, Module> c : m.children.entrySet())
            if (c.getValue() != null) collect(join(prefix, c.getKey()), c.getValue(), out, seen);
    }

    /** Direct children, in registration order. */
    public List<Module> children() { return new ArrayList<>(namedChildren().values()); }

    public Map<String, Module> namedChildren() {
        checkFieldsRegistered();
        Map<String, Module> out = new LinkedHashMap<>();
        Set<Module> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Map.Entry<String, Module> c : children.entrySet())
            if (c.getValue() != null && seen.add(c.getValue())) out.put(c.getKey(), c.getValue());
        return out;
    }

    private static String join(String prefix, String name) { return prefix.isEmpty() ? name : prefix + "." + name; }

    /** Calls fn on every submodule (children first, then this), as {@code Module.apply}; returns this. */
    public Module apply(Consumer<Module> fn) {
        for (Module c : children()) c.apply(fn);
        fn.accept(this);
        return this;
    }

    // ---- modes ----
    // train/eval/to/cuda/cpu return this typed as the caller's variable or the concrete class, so they
    // chain as in PyTorch: {@code Net net = new Net().eval();}, {@code new Linear(2, 3).eval().forward(x)}.
    // The type parameter is inferred from the assignment (Module when there is none); naming a class
    // the module is not, e.g. {@code Linear l = new Net().eval();}, compiles and fails at run time
    // with a ClassCastException, the price of a self type without a type parameter on every Module.

    /** Training mode on this module and every submodule; returns this. */
    public <M extends Module> M train() { return train(true); }

    /** Sets training mode on this module and every submodule; returns this (see the note on chaining above). */
    @SuppressWarnings("unchecked")
    public <M extends Module> M train(boolean on) {
        for (Module m : modules()) m.training = on;
        return (M) this;
    }

    /** Evaluation mode ({@code train(false)}) on this module and every submodule; returns this. */
    public <M extends Module> M eval() { return train(false); }

    public boolean isTraining() { return training; }

    /** Sets every parameter's grad to null (PyTorch 2's default {@code set_to_none=True}). */
    public void zeroGrad() { for (Parameter p : parameters()) p.setGrad(null); }

    // ---- devices ----

    /**
     * Moves every parameter (with its grad) and buffer to {@code device} IN PLACE: the same
     * Parameter and buffer objects afterwards refer to data on the device, so optimizers built
     * before the move keep working. Returns this.
     */
    @SuppressWarnings("unchecked")
    public <M extends Module> M to(Device device) {
        try (var noGrad = Tensor.noGrad()) {
            for (Tensor t : allTensors()) {
                if (!t.device().equals(device)) t.internalSetData(t.detach().to(device));
                if (t.grad() != null && !t.grad().device().equals(device)) t.setGrad(t.grad().to(device));
            }
        }
        return (M) this;
    }

    public <M extends Module> M to(String device) { return to(Device.of(device)); }
    public <M extends Module> M cuda() { return to(Device.cuda()); }
    public <M extends Module> M cpu() { return to(Device.CPU); }

    /**
     * Casts every floating-point parameter and buffer (and their grads) to {@code dtype} IN PLACE, as
     * PyTorch's {@code module.to(torch.float64)}: the same Parameter objects afterwards hold the
     * converted data; integer and bool buffers ({@code num_batches_tracked}) are left alone. Only
     * FLOAT32 and FLOAT64 are accepted (Tessera has no half types); returns this.
     */
    @SuppressWarnings("unchecked")
    public <M extends Module> M to(DType dtype) {
        if (!dtype.isFloatingPoint())
            throw new IllegalArgumentException("nn.Module.to only accepts floating point dtypes, but got desired dtype=" + dtype.torchName());
        try (var noGrad = Tensor.noGrad()) {
            for (Tensor t : allTensors()) {
                if (!t.dtype().isFloatingPoint()) continue;
                if (t.dtype() != dtype) t.internalSetData(t.detach().to(dtype));
                if (t.grad() != null && t.grad().dtype() != dtype) t.setGrad(t.grad().to(dtype));
            }
        }
        return (M) this;
    }

    /** PyTorch's {@code module.double()} ({@code double} is a Java keyword): {@code to(DType.FLOAT64)}, in place. */
    public <M extends Module> M toDouble() { return to(DType.FLOAT64); }

    /** PyTorch's {@code module.float()} ({@code float} is a Java keyword): {@code to(DType.FLOAT32)}, in place. */
    public <M extends Module> M toFloat() { return to(DType.FLOAT32); }

    private List<Tensor> allTensors() {
        List<Tensor> all = new ArrayList<>(parameters());
        all.addAll(buffers());
        return all;
    }

    // ---- state ----

    /** Parameters then buffers of each module, pre-order, as tensors sharing storage with them. */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Module> m : namedModules().entrySet()) {
            for (Map.Entry<String, Parameter> p : m.getValue().params.entrySet())
                if (p.getValue() != null) out.put(join(m.getKey(), p.getKey()), p.getValue().detach());
            for (Map.Entry<String, Tensor> b : m.getValue().buffers.entrySet())
                if (b.getValue() != null) out.put(join(m.getKey(), b.getKey()), b.getValue().detach());
        }
        return out;
    }

    /** {@link #loadStateDict(Map, boolean)} with {@code strict = true}, PyTorch's default. */
    public IncompatibleKeys loadStateDict(Map<String, Tensor> state) { return loadStateDict(state, true); }

    /**
     * Copies {@code state} into the existing parameters and buffers (converting dtype and device).
     * Everything is validated first: with {@code strict}, missing and unexpected keys are errors;
     * a shape mismatch always is. On an error nothing has been changed.
     *
     * @return the keys that did not match, as PyTorch's {@code _IncompatibleKeys}: both lists empty
     *     after a strict load (it prints {@code <All keys matched successfully>}); after a non-strict
     *     one the module's keys {@code state} lacked and the keys of {@code state} the module has not.
     *     Unlike PyTorch, a missing BatchNorm {@code num_batches_tracked} is reported like any other key
     *     (PyTorch fills it in for state dicts without version metadata, a shim for old checkpoints).
     */
    public IncompatibleKeys loadStateDict(Map<String, Tensor> state, boolean strict) {
        Map<String, Tensor> own = stateDict();
        List<String> missing = new ArrayList<>(), unexpected = new ArrayList<>(), mismatched = new ArrayList<>();
        for (String k : own.keySet()) if (!state.containsKey(k)) missing.add(k);
        for (String k : state.keySet()) if (!own.containsKey(k)) unexpected.add(k);
        for (Map.Entry<String, Tensor> e : own.entrySet()) {
            Tensor src = state.get(e.getKey());
            if (src != null && !src.shape().equals(e.getValue().shape()))
                mismatched.add("size mismatch for " + e.getKey() + ": copying a param with shape " + src.shape()
                        + " from checkpoint, the shape in current model is " + e.getValue().shape() + ".");
        }
        StringBuilder err = new StringBuilder();
        if (strict && !unexpected.isEmpty()) err.append("\n\tUnexpected key(s) in state_dict: ").append(quoted(unexpected)).append(". ");
        if (strict && !missing.isEmpty()) err.append("\n\tMissing key(s) in state_dict: ").append(quoted(missing)).append(". ");
        for (String m : mismatched) err.append("\n\t").append(m);
        if (err.length() > 0)
            throw new TesseraException("Error(s) in loading state_dict for " + getClass().getSimpleName() + ":" + err);
        try (var noGrad = Tensor.noGrad()) {
            for (Map.Entry<String, Tensor> e : own.entrySet()) {
                Tensor src = state.get(e.getKey());
                if (src != null) e.getValue().copy_(src);
            }
        }
        return new IncompatibleKeys(missing, unexpected);
    }

    private static String quoted(List<String> keys) {
        StringBuilder sb = new StringBuilder();
        for (String k : keys) sb.append(sb.length() == 0 ? "" : ", ").append('"').append(k).append('"');
        return sb.toString();
    }

    // ---- the registration check (see the class javadoc) ----

    /** Per class: its and its superclasses' instance fields that can hold a Module or a Parameter, superclass first. */
    private static final ClassValue<List<java.lang.reflect.Field>> CHECKED_FIELDS = new ClassValue<>() {
        @Override protected List<java.lang.reflect.Field> computeValue(Class<?> type) {
            List<java.lang.reflect.Field> out = new ArrayList<>();
            if (type.getSuperclass() != null && type.getSuperclass() != Module.class && Module.class.isAssignableFrom(type.getSuperclass()))
                out.addAll(get(type.getSuperclass()));
            for (java.lang.reflect.Field f : type.getDeclaredFields()) {
                if (java.lang.reflect.Modifier.isStatic(f.getModifiers()) || f.isSynthetic() || f.isAnnotationPresent(Unregistered.class)) continue;
                Class<?> t = f.getType();
                boolean canHold = Module.class.isAssignableFrom(t) || Parameter.class.isAssignableFrom(t)
                        || t.isAssignableFrom(Module.class) || t.isAssignableFrom(Parameter.class);   // also Object, Tensor
                if (canHold && f.trySetAccessible()) out.add(f);
            }
            return List.copyOf(out);
        }
    };

    private void checkFieldsRegistered() {
        if (getClass() == Module.class) return;
        for (java.lang.reflect.Field f : CHECKED_FIELDS.get(getClass())) {
            Object value;
            try {
                value = f.get(this);
            } catch (IllegalAccessException e) {
                continue;   // trySetAccessible succeeded, so this does not happen
            }
            if (value instanceof Module m) {
                if (m != this && !containsIdentity(children.values(), m) && !inSubtree(m))
                    throw unregistered(f, m.getClass().getSimpleName(), "register");
            } else if (value instanceof Parameter p) {
                if (!containsIdentity(params.values(), p) && !containsIdentity(buffers.values(), p) && !inSubtree(p))
                    throw unregistered(f, "Parameter", "registerParameter");
            }
        }
    }

    private IllegalStateException unregistered(java.lang.reflect.Field f, String type, String call) {
        String owner = f.getDeclaringClass().getSimpleName();
        return new IllegalStateException(reprName() + ": field " + owner + "." + f.getName() + " holds a " + type
                + " that was never registered, so it is not in parameters(), stateDict(), to() or the repr and would not train."
                + " Register it where it is assigned: " + f.getName() + " = " + call + "(\"" + f.getName() + "\", ...);"
                + " or mark the field @Module.Unregistered if leaving it out is intended.");
    }

    private static boolean containsIdentity(java.util.Collection<?> values, Object o) {
        for (Object v : values) if (v == o) return true;
        return false;
    }

    /** Whether o is a module, parameter or buffer anywhere below this module (raw maps: no checks, no recursion into them). */
    private boolean inSubtree(Object o) {
        java.util.ArrayDeque<Module> todo = new java.util.ArrayDeque<>(List.of(this));
        Set<Module> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        while (!todo.isEmpty()) {
            Module m = todo.pop();
            if (!seen.add(m)) continue;
            if (m != this && m == o) return true;
            if (containsIdentity(m.params.values(), o) || containsIdentity(m.buffers.values(), o)) return true;
            for (Module c : m.children.values()) if (c != null) todo.push(c);
        }
        return false;
    }

    // ---- printing ----

    /** The layer's own settings for the repr, e.g. {@code in_features=10, out_features=100, bias=True}. */
    public String extraRepr() { return ""; }

    /** PyTorch's nested repr: {@code M1(\n  (l1): Linear(in_features=10, out_features=100, bias=True)\n)}. */
    @Override public String toString() {
        checkFieldsRegistered();
        List<String> extra = extraRepr().isEmpty() ? List.of() : List.of(extraRepr().split("\n"));
        List<String> lines = new ArrayList<>(extra);
        for (Map.Entry<String, Module> c : children.entrySet()) {
            String child = String.valueOf(c.getValue()).replace("\n", "\n  ");
            lines.add("(" + c.getKey() + "): " + child);
        }
        StringBuilder sb = new StringBuilder(reprName()).append('(');
        if (extra.size() == 1 && lines.size() == 1) sb.append(extra.get(0));
        else if (!lines.isEmpty()) sb.append("\n  ").append(String.join("\n  ", lines)).append('\n');
        return sb.append(')').toString();
    }

    /** The class name PyTorch prints (the simple class name; anonymous classes print their superclass). */
    protected String reprName() {
        Class<?> c = getClass();
        while (c.isAnonymousClass()) c = c.getSuperclass();
        return c.getSimpleName();
    }
}
