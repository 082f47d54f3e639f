package dev.tessera;

import static dev.tessera.TestUtil.assertClose;
import static dev.tessera.TestUtil.assertThrowsWith;
import static dev.tessera.TestUtil.random64;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.autograd.GradCheck;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;

/**
 * View ops: values against index arithmetic, storage sharing in both directions, contiguity rules,
 * cat/stack, and gradients through each op. The base tensor is {@code seq(shape)}, whose value at
 * an index is its row-major flat position, so a view's expected values are index formulas.
 */
class ViewsTest {

    /** FLOAT64 tensor of the given shape holding 0, 1, 2, ... in row-major order. */
    private static Tensor seq(long... shape) {
        double[] v = new double[(int) Size.of(shape).numel()];
        for (int i = 0; i < v.length; i++) v[i] = i;
        return Tensor.of(v).reshape(shape);   // via reshape, so that an empty shape gives a 0-dim tensor
    }

    /** f(index) for every index of shape, in row-major order. */
    private static double[] expected(long[] shape, ToDoubleFunction<long[]> f) {
        int n = (int) Size.of(shape).numel();
        double[] out = new double[n];
        long[] idx = new long[shape.length];
        for (int i = 0; i < n; i++) {
            out[i] = f.applyAsDouble(idx);
            for (int d = shape.length - 1; d >= 0 && ++idx[d] == shape[d]; d--) idx[d] = 0;
        }
        return out;
    }

    private static void assertValues(Tensor actual, long[] shape, ToDoubleFunction<long[]> f) {
        assertClose(actual, expected(shape, f), shape, 0, 0);   // views move values, they never compute
    }

    /** Writes through the view are visible in the base and writes to the base in the view. */
    private static void assertSharesStorage(Tensor base, Tensor view) {
        view.fill_(-7);
        double[] b = base.toDoubleArray();
        long hits = 0;
        for (double x : b) if (x == -7) hits++;
        assertTrue(hits > 0, "fill_ through the view did not reach the base");
        // The number of distinct base elements the view covers is at most view.numel() (fewer for expand).
        assertTrue(hits <= view.numel());
        base.fill_(3);
        for (double x : view.toDoubleArray()) assertEquals(3, x, 0, "base write not visible in the view");
        boolean expanded = false;
        for (int d = 0; d < view.dim(); d++) expanded |= view.size(d) > 1 && view.stride()[d] == 0;
        if (expanded) {   // several elements share memory: PyTorch (and Tessera) refuse to write through it
            assertThrowsWith(TesseraException.class, "more than one element of the written-to tensor refers to a single memory location",
                    () -> view.copy_(Tensor.full(5, view.shape().toArray(), DType.FLOAT64, Device.CPU)));
            base.copy_(seq(base.shape().toArray()));
            return;
        }
        view.copy_(Tensor.full(5, view.shape().toArray(), DType.FLOAT64, Device.CPU));
        long fives = 0;
        for (double x : base.toDoubleArray()) if (x == 5) fives++;
        assertEquals(hits, fives, "copy_ into the view reached a different set of base elements than fill_");
        base.copy_(seq(base.shape().toArray()));   // restore, so callers can keep checking values
    }

    // ---- view / reshape ----

    @Test void viewAndReshapeWithInferredDimension() {
        Tensor x = seq(2, 3, 4);
        Tensor v = x.view(4, -1);
        assertEquals(Size.of(4, 6), v.shape());
        assertValues(v, new long[] {4, 6}, i -> i[0] * 6 + i[1]);
        assertEquals(Size.of(24), x.view(-1).shape());
        assertEquals(Size.of(2, 12), x.reshape(2, -1).shape());
        assertValues(x.reshape(-1, 2, 3), new long[] {4, 2, 3}, i -> i[0] * 6 + i[1] * 3 + i[2]);
        assertSharesStorage(x, x.view(6, 4));
        assertSharesStorage(x, x.reshape(3, 8));

        assertThrowsWith(TesseraException.class, "is invalid for input of size 24", () -> x.view(5, -1));
        assertThrowsWith(TesseraException.class, "is invalid for input of size 24", () -> x.view(5, 5));
        assertThrowsWith(TesseraException.class, "only one dimension can be inferred", () -> x.view(-1, -1));

        // 0-dim tensors view as any all-ones shape and back.
        Tensor s = seq(1).reshape();
        assertEquals(0, s.dim());
        Tensor s11 = s.view(1, 1);
        assertEquals(Size.of(1, 1), s11.shape());
        assertEquals(Size.of(), s11.view().shape());
        assertSharesStorage(s, s11);
        assertSharesStorage(s, s.view(-1));
    }

