package dev.tessera.autograd;

import dev.tessera.Tensor;
import dev.tessera.TesseraException;
import dev.tessera.backend.Storage;
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
            Leaves leaves = new Leaves(Storage.created(), pass);
            if (root.gradFn() == null) { leaves.accumulate(root, grad); leaves.finish(); return; }
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
                        leaves.handedOut(gi);
                        if (input.gradFn() == null) {
                            Tensor newGrad = leaves.accumulate(input, gi);
                            step.keep(newGrad);
                            pass.keep(newGrad);   // a leaf's .grad outlives the pass
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
            leaves.finish();
        }
    }

    /**
     * Accumulation into the leaves' .grad of one backward pass. As PyTorch's AccumulateGrad, a
     * leaf without a gradient takes the incoming one without a copy when this pass made it (its
     * storage is newer than the pass) and it is contiguous: copying every parameter's gradient
     * cost an MLP step a full pass over fresh memory. While the pass runs, a taken gradient is never
     * written (a second contribution makes a new sum), since another gradient of the pass may share
     * its storage (an add's backward hands one tensor to both inputs); at the end, a taken gradient
     * whose storage went out more than once is copied, so that every leaf owns its .grad, and a later
     * += into it changes nothing else. Every tensor that becomes a .grad leaves the pass's
     * {@link Temporaries} and is pinned: the pass never releases it.
     */
    private static final class Leaves {
        private final long passStart;
        private final Temporaries pass;
        private final Map<Storage, Integer> handedOut = new IdentityHashMap<>();
        /** Leaf → the gradient it took without a copy in this pass. */
        private final Map<Tensor, Tensor> taken = new IdentityHashMap<>();

        Leaves(long passStart, Temporaries pass) { this.passStart = passStart; this.pass = pass; }

        void handedOut(Tensor g) { handedOut.merge(g.raw().storage(), 1, Integer::sum); }

        /** Adds g into leaf.grad; returns the tensor that became leaf.grad, or null when it was added in place. */
        Tensor accumulate(Tensor leaf, Tensor g) {
            if (g.dtype() != leaf.dtype()) g = g.to(leaf.dtype());
            Tensor old = leaf.grad();
            if (old == null) {
                boolean ours = g.raw().storage().serial() > passStart && g.isContiguous();
                if (ours) taken.put(leaf, g);
                return becomeGrad(leaf, ours ? g : g.clone());   // a copy: later += must not alias the caller's tensor
            }
            if (taken.get(leaf) == old) return becomeGrad(leaf, old.add(g));
            old.add_(g);
            return null;
        }

        private Tensor becomeGrad(Tensor leaf, Tensor g) {
            leaf.internalSetGrad(g.internalPin());
            pass.keep(g);   // made outside a step (finish): out of the pass's hands at once
            return g;
        }

        void finish() {
            taken.forEach((leaf, g) -> {
                if (leaf.grad() == g && handedOut.getOrDefault(g.raw().storage(), 0) > 1) becomeGrad(leaf, g.clone());
            });
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
