package dev.tessera.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API kernels of {@link CpuConvolution}: products whose B operand is read in place
 * from a prepared (zero-padded, stride-phase-split) image, row k of B starting at src[boff[k]]
 * and running contiguously over output positions. No column matrix is built: a row of B is a
 * shifted slice of the image.
 *
 * <p>Loaded only when {@link Gemm#vectorApiAvailable()}; like {@link VectorGemm}, each kernel is
 * one method whose loop holds nothing but intrinsics, so its accumulators stay in registers.
 */
final class VectorConv {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Lanes per vector (16 with AVX-512). */
    static final int L = S.length();
    /** Rows (output channels) of the register tile. */
    static final int MR = 8;
    /** Positions of the register tile: two vectors. */
    static final int NR = 2 * L;
    /** Positions of the one-row kernel: four vectors (depthwise: few taps, no reuse of B across rows). */
    static final int NR1 = 4 * L;

    private VectorConv() {}

    /**
     * out[outOff + r·ldo + j] = bias[biasOff + r] + Σ_k ap[apOff + k·MR + r] · src[boff[bOff + k] + p0 + j]
     * for r &lt; MR, j &lt; NR: MR rows of A packed k-major (zero rows past the last real one) times k
     * shifted slices. bias holds at least MR values from biasOff (zeros where there is none).
     */
    static void tile(int depth, float[] ap, int apOff, float[] src, int[] boff, int bOff, int p0, float[] bias, int biasOff,
                     float[] out, int outOff, int ldo) {
        FloatVector c00 = FloatVector.broadcast(S, bias[biasOff]), c01 = c00, c10 = FloatVector.broadcast(S, bias[biasOff + 1]), c11 = c10,
                c20 = FloatVector.broadcast(S, bias[biasOff + 2]), c21 = c20, c30 = FloatVector.broadcast(S, bias[biasOff + 3]), c31 = c30,
                c40 = FloatVector.broadcast(S, bias[biasOff + 4]), c41 = c40, c50 = FloatVector.broadcast(S, bias[biasOff + 5]), c51 = c50,
                c60 = FloatVector.broadcast(S, bias[biasOff + 6]), c61 = c60, c70 = FloatVector.broadcast(S, bias[biasOff + 7]), c71 = c70;
        for (int k = 0; k < depth; k++) {
            int bi = boff[bOff + k] + p0, ai = apOff + k * MR;
            FloatVector b0 = FloatVector.fromArray(S, src, bi);
            FloatVector b1 = FloatVector.fromArray(S, src, bi + L);
            FloatVector av;
            av = FloatVector.broadcast(S, ap[ai]);     c00 = av.fma(b0, c00); c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(S, ap[ai + 1]); c10 = av.fma(b0, c10); c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(S, ap[ai + 2]); c20 = av.fma(b0, c20); c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(S, ap[ai + 3]); c30 = av.fma(b0, c30); c31 = av.fma(b1, c31);
            av = FloatVector.broadcast(S, ap[ai + 4]); c40 = av.fma(b0, c40); c41 = av.fma(b1, c41);
            av = FloatVector.broadcast(S, ap[ai + 5]); c50 = av.fma(b0, c50); c51 = av.fma(b1, c51);
            av = FloatVector.broadcast(S, ap[ai + 6]); c60 = av.fma(b0, c60); c61 = av.fma(b1, c61);
            av = FloatVector.broadcast(S, ap[ai + 7]); c70 = av.fma(b0, c70); c71 = av.fma(b1, c71);
        }
        int i0 = outOff, i1 = i0 + ldo, i2 = i1 + ldo, i3 = i2 + ldo, i4 = i3 + ldo, i5 = i4 + ldo, i6 = i5 + ldo, i7 = i6 + ldo;
        c00.intoArray(out, i0); c01.intoArray(out, i0 + L);
        c10.intoArray(out, i1); c11.intoArray(out, i1 + L);
        c20.intoArray(out, i2); c21.intoArray(out, i2 + L);
        c30.intoArray(out, i3); c31.intoArray(out, i3 + L);
        c40.intoArray(out, i4); c41.intoArray(out, i4 + L);
        c50.intoArray(out, i5); c51.intoArray(out, i5 + L);
        c60.intoArray(out, i6); c61.intoArray(out, i6 + L);
        c70.intoArray(out, i7); c71.intoArray(out, i7 + L);
    }

    /** One row: out[outOff + j] = bias + Σ_k a[aOff + k] · src[boff[bOff + k] + p0 + j] for j &lt; NR1. */
    static void row(int depth, float[] a, int aOff, float[] src, int[] boff, int bOff, int p0, float bias, float[] out, int outOff) {
        FloatVector c0 = FloatVector.broadcast(S, bias), c1 = c0, c2 = c0, c3 = c0;
        for (int k = 0; k < depth; k++) {
            int bi = boff[bOff + k] + p0;
            FloatVector av = FloatVector.broadcast(S, a[aOff + k]);
            c0 = av.fma(FloatVector.fromArray(S, src, bi), c0);
            c1 = av.fma(FloatVector.fromArray(S, src, bi + L), c1);
            c2 = av.fma(FloatVector.fromArray(S, src, bi + 2 * L), c2);
            c3 = av.fma(FloatVector.fromArray(S, src, bi + 3 * L), c3);
        }
        c0.intoArray(out, outOff); c1.intoArray(out, outOff + L);
        c2.intoArray(out, outOff + 2 * L); c3.intoArray(out, outOff + 3 * L);
    }

    /**
     * A 4×4 block of dot products over positions [0, len) (len a multiple of L), kept as vectors:
     * acc[accOff + (r·lda + q)·L + lane] += lane partial of Σ_p g[g0 + r·ldg + p] · src[boff[bOff + q] + p]
     * for r, q &lt; 4. The lanes are summed once, after the last image (a reduction per tile and image
     * cost about a third of the FMAs).
     */
    static void dots4x4(int len, float[] g, int g0, int ldg, float[] src, int[] boff, int bOff, float[] acc, int accOff, int lda) {
        // The sums start from acc and go back with plain stores: with an add before each store,
        // JDK 17's C2 left 8 of the 16 stores unintrinsified in a training run (species not
        // constant: "missing constant" under -XX:+PrintIntrinsics), which cost half an M3 step.
        final int a0 = accOff, a1 = a0 + lda * L, a2 = a1 + lda * L, a3 = a2 + lda * L;
        FloatVector s00 = FloatVector.fromArray(S, acc, a0), s01 = FloatVector.fromArray(S, acc, a0 + L),
                s02 = FloatVector.fromArray(S, acc, a0 + 2 * L), s03 = FloatVector.fromArray(S, acc, a0 + 3 * L),
                s10 = FloatVector.fromArray(S, acc, a1), s11 = FloatVector.fromArray(S, acc, a1 + L),
                s12 = FloatVector.fromArray(S, acc, a1 + 2 * L), s13 = FloatVector.fromArray(S, acc, a1 + 3 * L),
                s20 = FloatVector.fromArray(S, acc, a2), s21 = FloatVector.fromArray(S, acc, a2 + L),
                s22 = FloatVector.fromArray(S, acc, a2 + 2 * L), s23 = FloatVector.fromArray(S, acc, a2 + 3 * L),
                s30 = FloatVector.fromArray(S, acc, a3), s31 = FloatVector.fromArray(S, acc, a3 + L),
                s32 = FloatVector.fromArray(S, acc, a3 + 2 * L), s33 = FloatVector.fromArray(S, acc, a3 + 3 * L);
        final int r0 = g0, r1 = r0 + ldg, r2 = r1 + ldg, r3 = r2 + ldg;
        final int q0 = boff[bOff], q1 = boff[bOff + 1], q2 = boff[bOff + 2], q3 = boff[bOff + 3];
        for (int p = 0; p < len; p += L) {
            FloatVector x0 = FloatVector.fromArray(S, src, q0 + p), x1 = FloatVector.fromArray(S, src, q1 + p);
            FloatVector x2 = FloatVector.fromArray(S, src, q2 + p), x3 = FloatVector.fromArray(S, src, q3 + p);
            FloatVector gv = FloatVector.fromArray(S, g, r0 + p);
            s00 = gv.fma(x0, s00); s01 = gv.fma(x1, s01); s02 = gv.fma(x2, s02); s03 = gv.fma(x3, s03);
            gv = FloatVector.fromArray(S, g, r1 + p);
            s10 = gv.fma(x0, s10); s11 = gv.fma(x1, s11); s12 = gv.fma(x2, s12); s13 = gv.fma(x3, s13);
            gv = FloatVector.fromArray(S, g, r2 + p);
            s20 = gv.fma(x0, s20); s21 = gv.fma(x1, s21); s22 = gv.fma(x2, s22); s23 = gv.fma(x3, s23);
            gv = FloatVector.fromArray(S, g, r3 + p);
            s30 = gv.fma(x0, s30); s31 = gv.fma(x1, s31); s32 = gv.fma(x2, s32); s33 = gv.fma(x3, s33);
        }
        s00.intoArray(acc, a0); s01.intoArray(acc, a0 + L); s02.intoArray(acc, a0 + 2 * L); s03.intoArray(acc, a0 + 3 * L);
        s10.intoArray(acc, a1); s11.intoArray(acc, a1 + L); s12.intoArray(acc, a1 + 2 * L); s13.intoArray(acc, a1 + 3 * L);
        s20.intoArray(acc, a2); s21.intoArray(acc, a2 + L); s22.intoArray(acc, a2 + 2 * L); s23.intoArray(acc, a2 + 3 * L);
        s30.intoArray(acc, a3); s31.intoArray(acc, a3 + L); s32.intoArray(acc, a3 + 2 * L); s33.intoArray(acc, a3 + 3 * L);
    }

    /** One row of g against eight shifted slices, lanes kept as in {@link #dots4x4}: acc[accOff + q·L + lane], q &lt; 8. */
    static void dots1x8(int len, float[] g, int g0, float[] src, int[] boff, int bOff, float[] acc, int accOff) {
        final int a = accOff;   // started from acc, as in dots4x4
        FloatVector s0 = FloatVector.fromArray(S, acc, a), s1 = FloatVector.fromArray(S, acc, a + L),
                s2 = FloatVector.fromArray(S, acc, a + 2 * L), s3 = FloatVector.fromArray(S, acc, a + 3 * L),
                s4 = FloatVector.fromArray(S, acc, a + 4 * L), s5 = FloatVector.fromArray(S, acc, a + 5 * L),
                s6 = FloatVector.fromArray(S, acc, a + 6 * L), s7 = FloatVector.fromArray(S, acc, a + 7 * L);
        final int q0 = boff[bOff], q1 = boff[bOff + 1], q2 = boff[bOff + 2], q3 = boff[bOff + 3];
        final int q4 = boff[bOff + 4], q5 = boff[bOff + 5], q6 = boff[bOff + 6], q7 = boff[bOff + 7];
        for (int p = 0; p < len; p += L) {
            FloatVector gv = FloatVector.fromArray(S, g, g0 + p);
            s0 = gv.fma(FloatVector.fromArray(S, src, q0 + p), s0);
            s1 = gv.fma(FloatVector.fromArray(S, src, q1 + p), s1);
            s2 = gv.fma(FloatVector.fromArray(S, src, q2 + p), s2);
            s3 = gv.fma(FloatVector.fromArray(S, src, q3 + p), s3);
            s4 = gv.fma(FloatVector.fromArray(S, src, q4 + p), s4);
            s5 = gv.fma(FloatVector.fromArray(S, src, q5 + p), s5);
            s6 = gv.fma(FloatVector.fromArray(S, src, q6 + p), s6);
            s7 = gv.fma(FloatVector.fromArray(S, src, q7 + p), s7);
        }
        s0.intoArray(acc, a); s1.intoArray(acc, a + L); s2.intoArray(acc, a + 2 * L); s3.intoArray(acc, a + 3 * L);
        s4.intoArray(acc, a + 4 * L); s5.intoArray(acc, a + 5 * L); s6.intoArray(acc, a + 6 * L); s7.intoArray(acc, a + 7 * L);
    }
}
