package dev.tessera.backend.cpu;

import dev.tessera.backend.ConvGeometry;
import dev.tessera.backend.View;
import java.util.Arrays;

/**
 * The CPU's convolution primitives (see {@link dev.tessera.backend.Backend#conv2d} and its two
 * gradients), with no column matrix: each image is copied once into a zero-padded buffer split
 * by stride phase, [C][sh][sw][Hq][Wq], in which every tap (c, ki, kj) of the window is a
 * contiguous slice starting at boff[c, ki, kj]; output position (oh, ow) is p = oh·Wq + ow of
 * that slice (columns ow ≥ outW are computed and dropped: Wq − outW of every Wq). So
 * <pre>
 *   forward:         out[o, p]  = Σ_k W[o, k] · src[boff[k] + p]              (k = c, ki, kj of o's group)
 *   backward-data:   dx_φ[c, p] = Σ_k Wφ[c, k] · gq[boffφ[k] + p]            per stride phase φ of dx,
 *                    a stride-1 convolution of the padded gradient gq with the taps that reach φ
 *                    (the transposed convolution, gathered: no col2im scatter)
 *   backward-weight: dW[o, k]   = Σ_n Σ_p G[n, o, p] · src_n[boff[k] + p]      (G: grad on the Wq grid, 0 off the image)
 * </pre>
 * The Vector API kernels ({@link VectorConv}) read those slices in place; without the module
 * (and for FLOAT64) a chunk of slices is copied into a small [K, positions] block for
 * {@link Gemm}. Work is split over images × position chunks (forward, backward-data) or images
 * (backward-weight, one partial sum per thread, reduced once). Groups are a loop inside a task over
 * the same padded image; depthwise (one input channel per group) uses a one-row kernel.
 * Temporaries live in per-thread buffers that are reused from call to call.
 */
final class CpuConvolution {
    /** Output positions per chunk: the chunk's tile and the slices it reads stay in L1/L2. A multiple of every kernel's width. */
    private static final int PC = 256;
    /** Rows of a group at or above which the 8-row tile kernel is used (below: the one-row kernel). */
    private static final int TILE_MIN_ROWS = 4;

    private static boolean vector = Gemm.vectorApiAvailable();

    private CpuConvolution() {}

    /** For tests: run the no-Vector-API kernels even where the module is present (false), or restore the default (true). */
    static void useVector(boolean on) { vector = on && Gemm.vectorApiAvailable(); }

    // ------------------------------------------------------------------ shapes

    /** One convolution's sizes, and the padded, phase-split image grid of the forward pass. */
    private static final class Shape {
        final int n, c, h, w, oc, groups, cg, ocg, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow;
        /** The padded image: hq × wq per phase, chanStride per channel, the total with slack. */
        final int hq, wq, chanStride, positions, srcSize;

        Shape(ConvGeometry g, long oc, int groups) {
            n = (int) g.n(); c = (int) g.c(); h = (int) g.h(); w = (int) g.w();
            this.oc = (int) oc; this.groups = groups; cg = c / groups; ocg = this.oc / groups;
            kh = g.kh(); kw = g.kw(); sh = g.sh(); sw = g.sw(); ph = g.ph(); pw = g.pw(); dh = g.dh(); dw = g.dw();
            oh = (int) g.outH(); ow = (int) g.outW();
            hq = oh + (kh - 1) * dh / sh;
            wq = ow + (kw - 1) * dw / sw;
            chanStride = sh * sw * hq * wq;
            positions = oh * wq;
            srcSize = c * chanStride + slack(positions, wq);
        }

        int depth() { return cg * kh * kw; }

        /** Offsets of the forward taps of each group: [groups][cg·kh·kw], channel-major like the weight. */
        int[] forwardOffsets(int depthStride) {
            int depth = depth();
            int[] boff = new int[groups * depthStride];
            Arrays.fill(boff, c * chanStride);   // padding entries read the zero slack
            for (int gr = 0; gr < groups; gr++)
                for (int ci = 0; ci < cg; ci++)
                    for (int ki = 0; ki < kh; ki++)
                        for (int kj = 0; kj < kw; kj++) {
                            int phase = (ki * dh % sh) * sw + kj * dw % sw;
                            boff[gr * depthStride + (ci * kh + ki) * kw + kj] = (gr * cg + ci) * chanStride + phase * hq * wq
                                    + ki * dh / sh * wq + kj * dw / sw;
                        }
            assert depth <= depthStride;
            return boff;
        }
    }

    /**
     * Zeros after the planes: junk columns and the last chunk's rounding read up to a row and a
     * chunk past the last plane, and backward-weight's padding taps read a whole zero row there.
     */
    private static int slack(int positions, int width) { return roundUp(positions, PC) + width + PC; }

    private static int roundUp(int x, int to) { return (x + to - 1) / to * to; }

    private static int ceilDiv(int a, int b) { return -Math.floorDiv(-a, b); }

    // ------------------------------------------------------------------ per-thread buffers

    /** Reused temporaries (first-touching fresh pages costs ~2 µs per 4 KiB here); grown, never shrunk. */
    private static final class Scratch {
        float[] src = new float[0], tile = new float[0], block = new float[0], grad = new float[0], bias = new float[0];
        double[] srcD = new double[0], tileD = new double[0], blockD = new double[0], gradD = new double[0];
        /** Which image of which call src holds, so consecutive tasks on one image prepare it once. */
        Object preparedFor;
        int preparedImage = -1;

        static float[] grow(float[] a, int n) { return a.length >= n ? a : new float[Math.max(n, a.length + a.length / 2)]; }
        static double[] grow(double[] a, int n) { return a.length >= n ? a : new double[Math.max(n, a.length + a.length / 2)]; }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);
    /** Backward-weight's per-chunk partial sums, owned by the calling thread, written by the chunks of one call. */
    private static final ThreadLocal<Object[]> PARTIALS = ThreadLocal.withInitial(() -> new Object[0]);

    // ------------------------------------------------------------------ the forward-type product

    /**
     * One product over a prepared image: for each group gr, row r &lt; rows and position
     * p = t·width + u (t &lt; nT; only u &lt; nU is kept),
     * dst[dstOff + n·dstN + (gr·rows + r)·dstC + t·dstT + u·dstU] = bias[gr·rows + r] + Σ_k
     * a[aOff + (gr·rows + r)·depth + k] · src[boff[gr·depth + k] + p].
     */
    private static final class Pass {
        final int groups, rows, depth, width, nT, nU;
        final Object a;
        final int aOff;
        final int[] boff;
        /** a for {@link VectorConv#tile}: [groups][strips][depth][MR], rows past the group's last zero; null off that path. */
        final float[] packed;
        final int strips;
        int dstOff, dstN, dstC, dstT, dstU;

