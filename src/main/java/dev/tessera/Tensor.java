package dev.tessera;

import dev.tessera.autograd.Autograd;
import dev.tessera.autograd.GradMode;
import dev.tessera.autograd.Node;
import dev.tessera.autograd.Temporaries;
import dev.tessera.backend.Backend;
import dev.tessera.backend.Backends;
import dev.tessera.backend.BinaryOp;
import dev.tessera.backend.Storage;
import dev.tessera.backend.View;
import dev.tessera.ops.Creation;
import dev.tessera.ops.Elementwise;
import dev.tessera.ops.Matmul;
import dev.tessera.ops.Norm;
import dev.tessera.ops.Reductions;
import dev.tessera.ops.Softmax;
import dev.tessera.ops.Views;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An n-dimensional array with autograd: a view (offset, shape, strides) of a {@link Storage} on a
 * {@link Device}. Methods here are one-line delegations to the op families in
 * {@code dev.tessera.ops}, where argument checks, dispatch and backward live together.
 *
 * <p>Views ({@code view}, {@code transpose}, {@code narrow}, ...) share storage with their base.
 * In-place ops (trailing underscore) modify the storage and return {@code this}.
 */
public class Tensor implements AutoCloseable {
    private Storage storage;
    private long offset;
    private long[] shape;
    private long[] strides;
    private boolean requiresGrad;
    private Tensor grad;
    private Node gradFn;
    private Tensor base;   // the tensor this is a view of (its root), or null
    // Early release (see internalRelease): done once; never for a pinned tensor; temporary = the graph may release it
    private boolean released, pinned, temporary;

    /** Internal: a tensor over existing storage. Applications use the static factories. */
    protected Tensor(Storage storage, long offset, long[] shape, long[] strides) {
        this.storage = storage;
        this.offset = offset;
        this.shape = shape;
        this.strides = strides;
        storage.addHolder();
        Temporaries.created(this);
    }

    /** Copy constructor for subclasses (Parameter): shares the source's storage. */
    protected Tensor(Tensor data) { this(data.storage, data.offset, data.shape, data.strides); }

    // ------------------------------------------------------------------ creation

