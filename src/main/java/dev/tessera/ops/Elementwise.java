package dev.tessera.ops;

import dev.tessera.DType;
import dev.tessera.Tensor;
import dev.tessera.TesseraException;
import dev.tessera.autograd.Autograd;
import dev.tessera.backend.BinaryOp;
import dev.tessera.backend.UnaryOp;
import dev.tessera.backend.View;
import java.util.Arrays;
import java.util.function.UnaryOperator;

/**
 * Elementwise ops: broadcasting arithmetic, unary functions, comparisons, where/maskedFill and
 * the in-place forms. Each op's backward sits next to its forward; gradients of broadcast inputs
 * are summed back to shape by the engine ({@code Autograd.sumToShape}).
 */
public final class Elementwise {
    private Elementwise() {}

    // ---- shape, device and dtype rules ----

    /** PyTorch broadcasting of two shapes, or its error message. */
    public static long[] broadcastShapes(long[] a, long[] b) {
        int n = Math.max(a.length, b.length);
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            int ia = i - (n - a.length), ib = i - (n - b.length);
            long da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
            if (da != db && da != 1 && db != 1)
                throw new TesseraException("The size of tensor a (" + da + ") must match the size of tensor b (" + db
                        + ") at non-singleton dimension " + i);
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    static void checkSameDevice(Tensor a, Tensor b) {
        if (!a.device().equals(b.device()))
            throw new TesseraException("Expected all tensors to be on the same device, but found at least two devices, "
                    + a.device() + " and " + b.device() + "!");
    }

    /** The dtype of a tensor op a Java scalar: integral scalars keep INT64, others make INT64/BOOL FLOAT32. */
    static DType scalarResultType(Tensor t, double s) {
        if (t.dtype().isFloatingPoint()) return t.dtype();
        return s == Math.rint(s) && !Double.isInfinite(s) ? DType.INT64 : DType.FLOAT32;
    }

    /**
     * A 0-dim operand holding s. On a GPU each new one costs a host-to-device copy, so the
     * constants a training loop repeats (learning rates, 0.5, 1.0) are kept in a small cache;
     * these tensors are only ever read.
     */
    static Tensor scalarLike(double s, DType dtype, Tensor like) {
        if (!like.isCuda()) return Creation.full(s, new long[0], dtype, like.device());
        synchronized (DEVICE_SCALARS) {
            return DEVICE_SCALARS.computeIfAbsent(new ScalarKey(s, dtype, like.device()), k -> Creation.full(s, new long[0], dtype, like.device()).internalPin());   // cached: never released early
        }
    }

    private record ScalarKey(double value, DType dtype, dev.tessera.Device device) {}

    private static final java.util.Map<ScalarKey, Tensor> DEVICE_SCALARS = new java.util.LinkedHashMap<>(256, 0.75f, true) {
        @Override protected boolean removeEldestEntry(java.util.Map.Entry<ScalarKey, Tensor> eldest) { return size() > 256; }
    };

    /** A view of t broadcast to shape (stride 0 on new and size-1 axes). */
    static View expandedView(Tensor t, long[] shape) {
        View v = t.raw();
        long[] src = v.shape(), st = v.strides(), out = new long[shape.length];
        int lead = shape.length - src.length;
        for (int d = 0; d < shape.length; d++) {
            int s = d - lead;
            out[d] = s < 0 || (src[s] == 1 && shape[d] != 1) ? 0 : st[s];
        }
        return new View(v.storage(), v.offset(), shape, out);
    }

    // ---- raw kernels (no autograd) ----

    /** a op b into a new tensor: broadcast, dtype promotion, device check; records nothing. */
    static Tensor binaryKernel(BinaryOp op, Tensor a, Tensor b) {
        checkSameDevice(a, b);
        long[] shape = broadcastShapes(a.shape().toArray(), b.shape().toArray());
        DType common = DType.promote(a.dtype(), b.dtype());
        if (op == BinaryOp.DIV && !common.isFloatingPoint()) common = DType.FLOAT32;   // true division
        Tensor ca = a.dtype() == common ? a : Creation.convert(a, common);
        Tensor cb = b.dtype() == common ? b : Creation.convert(b, common);
        Tensor out = Creation.empty(shape, op.isComparison() ? DType.BOOL : common, a.device());
        a.backend().binary(op, expandedView(ca, shape), expandedView(cb, shape), out.raw());
        return out;
    }

    static Tensor unaryKernel(String name, UnaryOp op, Tensor x) {
        if (!x.dtype().isFloatingPoint())
            throw new TesseraException("\"" + name + "\" not implemented for '" + x.dtype().torchName() + "'; convert with to(DType.FLOAT32)");
        Tensor out = Creation.empty(x.shape().toArray(), x.dtype(), x.device());
        x.backend().unary(op, x.raw(), out.raw());
        return out;
    }

    /** d(loss)/dx from g, the saved input x and the saved output. */
    @FunctionalInterface
    private interface UnaryBackward { Tensor apply(Tensor g, Tensor x, Tensor out); }

    private static Tensor unary(String name, UnaryOp op, Tensor x, UnaryBackward backward) {
        Tensor out = unaryKernel(name, op, x);
        return Autograd.record(out, name, new Tensor[] {x}, (g, saved) -> new Tensor[] {backward.apply(g, saved.get(0), saved.get(1))}, x, out);
    }

    static Tensor mulNoGrad(Tensor a, Tensor b) { return binaryKernel(BinaryOp.MUL, a, b); }

    // ---- arithmetic ----

    /** a + alpha·b (alpha = -1 is subtraction). */
    public static Tensor add(Tensor a, Tensor b, double alpha) {
        Tensor scaledB = alpha == 1 || alpha == -1 ? b : mulScalarNoGrad(b, alpha);
        Tensor out = binaryKernel(alpha == -1 ? BinaryOp.SUB : BinaryOp.ADD, a, scaledB);
        String name = alpha == -1 ? "SubBackward0" : "AddBackward0";
        return Autograd.record(out, name, new Tensor[] {a, b}, (g, saved) -> new Tensor[] {g, alpha == 1 ? g : g.mul(alpha)});
    }

    private static Tensor mulScalarNoGrad(Tensor t, double s) { return binaryKernel(BinaryOp.MUL, t, scalarLike(s, scalarResultType(t, s), t)); }

    // A Java double operand is PyTorch's Python number: PyTorch wraps it into a 0-dim tensor and
    // dispatches the Tensor overload, so the node is AddBackward0/SubBackward0/MulBackward0/DivBackward0
    // (PyTorch 1.13 and 2.x); the *Backward1 names belong to the Scalar overloads Python never reaches.
    public static Tensor addScalar(Tensor a, double s) {
        Tensor out = binaryKernel(BinaryOp.ADD, a, scalarLike(s, scalarResultType(a, s), a));
        return Autograd.record(out, "AddBackward0", new Tensor[] {a}, (g, saved) -> new Tensor[] {g});
    }

    public static Tensor subScalar(Tensor a, double s) {
        Tensor out = binaryKernel(BinaryOp.SUB, a, scalarLike(s, scalarResultType(a, s), a));
        return Autograd.record(out, "SubBackward0", new Tensor[] {a}, (g, saved) -> new Tensor[] {g});
    }

    public static Tensor mul(Tensor a, Tensor b) {
        Tensor out = binaryKernel(BinaryOp.MUL, a, b);
        return Autograd.record(out, "MulBackward0", new Tensor[] {a, b},
                (g, saved) -> new Tensor[] {saved.needsInputGrad(0) ? g.mul(saved.get(1)) : null, saved.needsInputGrad(1) ? g.mul(saved.get(0)) : null}, a, b);
    }

    public static Tensor mulScalar(Tensor a, double s) {
        Tensor out = mulScalarNoGrad(a, s);
        return Autograd.record(out, "MulBackward0", new Tensor[] {a}, (g, saved) -> new Tensor[] {g.mul(s)});
    }

    public static Tensor div(Tensor a, Tensor b) {
        Tensor out = binaryKernel(BinaryOp.DIV, a, b);
        return Autograd.record(out, "DivBackward0", new Tensor[] {a, b},
                (g, saved) -> {
                    Tensor sa = saved.get(0), sb = saved.get(1);
                    return new Tensor[] {g.div(sb), saved.needsInputGrad(1) ? g.neg().mul(sa).div(sb.mul(sb)) : null};
                }, a, b);
    }

    public static Tensor divScalar(Tensor a, double s) {
        Tensor out = binaryKernel(BinaryOp.DIV, a, scalarLike(s, scalarResultType(a, s), a));
        return Autograd.record(out, "DivBackward0", new Tensor[] {a}, (g, saved) -> new Tensor[] {g.div(s)});
    }

    public static Tensor neg(Tensor a) {
        Tensor out = Creation.empty(a.shape().toArray(), a.dtype(), a.device());
        if (a.dtype() == DType.BOOL) throw new TesseraException("Negation, the `-` operator, on a bool tensor is not supported.");
        if (a.dtype() == DType.INT64) a.backend().binary(BinaryOp.SUB, expandedView(scalarLike(0, DType.INT64, a), a.shape().toArray()), a.raw(), out.raw());
        else a.backend().unary(UnaryOp.NEG, a.raw(), out.raw());
        return Autograd.record(out, "NegBackward0", new Tensor[] {a}, (g, saved) -> new Tensor[] {g.neg()});
    }

    /** x^e; the gradient is e·x^(e-1)·g. */
    public static Tensor powScalar(Tensor x, double e) {
        Tensor out = binaryKernel(BinaryOp.POW, x, scalarLike(e, scalarResultType(x, e), x));
        return Autograd.record(out, "PowBackward0", new Tensor[] {x},
                (g, saved) -> new Tensor[] {e == 0 ? g.mul(0.0) : g.mul(saved.get(0).pow(e - 1)).mul(e)}, x);
    }

    /** a^b elementwise; d/da = b·a^(b-1), d/db = a^b·ln a. */
    public static Tensor pow(Tensor a, Tensor b) {
        Tensor out = binaryKernel(BinaryOp.POW, a, b);
        return Autograd.record(out, "PowBackward1", new Tensor[] {a, b},
                (g, saved) -> {
                    Tensor sa = saved.get(0), sb = saved.get(1);
                    return new Tensor[] {g.mul(sb).mul(sa.pow(sb.sub(1.0))), saved.needsInputGrad(1) ? g.mul(saved.get(2)).mul(sa.log()) : null};
                }, a, b, out);
    }

    public static Tensor exp(Tensor x) { return unary("ExpBackward0", UnaryOp.EXP, x, (g, in, out) -> g.mul(out)); }
    public static Tensor log(Tensor x) { return unary("LogBackward0", UnaryOp.LOG, x, (g, in, out) -> g.div(in)); }
    public static Tensor sqrt(Tensor x) { return unary("SqrtBackward0", UnaryOp.SQRT, x, (g, in, out) -> g.div(out.mul(2.0))); }
    public static Tensor rsqrt(Tensor x) { return unary("RsqrtBackward0", UnaryOp.RSQRT, x, (g, in, out) -> g.mul(out.pow(3)).mul(-0.5)); }
    public static Tensor abs(Tensor x) { return unary("AbsBackward0", UnaryOp.ABS, x, (g, in, out) -> g.mul(unaryKernel("sign", UnaryOp.SIGN, in))); }
    /** The gradient at exactly 0 is 0, as in PyTorch. */
    public static Tensor relu(Tensor x) { return unary("ReluBackward0", UnaryOp.RELU, x, (g, in, out) -> reluBackward(g, out)); }

    /** g where y &gt; 0, else 0, in one kernel pass (PyTorch's threshold_backward); backward runs without a graph. */
    static Tensor reluBackward(Tensor g, Tensor y) { return binaryKernel(BinaryOp.RELU_BACKWARD, g, y); }

    public static Tensor sigmoid(Tensor x) { return unary("SigmoidBackward0", UnaryOp.SIGMOID, x, (g, in, out) -> g.mul(out).mul(out.neg().add(1.0))); }
    public static Tensor tanh(Tensor x) { return unary("TanhBackward0", UnaryOp.TANH, x, (g, in, out) -> g.mul(out.mul(out).neg().add(1.0))); }

    private static final double INV_SQRT_2 = 1 / Math.sqrt(2), INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI), TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