        Pass(int groups, int rows, int depth, int width, int nT, int nU, Object a, int aOff, int[] boff, boolean vectorPath) {
            this.groups = groups; this.rows = rows; this.depth = depth; this.width = width; this.nT = nT; this.nU = nU;
            this.a = a; this.aOff = aOff; this.boff = boff;
            boolean tiled = vectorPath && a instanceof float[] && rows >= TILE_MIN_ROWS;
            strips = tiled ? ceilDiv(rows, VectorConv.MR) : 0;
            packed = tiled ? pack((float[]) a) : null;
        }

        private float[] pack(float[] w) {
            int mr = VectorConv.MR;
            float[] ap = new float[groups * strips * depth * mr];
            for (int gr = 0; gr < groups; gr++)
                for (int r = 0; r < rows; r++) {
                    int src = aOff + (gr * rows + r) * depth, dst = ((gr * strips + r / mr) * depth) * mr + r % mr;
                    for (int k = 0; k < depth; k++) ap[dst + k * mr] = w[src + k];
                }
            return ap;
        }

        int positions() { return nT * width; }
    }

    /** Runs positions [q0, q1) of pass ps for image n (src prepared) into dst; bias (or null) at biasOff with stride biasStride. */
    private static void run(Pass ps, Scratch s, float[] src, float[] dst, int n, float[] bias, int biasOff, int biasStride, int q0, int q1) {
        for (int c0 = q0; c0 < q1; c0 += PC) {
            int c1 = Math.min(q1, c0 + PC), cw = c1 - c0;
            for (int gr = 0; gr < ps.groups; gr++) {
                int bOff = gr * ps.depth;
                if (ps.packed != null) {
                    // The bias goes into the accumulators' start: a second pass over the output costs more than it.
                    float[] tile = s.tile = Scratch.grow(s.tile, VectorConv.MR * PC);
                    float[] tileBias = s.bias = Scratch.grow(s.bias, VectorConv.MR);
                    for (int st = 0; st < ps.strips; st++) {
                        int apOff = (gr * ps.strips + st) * ps.depth * VectorConv.MR, r0 = st * VectorConv.MR, r1 = Math.min(ps.rows, r0 + VectorConv.MR);
                        for (int r = 0; r < VectorConv.MR; r++)
                            tileBias[r] = bias == null || r0 + r >= r1 ? 0f : bias[biasOff + (gr * ps.rows + r0 + r) * biasStride];
                        for (int p0 = c0; p0 < c1; p0 += VectorConv.NR)
                            VectorConv.tile(ps.depth, ps.packed, apOff, src, ps.boff, bOff, p0, tileBias, 0, tile, p0 - c0, PC);
                        copyOut(ps, tile, -r0 * PC, PC, gr, r0, r1, n, c0, c1, dst, null, 0, 0);
                    }
                } else if (vector && ps.rows < TILE_MIN_ROWS) {
                    float[] tile = s.tile = Scratch.grow(s.tile, ps.rows * PC);
                    float[] a = (float[]) ps.a;
                    for (int r = 0; r < ps.rows; r++) {
                        float b = bias == null ? 0f : bias[biasOff + (gr * ps.rows + r) * biasStride];
                        for (int p0 = c0; p0 < c1; p0 += VectorConv.NR1)
                            VectorConv.row(ps.depth, a, ps.aOff + (gr * ps.rows + r) * ps.depth, src, ps.boff, bOff, p0, b, tile, r * PC + p0 - c0);
                    }
                    copyOut(ps, tile, 0, PC, gr, 0, ps.rows, n, c0, c1, dst, null, 0, 0);
                } else {
                    // No Vector API: the chunk's slices as a [depth, cw] block, then the fallback GEMM (or, for a
                    // row or two, plain loops: a GEMM call per depthwise channel costs more than its work).
                    float[] tile = s.tile = Scratch.grow(s.tile, ps.rows * PC);
                    float[] a = (float[]) ps.a;
                    if (ps.rows >= TILE_MIN_ROWS) {
                        float[] block = s.block = Scratch.grow(s.block, ps.depth * cw);
                        for (int k = 0; k < ps.depth; k++) System.arraycopy(src, ps.boff[bOff + k] + c0, block, k * cw, cw);
                        Gemm.sgemmFallback(false, false, ps.rows, cw, ps.depth, a, ps.aOff + gr * ps.rows * ps.depth, ps.depth,
                                block, 0, cw, tile, 0, PC, false);
                    } else {
                        for (int r = 0; r < ps.rows; r++) {
                            int t0 = r * PC, ai = ps.aOff + (gr * ps.rows + r) * ps.depth;
                            Arrays.fill(tile, t0, t0 + cw, 0f);
                            for (int k = 0; k < ps.depth; k++) {
                                float av = a[ai + k];
                                int bo = ps.boff[bOff + k] + c0;
                                for (int j = 0; j < cw; j++) tile[t0 + j] += av * src[bo + j];
                            }
                        }
                    }
                    copyOut(ps, tile, 0, PC, gr, 0, ps.rows, n, c0, c1, dst, bias, biasOff, biasStride);
                }
            }
        }
    }

    /** {@link #run} in float64: the chunk's slices as a block, then {@link Gemm#dgemm}. */
    private static void run(Pass ps, Scratch s, double[] src, double[] dst, int n, double[] bias, int biasOff, int biasStride, int q0, int q1) {
        double[] a = (double[]) ps.a;
        for (int c0 = q0; c0 < q1; c0 += PC) {
            int c1 = Math.min(q1, c0 + PC), cw = c1 - c0;
            for (int gr = 0; gr < ps.groups; gr++) {
                int bOff = gr * ps.depth;
                double[] tile = s.tileD = Scratch.grow(s.tileD, ps.rows * PC);
                double[] block = s.blockD = Scratch.grow(s.blockD, ps.depth * cw);
                for (int k = 0; k < ps.depth; k++) System.arraycopy(src, ps.boff[bOff + k] + c0, block, k * cw, cw);
                Gemm.dgemm(false, false, ps.rows, cw, ps.depth, a, ps.aOff + gr * ps.rows * ps.depth, ps.depth, block, 0, cw, tile, 0, PC, false);
                copyOut(ps, tile, 0, PC, gr, 0, ps.rows, n, c0, c1, dst, bias, biasOff, biasStride);
            }
        }
    }

