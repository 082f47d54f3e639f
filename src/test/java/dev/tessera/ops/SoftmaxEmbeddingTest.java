package dev.tessera.ops;

import static dev.tessera.TestUtil.assertClose;
import static dev.tessera.TestUtil.assertThrowsWith;
import static dev.tessera.TestUtil.random64;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tessera.DType;
import dev.tessera.Device;
import dev.tessera.Size;
import dev.tessera.Tensor;
import dev.tessera.TesseraException;
import dev.tessera.autograd.GradCheck;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** softmax / logSoftmax along every dim against float64 loops, and embedding lookups with their scatter-add gradient. */
class SoftmaxEmbeddingTest {

    // ------------------------------------------------------------------ softmax oracle

    /** Shift by the max of each fiber along dim, then exp / Σ exp (or x − max − log Σ exp), in float64. */
    static double[] referenceSoftmax(double[] x, long[] shape, int dim, boolean log) {
        int outer = 1, inner = 1, n = (int) shape[dim];
        for (int d = 0; d < dim; d++) outer *= (int) shape[d];
        for (int d = dim + 1; d < shape.length; d++) inner *= (int) shape[d];
        double[] out = new double[x.length];
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++) {
                int base = o * n * inner + i;
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int j = 0; j < n; j++) max = Math.max(max, x[base + j * inner]);
                for (int j = 0; j < n; j++) sum += Math.exp(x[base + j * inner] - max);
                for (int j = 0; j < n; j++) {
                    double shifted = x[base + j * inner] - max;
                    out[base + j * inner] = log ? shifted - Math.log(sum) : Math.exp(shifted) / sum;
                }
            }
        return out;
    }

    /** Values in [-1, 1) plus a per-element offset of ±1000 in one corner: exp would overflow without the max shift. */
    private static Tensor withLargeValues(Random rng, long... shape) {
        double[] v = dev.tessera.TestUtil.randomDoubles(rng, (int) Size.of(shape).numel());
        v[0] += 1000;
        v[1] += 1000;
        v[v.length - 1] -= 1000;
        return Tensor.of(v, shape);
    }

    // ------------------------------------------------------------------ softmax values

    @Test void softmaxKnownCase() {
        // softmax([0, ln 3]) = [1/4, 3/4]
        Tensor y = Tensor.of(new double[] {0, Math.log(3)}, 2).softmax(0);
        assertClose(y, new double[] {0.25, 0.75}, new long[] {2}, 1e-15, 1e-15);
        assertClose(Tensor.of(new double[] {0, Math.log(3)}, 2).logSoftmax(0), new double[] {Math.log(0.25), Math.log(0.75)}, new long[] {2}, 1e-15, 1e-15);
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64"})
    void softmaxAlongEveryDimMatchesReference(DType dtype) {
        Random rng = new Random(51);
        long[] shape = {3, 4, 5};
        Tensor x64 = withLargeValues(rng, shape);
        Tensor x = x64.to(dtype);
        double[] xs = x.toDoubleArray();    // the oracle sees the values the op sees (after any float32 rounding)
        // float64: rounding only; float32 vs float64 reference: ~1e-5 relative.
        double rtol = dtype == DType.FLOAT64 ? 1e-12 : 1e-5, atol = dtype == DType.FLOAT64 ? 1e-12 : 1e-6;
        // The float32 log-softmax kernel subtracts one float32 shift (max + log Σ), which is rounded at the scale of the
        // largest input (~1000 here): its outputs carry up to one float32 ulp of that value (PyTorch subtracts max and
        // log Σ separately and does not). Outputs near 0 need that as the absolute tolerance.
        double logAtol = dtype == DType.FLOAT64 ? 1e-12 : Math.ulp(1001f);
        for (int dim = -3; dim < 3; dim++) {
            int d = dim < 0 ? dim + 3 : dim;
            Tensor y = x.softmax(dim), logY = x.logSoftmax(dim);
            assertEquals(dtype, y.dtype());
            assertClose(y, referenceSoftmax(xs, shape, d, false), shape, rtol, atol);
            assertClose(logY, referenceSoftmax(xs, shape, d, true), shape, rtol, logAtol);
            // every fiber along dim sums to 1 (the large values included: no inf, no NaN)
            assertClose(y.sum(d), ones(shape, d), dropDim(shape, d), 0, dtype == DType.FLOAT64 ? 1e-12 : 1e-6);
        }
    }

    private static long[] dropDim(long[] shape, int d) {
        long[] out = new long[shape.length - 1];
        for (int i = 0, j = 0; i < shape.length; i++) if (i != d) out[j++] = shape[i];
        return out;
    }

    private static double[] ones(long[] shape, int d) {
        double[] v = new double[(int) (Size.of(shape).numel() / shape[d])];
        java.util.Arrays.fill(v, 1);
        return v;
    }

    @Test void float32AtModerateScaleMeetsTheFloat32Tolerance() {
        Random rng = new Random(57);
        long[] shape = {4, 6};
        Tensor x = random64(rng, shape).mul(10).to(DType.FLOAT32);
        double[] xs = x.toDoubleArray();
        for (int d = 0; d < 2; d++) {
            assertClose(x.softmax(d), referenceSoftmax(xs, shape, d, false), shape, 1e-5, 1e-7);
            assertClose(x.logSoftmax(d), referenceSoftmax(xs, shape, d, true), shape, 1e-5, 1e-6);
        }
    }

    @Test void softmaxOfNonContiguousInput() {
        Random rng = new Random(52);
        Tensor x = random64(rng, 4, 3).t();   // [3, 4], column-major
        Tensor contiguous = x.contiguous();
        for (int dim = 0; dim < 2; dim++) {
            assertClose(x.softmax(dim), referenceSoftmax(contiguous.toDoubleArray(), new long[] {3, 4}, dim, false), new long[] {3, 4}, 1e-12, 1e-12);
            assertClose(x.logSoftmax(dim), referenceSoftmax(contiguous.toDoubleArray(), new long[] {3, 4}, dim, true), new long[] {3, 4}, 1e-12, 1e-12);
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64"})
    void maskedEntriesGetZeroProbability(DType dtype) {
        // an attention mask writes −∞: those entries get probability 0 and log-probability −∞, the rest renormalise
        Tensor x = Tensor.of(new double[] {Double.NEGATIVE_INFINITY, 0, 0, Double.NEGATIVE_INFINITY}, 2, 2).to(dtype);
        assertClose(x.softmax(1), new double[] {0, 1, 1, 0}, new long[] {2, 2}, 0, 0);
        assertClose(x.logSoftmax(1), new double[] {Double.NEGATIVE_INFINITY, 0, 0, Double.NEGATIVE_INFINITY}, new long[] {2, 2}, 0, 0);
    }

    @Test void softmaxEdges() {
        assertClose(Tensor.scalar(5).softmax(0), new double[] {1}, new long[0], 0, 0);     // 0-dim: softmax of one element is 1
        assertClose(Tensor.scalar(5).logSoftmax(-1), new double[] {0}, new long[0], 0, 0);
        assertEquals(Size.of(0, 3), Tensor.zeros(0, 3).softmax(1).shape());
        assertThrows(TesseraException.class, () -> Tensor.zeros(2, 3, 4).softmax(3));
        assertThrows(TesseraException.class, () -> Tensor.zeros(2, 3).softmax(-3));
        assertThrows(TesseraException.class, () -> Tensor.of(new long[] {1, 2}, 2).softmax(0));
    }

    // ------------------------------------------------------------------ softmax gradients (float64, GradCheck defaults)

    @ParameterizedTest
    @ValueSource(ints = {0, 1, -1})
    void softmaxGradients(int dim) {
        Random rng = new Random(53 + dim);
        GradCheck.check(in -> in[0].softmax(dim), random64(rng, 2, 3, 4).mul(2).requiresGrad(true));
        GradCheck.check(in -> in[0].logSoftmax(dim), random64(rng, 2, 3, 4).mul(2).requiresGrad(true));
    }

    @Test void softmaxGradientsThroughANonContiguousInput() {
        Random rng = new Random(58);
        GradCheck.check(in -> in[0].transpose(0, 2).softmax(1), random64(rng, 2, 3, 4).requiresGrad(true));
        GradCheck.check(in -> in[0].transpose(0, 1).logSoftmax(0), random64(rng, 3, 5).requiresGrad(true));
    }

    @Test void gradFnNames() {
        Tensor x = Tensor.ones(2, 2).requiresGrad(true);
        assertEquals("SoftmaxBackward0", x.softmax(1).gradFn().name());
        assertEquals("LogSoftmaxBackward0", x.logSoftmax(1).gradFn().name());
    }

    // ------------------------------------------------------------------ embedding

    private static Tensor indices(long[] values, long... shape) { return Tensor.of(values, shape); }

    @Test void embeddingReturnsTheWeightRows() {
        Random rng = new Random(54);
        Tensor weight = random64(rng, 5, 3);
        long[] idx = {0, 2, 4, 2, 2, 1};
        Tensor out = Indexing.embedding(indices(idx, 2, 3), weight, -1);
        assertEquals(Size.of(2, 3, 3), out.shape());
        assertEquals(DType.FLOAT64, out.dtype());
        double[] w = weight.toDoubleArray(), expected = new double[idx.length * 3];
        for (int i = 0; i < idx.length; i++) System.arraycopy(w, (int) idx[i] * 3, expected, i * 3, 3);
        assertClose(out, expected, new long[] {2, 3, 3}, 0, 0);   // a copy: bit-exact
        // 0-dim and 1-D indices: the output shape is indices.shape + [dim]
        assertEquals(Size.of(3), Indexing.embedding(Tensor.of(new long[] {4}, 1).view(), weight, -1).shape());
        assertEquals(Size.of(0, 3), Indexing.embedding(Tensor.of(new long[0], 0), weight, -1).shape());
        // float32 weights stay float32
        assertEquals(DType.FLOAT32, Indexing.embedding(indices(idx, 6), weight.to(DType.FLOAT32), -1).dtype());
    }

    @Test void embeddingWithNonContiguousIndicesAndWeight() {
        Random rng = new Random(55);
        Tensor weight = random64(rng, 3, 5).t();                  // [5, 3], column-major
        Tensor idx = indices(new long[] {3, 0, 1, 4, 4, 2}, 3, 2).t(); // [2, 3]: logical order 3, 1, 4 / 0, 4, 2
        Tensor out = Indexing.embedding(idx, weight, -1);
        double[] w = weight.contiguous().toDoubleArray();
        long[] logical = {3, 1, 4, 0, 4, 2};
        double[] expected = new double[18];
        for (int i = 0; i < 6; i++) System.arraycopy(w, (int) logical[i] * 3, expected, i * 3, 3);
        assertClose(out, expected, new long[] {2, 3, 3}, 0, 0);
    }

    @Test void embeddingGradientCountsRepeatedIndices() {
        Tensor weight = Tensor.zeros(new long[] {5, 2}, DType.FLOAT64, Device.CPU).requiresGrad(true);
        // index 2 three times, 0, 1, 4 once, 3 never: d(sum)/dW[i] = count(i)
        Indexing.embedding(indices(new long[] {0, 2, 4, 2, 2, 1}, 2, 3), weight, -1).sum().backward();
        assertClose(weight.grad(), new double[] {1, 1, 1, 1, 3, 3, 0, 0, 1, 1}, new long[] {5, 2}, 0, 0);
    }

    @Test void paddingIndexGetsNoGradient() {
        Tensor weight = Tensor.ones(new long[] {4, 2}, DType.FLOAT64, Device.CPU).requiresGrad(true);
        Tensor out = Indexing.embedding(indices(new long[] {1, 3, 1, 0}, 4), weight, 1);
        assertClose(out.select(0, 0), new double[] {1, 1}, new long[] {2}, 0, 0);   // forward still reads the padding row
        out.mul(Tensor.of(new double[] {1, 2, 3, 4, 5, 6, 7, 8}, 4, 2)).sum().backward();
        // row 1 is padding (zero); row 3 gets [3, 4]; row 0 gets [7, 8]; row 2 is never used
        assertClose(weight.grad(), new double[] {7, 8, 0, 0, 0, 0, 3, 4}, new long[] {4, 2}, 0, 0);
    }

    @Test void embeddingGradCheck() {
        Random rng = new Random(56);
        Tensor idx = indices(new long[] {1, 0, 3, 1, 1, 2}, 3, 2);
        GradCheck.check(in -> Indexing.embedding(idx, in[0], -1), random64(rng, 4, 3).requiresGrad(true));
        GradCheck.check(in -> Indexing.embedding(idx, in[0].t(), -1), random64(rng, 3, 4).requiresGrad(true));   // a transposed table
    }

    @Test void embeddingErrors() {
        Tensor weight = Tensor.zeros(5, 3);
        var atNum = assertThrows(TesseraException.class, () -> Indexing.embedding(indices(new long[] {0, 5}, 2), weight, -1));
        assertEquals("index out of range in self", atNum.getMessage());
        var negative = assertThrows(TesseraException.class, () -> Indexing.embedding(indices(new long[] {-1}, 1), weight, -1));
        assertEquals("index out of range in self", negative.getMessage());
        assertThrowsWith(TesseraException.class, "'indices' to have one of the following scalar types: Long, Int",
                () -> Indexing.embedding(Tensor.of(new float[] {0, 1}, 2), weight, -1));
        assertThrows(TesseraException.class, () -> Indexing.embedding(indices(new long[] {0}, 1), Tensor.zeros(5), -1));
    }

    @Test void embeddingGradFnName() {
        Tensor weight = Tensor.ones(3, 2).requiresGrad(true);
        Tensor out = Indexing.embedding(indices(new long[] {2}, 1, 1), weight, -1);
        assertEquals("tensor([[[1., 1.]]], grad_fn=<EmbeddingBackward0>)", out.toString());
    }
}
