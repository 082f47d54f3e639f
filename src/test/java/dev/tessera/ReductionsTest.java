package dev.tessera;

import static dev.tessera.TestUtil.assertClose;
import static dev.tessera.TestUtil.assertThrowsWith;
import static dev.tessera.TestUtil.random64;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tessera.autograd.GradCheck;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;

/** Reductions against float64 loops over the reduced groups, plus argmax ties, dtypes, errors and gradients. */
class ReductionsTest {
    private static final double RTOL64 = 1e-12, ATOL64 = 1e-14;   // same sums, possibly another order
    private static final double RTOL32 = 1e-5, ATOL32 = 1e-6;     // one rounding of a double accumulation

    // ---- the reference ----

    /** Non-negative, sorted dims (all dims when null). */
    private static int[] norm(int[] dims, int rank) {
        if (dims == null) { int[] all = new int[rank]; for (int i = 0; i < rank; i++) all[i] = i; return all; }
        return Arrays.stream(dims).map(d -> d < 0 ? d + rank : d).sorted().toArray();
    }

    private static long[] reducedShape(long[] shape, int[] dims, boolean keepdim) {
        boolean[] reduced = new boolean[shape.length];
        for (int d : dims) reduced[d] = true;
        long[] out = new long[shape.length];
        int n = 0;
        for (int d = 0; d < shape.length; d++) {
            if (!reduced[d]) out[n++] = shape[d];
            else if (keepdim) out[n++] = 1;
        }
        return Arrays.copyOf(out, n);
    }

    /**
     * f over each group of elements that share their non-reduced coordinates; each group lists its
     * elements in row-major order of the reduced coordinates (the order argmax counts in).
     */
    private static double[] reduceRef(Tensor x, int[] dimsIn, ToDoubleFunction<double[]> f) {
        long[] shape = x.shape().toArray();
        int[] dims = norm(dimsIn, shape.length);
        boolean[] reduced = new boolean[shape.length];
        for (int d : dims) reduced[d] = true;
        int groups = 1, groupSize = 1;
        for (int d = 0; d < shape.length; d++) if (reduced[d]) groupSize *= shape[d]; else groups *= shape[d];
        double[][] members = new double[groups][groupSize];
        int[] filled = new int[groups];
        double[] v = x.toDoubleArray();
        long[] idx = new long[shape.length];
        for (double value : v) {
            int g = 0;
            for (int d = 0; d < shape.length; d++) if (!reduced[d]) g = (int) (g * shape[d] + idx[d]);
            members[g][filled[g]++] = value;
            for (int d = shape.length - 1; d >= 0 && ++idx[d] == shape[d]; d--) idx[d] = 0;
        }
        double[] out = new double[groups];
        for (int g = 0; g < groups; g++) out[g] = f.applyAsDouble(members[g]);
        return out;
    }

    private static double sum(double[] v) { double s = 0; for (double x : v) s += x; return s; }
    private static double mean(double[] v) { return sum(v) / v.length; }
    private static double max(double[] v) { return Arrays.stream(v).max().orElseThrow(); }
    private static double min(double[] v) { return Arrays.stream(v).min().orElseThrow(); }

    private static double var(double[] v, boolean unbiased) {
        double m = mean(v), ss = 0;
        for (double x : v) ss += (x - m) * (x - m);
        return ss / (unbiased ? v.length - 1 : v.length);
    }

    private static double argmax(double[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;   // strict: the first of ties wins
        return best;
    }

    private static double argmin(double[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] < v[best]) best = i;
        return best;
    }

    /** x in three layouts: contiguous, all dims reversed (a permuted view), and every other element. */
    private static List<Tensor> layouts(Random rng, DType dtype, long... shape) {
        int n = (int) Size.of(shape).numel();
        long[] rev = new long[shape.length], wide = shape.clone();
        int[] perm = new int[shape.length];
        for (int d = 0; d < shape.length; d++) { rev[d] = shape[shape.length - 1 - d]; perm[d] = shape.length - 1 - d; }
        wide[0] *= 2;
        return List.of(
                random64(rng, shape).to(dtype),
                random64(rng, rev).to(dtype).permute(perm),
                random64(rng, wide).to(dtype).slice(0, 0, wide[0], 2));
    }

    private static double rtol(DType d) { return d == DType.FLOAT64 ? RTOL64 : RTOL32; }
    private static double atol(DType d) { return d == DType.FLOAT64 ? ATOL64 : ATOL32; }