    /** d/dx x·Φ(x) = Φ(x) + x·φ(x). */
    public static Tensor gelu(Tensor x) {
        return unary("GeluBackward0", UnaryOp.GELU, x, (g, xs, out) -> {
            Tensor cdf = xs.mul(INV_SQRT_2).erf().add(1.0).mul(0.5);
            Tensor pdf = xs.mul(xs).mul(-0.5).exp().mul(INV_SQRT_2PI);
            return g.mul(cdf.add(xs.mul(pdf)));
        });
    }

    public static Tensor erf(Tensor x) { return unary("ErfBackward0", UnaryOp.ERF, x, (g, xs, out) -> g.mul(xs.mul(xs).neg().exp().mul(TWO_OVER_SQRT_PI))); }

    /** Elementwise max; where a == b the gradient is split evenly, as in PyTorch. */
    public static Tensor maximum(Tensor a, Tensor b) { return extremum(a, b, BinaryOp.MAXIMUM, "MaximumBackward0"); }
    public static Tensor minimum(Tensor a, Tensor b) { return extremum(a, b, BinaryOp.MINIMUM, "MinimumBackward0"); }

    private static Tensor extremum(Tensor a, Tensor b, BinaryOp op, String name) {
        Tensor out = binaryKernel(op, a, b);
        return Autograd.record(out, name, new Tensor[] {a, b}, (g, saved) -> {
            Tensor sa = saved.get(0), sb = saved.get(1);
            Tensor aWins = (op == BinaryOp.MAXIMUM ? sa.gt(sb) : sa.lt(sb)).to(g.dtype());
            Tensor tie = sa.eq(sb).to(g.dtype()).mul(0.5);
            Tensor share = aWins.add(tie);
            return new Tensor[] {g.mul(share), g.mul(share.neg().add(1.0))};
        }, a, b);
    }

