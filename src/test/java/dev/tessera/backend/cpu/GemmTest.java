package dev.tessera.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Checks every GEMM path against a float64 triple loop over the same inputs: all four transpose
 * combinations, offsets, padded leading dimensions, accumulate on and off, and shapes that hit
 * the tiny direct loop, the tile edges (rows of 8, columns of 2 vectors) and the block edges
 * (k blocks of 256, column blocks of 512). Elements of C outside the m×n window must come back
 * bit-for-bit unchanged.
 */
class GemmTest {
    private enum Path { FAST, FALLBACK, DOUBLE }

    /**
     * Sizes around the register tile and block boundaries, typical small-MLP shapes, and shapes
     * whose packed B needs several groups (k over 2048, or several 512-column blocks per group).
     */
    private static final int[][] BIG_SHAPES = {
            {33, 65, 130}, {257, 33, 17}, {65, 257, 300}, {130, 130, 257}, {8, 32, 256}, {9, 33, 257},
            {16, 64, 512}, {24, 512, 255}, {25, 513, 513}, {17, 520, 600}, {300, 530, 40}, {1, 600, 700},
            {600, 1, 700}, {257, 520, 1}, {64, 10, 784}, {256, 784, 10}, {10, 784, 64}, {784, 10, 64},
            {2, 1030, 3}, {1030, 2, 3}, {129, 1100, 70}, {3, 600, 2100}, {5, 1600, 7}, {40, 1100, 600}};

    @Test
    void vectorApiIsUsedUnderTheTestFlag() {
        // surefire runs the tests with --add-modules=jdk.incubator.vector (pom.xml), so the fast
        // path must be active; if this fails, sgemm silently runs the ~3x slower fallback.
        assertTrue(Gemm.vectorApiAvailable());
    }

    @Test
    void smallShapesAllTransposes() {
        Random rnd = new Random(1234);
        for (Path path : Path.values()) {
            for (int m = 1; m <= 17; m++) {
                for (int n = 1; n <= 17; n++) {
                    for (int k = 1; k <= 17; k++) {
                        // One random transpose combination, layout and accumulate flag per shape,
                        // plus all four combinations on a subset, keeps the sweep fast.
                        int combos = (m + n + k) % 5 == 0 ? 4 : 1;
                        for (int t = 0; t < combos; t++) {
                            int tr = combos == 4 ? t : rnd.nextInt(4);
                            check(path, rnd, (tr & 1) != 0, (tr & 2) != 0, m, n, k, rnd.nextBoolean(), true);
                        }
                    }
                }
            }
        }
    }

    @Test
    void bigAndOddShapesAllTransposes() {
        Random rnd = new Random(99);
        for (Path path : Path.values()) {
            for (int[] s : BIG_SHAPES) {
                for (int tr = 0; tr < 4; tr++) {
                    check(path, rnd, (tr & 1) != 0, (tr & 2) != 0, s[0], s[1], s[2], tr == 1 || tr == 2, tr != 3);
                }
            }
        }
    }

    /** Few outputs, long depth, B transposed: the dot-product path (Gemm.DOT_*), with odd tails and 1 or 2 threads. */
    @Test
    void longDotProductsWithBTransposed() {
        int saved = Parallel.threads();
        try {
            for (int threads = 1; threads <= 2; threads++) {
                Parallel.setThreads(threads);
                Random rnd = new Random(31 + threads);
                check(Path.FAST, rnd, false, true, 16, 9, 50_003, false, true);
                check(Path.FAST, rnd, false, true, 3, 5, 1_024, true, true);
                check(Path.FAST, rnd, false, true, 17, 144, 9_001, true, false);
            }
        } finally {
            Parallel.setThreads(saved);
        }
    }

    /** Few rows, wide B, no transposes: the streaming path (Gemm.SKINNY_*), with column tails and short strips. */
    @Test
    void shortWideProducts() {
        Random rnd = new Random(41);
        for (int m : new int[] {1, 7, 8, 9, 16})
            for (int n : new int[] {2048, 2049, 3001}) {
                check(Path.FAST, rnd, false, false, m, n, 1 + rnd.nextInt(150), m % 2 == 0, true);
            }
    }