    @Test void viewOfNonContiguousThrowsAndReshapeCopies() {
        Tensor x = seq(3, 4);
        Tensor t = x.t();
        assertFalse(t.isContiguous());
        assertThrowsWith(TesseraException.class, "view size is not compatible", () -> t.view(12));
        Tensor r = t.reshape(12);
        assertValues(r, new long[] {12}, i -> (i[0] % 3) * 4 + i[0] / 3);
        r.fill_(0);   // a copy: the base is untouched
        assertClose(x, seq(3, 4), 0, 0);
        // Splitting a dim that is still contiguous is allowed as a view even on a non-contiguous tensor.
        Tensor y = seq(4, 6).narrow(1, 1, 4);       // [4, 4], row stride 6
        Tensor split = y.view(4, 2, 2);
        assertValues(split, new long[] {4, 2, 2}, i -> i[0] * 6 + 1 + i[1] * 2 + i[2]);
        assertThrowsWith(TesseraException.class, "view size is not compatible", () -> y.view(16));
    }

    @Test void contiguousIsIdentityWhenContiguousAndCopiesOtherwise() {
        Tensor x = seq(2, 3);
        assertSame(x, x.contiguous());
        Tensor t = x.t();
        Tensor c = t.contiguous();
        assertNotSame(t, c);
        assertTrue(c.isContiguous());
        assertValues(c, new long[] {3, 2}, i -> i[1] * 3 + i[0]);
        c.fill_(0);
        assertClose(x, seq(2, 3), 0, 0);
        // Size-1 dims and zero-dim tensors count as contiguous whatever their stride.
        Tensor column = seq(1, 5).t();
        assertTrue(column.isContiguous());
        assertSame(column, column.contiguous());
    }

    // ---- permutations ----

    @Test void transposeTAndPermute() {
        Tensor x = seq(2, 3, 4);
        Tensor tr = x.transpose(0, 2);
        assertValues(tr, new long[] {4, 3, 2}, i -> i[2] * 12 + i[1] * 4 + i[0]);
        assertValues(x.transpose(-1, -2), new long[] {2, 4, 3}, i -> i[0] * 12 + i[2] * 4 + i[1]);
        assertSharesStorage(x, tr);

        Tensor m = seq(3, 5);
        assertValues(m.t(), new long[] {5, 3}, i -> i[1] * 5 + i[0]);
        assertEquals(Size.of(4), seq(4).t().shape());
        assertThrowsWith(TesseraException.class, "t() expects a tensor with <= 2 dimensions", x::t);

        Tensor p = x.permute(2, 0, 1);
        assertValues(p, new long[] {4, 2, 3}, i -> i[1] * 12 + i[2] * 4 + i[0]);
        assertValues(x.permute(-1, -3, -2), new long[] {4, 2, 3}, i -> i[1] * 12 + i[2] * 4 + i[0]);
        assertSharesStorage(x, p);
        assertThrows(TesseraException.class, () -> x.permute(0, 1));
        assertThrowsWith(TesseraException.class, "duplicate dims", () -> x.permute(0, 1, 1));
        assertThrowsWith(TesseraException.class, "Dimension out of range", () -> x.transpose(0, 3));
    }

    // ---- narrowing and indexing ----