    public static Tensor zeros(long... shape) { return Creation.full(0, shape, DType.FLOAT32, Device.CPU); }
    public static Tensor zeros(long[] shape, DType dtype, Device device) { return Creation.full(0, shape, dtype, device); }
    public static Tensor ones(long... shape) { return Creation.full(1, shape, DType.FLOAT32, Device.CPU); }
    public static Tensor ones(long[] shape, DType dtype, Device device) { return Creation.full(1, shape, dtype, device); }
    public static Tensor full(double value, long... shape) { return Creation.full(value, shape, DType.FLOAT32, Device.CPU); }
    public static Tensor full(double value, long[] shape, DType dtype, Device device) { return Creation.full(value, shape, dtype, device); }
    /** Uninitialised in PyTorch; zero-filled here on the CPU. */
    public static Tensor empty(long... shape) { return Creation.empty(shape, DType.FLOAT32, Device.CPU); }
    public static Tensor empty(long[] shape, DType dtype, Device device) { return Creation.empty(shape, dtype, device); }
    /** U[0, 1) from the global generator (see {@link #manualSeed}). */
    public static Tensor rand(long... shape) { return Creation.rand(shape, DType.FLOAT32, Device.CPU); }
    public static Tensor rand(long[] shape, DType dtype, Device device) { return Creation.rand(shape, dtype, device); }
    /** N(0, 1) from the global generator (see {@link #manualSeed}). */
    public static Tensor randn(long... shape) { return Creation.randn(shape, DType.FLOAT32, Device.CPU); }
    public static Tensor randn(long[] shape, DType dtype, Device device) { return Creation.randn(shape, dtype, device); }
    /** 0, 1, ..., n-1 as INT64, as {@code torch.arange(n)}. */
    public static Tensor arange(long n) { return Creation.arange(n); }
    /** start, start+step, ... below end, as FLOAT32. */
    public static Tensor arange(double start, double end, double step) { return Creation.arange(start, end, step); }
    /** A 1-D tensor holding a copy of data, as {@code torch.tensor([...])}. */
    public static Tensor of(float[] data) { return Creation.of(data, data.length, null); }
    /**
     * A copy of data in the given shape (row-major); an explicitly empty shape, {@code new long[0]},
     * makes a 0-dim tensor from one element, as {@code torch.tensor(3.)}.
     */
    public static Tensor of(float[] data, long... shape) { return Creation.of(data, data.length, shape); }
    public static Tensor of(double[] data) { return Creation.of(data, data.length, null); }
    public static Tensor of(double[] data, long... shape) { return Creation.of(data, data.length, shape); }
    /** INT64, 1-D: the LongTensor of the tutorials. */
    public static Tensor of(long[] data) { return Creation.of(data, data.length, null); }
    public static Tensor of(long[] data, long... shape) { return Creation.of(data, data.length, shape); }
    public static Tensor of(boolean[] data) { return Creation.of(data, data.length, null); }
    public static Tensor of(boolean[] data, long... shape) { return Creation.of(data, data.length, shape); }
    /** Uniform integers in [0, high), INT64, as {@code torch.randint(high, size)}. */
    public static Tensor randint(long high, long[] size) { return Creation.randint(0, high, size, DType.INT64, Device.CPU); }
    /** Uniform integers in [low, high), INT64, as {@code torch.randint(low, high, size)}; low >= high throws. */
    public static Tensor randint(long low, long high, long[] size) { return Creation.randint(low, high, size, DType.INT64, Device.CPU); }
    public static Tensor randint(long low, long high, long[] size, DType dtype, Device device) { return Creation.randint(low, high, size, dtype, device); }
    /** A 0-dim FLOAT32 tensor. */
    public static Tensor scalar(double v) { return Creation.full(v, new long[0], DType.FLOAT32, Device.CPU); }
    public static Tensor cat(List<Tensor> tensors, int dim) { return Views.cat(tensors, dim); }
    public static Tensor stack(List<Tensor> tensors, int dim) { return Views.stack(tensors, dim); }
    public static Tensor where(Tensor condition, Tensor a, Tensor b) { return Elementwise.where(condition, a, b); }

    /**
     * Seeds the global generator behind rand, randn, dropout and nn.init. Each random op draws one
     * 64-bit seed from a {@link java.util.SplittableRandom} seeded here, and fills its tensor from
     * a SplittableRandom with that seed (Gaussians by the JDK's {@code nextGaussian}), so a seeded
     * program is reproducible. The streams differ from PyTorch's Mersenne Twister.
     */
    public static void manualSeed(long seed) { Generator.manualSeed(seed); }

    /** A scope in which no graph is recorded: {@code try (var s = Tensor.noGrad()) { ... }}. */
    public static GradMode.Scope noGrad() { return GradMode.disabled(); }

    // ------------------------------------------------------------------ inspection

    public Size shape() { return new Size(shape); }
    public Size size() { return shape(); }
    public long size(int dim) { return shape[Views.normalizeDim(dim, shape.length, "size")]; }
    public int dim() { return shape.length; }
    public long numel() { return Size.numel(shape); }
    public DType dtype() { return storage.dtype(); }
    public Device device() { return storage.device(); }
    public boolean isCuda() { return device().isCuda(); }
    public long[] stride() { return strides.clone(); }
    public boolean requiresGrad() { return requiresGrad; }

    /** Sets requires_grad on a leaf; only floating-point tensors can require grad. Returns this. */
    public Tensor requiresGrad(boolean on) {
        if (gradFn != null && !on)
            throw new TesseraException("you can only change requires_grad flags of leaf variables. If you want to use a "
                    + "computed variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().");
        if (on && !dtype().isFloatingPoint())
            throw new TesseraException("only Tensors of floating point dtype can require gradients, got " + dtype().torchName());
        requiresGrad = on;
        return this;
    }

    public Tensor grad() { return grad; }
    /** Replaces the gradient (null clears it), as assigning {@code .grad} in PyTorch. */
    public void setGrad(Tensor g) { grad = g; }
    /** The node that created this tensor, or null for leaves. */
    public Node gradFn() { return gradFn; }
    public boolean isLeaf() { return gradFn == null; }

