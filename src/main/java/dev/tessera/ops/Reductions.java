package dev.tessera.ops;

import dev.tessera.DType;
import dev.tessera.Tensor;
import dev.tessera.TesseraException;
import dev.tessera.autograd.Autograd;
import dev.tessera.backend.ReduceOp;
import java.util.Arrays;

/** sum, mean, max/min (values), argmax/argmin (INT64 indices), var/std. */
public final class Reductions {
    private Reductions() {}

    /** Sorted, distinct, non-negative dims (all dims when null). */
    static int[] normalizeDims(int[] dims, int rank, String op) {
        if (dims == null) {
            int[] all = new int[rank];
            for (int i = 0; i < rank; i++) all[i] = i;
            return all;
        }
        int[] out = new int[dims.length];
        for (int i = 0; i < dims.length; i++) out[i] = Views.normalizeDim(dims[i], rank, op);
        if (rank == 0) return new int[0];   // a 0-dim tensor accepts dim 0 or -1 and has nothing to reduce
        Arrays.sort(out);
        for (int i = 1; i < out.length; i++)
            if (out[i] == out[i - 1]) throw new TesseraException(op + ": dim " + out[i] + " appears multiple times in the list of dims");
        return out;
    }

    /** Shape after reducing dims: removed, or kept as 1. */
    static long[] reducedShape(long[] shape, int[] dims, boolean keepdim) {
        boolean[] reduced = new boolean[shape.length];
        for (int d : dims) reduced[d] = true;
        long[] out = new long[keepdim ? shape.length : shape.length - dims.length];
        for (int i = 0, j = 0; i < shape.length; i++) {
            if (!reduced[i]) out[j++] = shape[i];
            else if (keepdim) out[j++] = 1;
        }
        return out;
    }

    /** Runs a backend reduction over dims (sorted) without autograd. */
    static Tensor reduceKernel(ReduceOp op, Tensor x, int[] dims, boolean keepdim, DType outType) {
        long[] shape = x.shape().toArray();
        int rank = shape.length;
        boolean[] reduced = new boolean[rank];
        for (int d : dims) reduced[d] = true;
        int[] perm = new int[rank];
        int k = 0;
        long outer = 1, inner = 1;
        for (int i = 0; i < rank; i++) if (!reduced[i]) { perm[k++] = i; outer *= shape[i]; }
        for (int i = 0; i < rank; i++) if (reduced[i]) { perm[k++] = i; inner *= shape[i]; }
        Tensor two;
        try (var s = Tensor.noGrad()) { two = x.permute(perm).reshape(outer, inner); }
        Tensor out = Creation.empty(new long[] {outer}, outType, x.device());
        if (outer > 0) x.backend().reduce(op, two.raw(), out.raw());
        try (var s = Tensor.noGrad()) { return out.view(reducedShape(shape, dims, keepdim)); }
    }

    private static DType sumType(Tensor x) { return x.dtype().isFloatingPoint() ? x.dtype() : DType.INT64; }

    /** Expands a reduced gradient back over the reduced dims of shape. */
    static Tensor expandBack(Tensor g, long[] shape, int[] dims, boolean keepdim) {
        Tensor e = g;
        if (!keepdim) for (int d : dims) e = e.unsqueeze(d);
        return e.expand(shape);
    }

    public static Tensor sumAll(Tensor x) {
        long[] shape = x.shape().toArray();
        int[] dims = normalizeDims(null, shape.length, "sum");
        Tensor out = reduceKernel(ReduceOp.SUM, x, dims, false, sumType(x));
        return Autograd.record(out, "SumBackward0", new Tensor[] {x}, (g, saved) -> new Tensor[] {g.expand(shape)});
    }

    public static Tensor sum(Tensor x, int[] dimsIn, boolean keepdim) {
        long[] shape = x.shape().toArray();
        int[] dims = normalizeDims(dimsIn, shape.length, "sum");
        Tensor out = reduceKernel(ReduceOp.SUM, x, dims, keepdim, sumType(x));
        return Autograd.record(out, "SumBackward1", new Tensor[] {x}, (g, saved) -> new Tensor[] {expandBack(g, shape, dims, keepdim)});
    }

    public static Tensor meanAll(Tensor x) {
        requireFloat(x, "mean");
        long n = x.numel();
        return Autograd.relabel(sumAll(x).div((double) n), "MeanBackward0");
    }