    /**
     * Images [n0, n1) on the GEMM path at once: every tap's slice of every image into one block per
     * pass and group ([depth, images·positions]), one GEMM per pass and group, then each image's
     * columns to their places.
     */
    private static void runBatched(Pass[] passes, Preparer prep, Scratch s, Object token, int n0, int n1, Object dst, Object bias, int bOff, int bStride) {
        int count = n1 - n0, size = 0;
        int[] base = new int[passes.length];
        for (int i = 0; i < passes.length; i++) {
            base[i] = size;
            size += passes[i].groups * passes[i].depth * count * passes[i].positions();
        }
        boolean f32 = passes[0].a instanceof float[];
        Object block = f32 ? (s.block = Scratch.grow(s.block, size)) : (s.blockD = Scratch.grow(s.blockD, size));
        for (int n = n0; n < n1; n++) {
            Object src = prep.prepare(s, token, n);
            for (int i = 0; i < passes.length; i++) {
                Pass ps = passes[i];
                int positions = ps.positions(), cw = count * positions, col = (n - n0) * positions;
                for (int k = 0; k < ps.groups * ps.depth; k++)
                    System.arraycopy(src, ps.boff[k], block, base[i] + k * cw + col, positions);
            }
        }
        for (int i = 0; i < passes.length; i++) {
            Pass ps = passes[i];
            int positions = ps.positions(), cw = count * positions;
            if (cw == 0) continue;
            for (int gr = 0; gr < ps.groups; gr++) {
                int bAt = base[i] + gr * ps.depth * cw, aAt = ps.aOff + gr * ps.rows * ps.depth;
                if (f32) {
                    float[] tile = s.tile = Scratch.grow(s.tile, ps.rows * cw);
                    Gemm.sgemmFallback(false, false, ps.rows, cw, ps.depth, (float[]) ps.a, aAt, ps.depth, (float[]) block, bAt, cw, tile, 0, cw, false);
                    for (int n = n0; n < n1; n++)
                        copyOut(ps, tile, (n - n0) * positions, cw, gr, 0, ps.rows, n, 0, positions, (float[]) dst, (float[]) bias, bOff, bStride);
                } else {
                    double[] tile = s.tileD = Scratch.grow(s.tileD, ps.rows * cw);
                    Gemm.dgemm(false, false, ps.rows, cw, ps.depth, (double[]) ps.a, aAt, ps.depth, (double[]) block, bAt, cw, tile, 0, cw, false);
                    for (int n = n0; n < n1; n++)
                        copyOut(ps, tile, (n - n0) * positions, cw, gr, 0, ps.rows, n, 0, positions, (double[]) dst, (double[]) bias, bOff, bStride);
                }
            }
        }
    }

    /** Rows [r0, r1) of group gr, positions [c0, c1): tile[tOff + r·ld + p − c0] (+ bias) to their places in dst, junk columns dropped. */
    private static void copyOut(Pass ps, float[] tile, int tOff, int ld, int gr, int r0, int r1, int n, int c0, int c1,
                                float[] dst, float[] bias, int biasOff, int biasStride) {
        for (int r = r0; r < r1; r++) {
            int o = gr * ps.rows + r, base = ps.dstOff + n * ps.dstN + o * ps.dstC, ti = tOff + r * ld - c0;
            float b = bias == null ? 0f : bias[biasOff + o * biasStride];
            for (int p = c0; p < c1; ) {
                int t = p / ps.width, rowStart = t * ps.width, u0 = p - rowStart, u1 = Math.min(Math.min(c1 - rowStart, ps.width), ps.nU);
                int d = base + t * ps.dstT;
                if (ps.dstU == 1) {
                    // A copy, then the bias in place: C2 keeps a loop over two arrays at two offsets scalar.
                    if (u1 > u0) System.arraycopy(tile, ti + rowStart + u0, dst, d + u0, u1 - u0);
                    if (b != 0f) for (int u = d + u0; u < d + u1; u++) dst[u] += b;
                } else {
                    for (int u = u0; u < u1; u++) dst[d + u * ps.dstU] = tile[ti + rowStart + u] + b;
                }
                p = rowStart + ps.width;
            }
        }
    }

    private static void copyOut(Pass ps, double[] tile, int tOff, int ld, int gr, int r0, int r1, int n, int c0, int c1,
                                double[] dst, double[] bias, int biasOff, int biasStride) {
        for (int r = r0; r < r1; r++) {
            int o = gr * ps.rows + r, base = ps.dstOff + n * ps.dstN + o * ps.dstC, ti = tOff + r * ld - c0;
            double b = bias == null ? 0 : bias[biasOff + o * biasStride];
            for (int p = c0; p < c1; ) {
                int t = p / ps.width, rowStart = t * ps.width, u0 = p - rowStart, u1 = Math.min(Math.min(c1 - rowStart, ps.width), ps.nU);
                int d = base + t * ps.dstT;
                for (int u = u0; u < u1; u++) dst[d + u * ps.dstU] = tile[ti + rowStart + u] + b;
                p = rowStart + ps.width;
            }
        }
    }

    // ------------------------------------------------------------------ 1×1, stride 1, no padding

    /**
     * Whether the convolution is a plain product per image and group: a 1×1 kernel at stride 1
     * without padding, on an input (when given) whose image rows follow each other (stride W,
     * unit stride along W), so that x[n] is the [C, H·W] matrix with row stride x's channel stride.
     */
    private static boolean pointwise(Shape sp, View x) {
        if (sp.kh != 1 || sp.kw != 1 || sp.sh != 1 || sp.sw != 1 || sp.ph != 0 || sp.pw != 0) return false;
        if (x == null) return true;
        long[] st = x.strides();
        return (sp.w == 1 || st[3] == 1) && (sp.h == 1 || st[2] == (long) sp.w * (sp.w == 1 ? 1 : st[3]))
                && st[1] >= (long) sp.h * sp.w;
    }

    /**
     * 1×1 convolutions as GEMMs on the NCHW data where it lies (no image copy, no tile copy-out):
     * per image n and group, out[n] = W·x[n], dx[n] = Wᵀ·grad[n], dW = Σ_n grad[n]·x[n]ᵀ (one
     * partial per thread, added once). Images are split over threads (each GEMM then runs on its
     * thread); a batch of one leaves the GEMM its own threads.
     */
    private static final class Pointwise {
        private Pointwise() {}