    @Test void narrowSliceSelectIndex() {
        Tensor x = seq(4, 6);
        Tensor n = x.narrow(1, 2, 3);
        assertValues(n, new long[] {4, 3}, i -> i[0] * 6 + 2 + i[1]);
        assertValues(x.narrow(0, -2, 2), new long[] {2, 6}, i -> (2 + i[0]) * 6 + i[1]);
        assertSharesStorage(x, n);
        assertThrowsWith(TesseraException.class, "exceeds dimension size", () -> x.narrow(1, 4, 3));

        Tensor s = x.slice(1, 1, 6, 2);                // x[:, 1:6:2] -> columns 1, 3, 5
        assertValues(s, new long[] {4, 3}, i -> i[0] * 6 + 1 + 2 * i[1]);
        assertValues(x.slice(0, 0, 4, 3), new long[] {2, 6}, i -> 3 * i[0] * 6 + i[1]);
        assertValues(x.slice(1, -4, 100), new long[] {4, 4}, i -> i[0] * 6 + 2 + i[1]);   // Python clamping
        assertEquals(Size.of(4, 0), x.slice(1, 5, 2).shape());
        assertSharesStorage(x, s);
        assertThrows(TesseraException.class, () -> x.slice(1, 0, 6, 0));

        Tensor sel = x.select(1, 4);
        assertValues(sel, new long[] {4}, i -> i[0] * 6 + 4);
        assertValues(x.select(0, -1), new long[] {6}, i -> 18 + i[0]);
        assertSharesStorage(x, sel);
        assertValues(x.index(2), new long[] {6}, i -> 12 + i[0]);
        assertValues(seq(2, 3, 4).index(1).index(2), new long[] {4}, i -> 12 + 8 + i[0]);
        assertThrowsWith(TesseraException.class, "out of range", () -> x.select(0, 4));
        assertThrowsWith(TesseraIndexException.class, "index -5 is out of bounds for dimension 0 with size 4", () -> x.index(-5));   // PyTorch's a[-5] text
        assertThrows(TesseraException.class, () -> Tensor.scalar(1).index(0));
    }

    @Test void squeezeUnsqueezeAndFlatten() {
        Tensor x = seq(2, 1, 3, 1);
        Tensor sq = x.squeeze();
        assertEquals(Size.of(2, 3), sq.shape());
        assertValues(sq, new long[] {2, 3}, i -> i[0] * 3 + i[1]);
        assertEquals(Size.of(2, 3, 1), x.squeeze(1).shape());
        assertEquals(Size.of(2, 1, 3), x.squeeze(-1).shape());
        assertSame(x, x.squeeze(0));   // size 2: nothing to squeeze, as PyTorch
        assertSharesStorage(x, sq);

        Tensor y = seq(2, 3);
        assertEquals(Size.of(1, 2, 3), y.unsqueeze(0).shape());
        assertEquals(Size.of(2, 3, 1), y.unsqueeze(-1).shape());
        assertEquals(Size.of(2, 1, 3), y.unsqueeze(-2).shape());
        assertValues(y.unsqueeze(1), new long[] {2, 1, 3}, i -> i[0] * 3 + i[2]);
        assertSharesStorage(y, y.unsqueeze(2));
        assertThrowsWith(TesseraException.class, "Dimension out of range", () -> y.unsqueeze(3));
        // unsqueeze of a non-contiguous tensor keeps it a valid view.
        assertValues(y.t().unsqueeze(1), new long[] {3, 1, 2}, i -> i[2] * 3 + i[0]);

        Tensor z = seq(2, 3, 4, 5);
        assertEquals(Size.of(120), z.flatten().shape());
        assertEquals(Size.of(2, 12, 5), z.flatten(1, 2).shape());
        assertEquals(Size.of(2, 3, 20), z.flatten(-2, -1).shape());
        assertSame(z, z.flatten(1, 1));
        assertValues(z.flatten(0, 1), new long[] {6, 4, 5}, i -> i[0] * 20 + i[1] * 5 + i[2]);
        assertSharesStorage(z, z.flatten(1, 3));
        assertEquals(Size.of(1), Tensor.scalar(2).flatten().shape());
        // A non-contiguous input is copied, with values in the transposed order.
        assertValues(seq(3, 4).t().flatten(), new long[] {12}, i -> (i[0] % 3) * 4 + i[0] / 3);
        assertThrowsWith(TesseraException.class, "start_dim cannot come after end_dim", () -> z.flatten(2, 1));
    }