    /** The single value of a one-element tensor. */
    public double item() {
        if (numel() != 1)
            throw new TesseraException("a Tensor with " + numel() + " elements cannot be converted to Scalar");
        return toDoubleArray()[0];
    }

    public float[] toFloatArray() { return (float[]) hostCopy("toFloatArray", DType.FLOAT32); }
    public double[] toDoubleArray() { return (double[]) hostCopy("toDoubleArray", DType.FLOAT64); }
    public long[] toLongArray() { return (long[]) hostCopy("toLongArray", DType.INT64); }
    public boolean[] toBooleanArray() { return (boolean[]) hostCopy("toBooleanArray", DType.BOOL); }

    private Object hostCopy(String op, DType as) {
        Creation.checkFitsHostArray(op, this);
        Tensor t = dtype() == as ? this : Creation.convert(this, as);
        return t.backend().toHost(t.raw());
    }

    // ------------------------------------------------------------------ movement and copies

    /** This tensor if already on {@code device}, else a copy there; differentiable. */
    public Tensor to(Device device) { return Creation.to(this, device); }
    public Tensor to(String device) { return to(Device.of(device)); }
    /** This tensor if already of {@code dtype}, else a converted copy; differentiable between float types. */
    public Tensor to(DType dtype) { return Creation.toDType(this, dtype); }
    public Tensor cpu() { return to(Device.CPU); }
    public Tensor cuda() { return to(Device.cuda()); }
    public Tensor contiguous() { return Views.contiguous(this); }
    public boolean isContiguous() { return raw().isContiguous(); }
    /** Shares storage, no history, requires_grad=false. */
    public Tensor detach() { return new Tensor(storage, offset, shape, strides); }
    /** A contiguous copy; gradient flows back (CloneBackward0). */
    public Tensor clone() { return Views.cloneTensor(this); }

    /**
     * Releases the storage now rather than when it becomes unreachable, e.g. at the end of a
     * try-with-resources block. On CUDA its device block goes back to the caching allocator at once
     * ({@link Cuda#memoryAllocated()} drops by the block's size), and any later use of the storage
     * (an op reading or writing it, {@code toFloatArray()}, {@code to(...)}) throws "tensor used
     * after close()". On the CPU host memory is the GC's, but later use throws the same way. Views
     * share the storage, so closing any of them closes it for all of them, including any that
     * autograd saved for backward. Closing twice does nothing.
     */
    @Override public void close() { storage.close(); }

    // ------------------------------------------------------------------ elementwise

