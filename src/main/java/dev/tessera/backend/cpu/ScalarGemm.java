package dev.tessera.backend.cpu;

import java.util.Arrays;

/**
 * GEMM loops that need no Vector API: the float32 fallback, float64, and the tiny-problem loop.
 *
 * <p>The float loops are shaped for C2's auto-vectoriser, which (measured, see shared CPU notes)
 * only vectorises a loop whose streams are distinct arrays indexed by the same plain {@code j}:
 * with one flat array at two offsets it must assume overlap and stays scalar (~5× slower). So B
 * is packed into one array per row, a row of C is accumulated in its own buffer, and the inner
 * loop reads and writes {@code ct[j]} and {@code bRow[j]} only.
 */
final class ScalarGemm {
    /** Depth of a packed B block; four B rows are folded into each pass over the C row. */
    private static final int KC = 256;
    /** Width of a packed B block: KC×NC floats = 512 KiB, within the 1 MiB L2. */
    private static final int NC = 512;
    /** Float64 blocks: the same 512 KiB. */
    private static final int DKC = 128, DNC = 512;

    /** Packed B rows, owned by the calling thread and read by the workers of one call. */
    private static final ThreadLocal<float[][]> B_ROWS = ThreadLocal.withInitial(() -> new float[KC][NC]);
    /** Per-worker C row buffer. */
    private static final ThreadLocal<float[]> C_ROW = ThreadLocal.withInitial(() -> new float[NC]);

    private ScalarGemm() {}

    /** Sets the m×n matrix C to zero. */
    static void zero(int m, int n, float[] c, int cOff, int ldc) {
        for (int i = 0; i < m; i++) Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
    }