        static void forward(Shape sp, View x, View weight, View bias, View out) {
            int hw = sp.h * sp.w, ldx = (int) x.strides()[1], xN = (int) x.strides()[0];
            int xOff = (int) x.offset(), wOff = (int) weight.offset(), oOff = (int) out.offset();
            Object xa = CpuBackend.arrayOf(x), wa = CpuBackend.arrayOf(weight), oa = CpuBackend.arrayOf(out);
            Object ba = bias == null ? null : CpuBackend.arrayOf(bias);
            int bOff = bias == null ? 0 : (int) bias.offset(), bStride = bias == null ? 0 : (int) bias.strides()[0];
            Parallel.forRange(sp.n, 2L * sp.n * sp.oc * hw * sp.cg, (n0, n1) -> {
                for (int n = n0; n < n1; n++)
                    for (int gr = 0; gr < sp.groups; gr++) {
                        int o0 = oOff + (n * sp.oc + gr * sp.ocg) * hw;
                        if (ba != null)
                            for (int r = 0; r < sp.ocg; r++) {
                                int bi = bOff + (gr * sp.ocg + r) * bStride;
                                if (oa instanceof float[] f) Arrays.fill(f, o0 + r * hw, o0 + (r + 1) * hw, ((float[]) ba)[bi]);
                                else Arrays.fill((double[]) oa, o0 + r * hw, o0 + (r + 1) * hw, ((double[]) ba)[bi]);
                            }
                        gemm(false, false, sp.ocg, hw, sp.cg, wa, wOff + gr * sp.ocg * sp.cg, sp.cg,
                                xa, xOff + n * xN + gr * sp.cg * ldx, ldx, oa, o0, hw, ba != null);
                    }
            });
        }

        static void backwardData(Shape sp, View grad, View weight, View dx) {
            int hw = sp.h * sp.w, gOff = (int) grad.offset(), wOff = (int) weight.offset(), dOff = (int) dx.offset();
            Object ga = CpuBackend.arrayOf(grad), wa = CpuBackend.arrayOf(weight), da = CpuBackend.arrayOf(dx);
            Parallel.forRange(sp.n, 2L * sp.n * sp.oc * hw * sp.cg, (n0, n1) -> {
                for (int n = n0; n < n1; n++)
                    for (int gr = 0; gr < sp.groups; gr++)
                        gemm(true, false, sp.cg, hw, sp.ocg, wa, wOff + gr * sp.ocg * sp.cg, sp.cg,
                                ga, gOff + (n * sp.oc + gr * sp.ocg) * hw, hw, da, dOff + (n * sp.c + gr * sp.cg) * hw, hw, false);
            });
        }

        static void backwardWeight(Shape sp, View grad, View x, View dweight) {
            int hw = sp.h * sp.w, ldx = (int) x.strides()[1], xN = (int) x.strides()[0];
            int gOff = (int) grad.offset(), xOff = (int) x.offset(), size = sp.oc * sp.cg;
            Object ga = CpuBackend.arrayOf(grad), xa = CpuBackend.arrayOf(x);
            boolean f32 = ga instanceof float[];
            int threads = Math.max(1, Math.min(Parallel.threads(), sp.n));
            Object[] parts = new Object[threads];
            Parallel.forRange(threads, 2L * sp.n * sp.oc * hw * sp.cg, (c0, c1) -> {
                Object acc = f32 ? new float[size] : new double[size];
                parts[c0] = acc;
                for (int n = sp.n * c0 / threads; n < sp.n * c1 / threads; n++)
                    for (int gr = 0; gr < sp.groups; gr++)
                        gemm(false, true, sp.ocg, sp.cg, hw, ga, gOff + (n * sp.oc + gr * sp.ocg) * hw, hw,
                                xa, xOff + n * xN + gr * sp.cg * ldx, ldx, acc, gr * sp.ocg * sp.cg, sp.cg, true);
            });
            Object dw = CpuBackend.arrayOf(dweight);
            int dwOff = (int) dweight.offset();
            for (int i = 0; i < size; i++) {
                double sum = 0;
                for (Object part : parts)
                    if (part != null) sum += f32 ? ((float[]) part)[i] : ((double[]) part)[i];
                if (f32) ((float[]) dw)[dwOff + i] = (float) sum;
                else ((double[]) dw)[dwOff + i] = sum;
            }
        }

        /** {@link Gemm#sgemm} (its no-Vector-API path when the tests force it) or {@link Gemm#dgemm}, by the arrays' type. */
        private static void gemm(boolean ta, boolean tb, int m, int n, int k, Object a, int aOff, int lda, Object b, int bOff, int ldb,
                                 Object c, int cOff, int ldc, boolean accumulate) {
            if (c instanceof float[] cf) {
                if (vector) Gemm.sgemm(ta, tb, m, n, k, (float[]) a, aOff, lda, (float[]) b, bOff, ldb, cf, cOff, ldc, accumulate);
                else Gemm.sgemmFallback(ta, tb, m, n, k, (float[]) a, aOff, lda, (float[]) b, bOff, ldb, cf, cOff, ldc, accumulate);
            } else {
                Gemm.dgemm(ta, tb, m, n, k, (double[]) a, aOff, lda, (double[]) b, bOff, ldb, (double[]) c, cOff, ldc, accumulate);
            }
        }
    }

    // ------------------------------------------------------------------ image preparation

    /**
     * Writes image n of a strided [N, chans, h, w] array into dst as [chans][sh][sw][hq][wq]:
     * dst[((c·sh + rh)·sw + rw)·hq·wq + i·wq + j] = src[n, c, i·sh + rh − ph, j·sw + rw − pw], 0 off
     * the image; then zeros the slack after the planes.
     */
    private static void prepare(float[] src, int off, int sC, int sH, int sW, int chans, int h, int w,
                                int sh, int sw, int ph, int pw, int hq, int wq, float[] dst, int size) {
        int d = 0;
        for (int c = 0; c < chans; c++)
            for (int rh = 0; rh < sh; rh++)
                for (int rw = 0; rw < sw; rw++) {
                    int jLo = Math.min(wq, Math.max(0, ceilDiv(pw - rw, sw))), jHi = Math.max(jLo, Math.min(wq, Math.floorDiv(w - 1 + pw - rw, sw) + 1));
                    for (int i = 0; i < hq; i++, d += wq) {
                        int ih = i * sh + rh - ph;
                        if (ih < 0 || ih >= h) { Arrays.fill(dst, d, d + wq, 0f); continue; }
                        for (int j = 0; j < jLo; j++) dst[d + j] = 0f;   // a pixel or two: a loop, not a call
                        int s0 = off + c * sC + ih * sH + (jLo * sw + rw - pw) * sW;
                        if (sw == 1 && sW == 1) System.arraycopy(src, s0, dst, d + jLo, jHi - jLo);
                        else for (int j = jLo, s = s0; j < jHi; j++, s += sw * sW) dst[d + j] = src[s];
                        for (int j = jHi; j < wq; j++) dst[d + j] = 0f;
                    }
                }
        Arrays.fill(dst, d, size, 0f);
    }