    public Tensor add(Tensor o) { return Elementwise.add(this, o, 1); }
    /** this + alpha * o, as {@code torch.add(input, other, alpha=alpha)}. */
    public Tensor add(Tensor o, double alpha) { return Elementwise.add(this, o, alpha); }
    public Tensor add(double s) { return Elementwise.addScalar(this, s); }
    public Tensor sub(Tensor o) { return Elementwise.add(this, o, -1); }
    public Tensor sub(double s) { return Elementwise.subScalar(this, s); }
    public Tensor mul(Tensor o) { return Elementwise.mul(this, o); }
    public Tensor mul(double s) { return Elementwise.mulScalar(this, s); }
    public Tensor div(Tensor o) { return Elementwise.div(this, o); }
    public Tensor div(double s) { return Elementwise.divScalar(this, s); }
    public Tensor neg() { return Elementwise.neg(this); }
    public Tensor pow(double exponent) { return Elementwise.powScalar(this, exponent); }
    public Tensor pow(Tensor exponent) { return Elementwise.pow(this, exponent); }
    /** x·x; its node is PowBackward0, as PyTorch's square (pow(x, 2)). */
    public Tensor square() { return Autograd.relabel(Elementwise.mul(this, this), "PowBackward0"); }
    public Tensor exp() { return Elementwise.exp(this); }
    public Tensor log() { return Elementwise.log(this); }
    public Tensor sqrt() { return Elementwise.sqrt(this); }
    public Tensor rsqrt() { return Elementwise.rsqrt(this); }
    public Tensor abs() { return Elementwise.abs(this); }
    public Tensor relu() { return Elementwise.relu(this); }
    public Tensor sigmoid() { return Elementwise.sigmoid(this); }
    public Tensor tanh() { return Elementwise.tanh(this); }
    /** Exact GELU: x·Φ(x) = 0.5·x·(1 + erf(x/√2)). */
    public Tensor gelu() { return Elementwise.gelu(this); }
    public Tensor erf() { return Elementwise.erf(this); }
    public Tensor maximum(Tensor o) { return Elementwise.maximum(this, o); }
    public Tensor minimum(Tensor o) { return Elementwise.minimum(this, o); }
    /** Elementwise clamp to [min, max]; pass NaN to leave a side open. */
    public Tensor clamp(double min, double max) { return Elementwise.clamp(this, min, max); }
    public Tensor eq(Tensor o) { return Elementwise.compare(BinaryOp.EQ, this, o); }
    public Tensor eq(double s) { return Elementwise.compareScalar(BinaryOp.EQ, this, s); }
    public Tensor ne(Tensor o) { return Elementwise.compare(BinaryOp.NE, this, o); }
    public Tensor ne(double s) { return Elementwise.compareScalar(BinaryOp.NE, this, s); }
    public Tensor gt(Tensor o) { return Elementwise.compare(BinaryOp.GT, this, o); }
    public Tensor gt(double s) { return Elementwise.compareScalar(BinaryOp.GT, this, s); }
    public Tensor ge(Tensor o) { return Elementwise.compare(BinaryOp.GE, this, o); }
    public Tensor ge(double s) { return Elementwise.compareScalar(BinaryOp.GE, this, s); }
    public Tensor lt(Tensor o) { return Elementwise.compare(BinaryOp.LT, this, o); }
    public Tensor lt(double s) { return Elementwise.compareScalar(BinaryOp.LT, this, s); }
    public Tensor le(Tensor o) { return Elementwise.compare(BinaryOp.LE, this, o); }
    public Tensor le(double s) { return Elementwise.compareScalar(BinaryOp.LE, this, s); }
    /** Elements where mask (BOOL, broadcastable) is true replaced by value. */
    public Tensor maskedFill(Tensor mask, double value) { return Elementwise.maskedFill(this, mask, value); }

    // ------------------------------------------------------------------ in place (return this)

    public Tensor add_(Tensor o) { return Elementwise.inPlaceBinary(this, "add_", BinaryOp.ADD, o, self -> self.add(o)); }
    public Tensor add_(Tensor o, double alpha) { return Elementwise.inPlaceBinary(this, "add_", BinaryOp.ADD, alpha == 1 ? o : o.mul(alpha), self -> self.add(o, alpha)); }
    public Tensor add_(double s) { return Elementwise.inPlaceScalar(this, "add_", BinaryOp.ADD, s, self -> self.add(s)); }
    public Tensor sub_(Tensor o) { return Elementwise.inPlaceBinary(this, "sub_", BinaryOp.SUB, o, self -> self.sub(o)); }
    public Tensor sub_(double s) { return Elementwise.inPlaceScalar(this, "sub_", BinaryOp.SUB, s, self -> self.sub(s)); }
    public Tensor mul_(Tensor o) { return Elementwise.inPlaceBinary(this, "mul_", BinaryOp.MUL, o, self -> self.mul(o)); }
    public Tensor mul_(double s) { return Elementwise.inPlaceScalar(this, "mul_", BinaryOp.MUL, s, self -> self.mul(s)); }
    public Tensor div_(Tensor o) { return Elementwise.inPlaceBinary(this, "div_", BinaryOp.DIV, o, self -> self.div(o)); }
    public Tensor div_(double s) { return Elementwise.inPlaceScalar(this, "div_", BinaryOp.DIV, s, self -> self.div(s)); }
    public Tensor clamp_(double min, double max) { return Elementwise.inPlace(this, "clamp_", self -> self.clamp(min, max)); }
    public Tensor zero_() { return Elementwise.fill_(this, 0); }
    public Tensor fill_(double value) { return Elementwise.fill_(this, value); }
    /** Copies src (broadcast to this shape, converted to this dtype and device) into this. */
    public Tensor copy_(Tensor src) { return Elementwise.copy_(this, src); }

    // ------------------------------------------------------------------ shape and views

