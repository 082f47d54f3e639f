package dev.tessera;

import static dev.tessera.TestUtil.assertClose;
import static dev.tessera.TestUtil.assertThrowsWith;
import static dev.tessera.TestUtil.random64;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.autograd.GradCheck;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BiFunction;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Elementwise ops against float64 loops written here: unary functions, broadcasting binary ops on
 * contiguous and strided operands, type promotion, comparisons, where/maskedFill, gradients, and
 * the in-place forms with PyTorch's autograd rules.
 */
class ElementwiseTest {
    // float64 results are computed by the same double formulas: only rounding-order differences remain.
    private static final double RTOL64 = 1e-12, ATOL64 = 1e-14;
    // float32 results vs a double reference on the same float32 inputs: one rounding to float32.
    private static final double RTOL32 = 1e-5, ATOL32 = 1e-6;

    // ---- references and inputs ----

    /** f applied to every element of x, as a FLOAT64 reference of x's shape. */
    private static double[] ref(Tensor x, DoubleUnaryOperator f) {
        double[] v = x.toDoubleArray();
        for (int i = 0; i < v.length; i++) v[i] = f.applyAsDouble(v[i]);
        return v;
    }

    /** PyTorch broadcasting by index arithmetic: the output shape and a op b at every output index. */
    private static long[] broadcastShape(long[] a, long[] b) {
        int n = Math.max(a.length, b.length);
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            long da = i - (n - a.length) >= 0 ? a[i - (n - a.length)] : 1, db = i - (n - b.length) >= 0 ? b[i - (n - b.length)] : 1;
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    private static double[] broadcastRef(Tensor a, Tensor b, DoubleBinaryOperator f) {
        long[] as = a.shape().toArray(), bs = b.shape().toArray(), out = broadcastShape(as, bs);
        double[] av = a.toDoubleArray(), bv = b.toDoubleArray(), r = new double[(int) Size.of(out).numel()];
        long[] idx = new long[out.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = f.applyAsDouble(av[flatIndex(idx, as)], bv[flatIndex(idx, bs)]);
            for (int d = out.length - 1; d >= 0 && ++idx[d] == out[d]; d--) idx[d] = 0;
        }
        return r;
    }

    /** Row-major position in shape of the (right-aligned, size-1-broadcast) output index. */
    private static int flatIndex(long[] outIdx, long[] shape) {
        int lead = outIdx.length - shape.length, flat = 0;
        for (int d = 0; d < shape.length; d++) flat = (int) (flat * shape[d] + (shape[d] == 1 ? 0 : outIdx[lead + d]));
        return flat;
    }

    private static double[] uniform(Random rng, int n, double lo, double hi) {
        double[] v = new double[n];
        for (int i = 0; i < v.length; i++) v[i] = lo + (hi - lo) * rng.nextDouble();
        return v;
    }

    /** A tensor of the given shape, dtype and memory layout: 0 contiguous, 1 all dims reversed (transposed), 2 every other element. */
    private static Tensor make(Random rng, long[] shape, DType dtype, int layout, double lo, double hi) {
        int n = (int) Size.of(shape).numel();
        if (layout == 0 || shape.length == 0) return of(uniform(rng, n, lo, hi), shape).to(dtype);
        if (layout == 1) {
            long[] rev = new long[shape.length];
            int[] perm = new int[shape.length];
            for (int d = 0; d < shape.length; d++) { rev[d] = shape[shape.length - 1 - d]; perm[d] = shape.length - 1 - d; }
            return Tensor.of(uniform(rng, n, lo, hi), rev).to(dtype).permute(perm);
        }
        long[] wide = shape.clone();
        wide[wide.length - 1] *= 2;
        Tensor w = Tensor.of(uniform(rng, 2 * n, lo, hi), wide).to(dtype);
        return w.slice(wide.length - 1, 1, wide[wide.length - 1], 2);
    }

    /** Tensor.of that also makes 0-dim tensors (an empty shape there means 1-D). */
    private static Tensor of(double[] v, long[] shape) { return shape.length == 0 ? Tensor.of(v).reshape() : Tensor.of(v, shape); }

    /** Integer-valued floats in [-2, 2], so comparisons meet equal elements. */
    private static Tensor smallInts(Random rng, long[] shape, DType dtype, int layout) {
        Tensor t = make(rng, shape, DType.FLOAT64, layout, -2.5, 2.5);
        double[] v = t.toDoubleArray();
        for (int i = 0; i < v.length; i++) v[i] = Math.round(v[i]);
        t.copy_(of(v, shape));
        return t.to(dtype);
    }

    private static double rtol(DType d) { return d == DType.FLOAT64 ? RTOL64 : RTOL32; }
    private static double atol(DType d) { return d == DType.FLOAT64 ? ATOL64 : ATOL32; }

    // ---- erf: an independent reference ----

    /** Maclaurin series erf(x) = 2/√π Σ (−1)^n x^(2n+1) / (n!(2n+1)); accurate to ~1e-13 for |x| ≤ 3. */
    static double erfSeries(double x) {
        double sum = 0, term = x;   // term = (−1)^n x^(2n+1) / n!
        for (int n = 0; n < 200; n++) {
            sum += term / (2 * n + 1);
            term *= -x * x / (n + 1);
            if (Math.abs(term) < 1e-18) break;
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }

    @Test void erfAndGeluMatchKnownValuesAndASeries() {
        double[] xs = {0.5, 1, 2, 3, -1};
        double[] known = {0.5204998778130465, 0.8427007929497149, 0.9953222650189527, 0.9999779095030014, -0.8427007929497149};
        assertClose(Tensor.of(xs).erf(), known, new long[] {5}, 0, 1e-15);
        for (int i = 0; i < xs.length; i++) assertEquals(known[i], erfSeries(xs[i]), 1e-13, "the test's own series");

        Tensor grid = Tensor.arange(-3, 3.0001, 0.0625).to(DType.FLOAT64);
        assertClose(grid.erf(), ref(grid, ElementwiseTest::erfSeries), grid.shape().toArray(), 0, 1e-13);
        assertClose(Tensor.of(new double[] {6.5, -30, 0}).erf(), new double[] {1, -1, 0}, new long[] {3}, 0, 0);

        // Φ(1) = 0.8413447460685429: gelu(±1) = ±1·Φ(±1).
        assertClose(Tensor.of(new double[] {1, -1, 0}).gelu(), new double[] {0.8413447460685429, -0.15865525393145707, 0}, new long[] {3}, 0, 1e-15);
        Tensor g = Tensor.arange(-4, 4.0001, 0.125).to(DType.FLOAT64);
        assertClose(g.gelu(), ref(g, x -> 0.5 * x * (1 + erfSeries(x / Math.sqrt(2)))), g.shape().toArray(), 0, 1e-13);
        Tensor g32 = g.to(DType.FLOAT32);
        assertClose(g32.gelu(), ref(g32, x -> 0.5 * x * (1 + erfSeries(x / Math.sqrt(2)))), g.shape().toArray(), RTOL32, ATOL32);
    }

    // ---- unary ----

    private record Unary(String name, UnaryOperator<Tensor> op, DoubleUnaryOperator ref, double lo, double hi) {}

    private static final List<Unary> UNARY = List.of(
            new Unary("neg", Tensor::neg, x -> -x, -2, 2),
            new Unary("exp", Tensor::exp, Math::exp, -3, 3),
            new Unary("log", Tensor::log, Math::log, 0.05, 4),
            new Unary("sqrt", Tensor::sqrt, Math::sqrt, 0.05, 4),
            new Unary("rsqrt", Tensor::rsqrt, x -> 1 / Math.sqrt(x), 0.05, 4),
            new Unary("abs", Tensor::abs, Math::abs, -2, 2),
            new Unary("relu", Tensor::relu, x -> x > 0 ? x : 0, -2, 2),
            new Unary("sigmoid", Tensor::sigmoid, x -> 1 / (1 + Math.exp(-x)), -6, 6),
            new Unary("tanh", Tensor::tanh, x -> (Math.exp(2 * x) - 1) / (Math.exp(2 * x) + 1), -3, 3),
            new Unary("erf", Tensor::erf, ElementwiseTest::erfSeries, -3, 3),
            new Unary("gelu", Tensor::gelu, x -> 0.5 * x * (1 + erfSeries(x / Math.sqrt(2))), -3, 3),
            new Unary("square", Tensor::square, x -> x * x, -2, 2),
            new Unary("pow2.5", t -> t.pow(2.5), x -> Math.pow(x, 2.5), 0.1, 2),
            new Unary("pow-1", t -> t.pow(-1), x -> 1 / x, 0.1, 2),
            new Unary("add3", t -> t.add(3), x -> x + 3, -2, 2),
            new Unary("sub0.5", t -> t.sub(0.5), x -> x - 0.5, -2, 2),
            new Unary("mul-1.5", t -> t.mul(-1.5), x -> x * -1.5, -2, 2),
            new Unary("div4", t -> t.div(4), x -> x / 4, -2, 2),
            new Unary("clamp", t -> t.clamp(-0.5, 0.75), x -> Math.min(Math.max(x, -0.5), 0.75), -2, 2),
            new Unary("clampMin", t -> t.clamp(0.25, Double.NaN), x -> Math.max(x, 0.25), -2, 2),
            new Unary("clampMax", t -> t.clamp(Double.NaN, 0.25), x -> Math.min(x, 0.25), -2, 2));

    @Test void unaryOpsMatchReferenceOnEveryLayoutAndFloatType() {
        Random rng = new Random(1);
        long[][] shapes = {{7}, {3, 5}, {2, 3, 4}, {}, {0, 3}};
        for (Unary u : UNARY)
            for (DType dtype : new DType[] {DType.FLOAT64, DType.FLOAT32})
                for (long[] shape : shapes)
                    for (int layout = 0; layout < 3; layout++) {
                        Tensor x = make(rng, shape, dtype, layout, u.lo, u.hi);
                        Tensor y = u.op.apply(x);
                        assertEquals(dtype, y.dtype(), u.name);
                        assertTrue(y.isContiguous(), u.name);
                        assertClose(y, ref(x, u.ref), shape, rtol(dtype), atol(dtype));
                    }
    }

    @Test void unaryEdgeValues() {
        Tensor x = Tensor.of(new double[] {0, -0.0, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY});
        assertClose(x.relu(), new double[] {0, 0, Double.NaN, Double.POSITIVE_INFINITY, 0}, new long[] {5}, 0, 0);
        assertClose(x.sigmoid(), new double[] {0.5, 0.5, Double.NaN, 1, 0}, new long[] {5}, 0, 0);
        assertClose(x.tanh(), new double[] {0, 0, Double.NaN, 1, -1}, new long[] {5}, 0, 0);
        assertClose(x.exp(), new double[] {1, 1, Double.NaN, Double.POSITIVE_INFINITY, 0}, new long[] {5}, 0, 0);
        assertClose(Tensor.of(new double[] {0, -1}).log(), new double[] {Double.NEGATIVE_INFINITY, Double.NaN}, new long[] {2}, 0, 0);
        assertClose(Tensor.of(new double[] {0}).rsqrt(), new double[] {Double.POSITIVE_INFINITY}, new long[] {1}, 0, 0);
        // Elementwise ops on integer tensors: neg stays INT64, float functions refuse (Tessera differs from PyTorch's promotion here).
        Tensor i = Tensor.of(new long[] {3, -4});
        assertEquals(DType.INT64, i.neg().dtype());
        assertArrayEquals(new long[] {-3, 4}, i.neg().toLongArray());
        assertThrowsWith(TesseraException.class, "not implemented for 'torch.int64'", i::exp);
        assertThrows(TesseraException.class, () -> Tensor.of(new boolean[] {true}).neg());
        assertThrowsWith(TesseraException.class, "At least one of 'min' or 'max'", () -> x.clamp(Double.NaN, Double.NaN));
    }

    // ---- binary with broadcasting ----

    private record Binary(String name, BiFunction<Tensor, Tensor, Tensor> op, DoubleBinaryOperator ref, double lo, double hi) {}

    private static final List<Binary> BINARY = List.of(
            new Binary("add", Tensor::add, Double::sum, -2, 2),
            new Binary("addAlpha", (a, b) -> a.add(b, 0.5), (a, b) -> a + 0.5 * b, -2, 2),
            new Binary("sub", Tensor::sub, (a, b) -> a - b, -2, 2),
            new Binary("mul", Tensor::mul, (a, b) -> a * b, -2, 2),
            new Binary("div", Tensor::div, (a, b) -> a / b, 0.25, 2),
            new Binary("pow", Tensor::pow, Math::pow, 0.25, 2),
            new Binary("maximum", Tensor::maximum, Math::max, -2, 2),
            new Binary("minimum", Tensor::minimum, Math::min, -2, 2));

    private static final long[][][] SHAPE_PAIRS = {
            {{3, 1}, {1, 4}}, {{2, 3, 4}, {4}}, {{5, 1, 3}, {2, 1}}, {{2, 3}, {2, 3}}, {{4}, {}}, {{}, {2, 3}}, {{}, {}},
            {{1}, {3, 1, 2}}, {{2, 1, 4}, {1, 3, 1}}, {{2, 0, 3}, {3}}, {{0}, {1}}};

    @Test void binaryOpsBroadcastOverShapePairsAndLayouts() {
        Random rng = new Random(2);
        for (Binary op : BINARY)
            for (DType dtype : new DType[] {DType.FLOAT32, DType.FLOAT64})
                for (long[][] pair : SHAPE_PAIRS)
                    for (int la = 0; la < 3; la++)
                        for (int lb = 0; lb < 3; lb++) {
                            Tensor a = make(rng, pair[0], dtype, la, op.lo, op.hi), b = make(rng, pair[1], dtype, lb, op.lo, op.hi);
                            long[] shape = broadcastShape(pair[0], pair[1]);
                            Tensor y = op.op.apply(a, b);
                            assertEquals(dtype, y.dtype(), op.name);
                            assertClose(y, broadcastRef(a, b, op.ref), shape, rtol(dtype), atol(dtype));
                            // The swapped order broadcasts to the same shape.
                            assertClose(op.op.apply(b, a), broadcastRef(b, a, op.ref), shape, rtol(dtype), atol(dtype));
                        }
    }

    private static final Map<String, BiFunction<Tensor, Tensor, Tensor>> COMPARISONS = Map.of(
            "eq", Tensor::eq, "ne", Tensor::ne, "gt", Tensor::gt, "ge", Tensor::ge, "lt", Tensor::lt, "le", Tensor::le);

    private static boolean compareRef(String name, double a, double b) {
        return switch (name) {
            case "eq" -> a == b; case "ne" -> a != b; case "gt" -> a > b; case "ge" -> a >= b; case "lt" -> a < b; default -> a <= b;
        };
    }

    @Test void comparisonsGiveBoolWithBroadcasting() {
        Random rng = new Random(3);
        for (var cmp : COMPARISONS.entrySet())
            for (DType dtype : new DType[] {DType.FLOAT32, DType.INT64})
                for (long[][] pair : SHAPE_PAIRS)
                    for (int layout = 0; layout < 3; layout++) {
                        Tensor a = smallInts(rng, pair[0], dtype, layout), b = smallInts(rng, pair[1], DType.FLOAT64, 2 - layout);
                        Tensor y = cmp.getValue().apply(a, b);
                        assertEquals(DType.BOOL, y.dtype(), cmp.getKey());
                        assertClose(y, broadcastRef(a, b, (p, q) -> compareRef(cmp.getKey(), p, q) ? 1 : 0), broadcastShape(pair[0], pair[1]), 0, 0);
                    }
        Tensor x = Tensor.of(new float[] {-1, 0, 0.5f, 2});
        assertArrayEquals(new boolean[] {false, false, true, false}, x.eq(0.5).toBooleanArray());
        assertArrayEquals(new boolean[] {true, true, false, true}, x.ne(0.5).toBooleanArray());
        assertArrayEquals(new boolean[] {false, false, false, true}, x.gt(0.5).toBooleanArray());
        assertArrayEquals(new boolean[] {false, false, true, true}, x.ge(0.5).toBooleanArray());
        assertArrayEquals(new boolean[] {true, true, false, false}, x.lt(0.5).toBooleanArray());
        assertArrayEquals(new boolean[] {true, true, true, false}, x.le(0.5).toBooleanArray());
        Tensor nan = Tensor.of(new double[] {Double.NaN});
        assertArrayEquals(new boolean[] {false}, nan.eq(nan).toBooleanArray());
        assertArrayEquals(new boolean[] {true}, nan.ne(nan).toBooleanArray());
    }

    @Test void integerTensorsComparedWithFractionalScalars() {
        // PyTorch compares int64 with a float scalar in floating point: 0 < 0.5 is true and 0 == 0.5 false.
        Tensor i = Tensor.of(new long[] {0, 1, 2});
        assertArrayEquals(new boolean[] {true, false, false}, i.lt(0.5).toBooleanArray());
        assertArrayEquals(new boolean[] {false, false, false}, i.eq(0.5).toBooleanArray());
        assertArrayEquals(new boolean[] {false, true, true}, i.ge(0.5).toBooleanArray());
        assertArrayEquals(new boolean[] {false, true, false}, i.eq(1).toBooleanArray());
        Tensor b = Tensor.of(new boolean[] {true, false});
        assertArrayEquals(new boolean[] {true, false}, b.eq(1).toBooleanArray());
        assertArrayEquals(new boolean[] {true, false}, b.gt(0.5).toBooleanArray());
    }

    @Test void broadcastingErrorUsesPyTorchWording() {
        assertThrowsWith(TesseraException.class, "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1",
                () -> Tensor.zeros(2, 3).add(Tensor.zeros(2, 4)));
        assertThrowsWith(TesseraException.class, "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0",
                () -> Tensor.zeros(2, 1).mul(Tensor.zeros(3, 5)));
        assertThrowsWith(TesseraException.class, "at non-singleton dimension 2", () -> Tensor.zeros(4, 2, 3).gt(Tensor.zeros(2)));
    }

    // ---- type promotion ----

    @Test void typePromotion() {
        Tensor i = Tensor.of(new long[] {7, -3}), f = Tensor.of(new float[] {0.5f, 0.25f}), d = Tensor.of(new double[] {1, 2});
        assertClose(i.add(f), new double[] {7.5, -2.75}, new long[] {2}, 0, 0);
        assertEquals(DType.FLOAT32, i.add(f).dtype());
        assertEquals(DType.FLOAT32, f.mul(i).dtype());
        assertEquals(DType.FLOAT64, f.add(d).dtype());
        assertEquals(DType.FLOAT64, i.sub(d).dtype());

        assertEquals(DType.INT64, i.add(2).dtype());
        assertArrayEquals(new long[] {9, -1}, i.add(2).toLongArray());
        assertArrayEquals(new long[] {21, -9}, i.mul(3).toLongArray());
        assertArrayEquals(new long[] {49, 9}, i.pow(2).toLongArray());
        assertEquals(DType.FLOAT32, i.add(2.5).dtype());
        assertClose(i.mul(0.5), new double[] {3.5, -1.5}, new long[] {2}, 0, 0);
        assertEquals(DType.FLOAT32, i.mul(0.5).dtype());

        // Division of integers is true division, as torch.div.
        Tensor q = i.div(Tensor.of(new long[] {2, 2}));
        assertEquals(DType.FLOAT32, q.dtype());
        assertClose(q, new double[] {3.5, -1.5}, new long[] {2}, 0, 0);
        assertEquals(DType.FLOAT32, i.div(2).dtype());
        assertClose(i.div(2), new double[] {3.5, -1.5}, new long[] {2}, 0, 0);

        assertEquals(DType.BOOL, i.gt(f).dtype());
        assertEquals(DType.FLOAT32, Tensor.of(new boolean[] {true, false}).add(f).dtype());
        assertClose(Tensor.of(new boolean[] {true, false}).add(f), new double[] {1.5, 0.25}, new long[] {2}, 0, 0);
    }

    // ---- where and maskedFill ----

    @Test void whereSelectsWithBroadcasting() {
        Random rng = new Random(4);
        for (int layout = 0; layout < 3; layout++) {
            Tensor cond = smallInts(rng, new long[] {3, 1}, DType.FLOAT64, layout).gt(0.0);
            Tensor a = make(rng, new long[] {1, 4}, DType.FLOAT32, layout, -1, 1), b = make(rng, new long[] {2, 3, 4}, DType.FLOAT32, 2 - layout, -1, 1);
            Tensor y = Tensor.where(cond, a, b);
            double[] c = cond.toDoubleArray(), av = a.toDoubleArray(), bv = b.toDoubleArray();
            double[] expected = new double[24];
            for (int p = 0; p < 2; p++)
                for (int r = 0; r < 3; r++)
                    for (int k = 0; k < 4; k++) expected[p * 12 + r * 4 + k] = c[r] != 0 ? av[k] : bv[p * 12 + r * 4 + k];
            assertClose(y, expected, new long[] {2, 3, 4}, 0, 0);
        }
        // Transposed condition.
        Tensor cond = Tensor.of(new boolean[] {true, false, false, true, true, false}, 2, 3).t();
        Tensor y = Tensor.where(cond, Tensor.ones(3, 2), Tensor.zeros(3, 2));
        assertClose(y, new double[] {1, 1, 0, 1, 0, 0}, new long[] {3, 2}, 0, 0);   // y[r][c] = cond[c][r]
        // Mixed dtypes promote.
        assertEquals(DType.FLOAT32, Tensor.where(Tensor.of(new boolean[] {true}), Tensor.of(new long[] {1}), Tensor.of(new float[] {2})).dtype());
        assertThrowsWith(TesseraException.class, "where expected condition to be a boolean tensor",
                () -> Tensor.where(Tensor.ones(2), Tensor.ones(2), Tensor.ones(2)));
    }

    @Test void maskedFill() {
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor mask = Tensor.of(new boolean[] {true, false, true});
        Tensor y = x.maskedFill(mask, -9);
        assertClose(y, new double[] {-9, 2, -9, -9, 5, -9}, new long[] {2, 3}, 0, 0);
        assertClose(x, new double[] {1, 2, 3, 4, 5, 6}, new long[] {2, 3}, 0, 0);   // out of place
        assertClose(x.t().maskedFill(Tensor.of(new boolean[] {false, true}), 0), new double[] {1, 0, 2, 0, 3, 0}, new long[] {3, 2}, 0, 0);
        assertClose(x.maskedFill(x.gt(3.5), Double.NEGATIVE_INFINITY),
                new double[] {1, 2, 3, Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY}, new long[] {2, 3}, 0, 0);
        assertThrowsWith(TesseraException.class, "only supports boolean masks", () -> x.maskedFill(Tensor.ones(3), 0));
        assertThrows(TesseraException.class, () -> Tensor.ones(3).maskedFill(Tensor.of(new boolean[6], 2, 3), 0));
    }

    // ---- gradients ----

    private static Tensor leaf(Random rng, long... shape) { return random64(rng, shape).requiresGrad(true); }

    private static Tensor positiveLeaf(Random rng, long... shape) {
        return Tensor.of(uniform(rng, (int) Size.of(shape).numel(), 0.5, 2), shape).requiresGrad(true);
    }

    private static void check(Function<Tensor[], Tensor> fn, Tensor... inputs) { GradCheck.check(fn, inputs); }

    @Test void unaryGradients() {
        Random rng = new Random(5);
        for (Unary u : UNARY) {
            boolean positive = u.lo > 0;
            Tensor x = positive ? positiveLeaf(rng, 2, 3) : leaf(rng, 2, 3);
            check(in -> u.op.apply(in[0]), x);
            // And through a transposed (non-contiguous) view of the input.
            check(in -> u.op.apply(in[0].t()), x);
        }
        check(in -> in[0].gelu(), Tensor.of(uniform(rng, 8, -4, 4), 8).requiresGrad(true));
        check(in -> in[0].erf(), Tensor.of(uniform(rng, 8, -3, 3), 8).requiresGrad(true));
    }

    @Test void binaryGradientsWithBroadcastOperands() {
        Random rng = new Random(6);
        long[][][] pairs = {{{3, 1}, {1, 4}}, {{2, 3, 4}, {4}}, {{5, 1, 3}, {2, 1}}, {{2, 3}, {2, 3}}};
        for (Binary op : BINARY)
            for (long[][] pair : pairs) {
                boolean positive = op.lo > 0;
                Tensor a = positive ? positiveLeaf(rng, pair[0]) : leaf(rng, pair[0]);
                Tensor b = positive ? positiveLeaf(rng, pair[1]) : leaf(rng, pair[1]);
                check(in -> op.op.apply(in[0], in[1]), a, b);
            }
        // A 0-dim operand, and non-contiguous views of the inputs.
        Tensor s = Tensor.scalar(0.75).to(DType.FLOAT64).requiresGrad(true), m = leaf(rng, 3, 4);
        check(in -> in[0].mul(in[1]).add(in[1]), m, s);
        Tensor p = positiveLeaf(rng, 4, 3), q = positiveLeaf(rng, 3, 4);
        for (Binary op : BINARY) check(in -> op.op.apply(in[0].t(), in[1].slice(1, 0, 8, 2)), p, positiveLeaf(rng, 3, 8));
        check(in -> in[0].t().div(in[1]).sub(in[1].mul(in[0].t())), p, q);
        // The broadcast gradient is the sum over the broadcast dims.
        Tensor bias = Tensor.zeros(new long[] {4}, DType.FLOAT64, Device.CPU).requiresGrad(true);
        Tensor.ones(new long[] {2, 3, 4}, DType.FLOAT64, Device.CPU).add(bias).sum().backward();
        assertClose(bias.grad(), new double[] {6, 6, 6, 6}, new long[] {4}, 0, 0);
    }

    @Test void maximumSplitsTheGradientOnTies() {
        Tensor a = Tensor.of(new double[] {1, 2, 3}).requiresGrad(true), b = Tensor.of(new double[] {1, 5, 0}).requiresGrad(true);
        a.maximum(b).sum().backward();
        assertClose(a.grad(), new double[] {0.5, 0, 1}, new long[] {3}, 0, 0);
        assertClose(b.grad(), new double[] {0.5, 1, 0}, new long[] {3}, 0, 0);
    }

    @Test void whereMaskedFillAndClampGradients() {
        Random rng = new Random(7);
        Tensor cond = Tensor.of(new boolean[] {true, false, true}, 3, 1);
        check(in -> Tensor.where(cond, in[0], in[1]), leaf(rng, 3, 4), leaf(rng, 4));
        Tensor mask = Tensor.of(new boolean[] {false, true, true, false});
        check(in -> in[0].maskedFill(mask, 2.0), leaf(rng, 3, 4));
        check(in -> in[0].clamp(-0.5, 0.5), leaf(rng, 3, 4));
        // Outside the clamp range the gradient is zero.
        Tensor x = Tensor.of(new double[] {-2, 0.1, 2}).requiresGrad(true);
        x.clamp(-1, 1).sum().backward();
        assertClose(x.grad(), new double[] {0, 1, 0}, new long[] {3}, 0, 0);
        Tensor r = Tensor.of(new double[] {-1, 0, 1}).requiresGrad(true);
        r.relu().sum().backward();
        assertClose(r.grad(), new double[] {0, 0, 1}, new long[] {3}, 0, 0);   // relu'(0) = 0, as PyTorch
    }

    @Test void comparisonsAreNotDifferentiable() {
        Tensor x = Tensor.of(new double[] {1, 2}).requiresGrad(true);
        Tensor c = x.gt(1.5);
        assertFalse(c.requiresGrad());
        assertNull(c.gradFn());
    }

    // ---- in place ----

    private record InPlace(String name, UnaryOperator<Tensor> op, DoubleUnaryOperator ref) {}

    private static final List<InPlace> IN_PLACE = List.of(
            new InPlace("add_", t -> t.add_(Tensor.full(2, 3)), x -> x + 2),
            new InPlace("add_alpha", t -> t.add_(Tensor.full(2, 3), -0.5), x -> x - 1),
            new InPlace("add_scalar", t -> t.add_(1.5), x -> x + 1.5),
            new InPlace("sub_", t -> t.sub_(Tensor.full(2, 1, 3)), x -> x - 2),
            new InPlace("sub_scalar", t -> t.sub_(0.25), x -> x - 0.25),
            new InPlace("mul_", t -> t.mul_(Tensor.full(3, 3)), x -> x * 3),
            new InPlace("mul_scalar", t -> t.mul_(-2), x -> x * -2),
            new InPlace("div_", t -> t.div_(Tensor.full(4, 2, 1)), x -> x / 4),
            new InPlace("div_scalar", t -> t.div_(8), x -> x / 8),
            new InPlace("zero_", Tensor::zero_, x -> 0),
            new InPlace("fill_", t -> t.fill_(1.25), x -> 1.25),
            new InPlace("copy_", t -> t.copy_(Tensor.of(new double[] {9, 8, 7})), x -> Double.NaN),
            new InPlace("clamp_", t -> t.clamp_(-0.5, 0.5), x -> Math.min(Math.max(x, -0.5), 0.5)));

    @Test void inPlaceOpsModifyStorageReturnThisAndBumpTheVersion() {
        Random rng = new Random(8);
        for (InPlace ip : IN_PLACE)
            for (int layout = 0; layout < 3; layout++) {
                Tensor x = make(rng, new long[] {2, 3}, DType.FLOAT32, layout, -1, 1);
                double[] before = x.toDoubleArray();
                Tensor alias = x.view(x.shape().toArray());   // shares the storage
                int version = x.version();
                assertSame(x, ip.op.apply(x), ip.name);
                assertTrue(x.version() > version, ip.name + " did not bump the version");
                assertEquals(x.version(), alias.version());
                double[] expected = new double[6];
                for (int k = 0; k < 6; k++) expected[k] = ip.name.equals("copy_") ? 9 - k % 3 : ip.ref.applyAsDouble((float) before[k]);
                assertClose(x, expected, new long[] {2, 3}, RTOL32, ATOL32);
                assertClose(alias, expected, new long[] {2, 3}, RTOL32, ATOL32);
                assertEquals(DType.FLOAT32, x.dtype());
            }
    }

    @Test void inPlaceWritesThroughAViewIntoItsBase() {
        Tensor base = Tensor.zeros(3, 4);
        base.narrow(1, 1, 2).add_(1).mul_(3);
        base.select(0, 2).fill_(-1);
        base.t().select(0, 3).copy_(Tensor.of(new float[] {7, 8, 9}));
        assertClose(base, new double[] {0, 3, 3, 7, 0, 3, 3, 8, -1, -1, -1, 9}, new long[] {3, 4}, 0, 0);
        // copy_ broadcasts and converts the dtype.
        Tensor i = Tensor.zeros(new long[] {2, 2}, DType.INT64, Device.CPU).copy_(Tensor.of(new double[] {1.9, -2.9}));
        assertArrayEquals(new long[] {1, -2, 1, -2}, i.toLongArray());
    }

    @Test void inPlaceShapeAndDtypeRules() {
        assertThrowsWith(TesseraException.class, "doesn't match the broadcast shape", () -> Tensor.zeros(3).add_(Tensor.zeros(2, 3)));
        assertThrowsWith(TesseraException.class, "can't be cast to the desired output type",
                () -> Tensor.of(new long[] {1, 2}).add_(Tensor.of(new float[] {0.5f, 0.5f})));
        assertThrowsWith(TesseraException.class, "can't be cast", () -> Tensor.of(new long[] {1, 2}).div_(2));
        Tensor f = Tensor.zeros(2).add_(Tensor.of(new long[] {3, 4}));
        assertEquals(DType.FLOAT32, f.dtype());
        assertClose(f, new double[] {3, 4}, new long[] {2}, 0, 0);
        assertThrows(TesseraException.class, () -> Tensor.zeros(2).copy_(Tensor.zeros(3)));
    }

    @Test void inPlaceOnALeafThatRequiresGradThrows() {
        for (InPlace ip : IN_PLACE) {
            Tensor x = Tensor.zeros(new long[] {2, 3}, DType.FLOAT64, Device.CPU).requiresGrad(true);
            assertThrowsWith(TesseraException.class, "a leaf Variable that requires grad is being used in an in-place operation",
                    () -> ip.op.apply(x));
            // A view of the leaf is no leaf but still may not be written while grad mode is on.
            assertThrows(TesseraException.class, () -> x.narrow(0, 0, 1).fill_(1));
        }
    }

    @Test void inPlaceIsAllowedUnderNoGrad() {
        Tensor x = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3).requiresGrad(true);
        try (var s = Tensor.noGrad()) {
            for (InPlace ip : IN_PLACE) {
                double[] before = x.toDoubleArray();
                ip.op.apply(x);
                assertFalse(java.util.Arrays.equals(before, x.toDoubleArray()), ip.name + " changed nothing");
            }
            x.mul_(Tensor.of(new double[] {1, 2, 3}));
        }
        assertClose(x, new double[] {0.5, 1, 1.5, 0.5, 1, 1.5}, new long[] {2, 3}, 0, 0);
        assertTrue(x.isLeaf());
        assertTrue(x.requiresGrad());
        assertNull(x.gradFn());
        x.mul(2.0).sum().backward();
        assertClose(x.grad(), new double[] {2, 2, 2, 2, 2, 2}, new long[] {2, 3}, 0, 0);
    }

    @Test void modifyingASavedTensorInPlaceFailsBackward() {
        Tensor x = Tensor.of(new double[] {1, 2, 3}).requiresGrad(true);
        Tensor w = Tensor.of(new double[] {4, 5, 6});
        Tensor y = x.mul(w);   // saves w for x's gradient
        w.add_(1);
        assertThrowsWith(TesseraException.class, "modified by an inplace operation", () -> y.sum().backward());

        Tensor v = Tensor.of(new double[] {4, 5, 6}).requiresGrad(true);
        Tensor z = x.exp().mul(v);
        try (var s = Tensor.noGrad()) { v.narrow(0, 1, 1).mul_(2); }   // through a view: same storage, same counter
        assertThrowsWith(TesseraException.class, "modified by an inplace operation", () -> z.sum().backward());

        Tensor e = x.exp();    // exp saves its output
        e.add_(1);
        assertThrowsWith(TesseraException.class, "modified by an inplace operation", () -> e.sum().backward());
    }

    @Test void inPlaceOnANonLeafKeepsTheGradientCorrect() {
        Tensor x = Tensor.of(new double[] {1, -2, 3}).requiresGrad(true);
        Tensor y = x.mul(2.0);
        assertSame(y, y.add_(1));
        assertTrue(y.requiresGrad());
        y.sum().backward();
        assertClose(x.grad(), new double[] {2, 2, 2}, new long[] {3}, 0, 0);

        x.setGrad(null);
        Tensor z = x.mul(2.0);
        z.mul_(3).sub_(1).div_(2);   // z = (6x - 1) / 2
        z.sum().backward();
        assertClose(x.grad(), new double[] {3, 3, 3}, new long[] {3}, 0, 0);
    }

    @Test void inPlaceWithTrackedOperandsMatchesGradCheck() {
        Random rng = new Random(9);
        // In PyTorch, in-place ops that need the old value of self save a copy of it.
        check(in -> { Tensor y = in[0].mul(2.0); y.mul_(in[1]); return y; }, leaf(rng, 2, 3), leaf(rng, 2, 3));
        check(in -> { Tensor y = in[0].add(3.0); y.div_(in[1].abs().add(0.5)); return y; }, leaf(rng, 2, 3), leaf(rng, 3));
        check(in -> { Tensor y = in[0].mul(2.0); y.clamp_(-0.5, 0.5); return y.mul(y); }, leaf(rng, 2, 3));
        check(in -> { Tensor y = in[0].square(); y.add_(in[1], 2); return y.mul(in[0]); }, leaf(rng, 2, 3), leaf(rng, 3));
        // self does not require grad, the operand does.
        Tensor w = leaf(rng, 3);
        check(in -> { Tensor y = Tensor.full(3, new long[] {2, 3}, DType.FLOAT64, Device.CPU); y.mul_(in[0]); return y; }, w);
        check(in -> { Tensor y = Tensor.ones(new long[] {3}, DType.FLOAT64, Device.CPU); y.add_(in[0].mul(2.0)); return y; }, w);
    }

    // ---- the parallel path ----

    @Test void largeTensorsMatchTheReference() {
        Random rng = new Random(10);
        long[] shape = {300, 250};   // 75000 elements: above Parallel.MIN_PARALLEL_WORK
        Tensor a = make(rng, shape, DType.FLOAT32, 0, -2, 2);
        Tensor bT = make(rng, new long[] {250, 300}, DType.FLOAT32, 0, -2, 2).t();   // non-contiguous
        Tensor row = make(rng, new long[] {250}, DType.FLOAT32, 0, -2, 2);
        Tensor col = make(rng, new long[] {300, 1}, DType.FLOAT64, 2, -2, 2);
        assertClose(a.add(row), broadcastRef(a, row, Double::sum), shape, RTOL32, ATOL32);
        assertClose(a.mul(bT), broadcastRef(a, bT, (p, q) -> p * q), shape, RTOL32, ATOL32);
        assertClose(a.div(col), broadcastRef(a, col, (p, q) -> p / q), shape, RTOL64, ATOL64);   // promoted to FLOAT64
        assertClose(bT.tanh(), ref(bT, Math::tanh), shape, RTOL32, ATOL32);
        assertClose(a.gt(bT), broadcastRef(a, bT, (p, q) -> p > q ? 1 : 0), shape, 0, 0);
        Tensor w = Tensor.where(a.gt(0.0), a, bT);
        assertClose(w, broadcastRef(a, bT, (p, q) -> p > 0 ? p : q), shape, 0, 0);
        Tensor c = a.clone();
        c.t().mul_(2).add_(bT.t());
        assertClose(c, broadcastRef(a, bT, (p, q) -> (float) (2 * p) + q), shape, RTOL32, ATOL32);
    }

    /** PyTorch would rebase the base's history (CopySlices); Tessera refuses instead of giving the base a wrong gradient. */
    @Test void inPlaceOnAViewOfATrackedTensorIsRefused() {
        Tensor x = Tensor.of(new double[] {1, 2, 3}, 3).requiresGrad(true);
        Tensor y = x.mul(2.0);
        assertThrowsWith(TesseraException.class, "in-place operation on a view", () -> y.narrow(0, 0, 1).mul_(3.0));
        Tensor plain = Tensor.zeros(3);
        Tensor w = Tensor.of(new float[] {5}, 1).requiresGrad(true);
        assertThrowsWith(TesseraException.class, "in-place operation on a view", () -> plain.narrow(0, 0, 1).add_(w));
        try (var noGrad = Tensor.noGrad()) {
            y.narrow(0, 0, 1).mul_(3.0);                     // outside the graph a view may be written
        }
        assertEquals(6.0, y.toDoubleArray()[0], 0.0, "exact");
    }
}
