package dev.tessera.ops;

import dev.tessera.DType;
import dev.tessera.Device;
import dev.tessera.Generator;
import dev.tessera.Tensor;
import dev.tessera.TesseraException;
import dev.tessera.autograd.Autograd;
import dev.tessera.autograd.Temporaries;
import dev.tessera.backend.Backend;
import dev.tessera.backend.Backends;
import dev.tessera.backend.View;

/** Tensor factories, dtype and device conversion, and the random ops. */
public final class Creation {
    private Creation() {}

    static long[] checkShape(String op, long[] shape) {
        for (long d : shape)
            if (d < 0) throw new TesseraException(op + ": negative dimension " + d + " in shape " + java.util.Arrays.toString(shape));
        return shape.clone();
    }

    /** A new contiguous tensor; zero-filled on the CPU. */
    public static Tensor empty(long[] shape, DType dtype, Device device) {
        long[] s = checkShape("empty", shape);
        Backend be = Backends.of(device);
        long numel = 1;
        for (long d : s) numel *= d;
        return Tensor.internalWrap(new View(be.allocate(dtype, numel), 0, s, View.contiguousStrides(s)));
    }

    public static Tensor full(double value, long[] shape, DType dtype, Device device) {
        Tensor t = empty(shape, dtype, device);
        if (value != 0 || !device.equals(Device.CPU)) t.backend().fill(t.raw(), value);
        return t;
    }

    public static Tensor rand(long[] shape, DType dtype, Device device) {
        requireFloat("rand", dtype);
        Tensor t = empty(shape, dtype, device);
        t.backend().uniform(t.raw(), 0, 1, Generator.nextSeed());
        return t;
    }

    /**
     * Integers drawn uniformly from [low, high), as {@code torch.randint(low, high, size)}: INT64 by
     * default, or any other dtype. Drawn as ⌊u·(high − low)⌋ + low from a FLOAT64 uniform u on the
     * device, so high − low may be at most 2^53 (exact there; bias below 2^-53 relative).
     */
    public static Tensor randint(long low, long high, long[] shape, DType dtype, Device device) {
        if (low >= high) throw new TesseraException("random_ expects 'from' to be less than 'to', but got from=" + low + " >= to=" + high);
        double range = (double) high - (double) low;
        if (range > 0x1p53 || Math.abs((double) low) > 0x1p53)
            throw new TesseraException("randint: low (" + low + ") and high - low (" + range + ") must be within 2^53 in magnitude");
        checkShape("randint", shape);
        try (var s = Tensor.noGrad()) {
            // clamp: u·range can round up to range itself when u is within an ulp of 1
            Tensor k = rand(shape, DType.FLOAT64, device).mul(range).clamp(0, range - 1).to(DType.INT64).add((double) low);
            return dtype == DType.INT64 ? k : k.to(dtype);
        }
    }

    public static Tensor randn(long[] shape, DType dtype, Device device) {
        requireFloat("randn", dtype);
        Tensor t = empty(shape, dtype, device);
        t.backend().normal(t.raw(), 0, 1, Generator.nextSeed());
        return t;
    }

    private static void requireFloat(String op, DType dtype) {
        if (!dtype.isFloatingPoint()) throw new TesseraException("\"" + op + "\" not implemented for '" + dtype + "'");
    }

    public static Tensor arange(long n) {
        if (n < 0) throw new TesseraException("arange: upper bound and larger bound inconsistent with step sign (end=" + n + ")");
        long[] v = new long[(int) n];
        for (int i = 0; i < v.length; i++) v[i] = i;
        return of(v, v.length, new long[] {n});
    }

    public static Tensor arange(double start, double end, double step) {
        if (step == 0) throw new TesseraException("arange: step must be nonzero");
        if ((end - start) / step < 0)
            throw new TesseraException("arange: upper bound and larger bound inconsistent with step sign (start=" + start + ", end=" + end + ", step=" + step + ")");
        int n = (int) Math.ceil((end - start) / step);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (start + i * step);
        return of(v, n, new long[] {n});
    }