    /** A view with a new shape (one dimension may be -1); throws when the strides do not allow it. */
    public Tensor view(long... shape) { return Views.view(this, shape); }
    /** A view when possible, else a contiguous copy. */
    public Tensor reshape(long... shape) { return Views.reshape(this, shape); }
    public Tensor transpose(int dim0, int dim1) { return Views.transpose(this, dim0, dim1); }
    /** Transpose of a tensor with at most 2 dimensions. */
    public Tensor t() { return Views.t(this); }
    /**
     * PyTorch's {@code .T}: all dimensions reversed (a permute). PyTorch 2 deprecates it for tensors
     * that are not 2-D; Tessera allows any rank, as PyTorch still does.
     */
    public Tensor T() { return Views.reverseDims(this); }
    /** PyTorch's {@code .mT}: the last two dimensions swapped (a batch of matrices transposed); needs ≥ 2 dims. */
    public Tensor mT() { return Views.mT(this); }
    public Tensor permute(int... dims) { return Views.permute(this, dims); }
    public Tensor squeeze() { return Views.squeeze(this); }
    public Tensor squeeze(int dim) { return Views.squeeze(this, dim); }
    public Tensor unsqueeze(int dim) { return Views.unsqueeze(this, dim); }
    public Tensor flatten() { return Views.flatten(this, 0, -1); }
    public Tensor flatten(int startDim, int endDim) { return Views.flatten(this, startDim, endDim); }
    /** Elements [start, start+length) along dim, as a view. */
    public Tensor narrow(int dim, long start, long length) { return Views.narrow(this, dim, start, length); }
    /** Elements [start, end) with step along dim, as {@code t[..., start:end:step]}. */
    public Tensor slice(int dim, long start, long end, long step) { return Views.slice(this, dim, start, end, step); }
    public Tensor slice(int dim, long start, long end) { return Views.slice(this, dim, start, end, 1); }
    /** The sub-tensor at index along dim, with that dimension removed. */
    public Tensor select(int dim, long index) { return Views.select(this, dim, index); }
    /** {@code t[i]}: select(0, i). */
    public Tensor index(long i) { return Views.index(this, i); }
    /** A broadcast view; -1 keeps a dimension. */
    public Tensor expand(long... shape) { return Views.expand(this, shape); }
    public Tensor expandAs(Tensor other) { return Views.expand(this, other.shape); }

    // ------------------------------------------------------------------ reductions

