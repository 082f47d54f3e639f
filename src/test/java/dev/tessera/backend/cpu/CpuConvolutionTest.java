package dev.tessera.backend.cpu;

import static dev.tessera.TestUtil.assertClose;
import static dev.tessera.TestUtil.random64;

import dev.tessera.DType;
import dev.tessera.Tensor;
import dev.tessera.autograd.GradCheck;
import dev.tessera.ops.Conv;
import dev.tessera.ops.ConvPoolTest;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link CpuConvolution}'s forward, backward-data and backward-weight, through conv2d and
 * autograd, against ConvPoolTest's textbook loops (forward) and their adjoint written here
 * (gradients), on the Vector API kernels and on the fallback, in float32 and float64, over
 * shapes chosen to reach every kernel and every edge: stride, padding (also beyond the kernel),
 * dilation, groups, depthwise, channel multipliers, 1×1 (also as GEMMs on the data in place), batch 1, non-contiguous input, row
 * counts and position counts that do not divide the tiles (8 rows; 32, 64 and 256 positions).
 */
class CpuConvolutionTest {
    @AfterEach void restore() { CpuConvolution.useVector(true); }

    /** One case: x [n, c, h, w], weight [oc, c/groups, kh, kw]; stride, padding, dilation as (h, w) pairs. */
    private record Case(int n, int c, int h, int w, int oc, int groups, int kh, int kw, int[] s, int[] p, int[] d) {
        @Override public String toString() {
            return "x [%d, %d, %d, %d], w [%d, %d, %d, %d], groups %d, stride %s, padding %s, dilation %s".formatted(n, c, h, w, oc, c / groups, kh, kw,
                    groups, java.util.Arrays.toString(s), java.util.Arrays.toString(p), java.util.Arrays.toString(d));
        }
    }

    private static int[] pair(int a, int b) { return new int[] {a, b}; }

    private static Case of(int n, int c, int h, int w, int oc, int groups, int k, int s, int p, int d) {
        return new Case(n, c, h, w, oc, groups, k, k, pair(s, s), pair(p, p), pair(d, d));
    }

    private static final Case[] SWEEP = {
        of(2, 4, 7, 6, 8, 1, 3, 1, 1, 1),          // the plain case, 8 rows: one full tile strip
        of(2, 3, 9, 8, 13, 1, 3, 2, 1, 1),         // 13 rows: a padded second strip; stride 2: four phases in backward-data
        of(1, 5, 37, 29, 6, 1, 3, 1, 2, 2),        // batch 1 (split over positions), > 256 positions, dilation, 6 rows (padded strip)
        of(3, 4, 10, 11, 8, 2, 3, 1, 0, 1),        // groups 2, no padding
        of(2, 6, 9, 7, 6, 6, 3, 1, 1, 1),          // depthwise (one-row kernels, 1x8 dots)
        of(2, 4, 8, 9, 8, 4, 3, 2, 1, 1),          // depthwise, multiplier 2, stride 2
        of(2, 8, 6, 7, 16, 1, 1, 1, 0, 1),         // 1×1
        of(2, 6, 7, 9, 5, 1, 1, 2, 1, 1),          // 1×1 stride 2 with padding beyond the kernel (cropping in backward-data)
        of(2, 3, 8, 10, 4, 1, 2, 3, 2, 1),         // stride 3 > kernel 2: phases no tap reaches (dx there is 0)
        of(1, 40, 6, 5, 9, 1, 3, 1, 1, 1),         // depth 360 > 256
        new Case(2, 4, 6, 9, 6, 2, 2, 4, pair(2, 1), pair(0, 2), pair(1, 2)),   // asymmetric everything
        new Case(1, 2, 5, 11, 3, 1, 3, 2, pair(1, 3), pair(1, 0), pair(2, 1)),
        // 1×1 at stride 1 without padding: GEMMs on the data in place (Pointwise)
        of(2, 8, 5, 5, 6, 2, 1, 1, 0, 1),          // groups 2
        of(1, 20, 9, 11, 13, 1, 1, 1, 0, 2),       // batch 1, 13 rows, 99 positions; dilation has no effect on 1×1
        of(3, 5, 1, 1, 7, 1, 1, 1, 0, 1),          // a 1×1 image
        of(2, 6, 4, 5, 6, 6, 1, 1, 0, 1),          // depthwise 1×1
        of(5, 3, 3, 2, 4, 1, 1, 1, 0, 1),          // more images than threads, 6 positions
    };

