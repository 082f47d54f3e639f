package dev.tessera.ops;

import dev.tessera.DType;
import dev.tessera.Tensor;
import dev.tessera.TesseraException;
import dev.tessera.autograd.Autograd;
import dev.tessera.backend.UnaryOp;

/**
 * Vector p-norms, as {@code torch.norm(x, p, dim, keepdim)} / {@code torch.linalg.vector_norm}:
 * ‖x‖_p = (Σ|x|^p)^(1/p) over the reduced dims; p = ∞ is max|x|, p = −∞ is min|x|, p = 0 counts the
 * non-zero elements. The backward is PyTorch's {@code norm_backward}: a zero norm gives a zero
 * gradient (not NaN), ties at ±∞ share the gradient equally, p = 0 has zero gradient.
 */
public final class Norm {
    private Norm() {}

    /**
     * x [*] → the norm over {@code dims} (all dims when null or empty), those dims kept as size 1
     * when {@code keepdim}. x must be FLOAT32 or FLOAT64; the result has x's dtype.
     */
    public static Tensor norm(Tensor x, double p, int[] dims, boolean keepdim) {
        if (!x.dtype().isFloatingPoint())
            throw new TesseraException("norm(): input dtype should be either floating point or complex. Got "
                    + (x.dtype() == DType.INT64 ? "Long" : "Bool") + " instead.");
        if (Double.isNaN(p)) throw new TesseraException("norm(): p must not be NaN");
        int rank = x.dim();
        boolean[] reduced = new boolean[rank];
        if (dims == null || dims.length == 0) java.util.Arrays.fill(reduced, true);
        else for (int d : dims) {
            int n = Views.normalizeDim(d, rank, "norm");
            if (reduced[n]) throw new TesseraException("norm(): dim " + n + " appears multiple times in the list of dims");
            reduced[n] = true;
        }
        int count = 0;
        for (boolean r : reduced) if (r) count++;
        int[] red = new int[count];
        for (int d = 0, k = 0; d < rank; d++) if (reduced[d]) red[k++] = d;
        long[] keepShape = x.shape().toArray(), outShape = new long[rank - (keepdim ? 0 : count)];
        for (int d = 0, k = 0; d < rank; d++) {
            if (reduced[d]) keepShape[d] = 1;
            if (!reduced[d] || keepdim) outShape[k++] = keepShape[d];
        }
        if (count > 0 && x.numel() == 0 && (p < 0 || Double.isInfinite(p)))
            throw new TesseraException("norm(): cannot compute the " + p + " norm of an empty tensor because the operation does not have an identity");

        Tensor nk;   // the norm, reduced dims kept as 1
        try (var s = Tensor.noGrad()) {
            Tensor ax = x.abs();
            if (p == Double.POSITIVE_INFINITY || p == Double.NEGATIVE_INFINITY) {
                nk = ax;
                for (int d : red) nk = p > 0 ? nk.max(d, true) : nk.min(d, true);
            } else if (p == 0) nk = sum(ax.ne(0).to(x.dtype()), red);
            else if (p == 1) nk = sum(ax, red);
            else if (p == 2) nk = sum(x.mul(x), red).sqrt();
            else nk = sum(ax.pow(p), red).pow(1 / p);
            nk = nk.contiguous();
        }
        Tensor out = nk.view(outShape);
        // PyTorch 1.13 names this node NormBackward1; PyTorch 2.x, which routes Tensor.norm through
        // linalg.vector_norm, LinalgVectorNormBackward0 (DESIGN.md's reference).
        return Autograd.record(out, "LinalgVectorNormBackward0", new Tensor[] {x}, (g, saved) -> {
            Tensor gk = g.reshape(keepShape);
            return new Tensor[] {backward(saved.get(0), saved.get(1), gk, p, red)};
        }, x, nk);
    }

    private static Tensor sum(Tensor t, int[] red) { return red.length == 0 ? t : t.sum(red, true); }

    /** PyTorch's norm_backward, with norm and grad in the keepdim shape. */
    private static Tensor backward(Tensor x, Tensor norm, Tensor g, double p, int[] red) {
        if (p == 0) return Creation.full(0, x.shape().toArray(), x.dtype(), x.device());
        Tensor sign = Elementwise.unaryKernel("sign", UnaryOp.SIGN, x);
        Tensor zeroNorm = norm.eq(0);
        if (p == 1) return sign.mul(g);
        if (p == 2) return x.mul(g.div(norm).maskedFill(zeroNorm, 0));
        Tensor ax = x.abs();
        if (Double.isInfinite(p)) {
            Tensor mask = ax.eq(norm).to(x.dtype()).maximum(x.ne(x).to(x.dtype()));   // the arg-max/min elements, or NaN
            return sign.mul(g.div(sum(mask, red)).mul(mask));
        }
        if (p < 1) return sign.mul(ax.pow(p - 1).maskedFill(x.eq(0), 0)).mul(g).mul(norm.pow(1 - p));
        Tensor scale = g.div(norm.pow(p - 1)).maskedFill(zeroNorm, 0);
        if (p < 2) return sign.mul(ax.pow(p - 1)).mul(scale);
        return x.mul(ax.pow(p - 2)).mul(scale);
    }
}