    public Tensor sum() { return Reductions.sumAll(this); }
    public Tensor sum(int dim) { return Reductions.sum(this, new int[] {dim}, false); }
    public Tensor sum(int dim, boolean keepdim) { return Reductions.sum(this, new int[] {dim}, keepdim); }
    public Tensor sum(int[] dims, boolean keepdim) { return Reductions.sum(this, dims, keepdim); }
    public Tensor mean() { return Reductions.meanAll(this); }
    public Tensor mean(int dim) { return Reductions.mean(this, new int[] {dim}, false); }
    public Tensor mean(int dim, boolean keepdim) { return Reductions.mean(this, new int[] {dim}, keepdim); }
    public Tensor mean(int[] dims, boolean keepdim) { return Reductions.mean(this, dims, keepdim); }
    public Tensor max() { return Reductions.extremeAll(this, true); }
    /** Values of the maximum along dim (use argmax for the indices). */
    public Tensor max(int dim) { return Reductions.extreme(this, dim, false, true); }
    public Tensor max(int dim, boolean keepdim) { return Reductions.extreme(this, dim, keepdim, true); }
    public Tensor min() { return Reductions.extremeAll(this, false); }
    public Tensor min(int dim) { return Reductions.extreme(this, dim, false, false); }
    public Tensor min(int dim, boolean keepdim) { return Reductions.extreme(this, dim, keepdim, false); }
    public Tensor argmax() { return Reductions.argAll(this, true); }
    public Tensor argmax(int dim) { return Reductions.arg(this, dim, false, true); }
    public Tensor argmax(int dim, boolean keepdim) { return Reductions.arg(this, dim, keepdim, true); }
    public Tensor argmin() { return Reductions.argAll(this, false); }
    public Tensor argmin(int dim) { return Reductions.arg(this, dim, false, false); }
    public Tensor argmin(int dim, boolean keepdim) { return Reductions.arg(this, dim, keepdim, false); }
    /** Unbiased variance (divides by n-1), as PyTorch's default. */
    public Tensor var() { return Reductions.var(this, null, false, true); }
    public Tensor var(int dim) { return Reductions.var(this, new int[] {dim}, false, true); }
    public Tensor var(int dim, boolean keepdim) { return Reductions.var(this, new int[] {dim}, keepdim, true); }
    public Tensor var(int[] dims, boolean keepdim, boolean unbiased) { return Reductions.var(this, dims, keepdim, unbiased); }
    public Tensor std() { return Autograd.relabel(Reductions.var(this, null, false, true).sqrt(), "StdBackward0"); }
    public Tensor std(int dim) { return Autograd.relabel(Reductions.var(this, new int[] {dim}, false, true).sqrt(), "StdBackward0"); }
    public Tensor std(int dim, boolean keepdim) { return Autograd.relabel(Reductions.var(this, new int[] {dim}, keepdim, true).sqrt(), "StdBackward0"); }
    /** The 2-norm of all elements, {@code sqrt(sum(x²))}, as {@code x.norm()}. */
    public Tensor norm() { return Norm.norm(this, 2, null, false); }
    /** The p-norm of all elements: (Σ|x|^p)^(1/p); p = ±∞ gives max/min |x|, p = 0 the count of non-zeros. */
    public Tensor norm(double p) { return Norm.norm(this, p, null, false); }
    /** The p-norm along dim, that dim removed. */
    public Tensor norm(double p, int dim) { return Norm.norm(this, p, new int[] {dim}, false); }
    public Tensor norm(double p, int dim, boolean keepdim) { return Norm.norm(this, p, new int[] {dim}, keepdim); }
    /** The p-norm over dims (all when empty), as {@code x.norm(p, dim=(…), keepdim=…)}. */
    public Tensor norm(double p, int[] dims, boolean keepdim) { return Norm.norm(this, p, dims, keepdim); }
    public Tensor std(int[] dims, boolean keepdim, boolean unbiased) { return Autograd.relabel(Reductions.var(this, dims, keepdim, unbiased).sqrt(), "StdBackward0"); }

    // ------------------------------------------------------------------ linear algebra and activations

    /** PyTorch's matmul: dot, matrix-vector, matrix-matrix, or batched with broadcasting. */
    public Tensor matmul(Tensor o) { return Matmul.matmul(this, o); }
    /** [n, k] @ [k, m]. */
    public Tensor mm(Tensor o) { return Matmul.mm(this, o); }
    /** [b, n, k] @ [b, k, m]. */
    public Tensor bmm(Tensor o) { return Matmul.bmm(this, o); }
    public Tensor softmax(int dim) { return Softmax.softmax(this, dim, false); }
    public Tensor logSoftmax(int dim) { return Softmax.softmax(this, dim, true); }
    /** Zeroes elements with probability p and scales the rest by 1/(1-p) when training. */
    public Tensor dropout(double p, boolean training) { return Creation.dropout(this, p, training); }

    // ------------------------------------------------------------------ autograd

    /** Backward from a one-element tensor (implicit gradient 1). */
    public void backward() {
        if (numel() != 1) throw new TesseraException("grad can be implicitly created only for scalar outputs");
        backward(Creation.full(1, shape, dtype(), device()));
    }

    /** Backward with an explicit upstream gradient of this tensor's shape. */
    public void backward(Tensor gradient) { Autograd.backward(this, gradient, false); }
    public void backward(Tensor gradient, boolean retainGraph) { Autograd.backward(this, gradient, retainGraph); }

    // ------------------------------------------------------------------ printing

    @Override public String toString() { return format("tensor("); }

