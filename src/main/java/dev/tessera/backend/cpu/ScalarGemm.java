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

    /** Most packed B rows (of NC floats) per group: 4 MiB. */
    private static final int GROUP_ROWS = 2048;

    /** Packed B rows, owned by the calling thread and read by the workers of one call; grows on demand. */
    private static final ThreadLocal<float[][]> B_ROWS = ThreadLocal.withInitial(() -> new float[0][]);
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

    /** Plain loops for tiny problems, where any packing or hand-off would dominate. */
    static void direct(boolean transA, boolean transB, int m, int n, int k,
                       float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                       float[] c, int cOff, int ldc, boolean accumulate) {
        // Element strides of A along i and along p.
        int aI = transA ? 1 : lda, aP = transA ? lda : 1;
        if (!transB) {
            // Rows of B are contiguous: C row += A[i][p] · B row, independent FMAs along j.
            for (int i = 0; i < m; i++) {
                int ci = cOff + i * ldc, ai = aOff + i * aI;
                if (!accumulate) Arrays.fill(c, ci, ci + n, 0f);
                for (int p = 0; p < k; p++) {
                    float av = a[ai + p * aP];
                    int bi = bOff + p * ldb;
                    for (int j = 0; j < n; j++) c[ci + j] += av * b[bi + j];
                }
            }
        } else {
            // Rows of stored B^T are contiguous along p: dot products, with two partial sums so
            // consecutive FMAs do not wait on each other.
            for (int i = 0; i < m; i++) {
                int ci = cOff + i * ldc, ai = aOff + i * aI;
                for (int j = 0; j < n; j++) {
                    int bj = bOff + j * ldb;
                    float s0 = 0f, s1 = 0f;
                    int p = 0;
                    for (; p + 1 < k; p += 2) {
                        s0 += a[ai + p * aP] * b[bj + p];
                        s1 += a[ai + (p + 1) * aP] * b[bj + p + 1];
                    }
                    if (p < k) s0 += a[ai + p * aP] * b[bj + p];
                    c[ci + j] = accumulate ? c[ci + j] + (s0 + s1) : s0 + s1;
                }
            }
        }
    }

    /** Float32 fallback; see {@link Gemm#sgemm}. Arguments are validated, m, n, k positive. */
    static void sgemm(boolean transA, boolean transB, int m, int n, int k,
                      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                      float[] c, int cOff, int ldc, boolean accumulate) {
        // B is packed a group of KC×NC blocks at a time (at most GROUP_ROWS rows of NC floats),
        // so each group costs two thread hand-offs (pack, compute), not two per block.
        final int gkMax = Math.min(k, Math.max(KC, GROUP_ROWS / KC * KC));
        final int gBlocks = Math.max(1, GROUP_ROWS / gkMax);
        final int gwMax = Math.min(n, gBlocks * NC);
        final float[][] br = packRows(gkMax * ((gwMax + NC - 1) / NC));
        for (int g0i = 0; g0i < n; g0i += gwMax) {
            final int g0 = g0i, gw = Math.min(gwMax, n - g0), blocks = (gw + NC - 1) / NC;
            for (int k0i = 0; k0i < k; k0i += gkMax) {
                final int k0 = k0i, gk = Math.min(gkMax, k - k0);
                Parallel.forRange(blocks * gk, (long) gk * gw, (r0, r1) -> {
                    for (int r = r0; r < r1; r++) {
                        int jc = r / gk * NC;
                        packRow(transB, b, bOff, ldb, k0 + r % gk, g0 + jc, Math.min(NC, gw - jc), br[r]);
                    }
                });
                Parallel.forRange(m, (long) m * gw * gk / 8, (i0, i1) -> {
                    for (int jb = 0; jb < blocks; jb++) {
                        int jc = jb * NC, nc = Math.min(NC, gw - jc);
                        for (int pk = 0; pk < gk; pk += KC) {
                            // After the first k block of the whole product, partial sums are added to C.
                            rows(i0, i1, transA, Math.min(KC, gk - pk), nc, a, aOff, lda, k0 + pk,
                                    br, jb * gk + pk, c, cOff + g0 + jc, ldc, accumulate || k0 + pk > 0);
                        }
                    }
                });
            }
        }
    }

    /** The calling thread's packed-B rows, grown (never shrunk) to at least count rows of NC floats. */
    private static float[][] packRows(int count) {
        float[][] rows = B_ROWS.get();
        if (rows.length < count) {
            float[][] grown = Arrays.copyOf(rows, Math.max(count, Math.min(GROUP_ROWS, 2 * rows.length)));
            for (int r = rows.length; r < grown.length; r++) grown[r] = new float[NC];
            B_ROWS.set(grown);
            rows = grown;
        }
        return rows;
    }

    /** row[j] = B[p][j0 + j] for j in [0, nc). */
    private static void packRow(boolean transB, float[] b, int bOff, int ldb, int p, int j0, int nc, float[] row) {
        if (!transB) {
            System.arraycopy(b, bOff + p * ldb + j0, row, 0, nc);
        } else {
            int src = bOff + j0 * ldb + p;
            for (int j = 0; j < nc; j++) row[j] = b[src + j * ldb];
        }
    }

    /**
     * Rows [i0, i1) of C (cOff already at the column block) = (add ? C : 0) + A[i][pc..pc+kc) ·
     * B rows br[rb..rb+kc).
     */
    private static void rows(int i0, int i1, boolean transA, int kc, int nc,
                             float[] a, int aOff, int lda, int pc, float[][] br, int rb,
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
                float[] b0 = br[rb + p], b1 = br[rb + p + 1], b2 = br[rb + p + 2], b3 = br[rb + p + 3];
                for (int j = 0; j < nc; j++) {
                    ct[j] = Math.fma(a3, b3[j], Math.fma(a2, b2[j], Math.fma(a1, b1[j], Math.fma(a0, b0[j], ct[j]))));
                }
            }
            for (; p < kc; p++, ai += aP) {
                float a0 = a[ai];
                float[] b0 = br[rb + p];
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