    private static void prepare(double[] src, int off, int sC, int sH, int sW, int chans, int h, int w,
                                int sh, int sw, int ph, int pw, int hq, int wq, double[] dst, int size) {
        int d = 0;
        for (int c = 0; c < chans; c++)
            for (int rh = 0; rh < sh; rh++)
                for (int rw = 0; rw < sw; rw++) {
                    int jLo = Math.min(wq, Math.max(0, ceilDiv(pw - rw, sw))), jHi = Math.max(jLo, Math.min(wq, Math.floorDiv(w - 1 + pw - rw, sw) + 1));
                    for (int i = 0; i < hq; i++, d += wq) {
                        int ih = i * sh + rh - ph;
                        if (ih < 0 || ih >= h) { Arrays.fill(dst, d, d + wq, 0d); continue; }
                        for (int j = 0; j < jLo; j++) dst[d + j] = 0d;   // a pixel or two: a loop, not a call
                        int s0 = off + c * sC + ih * sH + (jLo * sw + rw - pw) * sW;
                        for (int j = jLo, s = s0; j < jHi; j++, s += sw * sW) dst[d + j] = src[s];
                        for (int j = jHi; j < wq; j++) dst[d + j] = 0d;
                    }
                }
        Arrays.fill(dst, d, size, 0d);
    }

    /** Prepares image n of x (a strided [N, C, H, W] view) for the forward taps, into the thread's buffer, once per call and image. */
    private static Object prepareImage(Scratch s, Object token, View x, Shape sp, int n) {
        boolean f32 = x.storage().dtype() == dev.tessera.DType.FLOAT32;
        if (s.preparedFor == token && s.preparedImage == n) return f32 ? s.src : s.srcD;
        long[] st = x.strides();
        int off = (int) (x.offset() + n * st[0]);
        if (f32) {
            s.src = Scratch.grow(s.src, sp.srcSize);
            prepare((float[]) CpuBackend.arrayOf(x), off, (int) st[1], (int) st[2], (int) st[3], sp.c, sp.h, sp.w,
                    sp.sh, sp.sw, sp.ph, sp.pw, sp.hq, sp.wq, s.src, sp.srcSize);
        } else {
            s.srcD = Scratch.grow(s.srcD, sp.srcSize);
            prepare((double[]) CpuBackend.arrayOf(x), off, (int) st[1], (int) st[2], (int) st[3], sp.c, sp.h, sp.w,
                    sp.sh, sp.sw, sp.ph, sp.pw, sp.hq, sp.wq, s.srcD, sp.srcSize);
        }
        s.preparedFor = token;
        s.preparedImage = n;
        return f32 ? s.src : s.srcD;
    }

    // ------------------------------------------------------------------ the three primitives

    /** Forward: out [N, OC, outH, outW] contiguous = conv2d(x, weight) + bias; see Backend#conv2d. */
    static void forward(View x, View weight, View bias, ConvGeometry g, int groups, View out) {
        Shape sp = new Shape(g, weight.shape()[0], groups);
        if (sp.n == 0) return;
        if (pointwise(sp, x)) { Pointwise.forward(sp, x, weight, bias, out); return; }
        Pass ps = new Pass(groups, sp.ocg, sp.depth(), sp.wq, sp.oh, sp.ow, CpuBackend.arrayOf(weight), (int) weight.offset(),
                sp.forwardOffsets(sp.depth()), vector);
        ps.dstOff = (int) out.offset(); ps.dstN = sp.oc * sp.oh * sp.ow; ps.dstC = sp.oh * sp.ow; ps.dstT = sp.ow; ps.dstU = 1;
        Object bArr = bias == null ? null : CpuBackend.arrayOf(bias);
        int bOff = bias == null ? 0 : (int) bias.offset(), bStride = bias == null ? 0 : (int) bias.strides()[0];
        long work = 2L * sp.n * sp.oc * ps.positions() * sp.depth();
        runTasks(sp, new Pass[] {ps}, work, (s, token, n) -> prepareImage(s, token, x, sp, n), CpuBackend.arrayOf(out), bArr, bOff, bStride);
    }

    /** What a task needs before it runs its passes: the prepared image n. */
    private interface Preparer { Object prepare(Scratch s, Object token, int n); }

    /**
     * Runs every pass over every image, split over images × position chunks (several chunks per
     * image only when there are fewer images than about two per thread).
     */
    private static void runTasks(Shape sp, Pass[] passes, long work, Preparer prep, Object dst, Object bias, int bOff, int bStride) {
        int threads = Parallel.threads();
        int maxPositions = 0;
        boolean blocks = true;
        for (Pass ps : passes) {
            maxPositions = Math.max(maxPositions, ps.positions());
            blocks &= ps.a instanceof double[] || (!vector && ps.rows >= TILE_MIN_ROWS);
        }
        if (blocks && maxPositions < PC) {
            // Small images on the GEMM path: several per block, or each GEMM call is too small to pay for itself.
            int perTask = Math.max(1, Math.min(PC / Math.max(1, maxPositions), ceilDiv(sp.n, threads)));
            Object token = new Object();
            Parallel.forRange(ceilDiv(sp.n, perTask), work, (t0, t1) -> {
                Scratch s = SCRATCH.get();
                for (int t = t0; t < t1; t++)
                    runBatched(passes, prep, s, token, t * perTask, Math.min(sp.n, (t + 1) * perTask), dst, bias, bOff, bStride);
            });
            return;
        }
        int split = sp.n >= 2 * threads ? 1 : ceilDiv(2 * threads, sp.n);
        Object token = new Object();
        Parallel.forRange(sp.n * split, work, (t0, t1) -> {
            Scratch s = SCRATCH.get();
            for (int t = t0; t < t1; t++) {
                int n = t / split, part = t % split;
                Object src = prep.prepare(s, token, n);
                for (Pass ps : passes) {
                    int chunks = ceilDiv(ps.positions(), PC);
                    int q0 = chunks * part / split * PC, q1 = Math.min(ps.positions(), chunks * (part + 1) / split * PC);
                    if (q0 >= q1) continue;
                    if (src instanceof float[] f) run(ps, s, f, (float[]) dst, n, (float[]) bias, bOff, bStride, q0, q1);
                    else run(ps, s, (double[]) src, (double[]) dst, n, (double[]) bias, bOff, bStride, q0, q1);
                }
            }
        });
    }

