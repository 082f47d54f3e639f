package dev.tessera.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * C = A·Bᵀ (or C += A·Bᵀ) as dot products of contiguous rows: A is m×k row-major, B is n×k
 * row-major. Tiles of 2 rows of A × 4 rows of B keep 8 vector accumulators over a k block that
 * stays in L2; the k blocks are split between threads and their partial tiles summed.
 */
final class VectorDots {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private VectorDots() {}

    static void sgemmNT(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                        float[] c, int cOff, int ldc, boolean accumulate) {
        int threads = Math.min(Parallel.threads(), Math.max(1, k / 4096));
        float[][] partial = new float[threads][m * n];
        Parallel.forRange(threads, (long) m * n * k, (from, to) -> {
            for (int t = from; t < to; t++) {
                int k0 = (int) ((long) k * t / threads), k1 = (int) ((long) k * (t + 1) / threads);
                block(m, n, k0, k1, a, aOff, lda, b, bOff, ldb, partial[t]);
            }
        });
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                float sum = 0;
                for (float[] p : partial) sum += p[i * n + j];
                int ci = cOff + i * ldc + j;
                c[ci] = accumulate ? c[ci] + sum : sum;
            }
    }

    /** out[i·n + j] = Σ_{p∈[k0,k1)} a[i][p]·b[j][p]. */
    private static void block(int m, int n, int k0, int k1, float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] out) {
        for (int i = 0; i < m; i += 2) {
            int a0 = aOff + i * lda, a1 = i + 1 < m ? a0 + lda : a0;
            for (int j = 0; j < n; j += 4) {
                int b0 = bOff + j * ldb;
                int b1 = j + 1 < n ? b0 + ldb : b0, b2 = j + 2 < n ? b0 + 2 * ldb : b0, b3 = j + 3 < n ? b0 + 3 * ldb : b0;
                FloatVector s00 = FloatVector.zero(S), s01 = s00, s02 = s00, s03 = s00, s10 = s00, s11 = s00, s12 = s00, s13 = s00;
                int p = k0;
                for (; p <= k1 - L; p += L) {
                    FloatVector x0 = FloatVector.fromArray(S, a, a0 + p), x1 = FloatVector.fromArray(S, a, a1 + p);
                    FloatVector y0 = FloatVector.fromArray(S, b, b0 + p), y1 = FloatVector.fromArray(S, b, b1 + p);
                    FloatVector y2 = FloatVector.fromArray(S, b, b2 + p), y3 = FloatVector.fromArray(S, b, b3 + p);
                    s00 = x0.fma(y0, s00); s01 = x0.fma(y1, s01); s02 = x0.fma(y2, s02); s03 = x0.fma(y3, s03);
                    s10 = x1.fma(y0, s10); s11 = x1.fma(y1, s11); s12 = x1.fma(y2, s12); s13 = x1.fma(y3, s13);
                }
                float[] r = {s00.reduceLanes(VectorOperators.ADD), s01.reduceLanes(VectorOperators.ADD), s02.reduceLanes(VectorOperators.ADD),
                        s03.reduceLanes(VectorOperators.ADD), s10.reduceLanes(VectorOperators.ADD), s11.reduceLanes(VectorOperators.ADD),
                        s12.reduceLanes(VectorOperators.ADD), s13.reduceLanes(VectorOperators.ADD)};
                for (; p < k1; p++) {
                    float x0 = a[a0 + p], x1 = a[a1 + p];
                    r[0] += x0 * b[b0 + p]; r[1] += x0 * b[b1 + p]; r[2] += x0 * b[b2 + p]; r[3] += x0 * b[b3 + p];
                    r[4] += x1 * b[b0 + p]; r[5] += x1 * b[b1 + p]; r[6] += x1 * b[b2 + p]; r[7] += x1 * b[b3 + p];
                }
                for (int di = 0; di < 2 && i + di < m; di++)
                    for (int dj = 0; dj < 4 && j + dj < n; dj++) out[(i + di) * n + j + dj] = r[di * 4 + dj];
            }
        }
    }
}
