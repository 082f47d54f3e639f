package dev.tessera.backend.cpu;

/**
 * General matrix multiply on the CPU: {@code C = A·B} or {@code C += A·B}, row-major, with
 * either operand optionally stored transposed.
 *
 * <p>Float32 has two implementations: a register-tiled Vector API kernel ({@link VectorGemm}),
 * used when the JVM was started with {@code --add-modules jdk.incubator.vector} (and the system
 * property {@code tessera.vector} is not {@code "false"}), and a fallback written so that C2
 * auto-vectorises it ({@link ScalarGemm}), which needs no flag. Float64 always uses the
 * fallback's loop shape. All paths split rows of C between {@link Parallel#threads()} threads.
 *
 * <p>Layout: {@code A[i][p]} is {@code a[aOff + i*lda + p]}, or {@code a[aOff + p*lda + i]} when
 * {@code transA}; {@code B[p][j]} is {@code b[bOff + p*ldb + j]}, or {@code b[bOff + j*ldb + p]}
 * when {@code transB}; {@code C[i][j]} is {@code c[cOff + i*ldc + j]}.
 */
public final class Gemm {
    /**
     * Problems with at most this many multiply-adds (about 6×6×6) run in a plain loop on the
     * calling thread. Measured: from about 8×8×8 up, packing plus the register-tiled kernel is
     * already faster than any plain loop, so the plain loop only serves the truly tiny.
     */
    static final long DIRECT_MAX_WORK = 256;

    /**
     * A·Bᵀ with few outputs and a long inner dimension (a convolution's weight gradient: [OC, N·L]
     * times [N·L, C·kh·kw]) is a grid of long dot products over rows that are both contiguous;
     * the packed kernel wastes most of its tile there, {@link VectorDots} does not.
     */
    static final long DOT_MAX_OUTPUTS = 4096, DOT_MIN_DEPTH = 1024;

    /** A few rows times a wide B ({@link VectorSkinny}): streaming B beats packing it there. */
    static final int SKINNY_MAX_ROWS = 16, SKINNY_MIN_COLUMNS = 2048;

    /** Whether the Vector API kernel is used; decided once, when this class initialises. */
    private static final boolean VECTOR = detectVector();

    private Gemm() {}

    private static boolean detectVector() {
        if ("false".equals(System.getProperty("tessera.vector"))) return false;
        if (!ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) return false;
        try {
            // Loading VectorGemm resolves the incubator classes; without the module (or on a
            // JVM whose Vector API differs) this fails with a LinkageError and we fall back.
            return VectorGemm.usable();
        } catch (LinkageError e) {
            return false;
        }
    }

    /** True when float32 GEMM uses the Vector API kernel, false when it uses the fallback. */
    public static boolean vectorApiAvailable() {
        return VECTOR;
    }

    /**
     * The one-line advice for a JVM started without the Vector API module (as Lucene gives it), or
     * empty when the fast path is on or was switched off on purpose ({@code -Dtessera.vector=false}).
     * Printed once to standard error by the first float32 GEMM, and shown by {@code tessera info}.
     */
    public static java.util.Optional<String> vectorApiHint() {
        return VECTOR || ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
                ? java.util.Optional.empty()
                : java.util.Optional.of("tessera: the Vector API module is not enabled, so float32 matrix multiply runs on"
                        + " its portable kernel (measured 3-16x slower); start java with --add-modules jdk.incubator.vector"
                        + " (the tessera launcher adds it when the JVM has the module)");
    }

    /** Prints the hint when this class initialises, i.e. once per JVM, on the first GEMM that needs it. */
    private static final class Hint {
        static { vectorApiHint().ifPresent(System.err::println); }
        static void once() {}
    }