    private static final int[][] DIM_SETS = {{0}, {1}, {2}, {-1}, {-2}, {0, 2}, {-1, -3}, {2, 0, 1}};

    // ---- values ----

    @Test void sumAndMeanOverDimsWithKeepdim() {
        Random rng = new Random(21);
        for (DType dtype : new DType[] {DType.FLOAT64, DType.FLOAT32})
            for (Tensor x : layouts(rng, dtype, 2, 3, 4)) {
                double rt = rtol(dtype), at = atol(dtype);
                long[] shape = x.shape().toArray();
                assertClose(x.sum(), reduceRef(x, null, ReductionsTest::sum), new long[0], rt, at);
                assertClose(x.mean(), reduceRef(x, null, ReductionsTest::mean), new long[0], rt, at);
                assertEquals(dtype, x.sum().dtype());
                for (int[] dims : DIM_SETS)
                    for (boolean keep : new boolean[] {false, true}) {
                        long[] out = reducedShape(shape, norm(dims, 3), keep);
                        assertClose(x.sum(dims, keep), reduceRef(x, dims, ReductionsTest::sum), out, rt, at);
                        assertClose(x.mean(dims, keep), reduceRef(x, dims, ReductionsTest::mean), out, rt, at);
                    }
                for (int d = -3; d < 3; d++) {
                    int[] dims = {d};
                    assertClose(x.sum(d), reduceRef(x, dims, ReductionsTest::sum), reducedShape(shape, norm(dims, 3), false), rt, at);
                    assertClose(x.sum(d, true), reduceRef(x, dims, ReductionsTest::sum), reducedShape(shape, norm(dims, 3), true), rt, at);
                    assertClose(x.mean(d), reduceRef(x, dims, ReductionsTest::mean), reducedShape(shape, norm(dims, 3), false), rt, at);
                    assertClose(x.mean(d, true), reduceRef(x, dims, ReductionsTest::mean), reducedShape(shape, norm(dims, 3), true), rt, at);
                }
            }
    }

    @Test void maxMinAlongDimsAndOverAll() {
        Random rng = new Random(22);
        for (DType dtype : new DType[] {DType.FLOAT64, DType.FLOAT32})
            for (Tensor x : layouts(rng, dtype, 3, 4, 5)) {
                long[] shape = x.shape().toArray();
                assertClose(x.max(), reduceRef(x, null, ReductionsTest::max), new long[0], 0, 0);
                assertClose(x.min(), reduceRef(x, null, ReductionsTest::min), new long[0], 0, 0);
                for (int d = -3; d < 3; d++)
                    for (boolean keep : new boolean[] {false, true}) {
                        int[] dims = {d};
                        long[] out = reducedShape(shape, norm(dims, 3), keep);
                        Tensor mx = keep ? x.max(d, true) : x.max(d), mn = keep ? x.min(d, true) : x.min(d);
                        assertEquals(dtype, mx.dtype());
                        assertClose(mx, reduceRef(x, dims, ReductionsTest::max), out, 0, 0);
                        assertClose(mn, reduceRef(x, dims, ReductionsTest::min), out, 0, 0);
                    }
            }
        Tensor ints = Tensor.of(new long[] {4, -7, 9, 2}, 2, 2);
        assertEquals(DType.INT64, ints.max(1).dtype());
        assertArrayEquals(new long[] {4, 9}, ints.max(1).toLongArray());
        assertArrayEquals(new long[] {-7}, ints.min().reshape(1).toLongArray());
    }