    /**
     * Backward-data: dx [N, C, H, W] contiguous, as the transposed convolution gathered per stride
     * phase (rh, rw) of dx: dx[c, rh + sh·t, rw + sw·u] = Σ over o and the taps (ki, kj) with
     * rh + ph − ki·dh ≡ 0 (mod sh) (likewise kj) of W[o, c, ki, kj]·grad[o, t + e(ki), u + f(kj)],
     * e(ki) = (rh + ph − ki·dh)/sh: a stride-1 correlation of the zero-padded gradient per phase.
     */
    static void backwardData(View grad, View weight, ConvGeometry g, int groups, View dx) {
        Shape sp = new Shape(g, weight.shape()[0], groups);
        if (sp.n == 0) return;
        if (pointwise(sp, null)) { Pointwise.backwardData(sp, grad, weight, dx); return; }
        // Shifts over all phases, to pad the gradient once: reads t + e + padT stay in [0, hg).
        int eMin = Integer.MAX_VALUE, eMax = Integer.MIN_VALUE, fMin = Integer.MAX_VALUE, fMax = Integer.MIN_VALUE;
        for (int rh = 0; rh < sp.sh; rh++)
            for (int ki = 0; ki < sp.kh; ki++)
                if (Math.floorMod(rh + sp.ph - ki * sp.dh, sp.sh) == 0) {
                    int e = Math.floorDiv(rh + sp.ph - ki * sp.dh, sp.sh);
                    eMin = Math.min(eMin, e); eMax = Math.max(eMax, e);
                }
        for (int rw = 0; rw < sp.sw; rw++)
            for (int kj = 0; kj < sp.kw; kj++)
                if (Math.floorMod(rw + sp.pw - kj * sp.dw, sp.sw) == 0) {
                    int f = Math.floorDiv(rw + sp.pw - kj * sp.dw, sp.sw);
                    fMin = Math.min(fMin, f); fMax = Math.max(fMax, f);
                }
        if (eMin == Integer.MAX_VALUE) { eMin = 0; eMax = 0; }
        if (fMin == Integer.MAX_VALUE) { fMin = 0; fMax = 0; }
        int padT = Math.max(0, -eMin), padU = Math.max(0, -fMin);
        int hg = padT + Math.max(sp.oh, ceilDiv(sp.h, sp.sh) + eMax), wg = padU + Math.max(sp.ow, ceilDiv(sp.w, sp.sw) + fMax);
        int gradSize = sp.oc * hg * wg + slack(ceilDiv(sp.h, sp.sh) * wg, wg);

        boolean f32 = weight.storage().dtype() == dev.tessera.DType.FLOAT32;
        Object w = CpuBackend.arrayOf(weight);
        int wOff = (int) weight.offset();
        Pass[] passes = new Pass[sp.sh * sp.sw];
        long work = 0;
        for (int rh = 0; rh < sp.sh; rh++)
            for (int rw = 0; rw < sp.sw; rw++) {
                int[] ki = taps(rh, sp.ph, sp.dh, sp.sh, sp.kh), kj = taps(rw, sp.pw, sp.dw, sp.sw, sp.kw);
                int depth = sp.ocg * ki.length * kj.length, rows = sp.cg;
                int[] boff = new int[groups * depth];
                Object a = f32 ? new float[groups * rows * depth] : new double[groups * rows * depth];
                for (int gr = 0; gr < groups; gr++)
                    for (int o = 0; o < sp.ocg; o++)
                        for (int i = 0; i < ki.length; i++)
                            for (int j = 0; j < kj.length; j++) {
                                int k = (o * ki.length + i) * kj.length + j, oc = gr * sp.ocg + o;
                                boff[gr * depth + k] = oc * hg * wg + (Math.floorDiv(rh + sp.ph - ki[i] * sp.dh, sp.sh) + padT) * wg
                                        + Math.floorDiv(rw + sp.pw - kj[j] * sp.dw, sp.sw) + padU;
                                for (int c = 0; c < rows; c++) {
                                    int from = wOff + ((oc * sp.cg + c) * sp.kh + ki[i]) * sp.kw + kj[j], to = (gr * rows + c) * depth + k;
                                    if (f32) ((float[]) a)[to] = ((float[]) w)[from];
                                    else ((double[]) a)[to] = ((double[]) w)[from];
                                }
                            }
                int nT = rh < sp.h ? ceilDiv(sp.h - rh, sp.sh) : 0, nU = rw < sp.w ? ceilDiv(sp.w - rw, sp.sw) : 0;
                Pass ps = new Pass(groups, rows, depth, wg, nT, nU, a, 0, boff, vector);
                ps.dstOff = (int) dx.offset() + rh * sp.w + rw; ps.dstN = sp.c * sp.h * sp.w; ps.dstC = sp.h * sp.w;
                ps.dstT = sp.sh * sp.w; ps.dstU = sp.sw;
                passes[rh * sp.sw + rw] = ps;
                work += 2L * sp.n * sp.c * ps.positions() * depth;
            }
        int ohw = sp.oh * sp.ow;
        final int fPadT = padT, fPadU = padU;
        runTasks(sp, passes, work, (s, token, n) -> {
            // The gradient is contiguous [N, OC, outH, outW]; pad it onto the [OC][hg][wg] grid.
            if (s.preparedFor == token && s.preparedImage == n) return f32 ? s.src : s.srcD;
            int off = (int) grad.offset() + n * sp.oc * ohw;
            if (f32) {
                s.src = Scratch.grow(s.src, gradSize);
                prepare((float[]) CpuBackend.arrayOf(grad), off, ohw, sp.ow, 1, sp.oc, sp.oh, sp.ow, 1, 1, fPadT, fPadU, hg, wg, s.src, gradSize);
            } else {
                s.srcD = Scratch.grow(s.srcD, gradSize);
                prepare((double[]) CpuBackend.arrayOf(grad), off, ohw, sp.ow, 1, sp.oc, sp.oh, sp.ow, 1, 1, fPadT, fPadU, hg, wg, s.srcD, gradSize);
            }
            s.preparedFor = token;
            s.preparedImage = n;
            return f32 ? s.src : s.srcD;
        }, CpuBackend.arrayOf(dx), null, 0, 0);
    }