    @Test void expandBroadcastsWithStrideZero() {
        Tensor x = seq(3, 1);
        Tensor e = x.expand(2, 3, 4);
        assertEquals(Size.of(2, 3, 4), e.shape());
        assertEquals(0, e.stride()[0]);
        assertEquals(0, e.stride()[2]);
        assertValues(e, new long[] {2, 3, 4}, i -> i[1]);
        assertValues(x.expand(-1, 5), new long[] {3, 5}, i -> i[0]);
        assertSame(x, x.expand(3, 1));
        assertSharesStorage(x, e);
        assertThrowsWith(TesseraException.class, "The expanded size of the tensor (4) must match the existing size (3)", () -> x.expand(4, 2));
        assertThrows(TesseraException.class, () -> x.expand(2));
        assertValues(seq(2).expandAs(seq(3, 2)), new long[] {3, 2}, i -> i[1]);
    }

    @Test void chainedViewsKeepOffsetsAndStrides() {
        Tensor x = seq(4, 5, 6);
        // x.permute(2, 0, 1)[1:5:2].select(2, 3).t(): shape [4, 2]; element [a, b] = x[a, 3, 1 + 2b].
        Tensor v = x.permute(2, 0, 1).slice(0, 1, 5, 2).select(2, 3).t();
        assertValues(v, new long[] {4, 2}, i -> i[0] * 30 + 3 * 6 + 1 + 2 * i[1]);
        assertSharesStorage(x, v);
    }

    // ---- cat and stack ----

    @Test void catAlongEachDim() {
        Tensor a = seq(2, 3), b = seq(2, 3).add(100), c = seq(1, 3).add(200);
        Tensor r0 = Tensor.cat(List.of(a, b, c), 0);
        assertValues(r0, new long[] {5, 3}, i -> i[0] < 2 ? i[0] * 3 + i[1] : i[0] < 4 ? 100 + (i[0] - 2) * 3 + i[1] : 200 + i[1]);
        Tensor d = seq(2, 1).add(300);
        Tensor r1 = Tensor.cat(List.of(a, d, b.t().t()), -1);
        assertValues(r1, new long[] {2, 7}, i -> i[1] < 3 ? i[0] * 3 + i[1] : i[1] == 3 ? 300 + i[0] : 100 + i[0] * 3 + i[1] - 4);
        // Non-contiguous inputs.
        Tensor r2 = Tensor.cat(List.of(seq(3, 2).t(), seq(4, 2).t()), 1);
        assertValues(r2, new long[] {2, 7}, i -> i[1] < 3 ? i[1] * 2 + i[0] : (i[1] - 3) * 2 + i[0]);
        // The result is new storage.
        r0.fill_(0);
        assertClose(a, seq(2, 3), 0, 0);

        assertThrowsWith(TesseraException.class, "Sizes of tensors must match except in dimension 0", () -> Tensor.cat(List.of(a, seq(2, 4)), 0));
        assertThrowsWith(TesseraException.class, "same number of dimensions", () -> Tensor.cat(List.of(a, seq(3)), 0));
        assertThrowsWith(TesseraException.class, "expected all tensors to have dtype", () -> Tensor.cat(List.of(a, Tensor.zeros(2, 3)), 0));
        assertThrowsWith(TesseraException.class, "non-empty", () -> Tensor.cat(List.of(), 0));
        assertThrowsWith(TesseraException.class, "Dimension out of range", () -> Tensor.cat(List.of(a, b), 2));
    }