    @Test void varAndStdUnbiasedByDefaultAndBiased() {
        Random rng = new Random(23);
        for (DType dtype : new DType[] {DType.FLOAT64, DType.FLOAT32})
            for (Tensor x : layouts(rng, dtype, 3, 4, 5)) {
                double rt = rtol(dtype), at = atol(dtype);
                long[] shape = x.shape().toArray();
                assertClose(x.var(), reduceRef(x, null, v -> var(v, true)), new long[0], rt, at);
                assertClose(x.std(), reduceRef(x, null, v -> Math.sqrt(var(v, true))), new long[0], rt, at);
                for (int d = -3; d < 3; d++) {
                    int[] dims = {d};
                    assertClose(x.var(d), reduceRef(x, dims, v -> var(v, true)), reducedShape(shape, norm(dims, 3), false), rt, at);
                    assertClose(x.var(d, true), reduceRef(x, dims, v -> var(v, true)), reducedShape(shape, norm(dims, 3), true), rt, at);
                    assertClose(x.std(d), reduceRef(x, dims, v -> Math.sqrt(var(v, true))), reducedShape(shape, norm(dims, 3), false), rt, at);
                    assertClose(x.std(d, true), reduceRef(x, dims, v -> Math.sqrt(var(v, true))), reducedShape(shape, norm(dims, 3), true), rt, at);
                }
                for (int[] dims : DIM_SETS)
                    for (boolean keep : new boolean[] {false, true})
                        for (boolean unbiased : new boolean[] {false, true}) {
                            long[] out = reducedShape(shape, norm(dims, 3), keep);
                            assertClose(x.var(dims, keep, unbiased), reduceRef(x, dims, v -> var(v, unbiased)), out, rt, at);
                            assertClose(x.std(dims, keep, unbiased), reduceRef(x, dims, v -> Math.sqrt(var(v, unbiased))), out, rt, at);
                        }
            }
        // Known case: var([1, 2, 3, 4]) = 5/3 unbiased, 5/4 biased.
        Tensor k = Tensor.of(new double[] {1, 2, 3, 4});
        assertClose(k.var(), new double[] {5.0 / 3}, new long[0], RTOL64, 0);
        assertClose(k.var(null, false, false), new double[] {1.25}, new long[0], RTOL64, 0);
        assertClose(k.std(null, false, false), new double[] {Math.sqrt(1.25)}, new long[0], RTOL64, 0);
    }

    @Test void argmaxArgminReturnInt64AndTheFirstOfTies() {
        Random rng = new Random(24);
        for (Tensor base : layouts(rng, DType.FLOAT64, 3, 4, 5)) {
            // Round to a few levels so that most groups contain ties.
            double[] v = base.toDoubleArray();
            for (int i = 0; i < v.length; i++) v[i] = Math.round(v[i] * 1.5);
            base.copy_(Tensor.of(v, base.shape().toArray()));
            for (DType dtype : new DType[] {DType.FLOAT64, DType.FLOAT32, DType.INT64}) {
                Tensor x = base.to(dtype);
                long[] shape = x.shape().toArray();
                assertEquals(DType.INT64, x.argmax().dtype());
                assertClose(x.argmax(), reduceRef(x, null, ReductionsTest::argmax), new long[0], 0, 0);
                assertClose(x.argmin(), reduceRef(x, null, ReductionsTest::argmin), new long[0], 0, 0);
                for (int d = -3; d < 3; d++)
                    for (boolean keep : new boolean[] {false, true}) {
                        int[] dims = {d};
                        long[] out = reducedShape(shape, norm(dims, 3), keep);
                        Tensor am = keep ? x.argmax(d, true) : x.argmax(d), an = keep ? x.argmin(d, true) : x.argmin(d);
                        assertEquals(DType.INT64, am.dtype());
                        assertClose(am, reduceRef(x, dims, ReductionsTest::argmax), out, 0, 0);
                        assertClose(an, reduceRef(x, dims, ReductionsTest::argmin), out, 0, 0);
                    }
            }
        }
        Tensor ties = Tensor.of(new float[] {1, 5, 5, 0, 0, 5});
        assertEquals(1, ties.argmax().item(), 0);
        assertEquals(3, ties.argmin().item(), 0);
        assertArrayEquals(new long[] {1, 2}, ties.view(2, 3).argmax(1).toLongArray());
        assertArrayEquals(new long[] {0, 0}, ties.view(2, 3).argmin(1).toLongArray());
    }

    @Test void nanPropagates() {
        Tensor x = Tensor.of(new double[] {1, Double.NaN, 3, 0}, 2, 2);
        assertEquals(Double.NaN, x.max().item(), 0);
        assertEquals(Double.NaN, x.min().item(), 0);
        assertEquals(1, x.argmax().item(), 0);
        assertEquals(Double.NaN, x.sum().item(), 0);
        assertClose(x.max(1), new double[] {Double.NaN, 3}, new long[] {2}, 0, 0);
        assertClose(x.min(0), new double[] {1, Double.NaN}, new long[] {2}, 0, 0);
    }

    // ---- dtypes and edges ----