    /** Clamp to [min, max] (NaN = unbounded); the gradient passes where min ≤ x ≤ max. */
    public static Tensor clamp(Tensor x, double min, double max) {
        if (Double.isNaN(min) && Double.isNaN(max)) throw new TesseraException("clamp: At least one of 'min' or 'max' must not be None");
        Tensor out = x;
        try (var s = Tensor.noGrad()) {
            if (!Double.isNaN(min)) out = binaryKernel(BinaryOp.MAXIMUM, out, scalarLike(min, scalarResultType(x, min), x));
            if (!Double.isNaN(max)) out = binaryKernel(BinaryOp.MINIMUM, out, scalarLike(max, scalarResultType(x, max), x));
        }
        return Autograd.record(out, "ClampBackward1", new Tensor[] {x}, (g, saved) -> {
            Tensor xs = saved.get(0);
            Tensor aboveMin = Double.isNaN(min) ? null : xs.ge(min).to(g.dtype()), belowMax = Double.isNaN(max) ? null : xs.le(max).to(g.dtype());
            Tensor inside = aboveMin == null ? belowMax : belowMax == null ? aboveMin : aboveMin.mul(belowMax);
            return new Tensor[] {g.mul(inside)};
        }, x);
    }

    // ---- comparisons and selection ----