    /**
     * Float32 GEMM: {@code C = A·B}, or {@code C += A·B} when {@code accumulate}.
     *
     * <p>A is m×k (stored k×m when {@code transA}, i.e. {@code A[i][p] = a[aOff + p*lda + i]}),
     * B is k×n (stored n×k when {@code transB}, i.e. {@code B[p][j] = b[bOff + j*ldb + p]}),
     * C is m×n with row stride {@code ldc}. Only the m×n elements of C addressed by
     * {@code cOff + i*ldc + j} are written; a and b are only read. When k is 0 the product is
     * the zero matrix, so C is zeroed (or left as is when accumulating). C must not overlap A
     * or B.
     *
     * @throws IllegalArgumentException on negative sizes, leading dimensions shorter than a
     *         row, or arrays too short for the described matrices
     */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k,
                             float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                             float[] c, int cOff, int ldc, boolean accumulate) {
        if (!VECTOR) Hint.once();
        sgemm(VECTOR, transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
    }

    /**
     * {@link #sgemm} forced onto the no-flag fallback path (same arguments, same result up to
     * rounding), so tests and benchmarks can check it on a JVM that has the Vector API.
     */
    public static void sgemmFallback(boolean transA, boolean transB, int m, int n, int k,
                              float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                              float[] c, int cOff, int ldc, boolean accumulate) {
        sgemm(false, transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
    }

    private static void sgemm(boolean vector, boolean transA, boolean transB, int m, int n, int k,
                              float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                              float[] c, int cOff, int ldc, boolean accumulate) {
        check(transA, transB, m, n, k, a == null ? -1 : a.length, aOff, lda,
                b == null ? -1 : b.length, bOff, ldb, c == null ? -1 : c.length, cOff, ldc);
        if (m == 0 || n == 0) return;
        if (k == 0) {
            if (!accumulate) ScalarGemm.zero(m, n, c, cOff, ldc);
            return;
        }
        if ((long) m * n * k <= DIRECT_MAX_WORK) {
            ScalarGemm.direct(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
        } else if (vector && !transA && !transB && m <= SKINNY_MAX_ROWS && n >= SKINNY_MIN_COLUMNS) {
            VectorSkinny.sgemm(m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
        } else if (vector && !transA && transB && (long) m * n <= DOT_MAX_OUTPUTS && k >= DOT_MIN_DEPTH) {
            VectorDots.sgemmNT(m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
        } else if (vector) {
            VectorGemm.sgemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
        } else {
            ScalarGemm.sgemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
        }
    }

    /**
     * Float64 GEMM: {@code C = A·B}, or {@code C += A·B} when {@code accumulate}; shapes,
     * layout and what is modified exactly as in {@link #sgemm}.
     *
     * @throws IllegalArgumentException on negative sizes, leading dimensions shorter than a
     *         row, or arrays too short for the described matrices
     */
    public static void dgemm(boolean transA, boolean transB, int m, int n, int k,
                             double[] a, int aOff, int lda, double[] b, int bOff, int ldb,
                             double[] c, int cOff, int ldc, boolean accumulate) {
        check(transA, transB, m, n, k, a == null ? -1 : a.length, aOff, lda,
                b == null ? -1 : b.length, bOff, ldb, c == null ? -1 : c.length, cOff, ldc);
        if (m == 0 || n == 0) return;
        if (k == 0) {
            if (!accumulate) ScalarGemm.zero(m, n, c, cOff, ldc);
            return;
        }
        ScalarGemm.dgemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
    }

    /**
     * Validates sizes and extents up front, so a bad call fails with a message instead of an
     * index error from deep inside a kernel (or, worse, a partially written C). An array length
     * of -1 stands for null.
     */
    private static void check(boolean transA, boolean transB, int m, int n, int k,
                              int aLen, int aOff, int lda, int bLen, int bOff, int ldb,
                              int cLen, int cOff, int ldc) {
        if (m < 0 || n < 0 || k < 0)
            throw new IllegalArgumentException("gemm: negative size m=" + m + " n=" + n + " k=" + k);
        if (m == 0 || n == 0) return;
        checkMatrix("C", m, n, cLen, cOff, ldc);
        if (k == 0) return;
        if (transA) checkMatrix("A (transposed)", k, m, aLen, aOff, lda);
        else checkMatrix("A", m, k, aLen, aOff, lda);
        if (transB) checkMatrix("B (transposed)", n, k, bLen, bOff, ldb);
        else checkMatrix("B", k, n, bLen, bOff, ldb);
    }

    /** Checks that a rows×cols row-major matrix at off with stride ld fits in an array of len. */
    private static void checkMatrix(String name, int rows, int cols, int len, int off, int ld) {
        if (len < 0) throw new IllegalArgumentException("gemm: " + name + " array is null");
        if (ld < cols)
            throw new IllegalArgumentException("gemm: " + name + " leading dimension " + ld + " < row length " + cols);
        long last = (long) off + (long) (rows - 1) * ld + cols;
        if (off < 0 || last > len)
            throw new IllegalArgumentException("gemm: " + name + " (" + rows + "x" + cols + ", offset " + off
                    + ", stride " + ld + ") does not fit in an array of length " + len);
    }
}