    @Test void integerAndBoolSumsStayInt64() {
        Tensor i = Tensor.of(new long[] {1, 2, 3, 4, 5, 6}, 2, 3);
        assertEquals(DType.INT64, i.sum().dtype());
        assertArrayEquals(new long[] {21}, i.sum().reshape(1).toLongArray());
        assertArrayEquals(new long[] {5, 7, 9}, i.sum(0).toLongArray());
        assertArrayEquals(new long[] {6, 15}, i.t().sum(0).toLongArray());
        Tensor b = Tensor.of(new boolean[] {true, false, true, true});
        assertEquals(DType.INT64, b.sum().dtype());
        assertEquals(3, b.sum().item(), 0);
        assertThrowsWith(TesseraException.class, "mean(): could not infer output dtype", () -> i.mean());
        assertThrowsWith(TesseraException.class, "could not infer output dtype", () -> i.mean(0));
        assertThrows(TesseraException.class, () -> i.var());
    }

    @Test void zeroSizeAndZeroDimInputs() {
        Tensor e = Tensor.zeros(0, 3);
        assertClose(e.sum(), new double[] {0}, new long[0], 0, 0);
        assertClose(e.sum(0), new double[] {0, 0, 0}, new long[] {3}, 0, 0);
        assertEquals(Size.of(0), e.sum(1).shape());
        assertEquals(Double.NaN, e.mean().item(), 0);   // 0/0, as PyTorch
        assertThrowsWith(TesseraException.class, "Specify the reduction dim", () -> e.max());
        assertThrowsWith(TesseraException.class, "Expected reduction dim 0 to have non-zero size", () -> e.max(0));
        assertThrows(TesseraException.class, () -> e.argmax());
        assertClose(e.max(1), new double[0], new long[] {0}, 0, 0);

        Tensor s = Tensor.scalar(2.5);
        assertClose(s.sum(), new double[] {2.5}, new long[0], 0, 0);
        assertClose(s.max(), new double[] {2.5}, new long[0], 0, 0);
        assertClose(s.sum(0), new double[] {2.5}, new long[0], 0, 0);
        assertClose(s.sum(-1, true), new double[] {2.5}, new long[0], 0, 0);
        assertClose(s.mean(0), new double[] {2.5}, new long[0], 0, 0);
        assertClose(s.max(0), new double[] {2.5}, new long[0], 0, 0);
        assertClose(s.argmax(0), new double[] {0}, new long[0], 0, 0);
        assertThrowsWith(TesseraException.class, "Dimension out of range", () -> s.sum(1));
    }

    @Test void badDimsAreRejected() {
        Tensor x = Tensor.zeros(2, 3, 4);
        List<Function<Tensor, Tensor>> ops = List.of(
                t -> t.sum(3), t -> t.sum(-4), t -> t.sum(new int[] {0, 3}, false), t -> t.mean(3), t -> t.max(3), t -> t.min(-4),
                t -> t.argmax(3), t -> t.argmin(-4), t -> t.var(3), t -> t.std(-4));
        for (Function<Tensor, Tensor> op : ops)
            assertThrowsWith(TesseraException.class, "Dimension out of range (expected to be in range of [-3, 2], but got", () -> op.apply(x));
        assertThrowsWith(TesseraException.class, "appears multiple times", () -> x.sum(new int[] {1, -2}, false));
    }

    @Test void largeInputsUseTheParallelPath() {
        Random rng = new Random(25);
        Tensor x = random64(rng, 250, 300).to(DType.FLOAT32).t();   // [300, 250], non-contiguous, 75000 elements
        for (int d = 0; d < 2; d++) {
            int[] dims = {d};
            long[] out = reducedShape(new long[] {300, 250}, dims, false);
            assertClose(x.sum(d), reduceRef(x, dims, ReductionsTest::sum), out, RTOL32, ATOL32);
            assertClose(x.max(d), reduceRef(x, dims, ReductionsTest::max), out, 0, 0);
            assertClose(x.argmin(d), reduceRef(x, dims, ReductionsTest::argmin), out, 0, 0);
            assertClose(x.var(d), reduceRef(x, dims, v -> var(v, true)), out, RTOL32, ATOL32);
        }
        assertClose(x.sum(), reduceRef(x, null, ReductionsTest::sum), new long[0], RTOL32, 1e-4);
    }

    // ---- gradients ----

    private static void gradCheck(Function<Tensor, Tensor> op, Tensor x) { GradCheck.check(in -> op.apply(in[0]), x); }