    @Test
    void oneAndTwoThreadsGiveCorrectResults() {
        int saved = Parallel.threads();
        try {
            for (int threads = 1; threads <= 2; threads++) {
                Parallel.setThreads(threads);
                Random rnd = new Random(7 + threads);
                for (Path path : Path.values()) {
                    check(path, rnd, false, false, 300, 600, 300, false, true);
                    check(path, rnd, true, true, 201, 77, 520, true, true);
                }
            }
        } finally {
            Parallel.setThreads(saved);
        }
    }

    @Test
    void zeroSizes() {
        Random rnd = new Random(5);
        for (Path path : Path.values()) {
            for (boolean acc : new boolean[] {false, true}) {
                // k == 0: the product is the zero matrix, so C becomes 0, or stays as is when accumulating.
                check(path, rnd, false, false, 5, 7, 0, acc, true);
                check(path, rnd, true, true, 40, 70, 0, acc, true);
                // m == 0 or n == 0: nothing to compute, C outside the (empty) window is untouched.
                check(path, rnd, false, true, 0, 7, 3, acc, true);
                check(path, rnd, true, false, 6, 0, 3, acc, true);
                check(path, rnd, false, false, 0, 0, 0, acc, true);
            }
        }
        // Empty problems may pass empty arrays.
        Gemm.sgemm(false, false, 0, 5, 5, new float[0], 0, 5, new float[0], 0, 5, new float[0], 0, 5, false);
        Gemm.dgemm(false, false, 4, 0, 5, new double[0], 0, 5, new double[0], 0, 5, new double[0], 0, 1, false);
    }

    @Test
    void rejectsBadArguments() {
        float[] x = new float[12];
        assertThrows(IllegalArgumentException.class,
                () -> Gemm.sgemm(false, false, -1, 2, 2, x, 0, 2, x, 0, 2, x, 0, 2, false));
        // lda shorter than a row of A (k = 3)
        assertThrows(IllegalArgumentException.class,
                () -> Gemm.sgemm(false, false, 2, 2, 3, x, 0, 2, x, 0, 2, new float[4], 0, 2, false));
        // C of 3×3 does not fit in 8 floats
        assertThrows(IllegalArgumentException.class,
                () -> Gemm.sgemm(false, false, 3, 3, 1, x, 0, 1, x, 0, 3, new float[8], 0, 3, false));
        // offset pushes transposed B (stored 2×3) past the end
        assertThrows(IllegalArgumentException.class,
                () -> Gemm.dgemm(false, true, 2, 2, 3, new double[6], 0, 3, new double[6], 1, 3, new double[4], 0, 2, false));
        assertThrows(IllegalArgumentException.class,
                () -> Gemm.sgemm(false, false, 1, 1, 1, null, 0, 1, x, 0, 1, x, 0, 1, false));
    }

    @Test
    void identityIsExact() {
        // Multiplying by the identity involves no rounding, so every path must be exact.
        int n = 70;
        Random rnd = new Random(3);
        float[] a = new float[n * n], id = new float[n * n];
        for (int i = 0; i < a.length; i++) a[i] = rnd.nextFloat() - 0.5f;
        for (int i = 0; i < n; i++) id[i * n + i] = 1f;
        for (Path path : new Path[] {Path.FAST, Path.FALLBACK}) {
            float[] c = new float[n * n];
            sgemm(path, false, false, n, n, n, a, 0, n, id, 0, n, c, 0, n, false);
            for (int i = 0; i < a.length; i++) assertEquals(a[i], c[i], 0f, path + " A·I at " + i);
        }
    }

    private static void sgemm(Path path, boolean ta, boolean tb, int m, int n, int k, float[] a, int aOff, int lda,
                              float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, boolean acc) {
        if (path == Path.FAST) Gemm.sgemm(ta, tb, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, acc);
        else Gemm.sgemmFallback(ta, tb, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, acc);
    }