    /** The kernel taps k &lt; kSize whose input phase is r: (r + pad − k·dil) ≡ 0 (mod stride). */
    private static int[] taps(int r, int pad, int dil, int stride, int kSize) {
        int count = 0;
        for (int k = 0; k < kSize; k++) if (Math.floorMod(r + pad - k * dil, stride) == 0) count++;
        int[] taps = new int[count];
        count = 0;
        for (int k = 0; k < kSize; k++) if (Math.floorMod(r + pad - k * dil, stride) == 0) taps[count++] = k;
        return taps;
    }

    /**
     * Backward-weight: dweight [OC, C/groups, kh, kw] = Σ over images and positions of the output
     * gradient (on the Wq grid, zero in the junk columns) times the shifted image slices; each
     * thread sums its images into its own partial, and the partials are added once at the end.
     * dbias [OC] = Σ of grad over n, i, j. Either may be null.
     */
    static void backwardWeight(View grad, View x, ConvGeometry g, int groups, View dweight, View dbias) {
        long oc = grad.shape()[1];
        boolean f32 = grad.storage().dtype() == dev.tessera.DType.FLOAT32;
        // In float32 the bias gradient is summed from the rows the weight gradient copies anyway (in cache), not in a pass of its own.
        boolean fusedBias = dbias != null && dweight != null && f32;
        if (dbias != null && !fusedBias) biasGradient(grad, (int) oc, dbias);
        if (dweight == null) return;
        Shape sp = new Shape(g, oc, groups);
        if (pointwise(sp, x)) {
            Pointwise.backwardWeight(sp, grad, x, dweight);
            if (fusedBias) biasGradient(grad, (int) oc, dbias);
            return;
        }
        int depth = sp.depth();
        // The 4×4 dot kernel wants rows and taps in fours; depthwise-like groups (a row or two) use 1×8.
        boolean oneRow = sp.ocg < 4;
        int rowsPad = oneRow ? sp.ocg : roundUp(sp.ocg, 4), depthPad = roundUp(depth, oneRow ? 8 : 4);
        // Rows of G padded to whole vectors (64 covers any vector length), not to PC: a small image
        // (7×8 positions) would otherwise spend most of the dot products on zeros.
        int gStride = roundUp(sp.positions, 64);
        // The Vector API partials keep a vector's lanes per entry (summed at the end); the others one value.
        boolean lanesKept = vector && f32;
        int lanes = lanesKept ? VectorConv.L : 1, accSize = groups * rowsPad * depthPad * lanes;
        int[] boff = sp.forwardOffsets(depthPad);
        int threads = Math.max(1, Math.min(Parallel.threads(), sp.n));
        Object[] partials = PARTIALS.get();
        if (partials.length < threads) PARTIALS.set(partials = Arrays.copyOf(partials, threads));
        final Object[] parts = partials;
        Object token = new Object();
        long work = 2L * sp.n * sp.oc * sp.positions * depth;
        // Parallel may run several chunks as one body (small work, or nested): only parts[c0] of it is written.
        boolean[] written = new boolean[threads];
        double[][] biasParts = new double[threads][];
        Parallel.forRange(threads, work, (c0, c1) -> {
            Scratch s = SCRATCH.get();
            double[] biasSum = biasParts[c0] = fusedBias ? new double[sp.oc] : null;
            Object acc = parts[c0];
            if (f32) { float[] a = acc instanceof float[] fa && fa.length >= accSize ? fa : new float[accSize]; Arrays.fill(a, 0, accSize, 0f); acc = a; }
            else { double[] a = acc instanceof double[] da && da.length >= accSize ? da : new double[accSize]; Arrays.fill(a, 0, accSize, 0d); acc = a; }
            parts[c0] = acc;
            written[c0] = true;
            for (int n = sp.n * c0 / threads; n < sp.n * c1 / threads; n++) {
                Object src = prepareImage(s, token, x, sp, n);
                if (f32) weightImage(sp, s, (float[]) src, (float[]) CpuBackend.arrayOf(grad), (int) grad.offset(), n, boff, rowsPad, depthPad, gStride, lanesKept, (float[]) acc, biasSum);
                else weightImage(sp, s, (double[]) src, (double[]) CpuBackend.arrayOf(grad), (int) grad.offset(), n, boff, rowsPad, depthPad, gStride, (double[]) acc);
            }
        });
        int[] starts = java.util.stream.IntStream.range(0, threads).filter(c -> written[c]).toArray();
        if (fusedBias) {
            float[] db = (float[]) CpuBackend.arrayOf(dbias);
            for (int o = 0; o < sp.oc; o++) {
                double sum = 0;
                for (int c : starts) sum += biasParts[c][o];
                db[(int) dbias.offset() + o * (int) dbias.strides()[0]] = (float) sum;
            }
        }
        Object dw = CpuBackend.arrayOf(dweight);
        int dwOff = (int) dweight.offset();
        for (int o = 0; o < sp.oc; o++) {
            int gr = o / sp.ocg, row = (gr * rowsPad + o % sp.ocg) * depthPad;
            for (int k = 0; k < depth; k++) {
                double sum = 0;
                for (int c : starts)
                    for (int lane = 0; lane < lanes; lane++)
                        sum += f32 ? ((float[]) parts[c])[(row + k) * lanes + lane] : ((double[]) parts[c])[row + k];
                if (f32) ((float[]) dw)[dwOff + o * depth + k] = (float) sum;
                else ((double[]) dw)[dwOff + o * depth + k] = sum;
            }
        }
    }

