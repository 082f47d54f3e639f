package dev.tessera.ops;

import static dev.tessera.TestUtil.assertClose;
import static dev.tessera.TestUtil.assertThrowsWith;
import static dev.tessera.TestUtil.random64;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.DType;
import dev.tessera.Size;
import dev.tessera.Tensor;
import dev.tessera.TesseraException;
import dev.tessera.autograd.GradCheck;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** conv2d, conv1d, maxPool2d and avgPool2d against direct float64 loops written here, plus gradients and errors. */
public class ConvPoolTest {

    // ------------------------------------------------------------------ the oracles

    /** The textbook 7-loop cross-correlation: x [N, C, H, W], w [OC, C/groups, kh, kw], b [OC] or null. */
    public static double[] referenceConv2d(Tensor xT, Tensor wT, Tensor bT, int[] s, int[] p, int[] d, int groups, long[] outShape) {
        double[] x = xT.toDoubleArray(), w = wT.toDoubleArray(), b = bT == null ? null : bT.toDoubleArray();
        int n = (int) xT.size(0), c = (int) xT.size(1), h = (int) xT.size(2), wd = (int) xT.size(3);
        int oc = (int) wT.size(0), cg = (int) wT.size(1), kh = (int) wT.size(2), kw = (int) wT.size(3);
        int oh = (h + 2 * p[0] - d[0] * (kh - 1) - 1) / s[0] + 1, ow = (wd + 2 * p[1] - d[1] * (kw - 1) - 1) / s[1] + 1;
        double[] out = new double[n * oc * oh * ow];
        int ocPerGroup = oc / groups;
        for (int ni = 0; ni < n; ni++)
            for (int o = 0; o < oc; o++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++) {
                        double acc = b == null ? 0 : b[o];
                        for (int ci = 0; ci < cg; ci++)
                            for (int ki = 0; ki < kh; ki++)
                                for (int kj = 0; kj < kw; kj++) {
                                    int hi = i * s[0] - p[0] + ki * d[0], wi = j * s[1] - p[1] + kj * d[1];
                                    if (hi < 0 || hi >= h || wi < 0 || wi >= wd) continue;   // zero padding
                                    int channel = (o / ocPerGroup) * cg + ci;
                                    acc += x[((ni * c + channel) * h + hi) * wd + wi] * w[((o * cg + ci) * kh + ki) * kw + kj];
                                }
                        out[((ni * oc + o) * oh + i) * ow + j] = acc;
                    }
        outShape[0] = n; outShape[1] = oc; outShape[2] = oh; outShape[3] = ow;
        return out;
    }

    /** Max (padding is −∞) or mean (padding counts as 0, divisor kh·kw) over each window of x [N, C, H, W]. */
    static double[] referencePool(Tensor xT, int[] k, int[] s, int[] p, boolean max, long[] outShape) {
        double[] x = xT.toDoubleArray();
        int n = (int) xT.size(0), c = (int) xT.size(1), h = (int) xT.size(2), w = (int) xT.size(3);
        int oh = (h + 2 * p[0] - k[0]) / s[0] + 1, ow = (w + 2 * p[1] - k[1]) / s[1] + 1;
        double[] out = new double[n * c * oh * ow];
        for (int plane = 0; plane < n * c; plane++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++) {
                    double acc = max ? Double.NEGATIVE_INFINITY : 0;
                    for (int ki = 0; ki < k[0]; ki++)
                        for (int kj = 0; kj < k[1]; kj++) {
                            int hi = i * s[0] - p[0] + ki, wi = j * s[1] - p[1] + kj;
                            boolean inside = hi >= 0 && hi < h && wi >= 0 && wi < w;
                            double v = inside ? x[(plane * h + hi) * w + wi] : (max ? Double.NEGATIVE_INFINITY : 0);
                            acc = max ? Math.max(acc, v) : acc + v;
                        }
                    out[(plane * oh + i) * ow + j] = max ? acc : acc / (k[0] * k[1]);
                }
        outShape[0] = n; outShape[1] = c; outShape[2] = oh; outShape[3] = ow;
        return out;
    }

    private static int[] pair(int a, int b) { return new int[] {a, b}; }