    @Test void sweepOnBothPathsInFloat32() {
        for (boolean vector : new boolean[] {true, false})
            for (Case k : SWEEP) check(k, vector, DType.FLOAT32, UnaryOperator.identity());
    }

    @Test void sweepInFloat64() {
        for (Case k : SWEEP) check(k, true, DType.FLOAT64, UnaryOperator.identity());
    }

    @Test void nonContiguousInputOnBothPaths() {
        // x is a transposed view (H and W swapped: unit stride along H), and a strided channel slice.
        for (boolean vector : new boolean[] {true, false}) {
            check(of(2, 4, 9, 7, 8, 1, 3, 2, 1, 1), vector, DType.FLOAT32, x -> x.transpose(2, 3).contiguous().transpose(2, 3));
            check(of(2, 4, 9, 7, 8, 2, 3, 1, 1, 1), vector, DType.FLOAT32, x -> x.transpose(2, 3).contiguous().transpose(2, 3));
            check(of(1, 3, 8, 8, 8, 1, 3, 1, 1, 1), vector, DType.FLOAT32, x -> Tensor.cat(java.util.List.of(x, x), 1).slice(1, 0, 6, 2));
            // 1×1: a channel slice (the GEMM's row stride is 2·H·W), every other image, and a transposed view (not a GEMM operand)
            check(of(2, 3, 5, 6, 7, 1, 1, 1, 0, 1), vector, DType.FLOAT32, x -> Tensor.cat(java.util.List.of(x, x), 1).slice(1, 0, 6, 2));
            check(of(2, 4, 5, 6, 8, 2, 1, 1, 0, 1), vector, DType.FLOAT32, x -> Tensor.cat(java.util.List.of(x, x), 0).slice(0, 0, 4, 2));
            check(of(2, 4, 5, 6, 8, 1, 1, 1, 0, 1), vector, DType.FLOAT32, x -> x.transpose(2, 3).contiguous().transpose(2, 3));
        }
    }

    /**
     * conv2d of x (a leaf made from a contiguous random tensor by view, so the kernel sees its
     * strides) and its gradients for a random upstream gradient r, against the textbook loops in float64.
     */
    private static void check(Case k, boolean vector, DType dtype, UnaryOperator<Tensor> view) {
        CpuConvolution.useVector(vector);
        Random rng = new Random(7L * k.c + 31L * k.h + k.oc + 1000L * k.kh + k.w);
        Tensor x = view.apply(random64(rng, k.n, k.c, k.h, k.w).to(dtype)).requiresGrad(true);
        Tensor w = random64(rng, k.oc, k.c / k.groups, k.kh, k.kw).to(dtype).requiresGrad(true);
        Tensor b = random64(rng, k.oc).to(dtype).requiresGrad(true);
        long[] shape = new long[4];
        double[] expected = ConvPoolTest.referenceConv2d(x, w, b, k.s, k.p, k.d, k.groups, shape);
        Tensor out = Conv.conv2d(x, w, b, k.s, k.p, k.d, k.groups);
        // float32: sums of up to 360 products of values in [-1, 1) round to ~1e-5 absolute; float64: exact to ~1e-13.
        double tol = dtype == DType.FLOAT32 ? 1e-4 : 1e-11;
        try {
            assertClose(out, expected, shape, tol, tol);
            Tensor r = random64(rng, shape).to(dtype);
            out.backward(r);
            double[][] grads = referenceGradients(x.toDoubleArray(), w.toDoubleArray(), r.toDoubleArray(), k, shape);
            assertClose(x.grad(), grads[0], new long[] {k.n, k.c, k.h, k.w}, tol, tol);
            assertClose(w.grad(), grads[1], new long[] {k.oc, k.c / k.groups, k.kh, k.kw}, tol, tol);
            assertClose(b.grad(), grads[2], new long[] {k.oc}, tol, tol);
        } catch (AssertionError e) {
            throw new AssertionError(k + (vector ? " on the Vector API path" : " on the fallback") + " in " + dtype + ": " + e.getMessage(), e);
        }
    }