    public static Tensor compare(BinaryOp op, Tensor a, Tensor b) { return binaryKernel(op, a, b); }

    public static Tensor compareScalar(BinaryOp op, Tensor a, double s) {
        // An integral tensor meets a fractional scalar in floating point, as PyTorch: int64 0 < 0.5.
        return binaryKernel(op, a, scalarLike(s, scalarResultType(a, s), a));
    }

    /** condition ? a : b with broadcasting; condition must be BOOL. */
    public static Tensor where(Tensor cond, Tensor a, Tensor b) {
        if (cond.dtype() != DType.BOOL)
            throw new TesseraException("where expected condition to be a boolean tensor, but got a tensor with dtype " + cond.dtype().torchName());
        checkSameDevice(cond, a);
        checkSameDevice(a, b);
        long[] shape = broadcastShapes(cond.shape().toArray(), broadcastShapes(a.shape().toArray(), b.shape().toArray()));
        DType common = DType.promote(a.dtype(), b.dtype());
        Tensor ca = a.dtype() == common ? a : Creation.convert(a, common), cb = b.dtype() == common ? b : Creation.convert(b, common);
        Tensor out = Creation.empty(shape, common, a.device());
        a.backend().where(expandedView(cond, shape), expandedView(ca, shape), expandedView(cb, shape), out.raw());
        return Autograd.record(out, "WhereBackward0", new Tensor[] {a, b}, (g, saved) -> {
            Tensor zero = scalarLike(0, g.dtype(), g), c = saved.get(0);
            return new Tensor[] {where(c, g, zero), where(c, zero, g)};
        }, cond);   // backward reads cond: an in-place change to it must fail, as in PyTorch
    }