    public static Tensor mean(Tensor x, int[] dimsIn, boolean keepdim) {
        requireFloat(x, "mean");
        int[] dims = normalizeDims(dimsIn, x.dim(), "mean");
        long n = 1;
        for (int d : dims) n *= x.shape().get(d);
        return Autograd.relabel(sum(x, dims, keepdim).div((double) n), "MeanBackward1");
    }

    private static void requireFloat(Tensor x, String op) {
        if (!x.dtype().isFloatingPoint())
            throw new TesseraException(op + "(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: "
                    + x.dtype().torchName().substring(6, 7).toUpperCase() + x.dtype().torchName().substring(7));
    }

    /** max()/min() over all elements; the gradient is shared evenly among tied extrema, as in PyTorch. */
    public static Tensor extremeAll(Tensor x, boolean max) {
        String op = max ? "max" : "min";
        if (x.numel() == 0)
            throw new TesseraException(op + "(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.");
        Tensor out = reduceKernel(max ? ReduceOp.MAX : ReduceOp.MIN, x, normalizeDims(null, x.dim(), op), false, x.dtype());
        return Autograd.record(out, max ? "MaxBackward1" : "MinBackward1", new Tensor[] {x}, (g, saved) -> {
            Tensor hits = saved.get(0).eq(saved.get(1)).to(g.dtype());
            return new Tensor[] {hits.mul(g.div(hits.sum()))};
        }, x, out);
    }

    /** Values of max/min along dim; the gradient goes to the first extremal index. */
    public static Tensor extreme(Tensor x, int dim, boolean keepdim, boolean max) {
        String op = max ? "max" : "min";
        int d = Views.normalizeDim(dim, x.dim(), op);
        if (x.dim() == 0) return Views.cloneTensor(x);   // its own extremum, as PyTorch
        checkNonEmptyDim(x, d, op);
        Tensor out = reduceKernel(max ? ReduceOp.MAX : ReduceOp.MIN, x, new int[] {d}, keepdim, x.dtype());
        long[] shape = x.shape().toArray();
        return Autograd.record(out, max ? "MaxBackward0" : "MinBackward0", new Tensor[] {x}, (g, saved) -> {
            Tensor idx = arg(saved.get(0), d, true, max);
            return new Tensor[] {oneHot(idx, shape, d, g.dtype()).mul(keepdim ? g : g.unsqueeze(d))};
        }, x);
    }

    /** A tensor of shape that is 1 where the coordinate along dim equals idx (keepdim-shaped), else 0. */
    static Tensor oneHot(Tensor idx, long[] shape, int dim, DType dtype) {
        long[] rangeShape = new long[shape.length];
        Arrays.fill(rangeShape, 1);
        rangeShape[dim] = shape[dim];
        Tensor range = Tensor.arange(shape[dim]).to(idx.device()).view(rangeShape);
        return range.eq(idx).to(dtype);
    }

    private static void checkNonEmptyDim(Tensor x, int d, String op) {
        if (x.dim() > 0 && x.shape().get(d) == 0)
            throw new TesseraException(op + "(): Expected reduction dim " + d + " to have non-zero size.");
    }

    public static Tensor argAll(Tensor x, boolean max) {
        String op = max ? "argmax" : "argmin";
        if (x.numel() == 0) throw new TesseraException(op + "(): Expected reduction dim to be specified for input.numel() == 0.");
        return reduceKernel(max ? ReduceOp.ARGMAX : ReduceOp.ARGMIN, x.reshape(-1), new int[] {0}, false, DType.INT64);
    }

    public static Tensor arg(Tensor x, int dim, boolean keepdim, boolean max) {
        String op = max ? "argmax" : "argmin";
        int d = Views.normalizeDim(dim, x.dim(), op);
        checkNonEmptyDim(x, d, op);
        return reduceKernel(max ? ReduceOp.ARGMAX : ReduceOp.ARGMIN, x, x.dim() == 0 ? new int[0] : new int[] {d}, keepdim, DType.INT64);
    }

    /** Σ(x − mean)² / (n − 1) (unbiased) or / n, over dims (all when null). */
    public static Tensor var(Tensor x, int[] dimsIn, boolean keepdim, boolean unbiased) {
        requireFloat(x, "var");
        int[] dims = normalizeDims(dimsIn, x.dim(), "var");
        long n = 1;
        for (int d : dims) n *= x.shape().get(d);
        Tensor centered = x.sub(mean(x, dims, true));
        Tensor out = sum(centered.mul(centered), dims, keepdim).div((double) Math.max(unbiased ? n - 1 : n, 0));
        return Autograd.relabel(out, "VarBackward0");
    }
}