    /** Adds image n's contribution to the partial acc [groups][rowsPad][depthPad]. */
    private static void weightImage(Shape sp, Scratch s, float[] src, float[] grad, int gradOff, int n, int[] boff,
                                    int rowsPad, int depthPad, int gStride, boolean lanesKept, float[] acc, double[] biasSum) {
        float[] g = s.grad = Scratch.grow(s.grad, sp.groups * rowsPad * gStride);
        gridGradient(sp, grad, gradOff, n, rowsPad, gStride, g, biasSum);
        int depth = sp.depth();
        for (int gr = 0; gr < sp.groups; gr++) {
            int gBase = gr * rowsPad * gStride, aBase = gr * rowsPad * depthPad, bBase = gr * depthPad;
            if (lanesKept && rowsPad == sp.ocg && sp.ocg < 4) {
                int lanes = VectorConv.L;
                for (int r = 0; r < rowsPad; r++)
                    for (int k = 0; k < depthPad; k += 8)
                        VectorConv.dots1x8(gStride, g, gBase + r * gStride, src, boff, bBase + k, acc, (aBase + r * depthPad + k) * lanes);
            } else if (lanesKept) {
                int lanes = VectorConv.L;
                for (int r = 0; r < rowsPad; r += 4)
                    for (int k = 0; k < depthPad; k += 4)
                        VectorConv.dots4x4(gStride, g, gBase + r * gStride, gStride, src, boff, bBase + k, acc, (aBase + r * depthPad + k) * lanes, depthPad);
            } else {
                for (int c0 = 0; c0 < sp.positions; c0 += PC) {
                    int cw = Math.min(PC, sp.positions - c0);
                    float[] block = s.block = Scratch.grow(s.block, depth * cw);
                    for (int k = 0; k < depth; k++) System.arraycopy(src, boff[bBase + k] + c0, block, k * cw, cw);
                    Gemm.sgemmFallback(false, true, sp.ocg, depth, cw, g, gBase + c0, gStride, block, 0, cw, acc, aBase, depthPad, true);
                }
            }
        }
    }

    private static void weightImage(Shape sp, Scratch s, double[] src, double[] grad, int gradOff, int n, int[] boff,
                                    int rowsPad, int depthPad, int gStride, double[] acc) {
        double[] g = s.gradD = Scratch.grow(s.gradD, sp.groups * rowsPad * gStride);
        int ohw = sp.oh * sp.ow;
        for (int gr = 0; gr < sp.groups; gr++)
            for (int r = 0; r < rowsPad; r++) {
                int d = (gr * rowsPad + r) * gStride;
                Arrays.fill(g, d, d + gStride, 0d);
                if (r >= sp.ocg) continue;
                int from = gradOff + (n * sp.oc + gr * sp.ocg + r) * ohw;
                for (int t = 0; t < sp.oh; t++) System.arraycopy(grad, from + t * sp.ow, g, d + t * sp.wq, sp.ow);
            }
        int depth = sp.depth();
        for (int gr = 0; gr < sp.groups; gr++) {
            int gBase = gr * rowsPad * gStride, aBase = gr * rowsPad * depthPad, bBase = gr * depthPad;
            for (int c0 = 0; c0 < sp.positions; c0 += PC) {
                int cw = Math.min(PC, sp.positions - c0);
                double[] block = s.blockD = Scratch.grow(s.blockD, depth * cw);
                for (int k = 0; k < depth; k++) System.arraycopy(src, boff[bBase + k] + c0, block, k * cw, cw);
                Gemm.dgemm(false, true, sp.ocg, depth, cw, g, gBase + c0, gStride, block, 0, cw, acc, aBase, depthPad, true);
            }
        }
    }

    /**
     * grad[n] onto the Wq grid, [groups][rowsPad][gStride]: zeros in junk columns, padding rows and
     * past the last position; biasSum[o] (when not null) += the row's sum, read back from g while in cache.
     */
    private static void gridGradient(Shape sp, float[] grad, int gradOff, int n, int rowsPad, int gStride, float[] g, double[] biasSum) {
        int ohw = sp.oh * sp.ow;
        for (int gr = 0; gr < sp.groups; gr++)
            for (int r = 0; r < rowsPad; r++) {
                int d = (gr * rowsPad + r) * gStride;
                if (r >= sp.ocg) { Arrays.fill(g, d, d + gStride, 0f); continue; }
                int from = gradOff + (n * sp.oc + gr * sp.ocg + r) * ohw;
                for (int t = 0; t < sp.oh; t++) {
                    System.arraycopy(grad, from + t * sp.ow, g, d + t * sp.wq, sp.ow);
                    Arrays.fill(g, d + t * sp.wq + sp.ow, d + (t + 1) * sp.wq, 0f);
                }
                Arrays.fill(g, d + sp.positions, d + gStride, 0f);
                if (biasSum != null) {
                    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;   // four chains: one waits an add's latency per element
                    for (int j = d; j < d + gStride; j += 4) { s0 += g[j]; s1 += g[j + 1]; s2 += g[j + 2]; s3 += g[j + 3]; }
                    biasSum[gr * sp.ocg + r] += (s0 + s1) + (s2 + s3);
                }
            }
    }

    /** dbias[o] = Σ over n and positions of grad[n, o, ·] (contiguous), summed in double, in parallel over channels. */
    private static void biasGradient(View grad, int oc, View dbias) {
        int n = (int) grad.shape()[0], plane = (int) (grad.numel() / Math.max(1, (long) n * oc));
        Object ga = CpuBackend.arrayOf(grad), da = CpuBackend.arrayOf(dbias);
        int gOff = (int) grad.offset(), dOff = (int) dbias.offset(), dStride = (int) dbias.strides()[0];
        Parallel.forRange(oc, grad.numel(), (o0, o1) -> {
            for (int o = o0; o < o1; o++) {
                // Four chains: one chain waits an add's latency per element.
                double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                for (int i = 0; i < n; i++) {
                    int base = gOff + (i * oc + o) * plane, j = 0;
                    if (ga instanceof float[] f) {
                        for (; j + 3 < plane; j += 4) { s0 += f[base + j]; s1 += f[base + j + 1]; s2 += f[base + j + 2]; s3 += f[base + j + 3]; }
                        for (; j < plane; j++) s0 += f[base + j];
                    } else {
                        double[] d = (double[]) ga;
                        for (; j + 3 < plane; j += 4) { s0 += d[base + j]; s1 += d[base + j + 1]; s2 += d[base + j + 2]; s3 += d[base + j + 3]; }
                        for (; j < plane; j++) s0 += d[base + j];
                    }
                }
                double sum = (s0 + s1) + (s2 + s3);
                if (da instanceof float[] f) f[dOff + o * dStride] = (float) sum;
                else ((double[]) da)[dOff + o * dStride] = sum;
            }
        });
    }
}