    /**
     * Runs one GEMM on random data laid out with random offsets and (when padded) leading
     * dimensions longer than a row, and compares it element by element with a float64 loop.
     */
    private static void check(Path path, Random rnd, boolean ta, boolean tb, int m, int n, int k,
                              boolean acc, boolean padded) {
        int aRows = ta ? k : m, aCols = ta ? m : k, bRows = tb ? n : k, bCols = tb ? k : n;
        int aOff = padded ? rnd.nextInt(5) : 0, bOff = padded ? rnd.nextInt(5) : 0, cOff = padded ? rnd.nextInt(5) : 0;
        int lda = Math.max(1, aCols + (padded ? rnd.nextInt(4) : 0));
        int ldb = Math.max(1, bCols + (padded ? rnd.nextInt(4) : 0));
        int ldc = Math.max(1, n + (padded ? rnd.nextInt(4) : 0));
        // Arrays are filled everywhere, padding included, so reading padding would show up as error.
        double[] a = random(rnd, aOff + aRows * lda + 3);
        double[] b = random(rnd, bOff + bRows * ldb + 3);
        double[] c0 = random(rnd, cOff + m * ldc + 3);

        double[] ref = c0.clone();
        double[] mag = new double[ref.length];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0, sAbs = 0;
                for (int p = 0; p < k; p++) {
                    double x = a[ta ? aOff + p * lda + i : aOff + i * lda + p];
                    double y = b[tb ? bOff + j * ldb + p : bOff + p * ldb + j];
                    s += x * y;
                    sAbs += Math.abs(x * y);
                }
                int ci = cOff + i * ldc + j;
                ref[ci] = acc ? c0[ci] + s : s;
                mag[ci] = sAbs + (acc ? Math.abs(c0[ci]) : 0);
            }
        }
        String what = path + " ta=" + ta + " tb=" + tb + " m=" + m + " n=" + n + " k=" + k + " acc=" + acc
                + " lda=" + lda + " ldb=" + ldb + " ldc=" + ldc;
        double root = Math.sqrt(Math.max(k, 1));
        if (path == Path.DOUBLE) {
            double[] c = c0.clone();
            Gemm.dgemm(ta, tb, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, acc);
            // Both the kernel and the reference round about k times at u = 2^-53 ≈ 1.1e-16, so
            // each is off by at most k·u·Σ|a·b|; 1e-13·sqrt(k)·Σ|a·b| covers twice that for every
            // k here (up to k = 200000), while an indexing bug gives errors of order Σ|a·b|.
            compare(what, ref, mag, c, 1e-13 * root, m, n, cOff, ldc, c0);
        } else {
            float[] af = toFloat(a), bf = toFloat(b), cf = toFloat(c0);
            sgemm(path, ta, tb, m, n, k, af, aOff, lda, bf, bOff, ldb, cf, cOff, ldc, acc);
            double[] c = new double[cf.length];
            for (int i = 0; i < c.length; i++) c[i] = cf[i];
            // The inputs are exactly representable in float, so the reference is exact up to
            // float64 rounding; the float32 kernel rounds about k times at u = 2^-24 ≈ 6e-8, a
            // worst case of k·u·Σ|a·b| (typically sqrt(k)·u). 1e-5·sqrt(k)·Σ|a·b| is above the
            // worst case for every k up to 27000 and far below the error of any wrong index.
            compare(what, ref, mag, c, 1e-5 * root, m, n, cOff, ldc, c0);
        }
    }

    private static void compare(String what, double[] ref, double[] mag, double[] got, double relTol,
                                int m, int n, int cOff, int ldc, double[] c0) {
        List<String> bad = new ArrayList<>();
        for (int idx = 0; idx < got.length && bad.size() < 5; idx++) {
            int rel = idx - cOff;
            boolean inside = rel >= 0 && rel / ldc < m && rel % ldc < n;
            if (!inside) {
                // Outside the window: must be bit-for-bit what was there before (c0 holds floats).
                if (Double.doubleToLongBits(got[idx]) != Double.doubleToLongBits(c0[idx]))
                    bad.add("wrote outside C at " + idx);
            } else if (!(Math.abs(got[idx] - ref[idx]) <= relTol * mag[idx] + Double.MIN_NORMAL)) {
                bad.add("C[" + rel / ldc + "][" + rel % ldc + "] = " + got[idx] + ", expected " + ref[idx]);
            }
        }
        if (!bad.isEmpty()) fail(what + ": " + bad);
    }

    /** Random values in [-1, 1) that are exact floats, so float and double paths see the same data. */
    private static double[] random(Random rnd, int len) {
        double[] x = new double[len];
        for (int i = 0; i < len; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
        return x;
    }

    private static float[] toFloat(double[] x) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) f[i] = (float) x[i];
        return f;
    }
}