    /**
     * Wraps a copy of a host array: shape null means 1-D of the array's length; an empty shape is a
     * 0-dim tensor (the array must then hold one element), as {@code torch.tensor(3.)}.
     */
    public static Tensor of(Object data, int length, long[] shape) {
        long[] s = shape == null ? new long[] {length} : checkShape("Tensor.of", shape);
        long numel = 1;
        for (long d : s) numel *= d;
        if (numel != length)
            throw new TesseraException("Tensor.of: shape " + java.util.Arrays.toString(s) + " is invalid for input of size " + length);
        return Tensor.internalWrap(new View(Backends.of(Device.CPU).fromHost(data), 0, s, View.contiguousStrides(s)));
    }

    /** A contiguous copy converted to dtype, without history. */
    public static Tensor convert(Tensor t, DType dtype) {
        Tensor out = empty(t.shape().toArray(), dtype, t.device());
        t.backend().copy(t.raw(), out.raw());
        return out;
    }

    public static Tensor toDType(Tensor t, DType dtype) {
        if (t.dtype() == dtype) return t;
        Tensor out = convert(t, dtype);
        if (dtype.isFloatingPoint() && t.dtype().isFloatingPoint()) {
            DType from = t.dtype();
            Autograd.record(out, "ToCopyBackward0", new Tensor[] {t}, (g, saved) -> new Tensor[] {g.to(from)});
        }
        return out;
    }

    /** Largest Java array: device tensors beyond it cannot come to the host in one piece (a GPU tensor may be larger). */
    public static final long MAX_HOST_ELEMENTS = Integer.MAX_VALUE - 8;

    /** Throws, naming the op and the size, before a host copy that no Java array could hold. */
    public static void checkFitsHostArray(String op, Tensor t) {
        if (t.numel() > MAX_HOST_ELEMENTS)
            throw new TesseraException(op + ": a tensor of " + t.numel() + " elements (shape " + t.shape() + ") does not fit a Java array "
                    + "(at most " + MAX_HOST_ELEMENTS + " elements); copy it in parts, e.g. with narrow()");
    }

    /** Copy to another device (host staging for CPU↔device); the gradient flows back to the source device. */
    public static Tensor to(Tensor t, Device device) {
        if (t.device().equals(device)) return t;
        Backend target = Backends.of(device);   // throws "CUDA unavailable: ..." with the reason
        checkFitsHostArray("to(" + device + ")", t);
        Object host = t.backend().toHost(t.raw());
        long[] shape = t.shape().toArray();
        Tensor out = Tensor.internalWrap(new View(target.fromHost(host), 0, shape, View.contiguousStrides(shape)));
        Device from = t.device();
        return Autograd.record(out, "ToCopyBackward0", new Tensor[] {t}, (g, saved) -> new Tensor[] {g.to(from)});
    }

    /**
     * Inverted dropout: each element is zeroed with probability p, survivors are scaled by 1/(1-p);
     * identity when not training or p == 0. p outside [0, 1] throws IllegalArgumentException.
     */
    public static Tensor dropout(Tensor x, double p, boolean training) {
        if (!(p >= 0 && p <= 1))
            throw new IllegalArgumentException("dropout probability has to be between 0 and 1, but got " + p);
        if (!training || p == 0) return x;
        if (p == 1) return x.mul(0.0);
        Tensor mask;
        try (var s = Tensor.noGrad(); var tmp = Temporaries.open()) {   // u and the comparison go back at once
            Tensor u = empty(x.shape().toArray(), x.dtype(), x.device());
            x.backend().uniform(u.raw(), 0, 1, Generator.nextSeed());
            mask = u.ge(p).to(x.dtype()).mul(1.0 / (1 - p));
            tmp.keep(mask);
        }
        Tensor out = Elementwise.mulNoGrad(x, mask);
        // PyTorch uses the fused native_dropout only on CUDA; on the CPU it multiplies by the mask.
        return Autograd.record(out, x.isCuda() ? "NativeDropoutBackward0" : "MulBackward0", new Tensor[] {x},
                (g, saved) -> new Tensor[] {g.mul(saved.get(0))}, Autograd.temporary(mask));
    }
}
