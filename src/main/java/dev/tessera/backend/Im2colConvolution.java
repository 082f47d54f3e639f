package dev.tessera.backend;

/**
 * The convolution primitives of {@link Backend} written once over a backend's own im2col, col2im,
 * batched GEMM, copy and reduce: the CPU's implementation today, and the CUDA backend's fallback
 * when cuDNN is absent, switched off or rejects a case. The columns of the whole batch are laid out
 * [C·kh·kw, N·L] (L = outH·outW), so each direction is one GEMM batched over the groups (a group's
 * rows of the columns, and of the weight, are contiguous blocks):
 * forward W[g]·cols[g], weight gradient gᵀ[g]·cols[g]ᵀ, data gradient col2im(W[g]ᵀ·gᵀ[g]), with
 * gᵀ the output gradient as [OC, N·L].
 */
public final class Im2colConvolution {
    private Im2colConvolution() {}

    public static void forward(Backend be, View x, View weight, View bias, ConvGeometry g, int groups, View out) {
        Shapes s = new Shapes(weight, g, groups);
        Storage cols = columns(be, x, g, s);
        View outT = s.batchMajor(be, x.dtype());   // [OC, N, L]
        be.matmul(s.weight(weight), s.cols(cols), outT);
        View outTAsNcl = new View(outT.storage(), 0, new long[] {s.n, s.oc, s.l}, new long[] {s.l, s.n * s.l, 1});
        View out3 = new View(out.storage(), out.offset(), new long[] {s.n, s.oc, s.l}, View.contiguousStrides(new long[] {s.n, s.oc, s.l}));
        if (bias == null) be.copy(outTAsNcl, out3);
        else be.binary(BinaryOp.ADD, outTAsNcl, new View(bias.storage(), bias.offset(), new long[] {s.n, s.oc, s.l},
                new long[] {0, bias.strides()[0], 0}), out3);
    }

    public static void backwardData(Backend be, View grad, View weight, ConvGeometry g, int groups, View dx) {
        Shapes s = new Shapes(weight, g, groups);
        View gT = s.gradBatchMajor(be, grad);
        Storage dcols = be.allocate(grad.dtype(), s.ckk * s.n * s.l);
        View wT = new View(weight.storage(), weight.offset(), new long[] {groups, s.cgkk, s.ocg}, new long[] {s.ocg * s.cgkk, 1, s.cgkk});
        be.matmul(wT, s.asGroups(gT), s.cols(dcols));
        be.col2im(s.colsAsIm2col(dcols), g, dx);
    }

    public static void backwardWeight(Backend be, View grad, View x, ConvGeometry g, int groups, View dweight, View dbias) {
        Shapes s = new Shapes(dweight, g, groups, grad);
        View gT = s.gradBatchMajor(be, grad);
        if (dweight != null) {
            Storage cols = columns(be, x, g, s);
            View colsT = new View(cols, 0, new long[] {groups, s.n * s.l, s.cgkk}, new long[] {s.cgkk * s.n * s.l, 1, s.n * s.l});
            be.matmul(s.asGroups(gT), colsT, new View(dweight.storage(), dweight.offset(), new long[] {groups, s.ocg, s.cgkk},
                    new long[] {s.ocg * s.cgkk, s.cgkk, 1}));
        }
        if (dbias != null)
            be.reduce(ReduceOp.SUM, new View(gT.storage(), gT.offset(), new long[] {s.oc, s.n * s.l}, new long[] {s.n * s.l, 1}), dbias);
    }

    private static Storage columns(Backend be, View x, ConvGeometry g, Shapes s) {
        Storage cols = be.allocate(x.dtype(), s.ckk * s.n * s.l);
        be.im2col(x, g, s.colsAsIm2col(cols));
        return cols;
    }

    /** The sizes of one convolution and the views over the [C·kh·kw, N·L] column layout. */
    private static final class Shapes {
        final long n, oc, ocg, cgkk, ckk, l;
        final int groups;

        Shapes(View weight, ConvGeometry g, int groups) { this(weight, g, groups, null); }

        /** From the weight's shape, or (weight null: only the bias gradient) from grad's channel count. */
        Shapes(View weight, ConvGeometry g, int groups, View grad) {
            this.groups = groups;
            n = g.n();
            oc = weight != null ? weight.shape()[0] : grad.shape()[1];
            ocg = oc / groups;
            ckk = g.c() * g.kh() * g.kw();
            cgkk = ckk / groups;
            l = g.outH() * g.outW();
        }

        /** im2col's [N, C·kh·kw, L] over the [C·kh·kw, N, L] layout. */
        View colsAsIm2col(Storage cols) { return new View(cols, 0, new long[] {n, ckk, l}, new long[] {l, n * l, 1}); }

        /** The columns as [G, C/G·kh·kw, N·L]. */
        View cols(Storage cols) { return new View(cols, 0, new long[] {groups, cgkk, n * l}, new long[] {cgkk * n * l, n * l, 1}); }

        /** The contiguous weight as [G, OC/G, C/G·kh·kw]. */
        View weight(View w) { return new View(w.storage(), w.offset(), new long[] {groups, ocg, cgkk}, new long[] {ocg * cgkk, cgkk, 1}); }

        /** A new contiguous [OC, N·L] buffer, seen as [G, OC/G, N·L] (matmul's out). */
        View batchMajor(Backend be, dev.tessera.DType dtype) {
            return new View(be.allocate(dtype, oc * n * l), 0, new long[] {groups, ocg, n * l}, new long[] {ocg * n * l, n * l, 1});
        }

        /** grad [N, OC, L] as a contiguous [OC, N·L]: grad itself when N = 1, else a transposing copy. */
        View gradBatchMajor(Backend be, View grad) {
            if (n == 1) return new View(grad.storage(), grad.offset(), new long[] {oc, l}, new long[] {l, 1});
            View gT = new View(be.allocate(grad.dtype(), oc * n * l), 0, new long[] {oc, n, l}, new long[] {n * l, l, 1});
            be.copy(new View(grad.storage(), grad.offset(), new long[] {oc, n, l}, new long[] {l, oc * l, 1}), gT);
            return new View(gT.storage(), 0, new long[] {oc, n * l}, new long[] {n * l, 1});
        }

        /** A contiguous [OC, N·L] as [G, OC/G, N·L]. */
        View asGroups(View gT) { return new View(gT.storage(), gT.offset(), new long[] {groups, ocg, n * l}, new long[] {ocg * n * l, n * l, 1}); }
    }
}