    @Test void stackInsertsANewDim() {
        Tensor a = seq(2, 3), b = seq(2, 3).mul(-1.0);
        Tensor s0 = Tensor.stack(List.of(a, b), 0);
        assertValues(s0, new long[] {2, 2, 3}, i -> (i[0] == 0 ? 1 : -1) * (i[1] * 3 + i[2]));
        Tensor s2 = Tensor.stack(List.of(a, b, a), 2);
        assertValues(s2, new long[] {2, 3, 3}, i -> (i[2] == 1 ? -1 : 1) * (i[0] * 3 + i[1]));
        assertEquals(Size.of(2, 2, 3), Tensor.stack(List.of(a, b), -3).shape());
        assertEquals(Size.of(2, 3, 2), Tensor.stack(List.of(a, b), -1).shape());
        assertThrowsWith(TesseraException.class, "stack expects each tensor to be equal size", () -> Tensor.stack(List.of(a, seq(3, 2)), 0));
        assertThrowsWith(TesseraException.class, "non-empty", () -> Tensor.stack(List.of(), 0));
        assertThrowsWith(TesseraException.class, "Dimension out of range", () -> Tensor.stack(List.of(a, b), 3));
    }

    // ---- gradients ----

    private static Tensor leaf(Random rng, long... shape) { return random64(rng, shape).requiresGrad(true); }

    private static void gradCheck(Function<Tensor, Tensor> op, Tensor x) { GradCheck.check(in -> op.apply(in[0]), x); }

    @Test void gradientsThroughEachViewOp() {
        Random rng = new Random(101);
        Tensor x = leaf(rng, 2, 3, 4);
        gradCheck(t -> t.view(4, -1), x);
        gradCheck(t -> t.reshape(6, 4), x);
        gradCheck(t -> t.transpose(0, 2), x);
        gradCheck(t -> t.permute(1, 2, 0), x);
        gradCheck(t -> t.narrow(2, 1, 2), x);
        gradCheck(t -> t.slice(2, 0, 4, 3), x);
        gradCheck(t -> t.select(1, 2), x);
        gradCheck(t -> t.index(1), x);
        gradCheck(t -> t.unsqueeze(-1), x);
        gradCheck(t -> t.flatten(0, 1), x);
        gradCheck(t -> t.flatten(), x);
        gradCheck(t -> t.transpose(0, 1).reshape(3, 8), x);   // reshape of a non-contiguous tensor copies
        gradCheck(t -> t.transpose(1, 2).contiguous(), x);
        gradCheck(Tensor::clone, x);
        gradCheck(Tensor::t, leaf(rng, 3, 5));
        gradCheck(Tensor::squeeze, leaf(rng, 3, 1, 2));
        gradCheck(t -> t.squeeze(1), leaf(rng, 3, 1, 2));
        // expand: every copy contributes, so the gradient is summed back over the broadcast dims.
        gradCheck(t -> t.expand(2, 3, 4), leaf(rng, 3, 1));
        Tensor e = leaf(rng, 3, 1);
        e.expand(2, 3, 4).sum().backward();
        assertClose(e.grad(), new double[] {8, 8, 8}, new long[] {3, 1}, 0, 0);
    }

    @Test void gradientsThroughCatAndStack() {
        Random rng = new Random(202);
        Tensor a = leaf(rng, 2, 3), b = leaf(rng, 2, 2), c = leaf(rng, 2, 1);
        GradCheck.check(in -> Tensor.cat(List.of(in[0], in[1], in[2]), 1), a, b, c);
        Tensor p = leaf(rng, 1, 3), q = leaf(rng, 3, 3);
        GradCheck.check(in -> Tensor.cat(List.of(in[0], in[1].t()), 0), p, q);
        Tensor u = leaf(rng, 2, 3), v = leaf(rng, 2, 3);
        GradCheck.check(in -> Tensor.stack(List.of(in[0], in[1], in[0]), 1), u, v);
    }

    @Test void gradientsThroughAChainOfViewsAndMul() {
        Random rng = new Random(303);
        Tensor x = leaf(rng, 3, 4, 2), w = leaf(rng, 2, 6);
        GradCheck.check(in -> in[0].transpose(0, 2).reshape(2, 12).narrow(1, 3, 6).mul(in[1]), x, w);
        GradCheck.check(in -> in[0].permute(2, 0, 1).select(1, 1).slice(1, 0, 4, 2).unsqueeze(0).mul(in[0].index(0).narrow(0, 0, 2)), x);
    }
}