    @Test void gradients() {
        Random rng = new Random(26);
        Tensor x = random64(rng, 2, 3, 4).requiresGrad(true);
        gradCheck(Tensor::sum, x);
        gradCheck(Tensor::mean, x);
        gradCheck(Tensor::var, x);
        gradCheck(Tensor::std, x);
        gradCheck(Tensor::max, x);
        gradCheck(Tensor::min, x);
        for (int d = -3; d < 3; d++) {
            int dim = d;
            gradCheck(t -> t.sum(dim), x);
            gradCheck(t -> t.mean(dim, true), x);
            gradCheck(t -> t.var(dim), x);
            gradCheck(t -> t.std(dim, true), x);
            gradCheck(t -> t.max(dim), x);
            gradCheck(t -> t.min(dim, true), x);
        }
        for (int[] dims : DIM_SETS) {
            gradCheck(t -> t.sum(dims, true), x);
            gradCheck(t -> t.mean(dims, false), x);
            gradCheck(t -> t.var(dims, true, false), x);
            gradCheck(t -> t.std(dims, false, true), x);
        }
        // Through non-contiguous views.
        gradCheck(t -> t.transpose(0, 2).sum(1), x);
        gradCheck(t -> t.permute(2, 0, 1).slice(0, 0, 4, 2).max(-1, true), x);
        gradCheck(t -> t.transpose(1, 2).var(new int[] {0, 1}, false, true), x);
    }

    @Test void gradientsOfTiedExtrema() {
        // Over all elements the gradient is shared among the tied maxima; along a dim it goes to the first index.
        Tensor x = Tensor.of(new double[] {1, 3, 3, 0, 2, 2}, 2, 3).requiresGrad(true);
        x.max().backward();
        assertClose(x.grad(), new double[] {0, 0.5, 0.5, 0, 0, 0}, new long[] {2, 3}, 0, 0);
        x.setGrad(null);
        x.max(1).sum().backward();
        assertClose(x.grad(), new double[] {0, 1, 0, 0, 1, 0}, new long[] {2, 3}, 0, 0);
        x.setGrad(null);
        x.min(0, true).sum().backward();
        assertClose(x.grad(), new double[] {0, 0, 0, 1, 1, 1}, new long[] {2, 3}, 0, 0);
    }

    /** Empty dims as PyTorch 1.13: sum 0, mean and var NaN, max/argmax over an empty dim an error, an empty gradient summed to shape. */
    @Test void zeroSizeDimensions() {
        assertClose(Tensor.zeros(3, 0).sum(1), new double[] {0, 0, 0}, new long[] {3}, 0, 0);   // torch.zeros(3, 0).sum(1): tensor([0., 0., 0.])
        assertClose(Tensor.zeros(0).sum(), new double[] {0}, new long[0], 0, 0);
        assertArrayEquals(new double[] {Double.NaN, Double.NaN, Double.NaN}, Tensor.zeros(3, 0).mean(1).toDoubleArray());   // tensor([nan, nan, nan])
        assertArrayEquals(new double[] {Double.NaN}, Tensor.zeros(0).mean().toDoubleArray());
        assertArrayEquals(new double[] {Double.NaN, Double.NaN, Double.NaN}, Tensor.zeros(3, 0).var(1).toDoubleArray());
        assertEquals(0, Tensor.zeros(0, 3).max(1).numel());
        assertThrowsWith(TesseraException.class, "max(): Expected reduction dim 1 to have non-zero size.", () -> Tensor.zeros(3, 0).max(1));
        assertThrowsWith(TesseraException.class, "argmax(): Expected reduction dim 1 to have non-zero size.", () -> Tensor.zeros(3, 0).argmax(1));
        Tensor x = Tensor.zeros(1, 0).requiresGrad(true);
        x.add(Tensor.zeros(3, 0)).sum().backward();   // the broadcast gradient is summed over the empty dim
        assertArrayEquals(new long[] {1, 0}, x.grad().shape().toArray());
    }

    /** More elements than a Java array holds (an expanded view needs no memory): a clear error naming the op and the size. */
    @Test void hostCopiesBeyondJavaArraysFailClearly() {
        Tensor huge = Tensor.ones(1).expand(3_000_000_000L);
        assertThrowsWith(TesseraException.class, "toFloatArray: a tensor of 3000000000 elements (shape ", huge::toFloatArray);
        assertThrowsWith(TesseraException.class, "toLongArray: a tensor of 3000000000 elements", huge::toLongArray);
        assertEquals(1.0, huge.narrow(0, 5, 1).item());
    }
}
