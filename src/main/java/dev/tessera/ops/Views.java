package dev.tessera.ops;

import dev.tessera.Tensor;
import dev.tessera.TesseraException;
import dev.tessera.TesseraIndexException;
import dev.tessera.autograd.Autograd;
import dev.tessera.backend.View;
import java.util.Arrays;
import java.util.List;

/**
 * Shape ops. Everything except reshape-of-incompatible-strides, contiguous-of-non-contiguous,
 * clone, cat and stack returns a view sharing storage with its input.
 */
public final class Views {
    private Views() {}

    /** A dimension index in [-rank, rank) made non-negative, or PyTorch's IndexError (a TesseraIndexException). */
    public static int normalizeDim(int dim, int rank, String op) {
        int r = Math.max(rank, 1);
        if (dim < -r || dim >= r)
            throw new TesseraIndexException(op + ": Dimension out of range (expected to be in range of [" + (-r) + ", " + (r - 1) + "], but got " + dim + ")");
        return dim < 0 ? dim + r : dim;
    }

    private static Tensor viewOf(Tensor t, long offset, long[] shape, long[] strides) {
        return Tensor.internalView(t, offset, shape, strides);
    }

    /** Resolves one -1 and checks the element count. */
    static long[] inferShape(String op, long[] shape, long numel) {
        long[] out = shape.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < out.length; i++) {
            if (out[i] == -1) {
                if (infer >= 0) throw new TesseraException(op + ": only one dimension can be inferred");
                infer = i;
            } else if (out[i] < 0) {
                throw new TesseraException(op + ": invalid shape dimension " + out[i]);
            } else known *= out[i];
        }
        if (infer >= 0) {
            if (known == 0 || numel % known != 0)
                throw new TesseraException("shape '" + Arrays.toString(shape) + "' is invalid for input of size " + numel);
            out[infer] = numel / known;
        } else if (known != numel) {
            throw new TesseraException("shape '" + Arrays.toString(shape) + "' is invalid for input of size " + numel);
        }
        return out;
    }

    /**
     * Strides for viewing (oldShape, oldStrides) as newShape without copying, or null when impossible
     * (PyTorch's computeStride: each run of dims that are contiguous with each other may be re-split).
     */
    static long[] viewStrides(long[] oldShape, long[] oldStrides, long[] newShape) {
        long[] newStrides = new long[newShape.length];
        long numel = 1;
        for (long d : oldShape) numel *= d;
        if (numel == 0 || oldShape.length == 0) return View.contiguousStrides(newShape);   // 0-dim: every new dim is 1
        int viewD = newShape.length - 1;
        long chunkBase = oldStrides.length == 0 ? 1 : oldStrides[oldStrides.length - 1];
        long tensorNumel = 1, viewNumel = 1;
        for (int d = oldShape.length - 1; d >= 0; d--) {
            tensorNumel *= oldShape[d];
            if (d == 0 || (oldShape[d - 1] != 1 && oldStrides[d - 1] != tensorNumel * chunkBase)) {
                while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] == 1)) {
                    newStrides[viewD] = viewNumel * chunkBase;
                    viewNumel *= newShape[viewD];
                    viewD--;
                }
                if (viewNumel != tensorNumel) return null;
                if (d > 0) { chunkBase = oldStrides[d - 1]; tensorNumel = 1; viewNumel = 1; }
            }
        }
        return viewD == -1 ? newStrides : null;
    }

    public static Tensor view(Tensor t, long[] shape) {
        long[] newShape = inferShape("view", shape, t.numel());
        long[] st = viewStrides(t.shape().toArray(), t.stride(), newShape);
        if (st == null)
            throw new TesseraException("view size is not compatible with input tensor's size and stride (at least one dimension "
                    + "spans across two contiguous subspaces). Use .reshape(...) instead.");
        return asView(t, newShape, st, "ViewBackward0");
    }

    public static Tensor reshape(Tensor t, long[] shape) {
        long[] newShape = inferShape("reshape", shape, t.numel());
        long[] st = viewStrides(t.shape().toArray(), t.stride(), newShape);
        if (st != null) return asView(t, newShape, st, "ViewBackward0");
        Tensor c = contiguous(t);
        return asView(c, newShape, View.contiguousStrides(newShape), "UnsafeViewBackward0");
    }

    private static Tensor asView(Tensor t, long[] newShape, long[] strides, String name) {
        long[] old = t.shape().toArray();
        Tensor out = viewOf(t, t.raw().offset(), newShape, strides);
        return Autograd.record(out, name, new Tensor[] {t}, (g, saved) -> new Tensor[] {g.reshape(old)});
    }

    public static Tensor transpose(Tensor t, int dim0, int dim1) {
        int n = t.dim(), a = normalizeDim(dim0, n, "transpose"), b = normalizeDim(dim1, n, "transpose");
        if (n == 0) return t;
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) perm[i] = i;
        perm[a] = b;
        perm[b] = a;
        Tensor out = permuted(t, perm);
        return Autograd.record(out, "TransposeBackward0", new Tensor[] {t}, (g, saved) -> new Tensor[] {g.transpose(a, b)});
    }

    /** All dimensions reversed, as PyTorch's {@code .T} (PermuteBackward0). */
    public static Tensor reverseDims(Tensor t) {
        int n = t.dim();
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) perm[i] = n - 1 - i;
        return permute(t, perm);
    }

    /** The last two dimensions swapped, as PyTorch's {@code .mT} (TransposeBackward0). */
    public static Tensor mT(Tensor t) {
        if (t.dim() < 2) throw new TesseraException("tensor.mT is only supported on matrices or batches of matrices. Got " + t.dim() + "-D tensor.");
        return transpose(t, -2, -1);
    }

    public static Tensor t(Tensor t) {
        if (t.dim() > 2) throw new TesseraException("t() expects a tensor with <= 2 dimensions, but self is " + t.dim() + "D");
        // PyTorch names the node TBackward0 (not TransposeBackward0), and t() of a 0-/1-D tensor is still a new view.
        return t.dim() < 2 ? asView(t, t.shape().toArray(), t.stride(), "TBackward0") : Autograd.relabel(transpose(t, 0, 1), "TBackward0");
    }

    public static Tensor permute(Tensor t, int[] dims) {
        int n = t.dim();
        if (dims.length != n)
            throw new TesseraException("permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = " + n + " is not equal to len(dims) = " + dims.length);
        int[] perm = new int[n], inverse = new int[n];
        boolean[] seen = new boolean[n];
        for (int i = 0; i < n; i++) {
            perm[i] = normalizeDim(dims[i], n, "permute");
            if (seen[perm[i]]) throw new TesseraException("permute(): duplicate dims are not allowed: " + Arrays.toString(dims));
            seen[perm[i]] = true;
            inverse[perm[i]] = i;
        }
        Tensor out = permuted(t, perm);
        return Autograd.record(out, "PermuteBackward0", new Tensor[] {t}, (g, saved) -> new Tensor[] {g.permute(inverse)});
    }

    private static Tensor permuted(Tensor t, int[] perm) {
        long[] sh = t.shape().toArray(), st = t.stride(), ns = new long[perm.length], nst = new long[perm.length];
        for (int i = 0; i < perm.length; i++) { ns[i] = sh[perm[i]]; nst[i] = st[perm[i]]; }
        return viewOf(t, t.raw().offset(), ns, nst);
    }

    public static Tensor squeeze(Tensor t) {
        long[] sh = t.shape().toArray(), st = t.stride();
        int kept = 0;
        for (long d : sh) if (d != 1) kept++;
        long[] ns = new long[kept], nst = new long[kept];
        for (int i = 0, j = 0; i < sh.length; i++) if (sh[i] != 1) { ns[j] = sh[i]; nst[j++] = st[i]; }
        Tensor out = viewOf(t, t.raw().offset(), ns, nst);
        return Autograd.record(out, "SqueezeBackward0", new Tensor[] {t}, (g, saved) -> new Tensor[] {g.reshape(sh)});
    }

    public static Tensor squeeze(Tensor t, int dim) {
        if (t.dim() == 0) return t;
        int d = normalizeDim(dim, t.dim(), "squeeze");
        long[] sh = t.shape().toArray();
        if (sh[d] != 1) return t;
        Tensor out = viewOf(t, t.raw().offset(), remove(sh, d), remove(t.stride(), d));
        return Autograd.record(out, "SqueezeBackward1", new Tensor[] {t}, (g, saved) -> new Tensor[] {g.unsqueeze(d)});
    }

    public static Tensor unsqueeze(Tensor t, int dim) {
        int d = normalizeDim(dim, t.dim() + 1, "unsqueeze");
        long[] sh = t.shape().toArray(), st = t.stride();
        long stride = d < sh.length ? sh[d] * st[d] : 1;
        Tensor out = viewOf(t, t.raw().offset(), insert(sh, d, 1), insert(st, d, stride));
        return Autograd.record(out, "UnsqueezeBackward0", new Tensor[] {t}, (g, saved) -> new Tensor[] {g.squeeze(d)});
    }

    public static Tensor flatten(Tensor t, int startDim, int endDim) {
        if (t.dim() == 0) return reshape(t, new long[] {1});
        int s = normalizeDim(startDim, t.dim(), "flatten"), e = normalizeDim(endDim, t.dim(), "flatten");
        if (s > e) throw new TesseraException("flatten() has invalid args: start_dim cannot come after end_dim");
        if (s == e) return t;
        long[] sh = t.shape().toArray();
        long[] ns = new long[sh.length - (e - s)];
        long merged = 1;
        for (int i = s; i <= e; i++) merged *= sh[i];
        for (int i = 0, j = 0; i < sh.length; i++) {
            if (i < s || i > e) ns[j++] = sh[i];
            else if (i == s) ns[j++] = merged;
        }
        return reshape(t, ns);
    }

    public static Tensor narrow(Tensor t, int dim, long start, long length) {
        int d = normalizeDim(dim, t.dim(), "narrow");
        long size = t.shape().get(d);
        long s = start < 0 ? start + size : start;
        if (s < 0 || s > size || length < 0 || s + length > size)
            throw new TesseraException("start (" + start + ") + length (" + length + ") exceeds dimension size (" + size + ").");
        return slice(t, d, s, s + length, 1);
    }

    /** t[..., start:end:step, ...] along dim, with Python's clamping of start and end. */
    public static Tensor slice(Tensor t, int dim, long start, long end, long step) {
        int d = normalizeDim(dim, t.dim(), "slice");
        if (step <= 0) throw new TesseraException("slice step must be positive, got " + step);
        long size = t.shape().get(d);
        long s = Math.min(Math.max(start < 0 ? start + size : start, 0), size);
        long e = Math.min(Math.max(end < 0 ? end + size : end, s), size);
        long len = (e - s + step - 1) / step;
        long[] sh = t.shape().toArray(), st = t.stride();
        long[] ns = sh.clone(), nst = st.clone();
        ns[d] = len;
        nst[d] = st[d] * step;
        Tensor out = viewOf(t, t.raw().offset() + s * st[d], ns, nst);
        return Autograd.record(out, "SliceBackward0", new Tensor[] {t}, (g, saved) -> {
            Tensor full = Creation.full(0, sh, g.dtype(), g.device());
            slice(full, d, s, e, step).copy_(g);
            return new Tensor[] {full};
        });
    }

    /** t[i], as Python indexing: select(0, i) with PyTorch's IndexError text for an index past either end. */
    public static Tensor index(Tensor t, long i) {
        if (t.dim() == 0) throw new TesseraIndexException("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ to convert a 0-dim tensor to a number");
        long size = t.size(0);
        if (i < -size || i >= size) throw new TesseraIndexException("index " + i + " is out of bounds for dimension 0 with size " + size);
        return select(t, 0, i);
    }

    public static Tensor select(Tensor t, int dim, long index) {
        if (t.dim() == 0) throw new TesseraException("select() cannot be applied to a 0-dim tensor.");
        int d = normalizeDim(dim, t.dim(), "select");
        long size = t.shape().get(d);
        if (index < -size || index >= size)
            throw new TesseraIndexException("select(): index " + index + " out of range for tensor of size " + t.shape().toList() + " at dimension " + d);
        long i = index < 0 ? index + size : index;
        long[] sh = t.shape().toArray(), st = t.stride();
        Tensor out = viewOf(t, t.raw().offset() + i * st[d], remove(sh, d), remove(st, d));
        return Autograd.record(out, "SelectBackward0", new Tensor[] {t}, (g, saved) -> {
            Tensor full = Creation.full(0, sh, g.dtype(), g.device());
            select(full, d, i).copy_(g);
            return new Tensor[] {full};
        });
    }

    public static Tensor expand(Tensor t, long[] shape) {
        long[] sh = t.shape().toArray();
        if (shape.length < sh.length)
            throw new TesseraException("expand: the number of sizes provided (" + shape.length + ") must be greater or equal to the number of dimensions in the tensor (" + sh.length + ")");
        long[] target = shape.clone();
        int lead = shape.length - sh.length;
        for (int d = 0; d < shape.length; d++) {
            int s = d - lead;
            if (target[d] == -1) {
                if (s < 0) throw new TesseraException("expand: -1 is not allowed in a leading, non-existing dimension (" + d + ")");
                target[d] = sh[s];
            }
            if (s >= 0 && sh[s] != 1 && sh[s] != target[d])
                throw new TesseraException("The expanded size of the tensor (" + target[d] + ") must match the existing size (" + sh[s]
                        + ") at non-singleton dimension " + d + ".  Target sizes: " + Arrays.toString(shape) + ".  Tensor sizes: " + Arrays.toString(sh));
        }
        if (Arrays.equals(target, sh)) return t;
        View e = Elementwise.expandedView(t, target);
        Tensor out = viewOf(t, e.offset(), e.shape(), e.strides());
        return Autograd.record(out, "ExpandBackward0", new Tensor[] {t}, (g, saved) -> new Tensor[] {g});   // engine sums back to shape
    }

    /**
     * PyTorch's get_summarized_data (torch/_tensor_str.py) for printing: along every dimension whose
     * size in {@code shown} is smaller than in t, only t's first and last {@code edgeItems}, gathered
     * into a new contiguous tensor of shape {@code shown} on t's device, without history. Each corner
     * of t (first or last edge along every cut dimension) is one strided copy, so nothing else is read:
     * a tensor too large for a Java array (2^31 elements and more on CUDA) still prints.
     */
    public static Tensor edges(Tensor t, long[] shown, int edgeItems) {
        long[] sh = t.shape().toArray();
        int[] cut = new int[sh.length];
        int cuts = 0;
        for (int d = 0; d < sh.length; d++) if (shown[d] < sh[d]) cut[cuts++] = d;
        cut = Arrays.copyOf(cut, cuts);
        Tensor out = Creation.empty(shown, t.dtype(), t.device());
        View src = t.raw(), dst = out.raw();
        long[] srcStrides = src.strides(), dstStrides = dst.strides();
        long[] corner = shown.clone();
        for (int d : cut) corner[d] = edgeItems;
        for (int mask = 0; mask < 1 << cut.length; mask++) {
            long from = src.offset(), to = dst.offset();
            for (int k = 0; k < cut.length; k++) {
                if ((mask >> k & 1) == 0) continue;   // the first edgeItems: offset 0 in both
                int d = cut[k];
                from += (sh[d] - edgeItems) * srcStrides[d];
                to += edgeItems * dstStrides[d];
            }
            t.backend().copy(new View(src.storage(), from, corner, srcStrides), new View(dst.storage(), to, corner, dstStrides));
        }
        return out;
    }

    public static Tensor contiguous(Tensor t) { return t.isContiguous() ? t : cloneTensor(t); }

    public static Tensor cloneTensor(Tensor t) {
        Tensor out = Creation.empty(t.shape().toArray(), t.dtype(), t.device());
        t.backend().copy(t.raw(), out.raw());
        return Autograd.record(out, "CloneBackward0", new Tensor[] {t}, (g, saved) -> new Tensor[] {g});
    }

    public static Tensor cat(List<Tensor> tensors, int dim) {
        if (tensors.isEmpty()) throw new TesseraException("torch.cat(): expected a non-empty list of Tensors");
        Tensor first = tensors.get(0);
        int d = normalizeDim(dim, first.dim(), "cat");
        long[] shape = first.shape().toArray();
        long total = 0;
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i);
            Elementwise.checkSameDevice(first, t);
            if (t.dtype() != first.dtype())
                throw new TesseraException("torch.cat(): expected all tensors to have dtype " + first.dtype().torchName() + ", but tensor " + i + " has " + t.dtype().torchName());
            if (t.dim() != shape.length)
                throw new TesseraException("torch.cat(): Tensors must have same number of dimensions: got " + shape.length + " and " + t.dim());
            for (int k = 0; k < shape.length; k++)
                if (k != d && t.shape().get(k) != shape[k])
                    throw new TesseraException("Sizes of tensors must match except in dimension " + d + ". Expected size " + shape[k] + " but got size " + t.shape().get(k) + " for tensor number " + i + " in the list.");
            total += t.shape().get(d);
        }
        shape[d] = total;
        Tensor out = Creation.empty(shape, first.dtype(), first.device());
        long[] starts = new long[tensors.size()];
        long at = 0;
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i);
            starts[i] = at;
            View dst = slice(out, d, at, at + t.shape().get(d), 1).raw();
            first.backend().copy(t.raw(), dst);
            at += t.shape().get(d);
        }
        Tensor[] inputs = tensors.toArray(new Tensor[0]);
        long[] lengths = new long[inputs.length];
        for (int i = 0; i < inputs.length; i++) lengths[i] = inputs[i].shape().get(d);
        return Autograd.record(out, "CatBackward0", inputs, (g, saved) -> {
            Tensor[] grads = new Tensor[lengths.length];
            for (int i = 0; i < lengths.length; i++) grads[i] = g.narrow(d, starts[i], lengths[i]);
            return grads;
        });
    }

    public static Tensor stack(List<Tensor> tensors, int dim) {
        if (tensors.isEmpty()) throw new TesseraException("stack expects a non-empty TensorList");
        for (int i = 1; i < tensors.size(); i++)
            if (!tensors.get(i).shape().equals(tensors.get(0).shape()))
                throw new TesseraException("stack expects each tensor to be equal size, but got " + tensors.get(0).shape()
                        + " at entry 0 and " + tensors.get(i).shape() + " at entry " + i);
        int d = normalizeDim(dim, tensors.get(0).dim() + 1, "stack");
        return Autograd.relabel(cat(tensors.stream().map(t -> t.unsqueeze(d)).toList(), d), "StackBackward0");
    }

    static long[] remove(long[] a, int i) {
        long[] out = new long[a.length - 1];
        for (int k = 0, j = 0; k < a.length; k++) if (k != i) out[j++] = a[k];
        return out;
    }

    static long[] insert(long[] a, int i, long v) {
        long[] out = new long[a.length + 1];
        for (int k = 0, j = 0; k < out.length; k++) out[k] = k == i ? v : a[j++];
        return out;
    }
}