    /** The adjoint of ConvPoolTest's seven loops: dx, dw, db for upstream gradient r [n, oc, oh, ow]. */
    private static double[][] referenceGradients(double[] x, double[] w, double[] r, Case k, long[] outShape) {
        int oh = (int) outShape[2], ow = (int) outShape[3], cg = k.c / k.groups, ocg = k.oc / k.groups;
        double[] dx = new double[x.length], dw = new double[w.length], db = new double[k.oc];
        for (int n = 0; n < k.n; n++)
            for (int o = 0; o < k.oc; o++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++) {
                        double g = r[((n * k.oc + o) * oh + i) * ow + j];
                        db[o] += g;
                        for (int ci = 0; ci < cg; ci++)
                            for (int ki = 0; ki < k.kh; ki++)
                                for (int kj = 0; kj < k.kw; kj++) {
                                    int hi = i * k.s[0] - k.p[0] + ki * k.d[0], wi = j * k.s[1] - k.p[1] + kj * k.d[1];
                                    if (hi < 0 || hi >= k.h || wi < 0 || wi >= k.w) continue;
                                    int xi = ((n * k.c + (o / ocg) * cg + ci) * k.h + hi) * k.w + wi, wiIdx = ((o * cg + ci) * k.kh + ki) * k.kw + kj;
                                    dx[xi] += g * w[wiIdx];
                                    dw[wiIdx] += g * x[xi];
                                }
                    }
        return new double[][] {dx, dw, db};
    }

    /** Finite differences in float64 (GradCheck's defaults) through the kernels' strided, grouped and phase-split cases. */
    @Test void gradCheckFloat64() {
        Random rng = new Random(77);
        for (Case k : new Case[] {SWEEP[1], SWEEP[3], SWEEP[5], SWEEP[6], SWEEP[7], SWEEP[8], SWEEP[10], SWEEP[12]}) {
            Tensor x = random64(rng, Math.min(k.n, 2), k.c, Math.min(k.h, 8), Math.min(k.w, 8)).requiresGrad(true);
            Tensor w = random64(rng, k.oc, k.c / k.groups, k.kh, k.kw).requiresGrad(true);
            Tensor b = random64(rng, k.oc).requiresGrad(true);
            GradCheck.check(in -> Conv.conv2d(in[0], in[1], in[2], k.s, k.p, k.d, k.groups), x, w, b);
        }
        // a non-contiguous input
        Tensor x = random64(rng, 1, 2, 6, 5).requiresGrad(true), w = random64(rng, 4, 2, 3, 2).requiresGrad(true);
        GradCheck.check(in -> Conv.conv2d(in[0].transpose(2, 3), in[1], null, pair(2, 1), pair(1, 1), pair(1, 1), 1), x, w);
    }

    @Test void emptyBatchZeroesTheWeightGradient() {
        for (boolean vector : new boolean[] {true, false}) {
            CpuConvolution.useVector(vector);
            Tensor x = Tensor.zeros(0, 3, 5, 5).requiresGrad(true), w = Tensor.ones(4, 3, 3, 3).requiresGrad(true);
            Tensor out = Conv.conv2d(x, w, null, pair(1, 1), pair(1, 1), pair(1, 1), 1);
            out.sum().backward();
            assertClose(w.grad(), new double[4 * 27], new long[] {4, 3, 3, 3}, 0, 0);
        }
    }
}
