package dev.tessera.ops;

import static dev.tessera.TestUtil.assertClose;
import static dev.tessera.TestUtil.assertThrowsWith;
import static dev.tessera.TestUtil.random64;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.DType;
import dev.tessera.Size;
import dev.tessera.Tensor;
import dev.tessera.TesseraException;
import dev.tessera.autograd.GradCheck;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** mm, bmm and matmul against naive float64 loops written here (the oracle), plus errors and gradients. */
class MatmulTest {

    // ------------------------------------------------------------------ the oracle

    /**
     * PyTorch's matmul in float64 loops, read off the operands' logical (row-major) values: a 1-D
     * left operand is a row, a 1-D right operand a column (both removed from the result), and the
     * batch dimensions broadcast.
     */
    record Expected(double[] data, long[] shape) {}

    static Expected reference(Tensor a, Tensor b) {
        long[] as = a.shape().toArray(), bs = b.shape().toArray();
        double[] x = a.toDoubleArray(), y = b.toDoubleArray();
        long[] a2 = as.length == 1 ? new long[] {1, as[0]} : as, b2 = bs.length == 1 ? new long[] {bs[0], 1} : bs;
        int m = (int) a2[a2.length - 2], k = (int) a2[a2.length - 1], n = (int) b2[b2.length - 1];
        if (b2[b2.length - 2] != k) throw new IllegalArgumentException("oracle: inner sizes differ");
        int rank = Math.max(a2.length, b2.length) - 2;
        long[] batch = new long[rank], ba = new long[rank], bb = new long[rank];
        for (int d = 0; d < rank; d++) {
            int da = d - (rank - (a2.length - 2)), db = d - (rank - (b2.length - 2));
            ba[d] = da >= 0 ? a2[da] : 1;
            bb[d] = db >= 0 ? b2[db] : 1;
            if (ba[d] != bb[d] && ba[d] != 1 && bb[d] != 1) throw new IllegalArgumentException("oracle: batch dims do not broadcast");
            batch[d] = Math.max(ba[d], bb[d]);
        }
        int count = (int) Size.of(batch).numel();
        double[] out = new double[count * m * n];
        long[] idx = new long[rank];
        for (int bi = 0; bi < count; bi++) {
            long rem = bi, offA = 0, offB = 0, strideA = 1, strideB = 1;
            for (int d = rank - 1; d >= 0; d--) {
                idx[d] = rem % batch[d];
                rem /= batch[d];
                offA += (ba[d] == 1 ? 0 : idx[d]) * strideA;
                offB += (bb[d] == 1 ? 0 : idx[d]) * strideB;
                strideA *= ba[d];
                strideB *= bb[d];
            }
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) {
                    double acc = 0;
                    for (int p = 0; p < k; p++) acc += x[(int) (offA * m * k) + i * k + p] * y[(int) (offB * k * n) + p * n + j];
                    out[bi * m * n + i * n + j] = acc;
                }
        }
        long[] shape = Arrays.copyOf(batch, rank + 2);
        int len = rank;
        if (as.length != 1) shape[len++] = m;
        if (bs.length != 1) shape[len++] = n;
        return new Expected(out, Arrays.copyOf(shape, len));
    }

    /** float64 results agree with the oracle to rounding; float32 to about 1e-5 relative (k is small here). */
    private static void assertMatchesReference(Tensor actual, Tensor a, Tensor b) {
        assertEquals(a.dtype(), actual.dtype(), "dtype");
        Expected expected = reference(a, b);
        if (a.dtype() == DType.FLOAT64) assertClose(actual, expected.data(), expected.shape(), 1e-12, 1e-12);
        else assertClose(actual, expected.data(), expected.shape(), 1e-5, 1e-5);
    }

    private static Tensor random(Random rng, DType dtype, long... shape) { return random64(rng, shape).to(dtype); }

    // ------------------------------------------------------------------ known case

    @Test void knownTwoByTwo() {
        Tensor a = Tensor.of(new float[] {1, 2, 3, 4}, 2, 2), b = Tensor.of(new float[] {5, 6, 7, 8}, 2, 2);
        assertClose(a.mm(b), new double[] {19, 22, 43, 50}, new long[] {2, 2}, 0, 0);
        assertClose(a.matmul(b), new double[] {19, 22, 43, 50}, new long[] {2, 2}, 0, 0);
        assertClose(Tensor.of(new float[] {1, 2, 3}, 3).matmul(Tensor.of(new float[] {4, 5, 6}, 3)), new double[] {32}, new long[0], 0, 0);
    }

    @Test void int64ProductIsExact() {
        Tensor a = Tensor.of(new long[] {1, 2, 3, 4, 5, 6}, 2, 3), b = Tensor.of(new long[] {7, 8, 9, 10, 11, 12}, 3, 2);
        Tensor c = a.mm(b);
        assertEquals(DType.INT64, c.dtype());
        assertEquals(Arrays.toString(new long[] {58, 64, 139, 154}), Arrays.toString(c.toLongArray()));
    }

    // ------------------------------------------------------------------ sweeps

    static Stream<Arguments> matmulCases() {
        long[][][] cases = {
                {{3}, {3}},                // dot
                {{4}, {4, 5}},             // 1-D · 2-D
                {{3, 4}, {4}},             // 2-D · 1-D
                {{3, 4}, {4, 5}},          // mm
                {{2, 3, 4}, {2, 4, 5}},    // bmm
                {{2, 3, 4}, {4, 5}},       // 3-D · 2-D
                {{3, 4}, {2, 4, 5}},       // 2-D · 3-D
                {{4}, {2, 4, 5}},          // 1-D · 3-D
                {{2, 3, 4}, {4}},          // 3-D · 1-D
                {{2, 1, 3, 4}, {5, 4, 2}}, // 4-D broadcast against 3-D
                {{1, 3, 4}, {2, 4, 5}},    // size-1 batch broadcasts
                {{3, 1, 2, 3}, {1, 4, 3, 2}},
                {{1, 1}, {1, 1}},
        };
        return Stream.of(DType.FLOAT32, DType.FLOAT64).flatMap(dt -> Arrays.stream(cases).map(c -> Arguments.of(dt, c[0], c[1])));
    }

    @ParameterizedTest(name = "{0} {1} @ {2}")
    @MethodSource("matmulCases")
    void matmulMatchesReference(DType dtype, long[] as, long[] bs) {
        Random rng = new Random(Arrays.hashCode(as) * 31L + Arrays.hashCode(bs));
        Tensor a = random(rng, dtype, as), b = random(rng, dtype, bs);
        assertMatchesReference(a.matmul(b), a, b);
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64"})
    void mmSweepOfSmallShapes(DType dtype) {
        Random rng = new Random(11);
        for (int m = 1; m <= 4; m++)
            for (int k = 1; k <= 4; k++)
                for (int n = 1; n <= 4; n++) {
                    Tensor a = random(rng, dtype, m, k), b = random(rng, dtype, k, n);
                    assertMatchesReference(a.mm(b), a, b);
                }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64"})
    void bmmSweepOfSmallShapes(DType dtype) {
        Random rng = new Random(12);
        for (int batch : new int[] {1, 3})
            for (int m = 1; m <= 4; m += 3)
                for (int k = 1; k <= 4; k++)
                    for (int n = 1; n <= 4; n += 3) {
                        Tensor a = random(rng, dtype, batch, m, k), b = random(rng, dtype, batch, k, n);
                        assertMatchesReference(a.bmm(b), a, b);
                    }
    }

    /** Sizes past any blocking or vector width of the GEMM, with ragged edges. */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64"})
    void largerOddSizes(DType dtype) {
        Random rng = new Random(13);
        Tensor a = random(rng, dtype, 67, 129), b = random(rng, dtype, 129, 35);
        Expected expected = reference(a, b);
        // k = 129 terms of size <= 1: float32 accumulation error grows like k·eps, hence atol 1e-4 there.
        if (dtype == DType.FLOAT64) assertClose(a.mm(b), expected.data(), expected.shape(), 1e-12, 1e-12);
        else assertClose(a.mm(b), expected.data(), expected.shape(), 1e-5, 1e-4);
    }

    // ------------------------------------------------------------------ non-contiguous operands

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64"})
    void transposedAndSlicedOperands(DType dtype) {
        Random rng = new Random(14);
        Tensor at = random(rng, dtype, 5, 3).t();                   // [3, 5], column-major
        Tensor bt = random(rng, dtype, 4, 5).t();                   // [5, 4], column-major
        Tensor narrowed = random(rng, dtype, 5, 9).narrow(1, 2, 4); // [5, 4], row stride 9
        Tensor stepped = random(rng, dtype, 5, 8).slice(1, 0, 8, 2);// [5, 4], no unit stride at all
        Tensor rowsStepped = random(rng, dtype, 6, 5).slice(0, 0, 6, 2); // [3, 5], row stride 10
        assertFalse(at.isContiguous());
        assertFalse(stepped.isContiguous());
        for (Tensor a : new Tensor[] {at, rowsStepped})
            for (Tensor b : new Tensor[] {bt, narrowed, stepped}) {
                assertMatchesReference(a.mm(b), a, b);
                assertMatchesReference(a.matmul(b), a, b);
            }
        Tensor stridedVector = random(rng, dtype, 10).slice(0, 0, 10, 2); // [5], stride 2
        assertMatchesReference(at.matmul(stridedVector), at, stridedVector);
        assertMatchesReference(stridedVector.matmul(bt), stridedVector, bt);
        assertMatchesReference(stridedVector.matmul(stridedVector), stridedVector, stridedVector);
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64"})
    void nonContiguousBatches(DType dtype) {
        Random rng = new Random(15);
        Tensor a = random(rng, dtype, 3, 2, 4).permute(1, 0, 2);   // [2, 3, 4], batch stride 4
        Tensor b = random(rng, dtype, 2, 5, 4).transpose(1, 2);    // [2, 4, 5], each matrix transposed
        assertMatchesReference(a.bmm(b), a, b);
        assertMatchesReference(a.matmul(b), a, b);
        Tensor c = random(rng, dtype, 2, 4, 10).slice(2, 1, 10, 2); // [2, 4, 5], no unit stride
        assertMatchesReference(a.bmm(c), a, c);
    }

    /** expand gives stride-0 axes: a matrix whose rows are all the same row, and a broadcast batch. */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64"})
    void expandedOperands(DType dtype) {
        Random rng = new Random(16);
        Tensor rows = random(rng, dtype, 1, 4).expand(3, 4);       // strides [0, 1]
        Tensor cols = random(rng, dtype, 4, 1).expand(4, 5);       // strides [1, 0]
        Tensor b = random(rng, dtype, 4, 5);
        assertMatchesReference(rows.mm(b), rows, b);
        assertMatchesReference(rows.mm(cols), rows, cols);
        // inside a larger storage a wrong leading dimension would read real (wrong) rows instead of failing
        Tensor firstRow = random(rng, dtype, 10, 4).narrow(0, 0, 1).expand(3, 4);
        assertMatchesReference(firstRow.mm(b), firstRow, b);
        assertMatchesReference(b.t().mm(firstRow.t()), b.t(), firstRow.t());
        Tensor column = random(rng, dtype, 4, 7).narrow(1, 2, 1).expand(4, 5);  // strides [7, 0]
        assertMatchesReference(rows.mm(column), rows, column);
        Tensor batch = random(rng, dtype, 1, 3, 4).expand(2, 3, 4); // batch stride 0
        Tensor bb = random(rng, dtype, 2, 4, 5);
        assertMatchesReference(batch.bmm(bb), batch, bb);
    }

    // ------------------------------------------------------------------ edges

    @Test void zeroSizedDimensions() {
        Tensor inner = Tensor.ones(3, 0).mm(Tensor.ones(0, 4));
        assertClose(inner, new double[12], new long[] {3, 4}, 0, 0);  // an empty sum is 0
        assertEquals(Size.of(0, 4), Tensor.ones(0, 3).mm(Tensor.ones(3, 4)).shape());
        assertEquals(Size.of(3, 0), Tensor.ones(3, 2).mm(Tensor.ones(2, 0)).shape());
        assertEquals(Size.of(0, 2, 5), Tensor.ones(0, 2, 3).bmm(Tensor.ones(0, 3, 5)).shape());
    }

    @Test void resultIsContiguousAndLeavesOperandsUntouched() {
        Random rng = new Random(17);
        Tensor a = random64(rng, 3, 4), b = random64(rng, 4, 2);
        double[] before = a.toDoubleArray();
        Tensor c = a.t().t().mm(b);
        assertTrue(c.isContiguous());
        assertEquals(Arrays.toString(before), Arrays.toString(a.toDoubleArray()));
    }

    // ------------------------------------------------------------------ errors

    @Test void mmShapeMismatchUsesPyTorchsMessage() {
        var e = assertThrows(TesseraException.class, () -> Tensor.zeros(1, 20).mm(Tensor.zeros(10, 100)));
        assertEquals("mat1 and mat2 shapes cannot be multiplied (1x20 and 10x100)", e.getMessage());
        // nn.Linear's error comes through matmul of 2-D operands: the same words.
        assertThrowsWith(TesseraException.class, "cannot be multiplied", () -> Tensor.zeros(1, 20).matmul(Tensor.zeros(10, 100)));
    }

    @Test void dtypeMismatchIsRejected() {
        Tensor f32 = Tensor.zeros(2, 3), f64 = Tensor.zeros(new long[] {3, 2}, DType.FLOAT64, dev.tessera.Device.CPU);
        for (var call : new org.junit.jupiter.api.function.Executable[] {() -> f32.mm(f64), () -> f32.matmul(f64),
                () -> f32.unsqueeze(0).bmm(f64.unsqueeze(0))}) {
            assertThrowsWith(TesseraException.class, "expected m1 and m2 to have the same dtype", call);
        }
    }

    @Test void otherShapeErrors() {
        assertThrows(TesseraException.class, () -> Tensor.zeros(2, 3, 4).mm(Tensor.zeros(4, 5)));       // mm wants matrices
        assertThrows(TesseraException.class, () -> Tensor.zeros(3, 4).bmm(Tensor.zeros(4, 5)));          // bmm wants 3-D
        assertThrowsWith(TesseraException.class, "same number of batches", () -> Tensor.zeros(2, 3, 4).bmm(Tensor.zeros(3, 4, 5)));
        assertThrows(TesseraException.class, () -> Tensor.zeros(2, 3, 4).bmm(Tensor.zeros(2, 5, 5)));
        assertThrows(TesseraException.class, () -> Tensor.zeros(3).matmul(Tensor.zeros(4)));
        assertThrows(TesseraException.class, () -> Tensor.zeros(2, 3, 4).matmul(Tensor.zeros(3, 5, 2)));  // batch 2 vs 3
        assertThrowsWith(TesseraException.class, "at least 1D", () -> Tensor.scalar(1).matmul(Tensor.zeros(3)));
    }

    // ------------------------------------------------------------------ gradients (float64, GradCheck defaults)

    @Test void mmGradients() {
        Random rng = new Random(21);
        GradCheck.check(in -> in[0].mm(in[1]), random64(rng, 3, 4).requiresGrad(true), random64(rng, 4, 2).requiresGrad(true));
        // transposed operands: the backward must see the views, not their bases
        GradCheck.check(in -> in[0].t().mm(in[1].t()), random64(rng, 4, 3).requiresGrad(true), random64(rng, 2, 4).requiresGrad(true));
        // only one side requires grad
        GradCheck.check(in -> in[0].mm(in[1]), random64(rng, 3, 4), random64(rng, 4, 2).requiresGrad(true));
    }

    @Test void bmmGradients() {
        Random rng = new Random(22);
        GradCheck.check(in -> in[0].bmm(in[1]), random64(rng, 2, 3, 4).requiresGrad(true), random64(rng, 2, 4, 2).requiresGrad(true));
        GradCheck.check(in -> in[0].transpose(1, 2).bmm(in[1]), random64(rng, 2, 4, 3).requiresGrad(true), random64(rng, 2, 4, 2).requiresGrad(true));
    }

    static Stream<Arguments> gradCases() {
        return Stream.of(new long[][] {{3}, {3}}, new long[][] {{4}, {4, 2}}, new long[][] {{3, 4}, {4}}, new long[][] {{2, 3, 4}, {4, 2}},
                new long[][] {{3, 4}, {2, 4, 2}}, new long[][] {{2, 1, 3, 4}, {5, 4, 2}}, new long[][] {{4}, {2, 4, 3}},
                new long[][] {{2, 3, 4}, {4}}).map(c -> Arguments.of(c[0], c[1]));
    }

    /** Broadcast batches: the gradient of the smaller operand is summed back over the batches it was reused in. */
    @ParameterizedTest(name = "{0} @ {1}")
    @MethodSource("gradCases")
    void matmulGradients(long[] as, long[] bs) {
        Random rng = new Random(Arrays.hashCode(as) + 7L * Arrays.hashCode(bs));
        Tensor a = random64(rng, as).requiresGrad(true), b = random64(rng, bs).requiresGrad(true);
        GradCheck.check(in -> in[0].matmul(in[1]), a, b);
        assertEquals(a.shape(), a.grad().shape());
        assertEquals(b.shape(), b.grad().shape());
    }

    @Test void broadcastGradientIsTheSumOverBatches() {
        // d/dW sum(X_b @ W) over a batch = sum_b X_bᵀ @ 1: check the shape and value of the summed gradient exactly.
        Tensor x = Tensor.ones(new long[] {5, 3, 4}, DType.FLOAT64, dev.tessera.Device.CPU);
        Tensor w = Tensor.zeros(new long[] {4, 2}, DType.FLOAT64, dev.tessera.Device.CPU).requiresGrad(true);
        x.matmul(w).sum().backward();
        assertClose(w.grad(), new double[] {15, 15, 15, 15, 15, 15, 15, 15}, new long[] {4, 2}, 0, 0);  // 5 batches · 3 rows
    }

    /** The gradient of sum(0) reaches mm expanded along rows (stride 0): the backward products must read it right. */
    @Test void gradientArrivingAsAnExpandedTensor() {
        Random rng = new Random(23);
        Tensor a = random64(rng, 3, 4).requiresGrad(true), b = random64(rng, 4, 2).requiresGrad(true);
        double[] g = {0.5, -2};
        a.mm(b).sum(0).backward(Tensor.of(g, 2));
        double[] av = a.toDoubleArray(), bv = b.toDoubleArray(), da = new double[12], db = new double[8];
        for (int i = 0; i < 3; i++)
            for (int p = 0; p < 4; p++)
                for (int j = 0; j < 2; j++) {
                    da[i * 4 + p] += g[j] * bv[p * 2 + j];    // dA = G·Bᵀ with every row of G equal to g
                    db[p * 2 + j] += av[i * 4 + p] * g[j];    // dB = Aᵀ·G
                }
        assertClose(a.grad(), da, new long[] {3, 4}, 1e-12, 1e-12);
        assertClose(b.grad(), db, new long[] {4, 2}, 1e-12, 1e-12);
    }

    @Test void gradFnNames() {
        Tensor a = Tensor.ones(2, 2).requiresGrad(true);
        assertEquals("MmBackward0", a.mm(a).gradFn().name());
        assertEquals("BmmBackward0", a.unsqueeze(0).bmm(a.unsqueeze(0)).gradFn().name());
    }
}