    protected String format(String prefix) {
        List<String> suffixes = new ArrayList<>();
        if (isCuda()) suffixes.add("device='" + device() + "'");
        if (dtype() == DType.FLOAT64 || (numel() == 0 && (dtype() == DType.INT64 || dtype() == DType.BOOL)))
            suffixes.add("dtype=" + dtype().torchName());
        if (gradFn != null) suffixes.add("grad_fn=<" + gradFn.name() + ">");
        else if (requiresGrad) suffixes.add("requires_grad=True");
        // Above 1000 elements only the edges are printed, and only they come to the host.
        long[] shown = TensorFormat.shownShape(shape);
        Tensor data = Arrays.equals(shown, shape) ? this : Views.edges(this, shown, TensorFormat.edgeItems());
        double[] floats = dtype().isFloatingPoint() ? data.toDoubleArray() : null;
        long[] longs = dtype() == DType.INT64 ? data.toLongArray() : null;
        boolean[] bools = dtype() == DType.BOOL ? data.toBooleanArray() : null;
        return TensorFormat.format(prefix, shape, floats, longs, bools, suffixes);
    }

    // ------------------------------------------------------------------ internal (ops, autograd, backends)

    /** Internal: the kernel-level view of this tensor. */
    public View raw() {
        if (storage.isClosed())
            throw new TesseraException("tensor used after close(): its " + storage.device() + " storage of " + storage.numel() + " "
                    + storage.dtype().name().toLowerCase(java.util.Locale.ROOT) + " elements was released");
        return new View(storage, offset, shape, strides);
    }
    /** Internal: the backend of this tensor's device. */
    public Backend backend() { return Backends.of(device()); }
    /** Internal: a tensor over a view's storage; no history. */
    public static Tensor internalWrap(View v) { return new Tensor(v.storage(), v.offset(), v.shape(), v.strides()); }
    /** Internal: a view of {@code of} over the same storage; remembers the root tensor it views. */
    public static Tensor internalView(Tensor of, long offset, long[] shape, long[] strides) {
        Tensor t = new Tensor(of.storage, offset, shape, strides);
        t.base = of.base != null ? of.base : of;
        return t;
    }
    /** Internal: the tensor this is a view of, or null. */
    public Tensor internalBase() { return base; }
    /** Internal: the in-place version counter shared by all views of the storage. */
    public int version() { return storage.version(); }
    /** Internal: marks this tensor as the output of a recorded op. */
    public void internalSetGradFn(Node node) { gradFn = node; requiresGrad = true; }
    /** Internal: set by the backward engine when accumulating into a leaf. */
    public void internalSetGrad(Tensor g) { grad = g; }
    /** Internal: makes this tensor refer to src's data (storage, offset, shape, strides), as {@code t.data = src}. */
    public void internalSetData(Tensor src) {
        src.storage.addHolder();   // the old storage keeps its count: it is then left to the GC, never released early
        storage = src.storage; offset = src.offset; shape = src.shape; strides = src.strides;
    }
    /** Internal: keeps history across an in-place op on a non-leaf (the rebase of PyTorch's in-place autograd). */
    public void internalRebase(Node node) { gradFn = node; if (node != null) requiresGrad = true; }
    /** Internal: the same data and history as this tensor (an in-place op computes from it, then rebases this). */
    public Tensor internalAlias() {
        Tensor t = new Tensor(storage, offset, shape, strides);
        t.requiresGrad = requiresGrad;
        t.gradFn = gradFn;
        return t;
    }
    /** Internal: records an in-place write to the storage. */
    public void internalBumpVersion() { storage.bumpVersion(); }

    /**
     * Internal: this tensor object will not be used again by the code that made it (the backward engine,
     * an op's intermediate). Its storage is closed, and a device block goes back to the allocator now,
     * when every tensor object ever made over that storage has been released this way; while any other
     * exists (a view the caller keeps, a tensor the user holds) the storage stays, and is the GC's as
     * before. Idempotent; a no-op for a {@linkplain #internalPin pinned} tensor.
     */
    public void internalRelease() {
        if (released || pinned) return;
        released = true;
        if (storage.removeHolder() == 0) storage.close();
    }

    /** Internal: never released early (e.g. held by a cache). Returns this. */
    public Tensor internalPin() { pinned = true; return this; }

    /** Internal: an op's own intermediate saved for backward (a mask, indices, statistics): the graph releases it after backward. */
    public Tensor internalMarkTemporary() { temporary = true; return this; }

    /** Internal: releases this tensor if an op marked it temporary. */
    public void internalReleaseIfTemporary() { if (temporary) internalRelease(); }
}
