package dev.tessera.autograd;

import dev.tessera.Tensor;
import dev.tessera.TesseraException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Records ops into the graph and runs it backwards. */
public final class Autograd {
    private Autograd() {}

    /** Whether an op over these inputs must record a node. */
    public static boolean needsGrad(Tensor... inputs) {
        if (!GradMode.isEnabled()) return false;
        for (Tensor t : inputs) if (t != null && t.requiresGrad()) return true;
        return false;
    }

    /**
     * Attaches a node to {@code out} when any input requires grad and grad mode is on; returns out.
     * {@code saved} are the tensors backward reads, through {@link Node.Saved#get} in this order
     * (null entries allowed); each is checked for in-place changes before backward runs.
     */
    public static Tensor record(Tensor out, String name, Tensor[] inputs, Node.BackwardFn backward, Tensor... saved) {
        if (!needsGrad(inputs)) return out;
        out.internalSetGradFn(new Node(name, inputs, backward, saved));
        return out;
    }

    /**
     * Marks an op's own intermediate that only its backward reads (a dropout mask, pooling indices,
     * batch statistics): once backward has passed the node, it is released at once instead of by the GC.
     * Never for a tensor the op returns. Returns t.
     */
    public static Tensor temporary(Tensor t) { return t == null ? null : t.internalMarkTemporary(); }

    /**
     * Gives the node that produced {@code out} PyTorch's name for a composite op (e.g. a conv built
     * from unfold and matmul prints {@code ConvolutionBackward0}); returns out.
     */
    public static Tensor relabel(Tensor out, String name) {
        if (out.gradFn() != null) out.gradFn().name = name;
        return out;
    }

    /**
     * Reverse-mode pass from {@code root} with upstream gradient {@code grad}: runs nodes in reverse
     * topological order and accumulates into {@code .grad()} of leaves that require grad. Runs
     * without recording a graph (no higher-order gradients).
     *
     * <p>Memory, as PyTorch with retain_graph=False: each node's saved tensors are dropped as soon as
     * the node has run (its {@linkplain #temporary temporaries} released), and every tensor the pass
     * itself makes — the gradients flowing between nodes, the intermediates inside backward functions
     * — is released as soon as nothing further in the pass reads it (see {@link Temporaries}), so on
     * CUDA a step's gradient memory returns to the allocator during backward, not at the next GC. The
     * gradient given by the caller and the {@code .grad} of leaves are never released.
     */
    public static void backward(Tensor root, Tensor grad, boolean retainGraph) {
        if (!root.requiresGrad())
            throw new TesseraException("element 0 of tensors does not require grad and does not have a grad_fn");
        if (!root.shape().equals(grad.shape()))
            throw new TesseraException("backward: grad has shape " + grad.shape() + " but the tensor has shape " + root.shape());
        try (var scope = GradMode.disabled(); var pass = Temporaries.open()) {
            if (root.gradFn() == null) { pass.keep(accumulate(root, grad)); return; }
            List<Node> order = topologicalOrder(root.gradFn());
            Map<Node, Tensor> grads = new IdentityHashMap<>();
            grads.put(root.gradFn(), grad);
            List<Tensor> done = new ArrayList<>();   // gradients this step consumed or replaced
            for (Node node : order) {
                Tensor g = grads.remove(node);
                if (g == null) continue;   // no gradient reached this node
                done.clear();
                done.add(g);
                try (var step = Temporaries.open()) {
                    Tensor[] inputGrads = node.run(g);
                    for (int i = 0; i < node.inputs.length; i++) {
                        Tensor input = node.inputs[i];
                        if (input == null || !input.requiresGrad() || inputGrads[i] == null) continue;
                        done.add(inputGrads[i]);
                        Tensor gi = sumToShape(inputGrads[i], input);
                        if (input.gradFn() == null) {
                            Tensor own = accumulate(input, gi);
                            step.keep(own);
                            pass.keep(own);   // a leaf's .grad outlives the pass
                        } else {
                            Tensor before = grads.get(input.gradFn());
                            if (before != null) done.add(before);
                            step.keep(grads.merge(input.gradFn(), gi, Tensor::add));
                        }
                    }
                    if (!retainGraph) node.release();
                }
                // what the step made and did not keep is released by now; gradients of earlier steps
                // that it consumed are released here unless a node still waits on them
                for (Tensor t : done)
                    if (!grads.containsValue(t) && pass.owns(t)) t.internalRelease();
            }
        }
    }

    /** Sums a broadcast gradient back to the input's shape: the one place broadcasting is undone. */
    static Tensor sumToShape(Tensor g, Tensor input) {
        long[] target = input.shape().toArray();
        long[] shape = g.shape().toArray();
        if (java.util.Arrays.equals(target, shape)) return g;
        int lead = shape.length - target.length;
        List<Integer> dims = new ArrayList<>();
        for (int d = 0; d < shape.length; d++)
            if (d < lead || (target[d - lead] == 1 && shape[d] != 1)) dims.add(d);
        Tensor summed = dims.isEmpty() ? g : g.sum(dims.stream().mapToInt(Integer::intValue).toArray(), true);
        return summed.reshape(target);
    }

    /** Adds g into leaf.grad; returns the new .grad tensor when one was made (it must outlive the pass), else null. */
    private static Tensor accumulate(Tensor leaf, Tensor g) {
        if (g.dtype() != leaf.dtype()) g = g.to(leaf.dtype());
        if (leaf.grad() != null) { leaf.grad().add_(g); return null; }
        Tensor own = g.clone();   // own copy: later += must not alias
        leaf.internalSetGrad(own);
        return own;
    }

    private static List<Node> topologicalOrder(Node root) {
        // Iterative DFS post-order, then reversed: deep graphs (long RNN chains) must not overflow the stack.
        List<Node> post = new ArrayList<>();
        Set<Node> seen = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        ArrayDeque<Object[]> stack = new ArrayDeque<>();
        stack.push(new Object[] {root, 0});
        seen.add(root);
        while (!stack.isEmpty()) {
            Object[] frame = stack.peek();
            Node node = (Node) frame[0];
            int next = (Integer) frame[1];
            if (next < node.inputs.length) {
                frame[1] = next + 1;
                Tensor in = node.inputs[next];
                Node child = in == null ? null : in.gradFn();
                if (child != null && seen.add(child)) stack.push(new Object[] {child, 0});
            } else {
                stack.pop();
                post.add(node);
            }
        }
        java.util.Collections.reverse(post);
        return post;
    }
}