    private static void assertConvMatches(Tensor x, Tensor w, Tensor b, int[] s, int[] p, int[] d, int groups, double rtol, double atol) {
        long[] shape = new long[4];
        double[] expected = referenceConv2d(x, w, b, s, p, d, groups, shape);
        Tensor actual = Conv.conv2d(x, w, b, s, p, d, groups);
        assertEquals(x.dtype(), actual.dtype(), "dtype");
        assertClose(actual, expected, shape, rtol, atol);
    }

    // ------------------------------------------------------------------ conv2d values

    @Test void conv2dKnownCase() {
        // 3x3 input 1..9, 2x2 kernel of ones: each output is the sum of a 2x2 window; bias 10.
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, 1, 1, 3, 3);
        Tensor out = Conv.conv2d(x, Tensor.ones(1, 1, 2, 2), Tensor.of(new float[] {10}, 1), pair(1, 1), pair(0, 0), pair(1, 1), 1);
        assertClose(out, new double[] {22, 26, 34, 38}, new long[] {1, 1, 2, 2}, 0, 0);
    }

    /** stride × padding × dilation × groups × kernel shape × bias, all against the 7-loop oracle in float64. */
    @Test void conv2dSweepFloat64() {
        Random rng = new Random(31);
        Tensor x = random64(rng, 2, 4, 7, 6);
        int cases = 0;
        for (int groups : new int[] {1, 2, 4})
            for (int[] kernel : new int[][] {{3, 3}, {2, 3}, {1, 1}}) {
                Tensor w = random64(rng, 8, 4 / groups, kernel[0], kernel[1]);
                Tensor b = random64(rng, 8);
                for (int stride : new int[] {1, 2})
                    for (int padding : new int[] {0, 1, 2})
                        for (int dilation : new int[] {1, 2})
                            for (Tensor bias : new Tensor[] {null, b}) {
                                assertConvMatches(x, w, bias, pair(stride, stride), pair(padding, padding), pair(dilation, dilation), groups, 1e-12, 1e-12);
                                cases++;
                            }
            }
        assertEquals(3 * 3 * 2 * 3 * 2 * 2, cases);
    }

    @Test void conv2dAsymmetricStridePaddingDilation() {
        Random rng = new Random(32);
        Tensor x = random64(rng, 1, 2, 6, 9), w = random64(rng, 3, 2, 2, 4), b = random64(rng, 3);
        assertConvMatches(x, w, b, pair(2, 1), pair(0, 2), pair(1, 2), 1, 1e-12, 1e-12);
        assertConvMatches(x, w, b, pair(1, 3), pair(1, 0), pair(2, 1), 1, 1e-12, 1e-12);
    }

    @Test void conv2dFloat32AgainstFloat64Reference() {
        Random rng = new Random(33);
        Tensor x = random64(rng, 2, 4, 9, 8), w = random64(rng, 6, 2, 3, 3), b = random64(rng, 6);
        // 18-term sums of values in [-1, 1): float32 agrees to ~1e-6; 1e-5 is the stated float32 tolerance.
        assertConvMatches(x.to(DType.FLOAT32), w.to(DType.FLOAT32), b.to(DType.FLOAT32), pair(2, 1), pair(1, 1), pair(1, 2), 2, 1e-5, 1e-5);
    }

    @Test void depthwiseConv2d() {
        Random rng = new Random(34);
        Tensor x = random64(rng, 2, 4, 5, 5), w = random64(rng, 4, 1, 3, 3);
        assertConvMatches(x, w, null, pair(1, 1), pair(1, 1), pair(1, 1), 4, 1e-12, 1e-12);
    }

    @Test void unbatchedInputIsTheBatchOfOne() {
        Random rng = new Random(35);
        Tensor x = random64(rng, 3, 6, 5), w = random64(rng, 2, 3, 3, 2), b = random64(rng, 2);
        Tensor out = Conv.conv2d(x, w, b, pair(1, 2), pair(1, 0), pair(1, 1), 1);
        long[] shape = new long[4];
        double[] expected = referenceConv2d(x.unsqueeze(0), w, b, pair(1, 2), pair(1, 0), pair(1, 1), 1, shape);
        assertClose(out, expected, new long[] {shape[1], shape[2], shape[3]}, 1e-12, 1e-12);
    }

    @Test void nonContiguousInputAndWeight() {
        Random rng = new Random(36);
        Tensor x = random64(rng, 2, 6, 5, 3).transpose(2, 3);     // [2, 6, 3, 5]
        Tensor w = random64(rng, 4, 6, 3, 3).slice(1, 0, 6, 2);   // [4, 3, 3, 3], channel stride 18
        Tensor xs = x.narrow(1, 0, 3);                            // [2, 3, 3, 5], non-contiguous
        assertConvMatches(xs, w, null, pair(1, 1), pair(1, 1), pair(1, 1), 1, 1e-12, 1e-12);
    }

    // ------------------------------------------------------------------ conv1d values

    @Test void conv1dSweepFloat64() {
        Random rng = new Random(37);
        Tensor x = random64(rng, 2, 4, 11);
        for (int groups : new int[] {1, 2, 4})
            for (int k : new int[] {1, 3, 4}) {
                Tensor w = random64(rng, 4, 4 / groups, k), b = random64(rng, 4);
                for (int stride : new int[] {1, 2})
                    for (int padding : new int[] {0, 1, 2})
                        for (int dilation : new int[] {1, 2})
                            for (Tensor bias : new Tensor[] {null, b}) {
                                long[] shape = new long[4];
                                double[] expected = referenceConv2d(x.unsqueeze(2), w.unsqueeze(2), bias, pair(1, stride), pair(0, padding), pair(1, dilation), groups, shape);
                                Tensor out = Conv.conv1d(x, w, bias, stride, padding, dilation, groups);
                                assertClose(out, expected, new long[] {shape[0], shape[1], shape[3]}, 1e-12, 1e-12);
                            }
            }
    }

    @Test void emptyBatch() {
        Tensor x = Tensor.zeros(0, 2, 5, 5);
        assertEquals(Size.of(0, 3, 3, 3), Conv.conv2d(x, Tensor.zeros(3, 2, 3, 3), null, pair(1, 1), pair(0, 0), pair(1, 1), 1).shape());
        assertEquals(Size.of(0, 2, 2, 2), Conv.maxPool2d(x, pair(2, 2), null, pair(0, 0)).shape());
    }

    @Test void conv1dUnbatched() {
        Random rng = new Random(38);
        Tensor x = random64(rng, 3, 8), w = random64(rng, 5, 3, 3);
        Tensor out = Conv.conv1d(x, w, null, 1, 1, 1, 1);
        assertClose(out, Conv.conv1d(x.unsqueeze(0), w, null, 1, 1, 1, 1).squeeze(0), 1e-12, 1e-12);
        assertEquals(Size.of(5, 8), out.shape());
    }

    // ------------------------------------------------------------------ pooling values

    @Test void poolKnownCase() {
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, 1, 1, 4, 4);
        assertClose(Conv.maxPool2d(x, pair(2, 2), null, pair(0, 0)), new double[] {6, 8, 14, 16}, new long[] {1, 1, 2, 2}, 0, 0);
        assertClose(Conv.avgPool2d(x, pair(2, 2), null, pair(0, 0)), new double[] {3.5, 5.5, 11.5, 13.5}, new long[] {1, 1, 2, 2}, 0, 0);
        // padding 1: the corner window sees three pad zeros and x[0][0] = 1; divisor stays 4 (count_include_pad=True)
        Tensor padded = Conv.avgPool2d(x, pair(2, 2), null, pair(1, 1));
        assertEquals(0.25, padded.toDoubleArray()[0], 0);
    }

    @Test void poolSweepFloat64() {
        Random rng = new Random(39);
        Tensor x = random64(rng, 2, 3, 7, 6).sub(2);   // all negative: a −∞ pad must never win, a 0 pad would
        for (int[] kernel : new int[][] {{2, 2}, {3, 3}, {3, 2}, {1, 3}})
            for (int[] stride : new int[][] {null, {1, 1}, {2, 1}, {2, 3}})
                for (int[] padding : new int[][] {{0, 0}, {1, 1}, {1, 0}, {0, 1}}) {
                    if (padding[0] > kernel[0] / 2 || padding[1] > kernel[1] / 2) continue;   // PyTorch rejects these
                    int[] s = stride == null ? kernel : stride;
                    for (boolean max : new boolean[] {true, false}) {
                        long[] shape = new long[4];
                        double[] expected = referencePool(x, kernel, s, padding, max, shape);
                        Tensor out = max ? Conv.maxPool2d(x, kernel, stride, padding) : Conv.avgPool2d(x, kernel, stride, padding);
                        assertClose(out, expected, shape, 1e-12, 1e-12);
                    }
                }
    }

    @Test void poolFloat32AndUnbatched() {
        Random rng = new Random(40);
        Tensor x = random64(rng, 3, 6, 6);
        long[] shape = new long[4];
        double[] maxRef = referencePool(x.unsqueeze(0), pair(3, 3), pair(2, 2), pair(1, 1), true, shape);
        Tensor out = Conv.maxPool2d(x.to(DType.FLOAT32), pair(3, 3), pair(2, 2), pair(1, 1));
        assertEquals(DType.FLOAT32, out.dtype());
        assertClose(out, maxRef, new long[] {shape[1], shape[2], shape[3]}, 1e-6, 0);   // a max is exact up to the float32 cast
        double[] avgRef = referencePool(x.unsqueeze(0), pair(2, 2), pair(2, 2), pair(0, 0), false, shape);
        assertClose(Conv.avgPool2d(x.to(DType.FLOAT32), pair(2, 2), null, pair(0, 0)), avgRef, new long[] {shape[1], shape[2], shape[3]}, 1e-5, 1e-6);
    }

    // ------------------------------------------------------------------ gradients (float64, GradCheck defaults)

    @Test void conv2dGradients() {
        Random rng = new Random(41);
        Tensor x = random64(rng, 2, 4, 5, 5).requiresGrad(true), w = random64(rng, 4, 2, 3, 3).requiresGrad(true), b = random64(rng, 4).requiresGrad(true);
        GradCheck.check(in -> Conv.conv2d(in[0], in[1], in[2], pair(2, 2), pair(1, 1), pair(1, 1), 2), x, w, b);
        Tensor x2 = random64(rng, 1, 2, 6, 5).requiresGrad(true), w2 = random64(rng, 3, 2, 2, 3).requiresGrad(true);
        GradCheck.check(in -> Conv.conv2d(in[0], in[1], null, pair(1, 2), pair(2, 0), pair(2, 1), 1), x2, w2);
        // a non-contiguous input view (im2col reads strides; col2im writes the gradient back through the transpose)
        Tensor x3 = random64(rng, 1, 2, 5, 6).requiresGrad(true), w3 = random64(rng, 2, 2, 3, 2).requiresGrad(true);
        GradCheck.check(in -> Conv.conv2d(in[0].transpose(2, 3), in[1], null, pair(1, 1), pair(1, 1), pair(1, 1), 1), x3, w3);
    }

    @Test void conv2dGradientsForWeightAndBiasOnly() {
        // a first layer: the input needs no gradient, so im2col records nothing and only the matmul does
        Random rng = new Random(46);
        Tensor x = random64(rng, 2, 3, 4, 4);
        GradCheck.check(in -> Conv.conv2d(x, in[0], in[1], pair(1, 1), pair(1, 1), pair(1, 1), 1),
                random64(rng, 2, 3, 3, 3).requiresGrad(true), random64(rng, 2).requiresGrad(true));
    }

    @Test void conv1dGradients() {
        Random rng = new Random(42);
        Tensor x = random64(rng, 2, 2, 7).requiresGrad(true), w = random64(rng, 4, 1, 3).requiresGrad(true), b = random64(rng, 4).requiresGrad(true);
        GradCheck.check(in -> Conv.conv1d(in[0], in[1], in[2], 2, 1, 2, 2), x, w, b);
    }

    /** Distinct values 0.01 apart, shuffled: no ties within a window, and ±eps never changes which element wins. */
    private static Tensor withoutTies(Random rng, long... shape) {
        int n = (int) Size.of(shape).numel();
        List<Double> v = new ArrayList<>();
        for (int i = 0; i < n; i++) v.add((i - n / 2) * 0.01);
        Collections.shuffle(v, rng);
        return Tensor.of(v.stream().mapToDouble(Double::doubleValue).toArray(), shape);
    }

    @Test void maxPool2dGradients() {
        Random rng = new Random(43);
        GradCheck.check(in -> Conv.maxPool2d(in[0], pair(2, 2), null, pair(0, 0)), withoutTies(rng, 2, 2, 4, 4).requiresGrad(true));
        // overlapping windows with padding: one element may win several windows, its gradient is the sum
        GradCheck.check(in -> Conv.maxPool2d(in[0], pair(3, 3), pair(1, 1), pair(1, 1)), withoutTies(rng, 1, 2, 5, 4).requiresGrad(true));
    }

    @Test void maxPoolGradientGoesToTheWinnerOnly() {
        Tensor x = Tensor.of(new double[] {1, 5, 2, 3}, 1, 1, 2, 2).requiresGrad(true);
        Conv.maxPool2d(x, pair(2, 2), null, pair(0, 0)).sum().backward();
        assertClose(x.grad(), new double[] {0, 1, 0, 0}, new long[] {1, 1, 2, 2}, 0, 0);
        // a tie: PyTorch's kernel keeps the first maximum in scan order and routes the whole gradient there
        Tensor tied = Tensor.of(new double[] {2, 5, 5, 1}, 1, 1, 2, 2).requiresGrad(true);
        Conv.maxPool2d(tied, pair(2, 2), null, pair(0, 0)).sum().backward();
        assertClose(tied.grad(), new double[] {0, 1, 0, 0}, new long[] {1, 1, 2, 2}, 0, 0);
    }

    /** The float32 max-pool loops (their own fast path) against the float64 ones: same maxima, same winners, same gradients. */
    @Test void maxPool2dFloat32MatchesFloat64() {
        Random rng = new Random(47);
        int[][][] cases = {{{2, 2}, {2, 2}, {0, 0}}, {{3, 3}, {1, 1}, {1, 1}}, {{3, 2}, {2, 1}, {1, 1}}, {{2, 3}, {3, 2}, {1, 0}}};
        for (int[][] k : cases) {
            Tensor x64 = withoutTies(rng, 2, 3, 7, 8);
            Tensor x32 = x64.to(DType.FLOAT32).transpose(2, 3).contiguous().transpose(2, 3).requiresGrad(true);   // strided input
            Tensor x64g = x64.requiresGrad(true);
            Tensor out32 = Conv.maxPool2d(x32, k[0], k[1], k[2]), out64 = Conv.maxPool2d(x64g, k[0], k[1], k[2]);
            Tensor r = random64(rng, out64.shape().toArray());
            out32.backward(r.to(DType.FLOAT32));
            out64.backward(r);
            // values are float32 roundings of distinct float64 values 0.01 apart: the same element wins; 1e-6 is float32 rounding
            assertClose(out32, out64.toDoubleArray(), out64.shape().toArray(), 1e-6, 1e-6);
            assertClose(x32.grad(), x64g.grad().toDoubleArray(), x64.shape().toArray(), 1e-6, 1e-6);
        }
    }

    /** The float32 2×2 stride-2 loop (its own path) picks the winners of the float64 loops on ties and NaNs (the first NaN wins). */
    @Test void maxPool2x2Float32TiesAndNaNs() {
        double nan = Double.NaN;
        double[] v = {1, 1, 3, 0,        // plane 0, windows: {1, 1, 2, 5} → 5; {3, 0, NaN, 1} → NaN;
                      2, 5, nan, 1,      // {1, 0, 5, 2} → 5; {NaN, NaN, 1, 9} → the first NaN
                      1, 0, nan, nan,
                      5, 2, 1, 9,
                      -1, -2, 4, 4,      // plane 1: ties, the first in window order wins
                      0, 0, 0, 0,
                      -3, -1, 4, 4,
                      0, 0, 0, 0};
        Tensor x64 = Tensor.of(v, 1, 2, 4, 4).requiresGrad(true);
        Tensor x32 = Tensor.of(v, 1, 2, 4, 4).to(DType.FLOAT32).requiresGrad(true);
        Tensor out64 = Conv.maxPool2d(x64, pair(2, 2), null, pair(0, 0)), out32 = Conv.maxPool2d(x32, pair(2, 2), null, pair(0, 0));
        double[] o64 = out64.toDoubleArray(), o32 = out32.toDoubleArray();
        for (int i = 0; i < o64.length; i++)
            assertTrue(Double.compare(o64[i], o32[i]) == 0, "output " + i + ": " + o32[i] + " vs " + o64[i]);
        Tensor r = Tensor.of(new double[] {1, 2, 3, 4, 5, 6, 7, 8}, 1, 2, 2, 2);
        out64.backward(r);
        out32.backward(r.to(DType.FLOAT32));
        double[] expected = {0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 4, 0, 3, 0, 0, 0,
                             0, 0, 6, 0, 5, 0, 0, 0, 0, 0, 8, 0, 7, 0, 0, 0};
        assertClose(x64.grad(), expected, new long[] {1, 2, 4, 4}, 0, 0);
        assertClose(x32.grad(), expected, new long[] {1, 2, 4, 4}, 0, 0);
    }

    @Test void avgPool2dGradients() {
        Random rng = new Random(44);
        GradCheck.check(in -> Conv.avgPool2d(in[0].transpose(2, 3), pair(2, 2), pair(1, 1), pair(1, 0)), random64(rng, 1, 2, 4, 3).requiresGrad(true));
        GradCheck.check(in -> Conv.avgPool2d(in[0], pair(3, 2), pair(2, 1), pair(1, 1)), random64(rng, 2, 2, 5, 4).requiresGrad(true));
        GradCheck.check(in -> Conv.avgPool2d(in[0], pair(2, 2), null, pair(0, 0)), random64(rng, 1, 3, 4, 6).requiresGrad(true));
    }

    // ------------------------------------------------------------------ names and errors

    @Test void gradFnNames() {
        Random rng = new Random(45);
        Tensor x = random64(rng, 1, 2, 4, 4).requiresGrad(true), w = random64(rng, 3, 2, 3, 3).requiresGrad(true);
        Tensor conv = Conv.conv2d(x, w, random64(rng, 3), pair(1, 1), pair(0, 0), pair(1, 1), 1);
        assertEquals("ConvolutionBackward0", conv.gradFn().name());
        assertTrue(conv.toString().endsWith("grad_fn=<ConvolutionBackward0>)"), conv.toString());
        assertEquals("ConvolutionBackward0", Conv.conv2d(x, w, null, pair(1, 1), pair(0, 0), pair(1, 1), 1).gradFn().name());
        assertEquals("ConvolutionBackward0", Conv.conv1d(x.select(2, 0), w.select(2, 0), null, 1, 0, 1, 1).gradFn().name());
        assertEquals("MaxPool2DWithIndicesBackward0", Conv.maxPool2d(x, pair(2, 2), null, pair(0, 0)).gradFn().name());
        assertEquals("AvgPool2DBackward0", Conv.avgPool2d(x, pair(2, 2), null, pair(0, 0)).gradFn().name());
        // unbatched: PyTorch's conv2d unsqueezes and squeezes (SqueezeBackward1), its pooling kernels take 3-D input as is
        Tensor unbatched = x.select(0, 0);
        assertEquals("SqueezeBackward1", Conv.conv2d(unbatched, w, null, pair(1, 1), pair(0, 0), pair(1, 1), 1).gradFn().name());
        assertEquals("MaxPool2DWithIndicesBackward0", Conv.maxPool2d(unbatched, pair(2, 2), null, pair(0, 0)).gradFn().name());
        assertEquals("AvgPool2DBackward0", Conv.avgPool2d(unbatched, pair(2, 2), null, pair(0, 0)).gradFn().name());
    }

    @Test void wrongChannelCountUsesPyTorchsMessage() {
        var e = assertThrows(TesseraException.class,
                () -> Conv.conv2d(Tensor.zeros(64, 16, 28, 28), Tensor.zeros(16, 3, 3, 3), null, pair(1, 1), pair(0, 0), pair(1, 1), 1));
        assertEquals("Given groups=1, weight of size [16, 3, 3, 3], expected input[64, 16, 28, 28] to have 3 channels, but got 16 channels instead", e.getMessage());
        var grouped = assertThrows(TesseraException.class,
                () -> Conv.conv2d(Tensor.zeros(1, 4, 5, 5), Tensor.zeros(4, 4, 3, 3), null, pair(1, 1), pair(0, 0), pair(1, 1), 2));
        assertTrue(grouped.getMessage().startsWith("Given groups=2, weight of size [4, 4, 3, 3]"), grouped.getMessage());
    }

    @Test void kernelLargerThanInputIsRejected() {
        String tooBig = "Kernel size can't be greater than actual input size";
        assertThrowsWith(TesseraException.class, tooBig,
                () -> Conv.conv2d(Tensor.zeros(1, 1, 2, 2), Tensor.zeros(1, 1, 3, 3), null, pair(1, 1), pair(0, 0), pair(1, 1), 1));
        // with stride 2 the size formula's numerator is -1: truncating division would give an output of 1
        assertThrowsWith(TesseraException.class, tooBig,
                () -> Conv.conv2d(Tensor.zeros(1, 1, 4, 4), Tensor.zeros(1, 1, 5, 5), null, pair(2, 2), pair(0, 0), pair(1, 1), 1));
        // dilation makes the effective kernel 5 wide
        assertThrows(TesseraException.class,
                () -> Conv.conv2d(Tensor.zeros(1, 1, 4, 4), Tensor.zeros(1, 1, 3, 3), null, pair(1, 1), pair(0, 0), pair(2, 2), 1));
        assertThrows(TesseraException.class, () -> Conv.maxPool2d(Tensor.zeros(1, 1, 2, 2), pair(3, 3), null, pair(0, 0)));
        assertThrows(TesseraException.class, () -> Conv.avgPool2d(Tensor.zeros(1, 1, 2, 5), pair(3, 3), pair(2, 2), pair(0, 0)));
    }

    @Test void wrongRankIsRejected() {
        var e = assertThrows(TesseraException.class,
                () -> Conv.conv2d(Tensor.zeros(3, 4), Tensor.zeros(1, 1, 3, 3), null, pair(1, 1), pair(0, 0), pair(1, 1), 1));
        assertEquals("Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [3, 4]", e.getMessage());
        assertThrows(TesseraException.class,
                () -> Conv.conv2d(Tensor.zeros(1, 1, 1, 5, 5), Tensor.zeros(1, 1, 3, 3), null, pair(1, 1), pair(0, 0), pair(1, 1), 1));
        assertThrows(TesseraException.class, () -> Conv.conv1d(Tensor.zeros(5), Tensor.zeros(1, 1, 3), null, 1, 0, 1, 1));
        assertThrows(TesseraException.class, () -> Conv.maxPool2d(Tensor.zeros(4, 4), pair(2, 2), null, pair(0, 0)));
        assertThrows(TesseraException.class, () -> Conv.avgPool2d(Tensor.zeros(1, 1, 1, 4, 4), pair(2, 2), null, pair(0, 0)));
    }

    @Test void otherArgumentErrors() {
        Tensor x = Tensor.zeros(1, 2, 5, 5);
        assertThrowsWith(TesseraException.class, "expected bias to be 1-dimensional with 3 elements",
                () -> Conv.conv2d(x, Tensor.zeros(3, 2, 3, 3), Tensor.zeros(4), pair(1, 1), pair(0, 0), pair(1, 1), 1));
        Tensor w64 = Tensor.zeros(new long[] {3, 2, 3, 3}, DType.FLOAT64, dev.tessera.Device.CPU);
        assertThrowsWith(TesseraException.class, "should be the same", () -> Conv.conv2d(x, w64, null, pair(1, 1), pair(0, 0), pair(1, 1), 1));
        assertThrows(TesseraException.class, () -> Conv.conv2d(x, Tensor.zeros(3, 2, 3, 3), null, pair(0, 1), pair(0, 0), pair(1, 1), 1));
        assertThrowsWith(TesseraException.class, "pad should be at most half of effective kernel size", () -> Conv.maxPool2d(x, pair(2, 2), null, pair(2, 2)));
    }
}
