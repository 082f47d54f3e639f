package dev.tessera.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float32 GEMM with the Vector API (Goto-style): B is packed in KC×NC panels of strips NR wide
 * (k-major); A is read in place (untransposed) or packed a strip of MR rows at a time
 * (k-major); a register tile of MR×2 vectors (MR×1 for narrow edges) accumulates over the whole
 * KC loop of a panel.
 *
 * <p>This class references {@code jdk.incubator.vector}, so it is only touched after
 * {@link Gemm} has seen that module in the boot layer; loading it without the module fails with
 * a {@link LinkageError}, which Gemm catches.
 *
 * <p>Shape constraints found by measurement (see shared CPU notes): the kernel must contain no
 * call C2 does not inline, or the accumulators become heap objects and speed drops ~5×; so the
 * species, tile and block sizes are static finals and the kernel is written out by hand.
 */
final class VectorGemm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Lanes per vector (16 with AVX-512). */
    private static final int L = S.length();
    /** Rows of the register tile: 8 rows × 2 vectors = 16 accumulators (of 32 zmm registers). */
    private static final int MR = 8;
    /** Columns of the register tile. */
    private static final int NR = 2 * L;
    /** Depth of a packed panel: a KC×NR strip of B (16 KiB at L=16) streams from L2 per tile. */
    private static final int KC = 256;
    /** Width of a packed B panel: KC×NC floats = 512 KiB, which stays in the 1 MiB L2. */
    private static final int NC = Math.max(NR, 512 / NR * NR);
    /** Offset of the tile buffer (edge tiles) inside the per-thread work array, after the A strip. */
    private static final int TILE = MR * KC;

    /**
     * Most floats of packed B per group (4 MiB). B is packed a group of panels at a time, so
     * that a call needs two thread hand-offs per group (pack, compute) rather than two per
     * KC×NC panel: a hand-off costs ~7 µs here, as much as a small GEMM.
     */
    private static final int GROUP = 1 << 20;

    /** Packed B, owned by the calling thread and filled/read by the workers of one call; grows on demand. */
    private static final ThreadLocal<float[][]> B_PACK = ThreadLocal.withInitial(() -> new float[1][0]);
    /** Per-worker packed A strip followed by an MR×NR tile buffer; reused to avoid first-touch costs. */
    private static final ThreadLocal<float[]> WORK = ThreadLocal.withInitial(() -> new float[TILE + MR * NR]);

    private VectorGemm() {}

    /**
     * Forces the Vector API classes to load and primes the JIT; false when the vectors are too
     * short to pay off.
     */
    static boolean usable() {
        if (L < 4) return false;
        prime();
        return true;
    }

    /**
     * Runs every transpose case four times on a problem with several K and N blocks and a parallel split.
     * Measured here: when a program's first GEMMs are all small (a 784→10→10 MLP), the JIT compiles
     * the blocked paths from that profile and later large GEMMs (784→512→512) stay about 3× slower
     * for the rest of the run; with this profile first they do not. It costs about half a second
     * once per JVM, mostly in the interpreter.
     */
    private static void prime() {
        int m = 64, n = 544, k = 520;
        float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
        for (int round = 0; round < 4; round++)
            for (int t = 0; t < 4; t++) {
                boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
                sgemm(ta, tb, m, n, k, a, 0, ta ? m : k, b, 0, tb ? k : n, c, 0, n, round == 1);
            }
    }

    /** See {@link Gemm#sgemm}; arguments are already validated and m, n, k are positive. */
    static void sgemm(boolean transA, boolean transB, int m, int n, int k,
                      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                      float[] c, int cOff, int ldc, boolean accumulate) {
        // A group is [g0, g0+gw) columns × [k0, k0+gk) depth: whole KC blocks deep (or all of k)
        // and whole NC blocks wide (or all of n), at most GROUP floats once padded.
        final int gkMax = Math.min(k, Math.max(KC, GROUP / NC / KC * KC));
        final int gwMax = Math.min(n, Math.max(1, GROUP / (gkMax * NC)) * NC);
        final float[] bp = packBuffer(gkMax * roundUp(gwMax, NR));
        final int mStrips = (m + MR - 1) / MR;
        for (int g0i = 0; g0i < n; g0i += gwMax) {
            final int g0 = g0i, gw = Math.min(gwMax, n - g0);
            final int gStrips = (gw + NR - 1) / NR;
            for (int k0i = 0; k0i < k; k0i += gkMax) {
                final int k0 = k0i, gk = Math.min(gkMax, k - k0);
                Parallel.forRange(gStrips, (long) gk * gw, (s0, s1) -> {
                    for (int s = s0; s < s1; s++) packStrip(transB, b, bOff, ldb, g0, gw, k0, gk, s, bp);
                });
                // Work in vector FMAs of the padded problem: the hand-off pays off only when
                // each thread gets well over its ~7 µs cost.
                long work = (long) mStrips * MR * gStrips * NR / L * gk;
                Parallel.forRange(mStrips, work, (r0, r1) -> group(r0, r1, transA, m, a, aOff, lda,
                        g0, gw, k0, gk, bp, c, cOff, ldc, accumulate));
            }
        }
    }

    private static int roundUp(int x, int to) {
        return (x + to - 1) / to * to;
    }

    /** The calling thread's packed-B buffer, grown (never shrunk) to hold at least size floats. */
    private static float[] packBuffer(int size) {
        float[][] holder = B_PACK.get();
        if (holder[0].length < size) holder[0] = new float[Math.max(size, Math.min(GROUP, 2 * holder[0].length))];
        return holder[0];
    }

    /**
     * Offset in the packed group of panel (column block jb, k block starting at depth pk inside
     * the group): blocks before jb are full NC wide and gk deep; k blocks before pk are full KC
     * deep and ncPad wide.
     */
    private static int panelBase(int jb, int gk, int pk, int ncPad) {
        return jb * NC * gk + pk * ncPad;
    }

    /** Packs column strip s of the group (NR columns) for every k block of the group. */
    private static void packStrip(boolean transB, float[] b, int bOff, int ldb, int g0, int gw, int k0, int gk, int s, float[] bp) {
        final int perBlock = NC / NR;
        int jb = s / perBlock, t = s % perBlock;
        int jc = jb * NC, nc = Math.min(NC, gw - jc), ncPad = roundUp(nc, NR);
        int j0 = jc + t * NR, nr = Math.min(NR, gw - j0);
        for (int pk = 0; pk < gk; pk += KC) {
            int kc = Math.min(KC, gk - pk);
            packB(transB, b, bOff, ldb, k0 + pk, kc, g0 + j0, nr, bp, panelBase(jb, gk, pk, ncPad) + t * kc * NR);
        }
    }

    /** Row strips [r0, r1) times the packed group, panel by panel so each panel stays in L2. */
    private static void group(int r0, int r1, boolean transA, int m, float[] a, int aOff, int lda,
                              int g0, int gw, int k0, int gk, float[] bp,
                              float[] c, int cOff, int ldc, boolean accumulate) {
        for (int jc = 0; jc < gw; jc += NC) {
            int nc = Math.min(NC, gw - jc), ncPad = roundUp(nc, NR);
            for (int pk = 0; pk < gk; pk += KC) {
                int kc = Math.min(KC, gk - pk);
                // After the first k block of the whole product, partial sums are added to C.
                boolean add = accumulate || k0 + pk > 0;
                rows(r0, r1, transA, m, kc, ncPad / NR, nc, a, aOff, lda, k0 + pk,
                        bp, panelBase(jc / NC, gk, pk, ncPad), c, cOff + g0 + jc, ldc, add);
            }
        }
    }

    /** Multiplies row strips [r0, r1) of A's k block [pc, pc+kc) by one packed B panel. */
    private static void rows(int r0, int r1, boolean transA, int m, int kc, int nStrips, int nc,
                             float[] a, int aOff, int lda, int pc, float[] bp, int bBase,
                             float[] c, int cOff, int ldc, boolean add) {
        final float[] w = WORK.get();
        for (int s = r0; s < r1; s++) {
            int i0 = s * MR, mr = Math.min(MR, m - i0);
            // A full strip of untransposed A is read where it lies (rows at ai + r*lda, MR short
            // streams): packing it costs about as much as one kernel call, which matters when n
            // is small. Transposed A, and the last partial strip, are packed (zero-padded).
            boolean inPlace = !transA && mr == MR;
            int ai = aOff + i0 * lda + pc;
            if (!inPlace) packA(transA, a, aOff, lda, i0, mr, pc, kc, w);
            int cRow = cOff + i0 * ldc;
            for (int t = 0; t < nStrips; t++) {
                int j0 = t * NR, nr = Math.min(NR, nc - j0), bIdx = bBase + t * kc * NR;
                if (mr == MR && nr == NR) {
                    if (inPlace) kernelRows(kc, a, ai, lda, bp, bIdx, c, cRow + j0, ldc, add);
                    else kernel(kc, w, bp, bIdx, c, cRow + j0, ldc, add);
                } else if (mr == MR && nr == L) {
                    if (inPlace) kernel1Rows(kc, a, ai, lda, bp, bIdx, c, cRow + j0, ldc, add);
                    else kernel1(kc, w, bp, bIdx, c, cRow + j0, ldc, add);
                } else {
                    // Edge tile: compute it into the buffer, then copy the valid part. A strip at
                    // most one vector wide takes the half-width kernel: narrow outputs (n = 10
                    // classes) would otherwise spend half the FMAs on padding.
                    if (nr <= L) {
                        if (inPlace) kernel1Rows(kc, a, ai, lda, bp, bIdx, w, TILE, NR, false);
                        else kernel1(kc, w, bp, bIdx, w, TILE, NR, false);
                    } else {
                        if (inPlace) kernelRows(kc, a, ai, lda, bp, bIdx, w, TILE, NR, false);
                        else kernel(kc, w, bp, bIdx, w, TILE, NR, false);
                    }
                    for (int r = 0; r < mr; r++) {
                        int ci = cRow + r * ldc + j0, ti = TILE + r * NR;
                        if (add) for (int j = 0; j < nr; j++) c[ci + j] += w[ti + j];
                        else System.arraycopy(w, ti, c, ci, nr);
                    }
                }
            }
        }
    }

    /** Packs rows [i0, i0+mr) × k block [pc, pc+kc) of A as ap[p*MR + r], zero-padding rows to MR. */
    private static void packA(boolean transA, float[] a, int aOff, int lda, int i0, int mr, int pc, int kc, float[] ap) {
        if (!transA) {
            for (int r = 0; r < mr; r++) {
                int src = aOff + (i0 + r) * lda + pc;
                for (int p = 0; p < kc; p++) ap[p * MR + r] = a[src + p];
            }
        } else {
            for (int p = 0; p < kc; p++) {
                int src = aOff + (pc + p) * lda + i0, d = p * MR;
                for (int r = 0; r < mr; r++) ap[d + r] = a[src + r];
            }
        }
        if (mr < MR) {
            for (int p = 0; p < kc; p++) {
                for (int r = mr; r < MR; r++) ap[p * MR + r] = 0f;
            }
        }
    }

    /** Packs k block [pc, pc+kc) × columns [j0, j0+nr) of B as bp[dst + p*NR + j], zero-padding to NR. */
    private static void packB(boolean transB, float[] b, int bOff, int ldb, int pc, int kc, int j0, int nr, float[] bp, int dst) {
        if (!transB) {
            for (int p = 0; p < kc; p++) {
                int src = bOff + (pc + p) * ldb + j0, d = dst + p * NR;
                if (nr == NR) {
                    FloatVector.fromArray(S, b, src).intoArray(bp, d);
                    FloatVector.fromArray(S, b, src + L).intoArray(bp, d + L);
                } else {
                    System.arraycopy(b, src, bp, d, nr);
                    for (int j = nr; j < NR; j++) bp[d + j] = 0f;
                }
            }
        } else {
            for (int j = 0; j < nr; j++) {
                int src = bOff + (j0 + j) * ldb + pc, d = dst + j;
                for (int p = 0; p < kc; p++) bp[d + p * NR] = b[src + p];
            }
            if (nr < NR) {
                for (int p = 0; p < kc; p++) {
                    for (int j = nr; j < NR; j++) bp[dst + p * NR + j] = 0f;
                }
            }
        }
    }

    /**
     * Half-width register tile, MR×1 vectors: as {@link #kernel} but for the first L columns of
     * a packed strip only (8 independent FMA chains still cover the FMA latency).
     */
    private static void kernel1(int kc, float[] ap, float[] bp, int bIdx, float[] c, int cIdx, int ldc, boolean add) {
        FloatVector c0 = FloatVector.zero(S), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
        for (int p = 0; p < kc; p++) {
            int ai = p * MR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bIdx + p * NR);
            c0 = FloatVector.broadcast(S, ap[ai]).fma(b0, c0);
            c1 = FloatVector.broadcast(S, ap[ai + 1]).fma(b0, c1);
            c2 = FloatVector.broadcast(S, ap[ai + 2]).fma(b0, c2);
            c3 = FloatVector.broadcast(S, ap[ai + 3]).fma(b0, c3);
            c4 = FloatVector.broadcast(S, ap[ai + 4]).fma(b0, c4);
            c5 = FloatVector.broadcast(S, ap[ai + 5]).fma(b0, c5);
            c6 = FloatVector.broadcast(S, ap[ai + 6]).fma(b0, c6);
            c7 = FloatVector.broadcast(S, ap[ai + 7]).fma(b0, c7);
        }
        int i0 = cIdx, i1 = i0 + ldc, i2 = i1 + ldc, i3 = i2 + ldc, i4 = i3 + ldc, i5 = i4 + ldc, i6 = i5 + ldc, i7 = i6 + ldc;
        if (add) {
            c0 = c0.add(FloatVector.fromArray(S, c, i0)); c1 = c1.add(FloatVector.fromArray(S, c, i1));
            c2 = c2.add(FloatVector.fromArray(S, c, i2)); c3 = c3.add(FloatVector.fromArray(S, c, i3));
            c4 = c4.add(FloatVector.fromArray(S, c, i4)); c5 = c5.add(FloatVector.fromArray(S, c, i5));
            c6 = c6.add(FloatVector.fromArray(S, c, i6)); c7 = c7.add(FloatVector.fromArray(S, c, i7));
        }
        c0.intoArray(c, i0); c1.intoArray(c, i1); c2.intoArray(c, i2); c3.intoArray(c, i3);
        c4.intoArray(c, i4); c5.intoArray(c, i5); c6.intoArray(c, i6); c7.intoArray(c, i7);
    }

    /**
     * The register tile: C[0..MR)[0..NR) at c[cIdx + r*ldc + j] = (add ? C : 0) + Ap·Bp over kc,
     * with Ap = ap[p*MR + r] (starting at 0) and Bp = bp[bIdx + p*NR + j]. Every call in here is
     * a Vector API intrinsic, so the 16 accumulators stay in registers.
     */
    private static void kernel(int kc, float[] ap, float[] bp, int bIdx, float[] c, int cIdx, int ldc, boolean add) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
                c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00,
                c60 = c00, c61 = c00, c70 = c00, c71 = c00;
        for (int p = 0; p < kc; p++) {
            int ai = p * MR, bi = bIdx + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector av;
            av = FloatVector.broadcast(S, ap[ai]);      c00 = av.fma(b0, c00); c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(S, ap[ai + 1]); c10 = av.fma(b0, c10); c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(S, ap[ai + 2]); c20 = av.fma(b0, c20); c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(S, ap[ai + 3]); c30 = av.fma(b0, c30); c31 = av.fma(b1, c31);
            av = FloatVector.broadcast(S, ap[ai + 4]); c40 = av.fma(b0, c40); c41 = av.fma(b1, c41);
            av = FloatVector.broadcast(S, ap[ai + 5]); c50 = av.fma(b0, c50); c51 = av.fma(b1, c51);
            av = FloatVector.broadcast(S, ap[ai + 6]); c60 = av.fma(b0, c60); c61 = av.fma(b1, c61);
            av = FloatVector.broadcast(S, ap[ai + 7]); c70 = av.fma(b0, c70); c71 = av.fma(b1, c71);
        }
        int i0 = cIdx, i1 = i0 + ldc, i2 = i1 + ldc, i3 = i2 + ldc, i4 = i3 + ldc, i5 = i4 + ldc, i6 = i5 + ldc, i7 = i6 + ldc;
        if (add) {
            c00 = c00.add(FloatVector.fromArray(S, c, i0)); c01 = c01.add(FloatVector.fromArray(S, c, i0 + L));
            c10 = c10.add(FloatVector.fromArray(S, c, i1)); c11 = c11.add(FloatVector.fromArray(S, c, i1 + L));
            c20 = c20.add(FloatVector.fromArray(S, c, i2)); c21 = c21.add(FloatVector.fromArray(S, c, i2 + L));
            c30 = c30.add(FloatVector.fromArray(S, c, i3)); c31 = c31.add(FloatVector.fromArray(S, c, i3 + L));
            c40 = c40.add(FloatVector.fromArray(S, c, i4)); c41 = c41.add(FloatVector.fromArray(S, c, i4 + L));
            c50 = c50.add(FloatVector.fromArray(S, c, i5)); c51 = c51.add(FloatVector.fromArray(S, c, i5 + L));
            c60 = c60.add(FloatVector.fromArray(S, c, i6)); c61 = c61.add(FloatVector.fromArray(S, c, i6 + L));
            c70 = c70.add(FloatVector.fromArray(S, c, i7)); c71 = c71.add(FloatVector.fromArray(S, c, i7 + L));
        }
        c00.intoArray(c, i0); c01.intoArray(c, i0 + L);
        c10.intoArray(c, i1); c11.intoArray(c, i1 + L);
        c20.intoArray(c, i2); c21.intoArray(c, i2 + L);
        c30.intoArray(c, i3); c31.intoArray(c, i3 + L);
        c40.intoArray(c, i4); c41.intoArray(c, i4 + L);
        c50.intoArray(c, i5); c51.intoArray(c, i5 + L);
        c60.intoArray(c, i6); c61.intoArray(c, i6 + L);
        c70.intoArray(c, i7); c71.intoArray(c, i7 + L);
    }

    /** {@link #kernel1} reading A in place: row r of the strip at a[aIdx + r*lda + p]. */
    private static void kernel1Rows(int kc, float[] a, int aIdx, int lda, float[] bp, int bIdx, float[] c, int cIdx, int ldc, boolean add) {
        FloatVector c0 = FloatVector.zero(S), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
        // Row starts are loop-invariant and the index is p plus a constant, so C2 can hoist
        // the bounds checks out of the loop.
        final int o0 = aIdx, o1 = o0 + lda, o2 = o1 + lda, o3 = o2 + lda, o4 = o3 + lda, o5 = o4 + lda, o6 = o5 + lda, o7 = o6 + lda;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bIdx + p * NR);
            c0 = FloatVector.broadcast(S, a[o0 + p]).fma(b0, c0);
            c1 = FloatVector.broadcast(S, a[o1 + p]).fma(b0, c1);
            c2 = FloatVector.broadcast(S, a[o2 + p]).fma(b0, c2);
            c3 = FloatVector.broadcast(S, a[o3 + p]).fma(b0, c3);
            c4 = FloatVector.broadcast(S, a[o4 + p]).fma(b0, c4);
            c5 = FloatVector.broadcast(S, a[o5 + p]).fma(b0, c5);
            c6 = FloatVector.broadcast(S, a[o6 + p]).fma(b0, c6);
            c7 = FloatVector.broadcast(S, a[o7 + p]).fma(b0, c7);
        }
        int i0 = cIdx, i1 = i0 + ldc, i2 = i1 + ldc, i3 = i2 + ldc, i4 = i3 + ldc, i5 = i4 + ldc, i6 = i5 + ldc, i7 = i6 + ldc;
        if (add) {
            c0 = c0.add(FloatVector.fromArray(S, c, i0)); c1 = c1.add(FloatVector.fromArray(S, c, i1));
            c2 = c2.add(FloatVector.fromArray(S, c, i2)); c3 = c3.add(FloatVector.fromArray(S, c, i3));
            c4 = c4.add(FloatVector.fromArray(S, c, i4)); c5 = c5.add(FloatVector.fromArray(S, c, i5));
            c6 = c6.add(FloatVector.fromArray(S, c, i6)); c7 = c7.add(FloatVector.fromArray(S, c, i7));
        }
        c0.intoArray(c, i0); c1.intoArray(c, i1); c2.intoArray(c, i2); c3.intoArray(c, i3);
        c4.intoArray(c, i4); c5.intoArray(c, i5); c6.intoArray(c, i6); c7.intoArray(c, i7);
    }

    /** {@link #kernel} reading A in place: row r of the strip at a[aIdx + r*lda + p]. */
    private static void kernelRows(int kc, float[] a, int aIdx, int lda, float[] bp, int bIdx, float[] c, int cIdx, int ldc, boolean add) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
                c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00,
                c60 = c00, c61 = c00, c70 = c00, c71 = c00;
        // Row starts are loop-invariant and the index is p plus a constant, so C2 can hoist
        // the bounds checks out of the loop.
        final int o0 = aIdx, o1 = o0 + lda, o2 = o1 + lda, o3 = o2 + lda, o4 = o3 + lda, o5 = o4 + lda, o6 = o5 + lda, o7 = o6 + lda;
        for (int p = 0; p < kc; p++) {
            int bi = bIdx + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector av;
            av = FloatVector.broadcast(S, a[o0 + p]);      c00 = av.fma(b0, c00); c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(S, a[o1 + p]); c10 = av.fma(b0, c10); c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(S, a[o2 + p]); c20 = av.fma(b0, c20); c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(S, a[o3 + p]); c30 = av.fma(b0, c30); c31 = av.fma(b1, c31);
            av = FloatVector.broadcast(S, a[o4 + p]); c40 = av.fma(b0, c40); c41 = av.fma(b1, c41);
            av = FloatVector.broadcast(S, a[o5 + p]); c50 = av.fma(b0, c50); c51 = av.fma(b1, c51);
            av = FloatVector.broadcast(S, a[o6 + p]); c60 = av.fma(b0, c60); c61 = av.fma(b1, c61);
            av = FloatVector.broadcast(S, a[o7 + p]); c70 = av.fma(b0, c70); c71 = av.fma(b1, c71);
        }
        int i0 = cIdx, i1 = i0 + ldc, i2 = i1 + ldc, i3 = i2 + ldc, i4 = i3 + ldc, i5 = i4 + ldc, i6 = i5 + ldc, i7 = i6 + ldc;
        if (add) {
            c00 = c00.add(FloatVector.fromArray(S, c, i0)); c01 = c01.add(FloatVector.fromArray(S, c, i0 + L));
            c10 = c10.add(FloatVector.fromArray(S, c, i1)); c11 = c11.add(FloatVector.fromArray(S, c, i1 + L));
            c20 = c20.add(FloatVector.fromArray(S, c, i2)); c21 = c21.add(FloatVector.fromArray(S, c, i2 + L));
            c30 = c30.add(FloatVector.fromArray(S, c, i3)); c31 = c31.add(FloatVector.fromArray(S, c, i3 + L));
            c40 = c40.add(FloatVector.fromArray(S, c, i4)); c41 = c41.add(FloatVector.fromArray(S, c, i4 + L));
            c50 = c50.add(FloatVector.fromArray(S, c, i5)); c51 = c51.add(FloatVector.fromArray(S, c, i5 + L));
            c60 = c60.add(FloatVector.fromArray(S, c, i6)); c61 = c61.add(FloatVector.fromArray(S, c, i6 + L));
            c70 = c70.add(FloatVector.fromArray(S, c, i7)); c71 = c71.add(FloatVector.fromArray(S, c, i7 + L));
        }
        c00.intoArray(c, i0); c01.intoArray(c, i0 + L);
        c10.intoArray(c, i1); c11.intoArray(c, i1 + L);
        c20.intoArray(c, i2); c21.intoArray(c, i2 + L);
        c30.intoArray(c, i3); c31.intoArray(c, i3 + L);
        c40.intoArray(c, i4); c41.intoArray(c, i4 + L);
        c50.intoArray(c, i5); c51.intoArray(c, i5 + L);
        c60.intoArray(c, i6); c61.intoArray(c, i6 + L);
        c70.intoArray(c, i7); c71.intoArray(c, i7 + L);
    }
}