    public static Tensor maskedFill(Tensor x, Tensor mask, double value) {
        if (mask.dtype() != DType.BOOL)
            throw new TesseraException("masked_fill_ only supports boolean masks, but got mask with dtype " + mask.dtype().torchName());
        long[] shape = broadcastShapes(x.shape().toArray(), mask.shape().toArray());
        if (!Arrays.equals(shape, x.shape().toArray()))
            throw new TesseraException("masked_fill: mask of shape " + mask.shape() + " cannot be broadcast to the input's shape " + x.shape());
        Tensor out;
        try (var s = Tensor.noGrad()) { out = where(mask, scalarLike(value, x.dtype(), x), x); }
        return Autograd.record(out, "MaskedFillBackward0", new Tensor[] {x}, (g, saved) -> new Tensor[] {g.maskedFill(saved.get(0), 0)}, mask);
    }

    // ---- in place ----

    /**
     * Runs {@code op} on this tensor's current value and writes the result back into its storage.
     * PyTorch's rules: a leaf that requires grad cannot be modified while grad mode is on; the
     * version counter is bumped, so backward through a saved copy of the old value fails; a
     * tracked non-leaf takes the result's history.
     */
    public static Tensor inPlace(Tensor self, String name, UnaryOperator<Tensor> op) {
        boolean tracking = Autograd.needsGrad(self);
        if (tracking && self.isLeaf())
            throw new TesseraException("a leaf Variable that requires grad is being used in an in-place operation. (" + name + ")");
        if (tracking && self.internalBase() != null) throw viewInPlace(name);
        MemoryOverlap.assertNoInternalOverlap(self);
        // The op reads a copy of self whenever it records a node: what it saves for backward (self in
        // mul_, div_, clamp_) must not be the storage overwritten below (PyTorch saves original_self
        // likewise), and self's new node must not list self as its input.
        Tensor result = op.apply(tracking ? Views.cloneTensor(self.internalAlias()) : self);
        if (!tracking && Autograd.needsGrad(result)) result = op.apply(self.detach().clone());   // an operand requires grad
        if (self.internalBase() != null && Autograd.needsGrad(result)) throw viewInPlace(name);
        if (!Arrays.equals(result.shape().toArray(), self.shape().toArray()))
            throw new TesseraException(name + ": output with shape " + self.shape() + " doesn't match the broadcast shape " + result.shape());
        if (result.dtype() != self.dtype() && !self.dtype().isFloatingPoint() && result.dtype().isFloatingPoint())
            throw new TesseraException(name + ": result type " + result.dtype().torchName() + " can't be cast to the desired output type " + self.dtype().torchName());
        self.backend().copy(result.raw(), self.raw());
        self.internalBumpVersion();
        if (Autograd.needsGrad(result)) self.internalRebase(result.gradFn());
        return self;
    }

