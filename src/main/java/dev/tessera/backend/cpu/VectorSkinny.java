package dev.tessera.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * C = A·B (or C += A·B) for a short, wide product — few rows of A and B, C wide (a convolution's
 * forward GEMM: [OC, C·kh·kw]·[C·kh·kw, N·L]). Packing B, which the general kernel does, would copy
 * all of B to use it m times; here each 2-vector column block of B is streamed from its rows
 * directly while 8 rows of C accumulate in registers. A and B untransposed.
 */
final class VectorSkinny {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length(), NB = 2 * L, MR = 8;

    private VectorSkinny() {}

    static void sgemm(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                      float[] c, int cOff, int ldc, boolean accumulate) {
        int blocks = (n + NB - 1) / NB;
        Parallel.forRange(blocks, (long) m * n * k, (from, to) -> {
            for (int blk = from; blk < to; blk++) {
                int j0 = blk * NB;
                for (int i0 = 0; i0 < m; i0 += MR)
                    strip(Math.min(MR, m - i0), i0, j0, Math.min(NB, n - j0), k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
            }
        });
    }

    /** rows × cols (cols ≤ 2L) of C starting at (i0, j0); rows ≤ 8, the missing ones repeat row i0. */
    private static void strip(int rows, int i0, int j0, int cols, int k, float[] a, int aOff, int lda,
                              float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, boolean accumulate) {
        VectorMask<Float> m0 = S.indexInRange(0, cols), m1 = S.indexInRange(L, cols);
        int r0 = aOff + i0 * lda, r1 = rows > 1 ? r0 + lda : r0, r2 = rows > 2 ? r0 + 2 * lda : r0, r3 = rows > 3 ? r0 + 3 * lda : r0;
        int r4 = rows > 4 ? r0 + 4 * lda : r0, r5 = rows > 5 ? r0 + 5 * lda : r0, r6 = rows > 6 ? r0 + 6 * lda : r0, r7 = rows > 7 ? r0 + 7 * lda : r0;
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        FloatVector c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00, c70 = c00, c71 = c00;
        boolean full = cols == NB;
        for (int p = 0, bi = bOff + j0; p < k; p++, bi += ldb) {
            FloatVector b0 = full ? FloatVector.fromArray(S, b, bi) : FloatVector.fromArray(S, b, bi, m0);
            FloatVector b1 = full ? FloatVector.fromArray(S, b, bi + L) : FloatVector.fromArray(S, b, bi + L, m1);
            FloatVector x;
            x = FloatVector.broadcast(S, a[r0 + p]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[r1 + p]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[r2 + p]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[r3 + p]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[r4 + p]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, a[r5 + p]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(S, a[r6 + p]); c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(S, a[r7 + p]); c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
        }
        int ci = cOff + i0 * ldc + j0;
        store(c00, c01, c, ci, rows > 0, accumulate, full, m0, m1);
        store(c10, c11, c, ci + ldc, rows > 1, accumulate, full, m0, m1);
        store(c20, c21, c, ci + 2 * ldc, rows > 2, accumulate, full, m0, m1);
        store(c30, c31, c, ci + 3 * ldc, rows > 3, accumulate, full, m0, m1);
        store(c40, c41, c, ci + 4 * ldc, rows > 4, accumulate, full, m0, m1);
        store(c50, c51, c, ci + 5 * ldc, rows > 5, accumulate, full, m0, m1);
        store(c60, c61, c, ci + 6 * ldc, rows > 6, accumulate, full, m0, m1);
        store(c70, c71, c, ci + 7 * ldc, rows > 7, accumulate, full, m0, m1);
    }

    private static void store(FloatVector v0, FloatVector v1, float[] c, int ci, boolean present, boolean accumulate,
                              boolean full, VectorMask<Float> m0, VectorMask<Float> m1) {
        if (!present) return;
        if (full) {
            if (accumulate) { v0 = v0.add(FloatVector.fromArray(S, c, ci)); v1 = v1.add(FloatVector.fromArray(S, c, ci + L)); }
            v0.intoArray(c, ci);
            v1.intoArray(c, ci + L);
        } else {
            if (accumulate) { v0 = v0.add(FloatVector.fromArray(S, c, ci, m0)); v1 = v1.add(FloatVector.fromArray(S, c, ci + L, m1)); }
            v0.intoArray(c, ci, m0);
            v1.intoArray(c, ci + L, m1);
        }
    }
}
