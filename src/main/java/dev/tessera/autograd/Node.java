package dev.tessera.autograd;

import dev.tessera.Tensor;
import dev.tessera.TesseraException;
import dev.tessera.backend.Storage;
import dev.tessera.backend.View;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Collection;
import java.util.Map;

/**
 * One recorded op in the graph: its PyTorch name (e.g. {@code MulBackward0}), the inputs the
 * gradient flows to, the tensors saved for backward, and the backward function from the output's
 * gradient to one gradient per input (null where an input needs none).
 *
 * <p>Backward reads tensors only through {@link Saved} (PyTorch's {@code ctx.saved_tensors}): each
 * saved tensor is checked against the version it had when saved, so an in-place change after
 * forward fails loudly instead of giving a silently wrong gradient. To make that a guarantee rather
 * than a convention, a backward function may not capture a tensor (or a view, storage, array or
 * collection that could hold one): the first node recorded from a lambda whose class has such a
 * field throws {@link IllegalStateException} naming the field. Shapes, dtypes, scalars and flags
 * are captured as usual.
 */
public final class Node {
    /** grad of the output, saved tensors → grads of the inputs, in input order. */
    @FunctionalInterface
    public interface BackwardFn { Tensor[] apply(Tensor grad, Saved saved); }

    /** What backward may read of the forward pass: the saved tensors, version-checked, and which inputs need a gradient. */
    public static final class Saved {
        private final Node node;

        private Saved(Node node) { this.node = node; }

        /** The i-th tensor given to {@link Autograd#record} after the backward function (null stays null). */
        public Tensor get(int i) {
            if (i < 0 || i >= node.saved.length)
                throw new IllegalArgumentException(node.name + ": saved tensor " + i + " requested, " + node.saved.length + " saved");
            return node.saved[i];
        }

        /** PyTorch's {@code ctx.needs_input_grad[i]}: whether input i requires grad (false for a null input). */
        public boolean needsInputGrad(int i) { return node.inputs[i] != null && node.inputs[i].requiresGrad(); }
    }

    String name;
    Tensor[] inputs;
    private BackwardFn backward;
    private Tensor[] saved;
    private final int[] savedVersions;

    Node(String name, Tensor[] inputs, BackwardFn backward, Tensor[] saved) {
        if (CAPTURES_TENSOR.get(backward.getClass()) instanceof String field)
            throw new IllegalStateException("the backward function of " + name + " captures " + field
                    + ": pass the tensor through Autograd.record's saved list and read it with Saved.get, so that an in-place change is detected");
        this.name = name;
        this.inputs = inputs;
        this.backward = backward;
        this.saved = saved;
        this.savedVersions = new int[saved.length];
        for (int i = 0; i < saved.length; i++) savedVersions[i] = saved[i] == null ? 0 : saved[i].version();
    }

    /** For each backward class: the first field that could reach a tensor ("Type name"), or null. Checked once per lambda class. */
    private static final ClassValue<Object> CAPTURES_TENSOR = new ClassValue<>() {
        @Override protected Object computeValue(Class<?> type) {
            for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass())
                for (Field f : c.getDeclaredFields()) {
                    if (Modifier.isStatic(f.getModifiers())) continue;
                    Class<?> t = f.getType();
                    while (t.isArray()) t = t.getComponentType();
                    if (Tensor.class.isAssignableFrom(t) || View.class.isAssignableFrom(t) || Storage.class.isAssignableFrom(t)
                            || Collection.class.isAssignableFrom(t) || Map.class.isAssignableFrom(t) || t == Object.class)
                        return f.getType().getSimpleName() + " " + f.getName();
                }
            return Boolean.FALSE;
        }
    };

    /** PyTorch's class name of the node, e.g. {@code AddmmBackward0} (as {@code grad_fn.name()}). */
    public String name() { return name; }

    /**
     * As PyTorch prints a grad_fn: {@code <AddmmBackward0 object at 0x1b6d3586>}. The address is the
     * JVM's identity hash code (Java has no object addresses), so, as in PyTorch, it tells nodes apart
     * within one run and means nothing across runs.
     */
    @Override public String toString() { return "<" + name + " object at 0x" + Integer.toHexString(System.identityHashCode(this)) + ">"; }

    Tensor[] run(Tensor grad) {
        if (backward == null)
            throw new TesseraException("Trying to backward through the graph a second time (or directly access saved "
                    + "tensors after they have already been freed). Saved intermediate values of the graph are freed "
                    + "when you call .backward(). Specify retainGraph=true if you need to backward a second time.");
        for (int i = 0; i < saved.length; i++)
            if (saved[i] != null && saved[i].version() != savedVersions[i])
                throw new TesseraException("one of the variables needed for gradient computation has been modified by an "
                        + "inplace operation: [" + saved[i].dtype().torchName() + " " + saved[i].shape().toList() + "], which is an input "
                        + "or output of " + name + "; is at version " + saved[i].version() + "; expected version "
                        + savedVersions[i] + " instead.");
        return backward.apply(grad, new Saved(this));
    }

    /**
     * After backward has passed this node (retain_graph=False): drops the backward function, the saved
     * tensors and the references to non-leaf inputs, so that nothing of the forward pass stays reachable
     * through the graph; the tensors the op marked {@linkplain Autograd#temporary temporary} (masks,
     * indices, statistics) are released at once.
     */
    void release() {
        backward = null;
        for (Tensor t : saved) if (t != null) t.internalReleaseIfTemporary();
        saved = new Tensor[0];
        for (int i = 0; i < inputs.length; i++)
            if (inputs[i] != null && inputs[i].gradFn() != null) inputs[i] = null;
    }
}