    /**
     * PyTorch gives the base of a view the history of an in-place op on the view (CopySlices);
     * Tessera does not, so it refuses rather than return wrong gradients for the base.
     */
    private static TesseraException viewInPlace(String name) {
        return new TesseraException(name + ": in-place operation on a view of a tensor that is part of the autograd graph is not "
                + "supported by Tessera; use an out-of-place op (e.g. torch.where or cat) instead");
    }

    /**
     * self = self op other, written straight into self's storage when no graph is involved (the
     * optimizer and init case); otherwise through {@link #inPlace} with {@code graphOp}.
     */
    public static Tensor inPlaceBinary(Tensor self, String name, BinaryOp op, Tensor other, UnaryOperator<Tensor> graphOp) {
        MemoryOverlap.assertNoInternalOverlap(self);
        MemoryOverlap.assertNoPartialOverlap(self, other);
        boolean direct = !Autograd.needsGrad(self, other) && self.device().equals(other.device()) && self.dtype().isFloatingPoint()
                && (other.raw().storage() != self.raw().storage() || sameView(self, other));
        if (!direct) return inPlace(self, name, graphOp);
        long[] shape = self.shape().toArray();
        if (!Arrays.equals(broadcastShapes(shape, other.shape().toArray()), shape))
            throw new TesseraException(name + ": output with shape " + self.shape() + " doesn't match the broadcast shape "
                    + Arrays.toString(broadcastShapes(shape, other.shape().toArray())));
        Tensor o = other.dtype() == self.dtype() ? other : Creation.convert(other, self.dtype());
        self.backend().binary(op, self.raw(), expandedView(o, shape), self.raw());
        self.internalBumpVersion();
        return self;
    }

    public static Tensor inPlaceScalar(Tensor self, String name, BinaryOp op, double s, UnaryOperator<Tensor> graphOp) {
        if (!self.dtype().isFloatingPoint()) return inPlace(self, name, graphOp);
        return inPlaceBinary(self, name, op, scalarLike(s, self.dtype(), self), graphOp);
    }

    private static boolean sameView(Tensor a, Tensor b) {
        return a.raw().offset() == b.raw().offset() && Arrays.equals(a.stride(), b.stride()) && a.shape().equals(b.shape());
    }

    public static Tensor fill_(Tensor self, double value) {
        checkInPlaceLeaf(self, "fill_");
        self.backend().fill(distinctElements(self.raw()), value);
        self.internalBumpVersion();
        return self;
    }

    public static Tensor copy_(Tensor self, Tensor src) {
        checkInPlaceLeaf(self, "copy_");
        long[] shape = self.shape().toArray();
        if (!Arrays.equals(broadcastShapes(shape, src.shape().toArray()), shape))
            throw new TesseraException("copy_: source of shape " + src.shape() + " cannot be broadcast to " + self.shape());
        MemoryOverlap.assertNoInternalOverlap(self);
        MemoryOverlap.assertNoPartialOverlap(self, src);
        Tensor s = src.device().equals(self.device()) ? src : src.detach().to(self.device());
        self.backend().copy(expandedView(s, shape), self.raw());
        self.internalBumpVersion();
        return self;
    }

    /**
     * The view with its stride-0 (expanded) dims cut to size 1: each memory location once. fill_ of
     * an expanded tensor (allowed, as in PyTorch) then writes each element once instead of having
     * many GPU threads write one location.
     */
    private static View distinctElements(View v) {
        long[] shape = v.shape().clone();
        for (int d = 0; d < shape.length; d++) if (v.strides()[d] == 0 && shape[d] > 1) shape[d] = 1;
        return new View(v.storage(), v.offset(), shape, v.strides());
    }

    /** fill_ and copy_ are not recorded in the graph, so they refuse any tensor the graph tracks. */
    private static void checkInPlaceLeaf(Tensor self, String name) {
        if (!Autograd.needsGrad(self)) return;
        if (self.isLeaf())
            throw new TesseraException("a leaf Variable that requires grad is being used in an in-place operation. (" + name + ")");
        throw new TesseraException(name + " on a tensor that is part of the autograd graph is not supported by Tessera; "
                + "use the out-of-place form (e.g. torch.where / mul) instead");
    }
}