    /** Sets the m×n matrix C to zero. */
    static void zero(int m, int n, double[] c, int cOff, int ldc) {
        for (int i = 0; i < m; i++) Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0d);
    }

    /** Dot-product loop for tiny problems, where any packing or hand-off would dominate. */
    static void direct(boolean transA, boolean transB, int m, int n, int k,
                       float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                       float[] c, int cOff, int ldc, boolean accumulate) {
        // Element strides of A along p and of B along p; the other index advances by the other stride.
        int aI = transA ? 1 : lda, aP = transA ? lda : 1;
        int bJ = transB ? ldb : 1, bP = transB ? 1 : ldb;
        for (int i = 0; i < m; i++) {
            int ai = aOff + i * aI, ci = cOff + i * ldc;
            for (int j = 0; j < n; j++) {
                int x = ai, y = bOff + j * bJ;
                float s = 0f;
                for (int p = 0; p < k; p++, x += aP, y += bP) s += a[x] * b[y];
                c[ci + j] = accumulate ? c[ci + j] + s : s;
            }
        }
    }

    /** Float32 fallback; see {@link Gemm#sgemm}. Arguments are validated, m, n, k positive. */
    static void sgemm(boolean transA, boolean transB, int m, int n, int k,
                      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                      float[] c, int cOff, int ldc, boolean accumulate) {
        final float[][] br = B_ROWS.get();
        for (int jc0 = 0; jc0 < n; jc0 += NC) {
            final int jc = jc0, nc = Math.min(NC, n - jc);
            for (int pc0 = 0; pc0 < k; pc0 += KC) {
                final int pc = pc0, kc = Math.min(KC, k - pc);
                final boolean add = accumulate || pc > 0;
                Parallel.forRange(kc, (long) kc * nc, (p0, p1) -> packRows(transB, b, bOff, ldb, pc, p0, p1, jc, nc, br));
                Parallel.forRange(m, (long) m * nc * kc, (i0, i1) ->
                        rows(i0, i1, transA, kc, nc, a, aOff, lda, pc, br, c, cOff + jc, ldc, add));
            }
        }
    }

    /** br[p][j] = B[pc+p][jc+j] for p in [p0, p1), j in [0, nc). */
    private static void packRows(boolean transB, float[] b, int bOff, int ldb, int pc, int p0, int p1,
                                 int jc, int nc, float[][] br) {
        if (!transB) {
            for (int p = p0; p < p1; p++) System.arraycopy(b, bOff + (pc + p) * ldb + jc, br[p], 0, nc);
        } else {
            for (int j = 0; j < nc; j++) {
                int src = bOff + (jc + j) * ldb + pc;
                for (int p = p0; p < p1; p++) br[p][j] = b[src + p];
            }
        }
    }

    /** Rows [i0, i1) of C (already offset to the column block) += A[i][pc..pc+kc) · br. */
    private static void rows(int i0, int i1, boolean transA, int kc, int nc,
                             float[] a, int aOff, int lda, int pc, float[][] br,
                             float[] c, int cOff, int ldc, boolean add) {
        final float[] ct = C_ROW.get();
        final int aP = transA ? lda : 1;
        for (int i = i0; i < i1; i++) {
            int ci = cOff + i * ldc;
            if (add) System.arraycopy(c, ci, ct, 0, nc);
            else Arrays.fill(ct, 0, nc, 0f);
            int ai = aOff + (transA ? i : i * lda) + pc * aP;
            int p = 0;
            // Four B rows per pass: one load and store of ct per four FMAs instead of per one.
            for (; p + 3 < kc; p += 4, ai += 4 * aP) {
                float a0 = a[ai], a1 = a[ai + aP], a2 = a[ai + 2 * aP], a3 = a[ai + 3 * aP];
                float[] b0 = br[p], b1 = br[p + 1], b2 = br[p + 2], b3 = br[p + 3];
                for (int j = 0; j < nc; j++) {
                    ct[j] = Math.fma(a3, b3[j], Math.fma(a2, b2[j], Math.fma(a1, b1[j], Math.fma(a0, b0[j], ct[j]))));
                }
            }
            for (; p < kc; p++, ai += aP) {
                float a0 = a[ai];
                float[] b0 = br[p];
                for (int j = 0; j < nc; j++) ct[j] = Math.fma(a0, b0[j], ct[j]);
            }
            System.arraycopy(ct, 0, c, ci, nc);
        }
    }

    /** Float64 GEMM, same loop shape as the float32 fallback; see {@link Gemm#dgemm}. */
    static void dgemm(boolean transA, boolean transB, int m, int n, int k,
                      double[] a, int aOff, int lda, double[] b, int bOff, int ldb,
                      double[] c, int cOff, int ldc, boolean accumulate) {
        final int kcMax = Math.min(DKC, k), ncMax = Math.min(DNC, n);
        // Allocated per call: float64 is off the hot path, and this keeps no big buffers alive.
        final double[][] br = new double[kcMax][ncMax];
        for (int jc0 = 0; jc0 < n; jc0 += DNC) {
            final int jc = jc0, nc = Math.min(DNC, n - jc);
            for (int pc0 = 0; pc0 < k; pc0 += DKC) {
                final int pc = pc0, kc = Math.min(DKC, k - pc);
                final boolean add = accumulate || pc > 0;
                if (!transB) {
                    for (int p = 0; p < kc; p++) System.arraycopy(b, bOff + (pc + p) * ldb + jc, br[p], 0, nc);
                } else {
                    for (int j = 0; j < nc; j++) {
                        int src = bOff + (jc + j) * ldb + pc;
                        for (int p = 0; p < kc; p++) br[p][j] = b[src + p];
                    }
                }
                Parallel.forRange(m, (long) m * nc * kc, (i0, i1) -> {
                    double[] ct = new double[nc];
                    int aP = transA ? lda : 1;
                    for (int i = i0; i < i1; i++) {
                        int ci = cOff + i * ldc + jc;
                        if (add) System.arraycopy(c, ci, ct, 0, nc);
                        else Arrays.fill(ct, 0, nc, 0d);
                        int ai = aOff + (transA ? i : i * lda) + pc * aP;
                        int p = 0;
                        for (; p + 1 < kc; p += 2, ai += 2 * aP) {
                            double a0 = a[ai], a1 = a[ai + aP];
                            double[] b0 = br[p], b1 = br[p + 1];
                            for (int j = 0; j < nc; j++) ct[j] = Math.fma(a1, b1[j], Math.fma(a0, b0[j], ct[j]));
                        }
                        for (; p < kc; p++, ai += aP) {
                            double a0 = a[ai];
                            double[] b0 = br[p];
                            for (int j = 0; j < nc; j++) ct[j] = Math.fma(a0, b0[j], ct[j]);
                        }
                        System.arraycopy(ct, 0, c, ci, nc);
                    }
                });
            }
        }
    }
}
