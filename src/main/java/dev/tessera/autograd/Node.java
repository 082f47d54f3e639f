package dev.tessera.autograd;

import dev.tessera.Tensor;
import dev.tessera.TesseraException;

/**
 * One recorded op in the graph: its PyTorch name (e.g. {@code MulBackward0}), the inputs the
 * gradient flows to, and the backward function from the output's gradient to one gradient per
 * input (null where an input needs none). Tensors saved for backward are checked against the
 * version they had when saved, so an in-place change after saving fails loudly.
 */
public final class Node {
    /** grad of the output → grads of the inputs, in input order. */
    @FunctionalInterface
    public interface BackwardFn { Tensor[] apply(Tensor grad); }

    String name;
    final Tensor[] inputs;
    private BackwardFn backward;
    private final Tensor[] saved;
    private final int[] savedVersions;

    Node(String name, Tensor[] inputs, BackwardFn backward, Tensor[] saved) {
        this.name = name;
        this.inputs = inputs;
        this.backward = backward;
        this.saved = java.util.Arrays.stream(saved).filter(java.util.Objects::nonNull).toArray(Tensor[]::new);   // optional operands (bias=False)
        this.savedVersions = new int[this.saved.length];
        for (int i = 0; i < this.saved.length; i++) savedVersions[i] = this.saved[i].version();
    }

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
            if (saved[i].version() != savedVersions[i])
                throw new TesseraException("one of the variables needed for gradient computation has been modified by an "
                        + "inplace operation: [" + saved[i].dtype().torchName() + " " + saved[i].shape().toList() + "], which is an input "
                        + "or output of " + name + "; is at version " + saved[i].version() + "; expected version "
                        + savedVersions[i] + " instead.");
        return backward.apply(grad);
    }

    void release() { backward = null; }
}
