package dev.tessera;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.function.IntToDoubleFunction;
import java.util.function.IntToLongFunction;
import org.junit.jupiter.api.Test;

/**
 * Every expected string below was printed by PyTorch 1.13 (Debian python3-torch, torch.__version__ "1.13.0a0")
 * as repr(x) for the Python expression quoted in the comment beside it; the rules in torch/_tensor_str.py
 * that these cases exercise are the same in PyTorch 2.x. Inputs written {@code f32(...)} are float32 tensors
 * (the values arrive widened to double, as Tessera passes them); float64 ones are passed as plain doubles.
 */
class TensorFormatTest {
    private static final String T = "tensor(";
    private static final String PARAM = "Parameter containing:\ntensor(";

    private static long[] s(long... dims) { return dims; }

    private static double[] f32(float... v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) d[i] = v[i];
        return d;
    }

    /** n values computed by f; lambdas doing float arithmetic give float32 results, as torch would. */
    private static double[] gen(int n, IntToDoubleFunction f) {
        double[] d = new double[n];
        for (int i = 0; i < n; i++) d[i] = f.applyAsDouble(i);
        return d;
    }

    private static long[] genL(int n, IntToLongFunction f) {
        long[] d = new long[n];
        for (int i = 0; i < n; i++) d[i] = f.applyAsLong(i);
        return d;
    }

    private static String fmt(long[] shape, double[] v, String... sfx) {
        return TensorFormat.format(T, shape, (double[]) printed(shape, v), null, null, List.of(sfx));
    }

    private static String fmt(long[] shape, long[] v, String... sfx) {
        return TensorFormat.format(T, shape, null, (long[]) printed(shape, v), null, List.of(sfx));
    }

    private static String fmt(long[] shape, boolean[] v, String... sfx) {
        return TensorFormat.format(T, shape, null, null, (boolean[]) printed(shape, v), List.of(sfx));
    }

    /**
     * What Tensor passes to TensorFormat: every element, or above 1000 elements only PyTorch's
     * get_summarized_data (the first and last 3 along each dimension longer than 6), row-major.
     */
    private static Object printed(long[] shape, Object all) {
        int n = java.lang.reflect.Array.getLength(all);
        if (n <= 1000) return all;
        java.util.List<Integer> keep = new java.util.ArrayList<>();
        for (int flat = 0; flat < n; flat++) {
            boolean shown = true;
            for (int d = shape.length - 1, rest = flat; d >= 0; rest /= (int) shape[d], d--) {
                int i = rest % (int) shape[d];
                if (shape[d] > 6 && i >= 3 && i < shape[d] - 3) shown = false;
            }
            if (shown) keep.add(flat);
        }
        Object out = java.lang.reflect.Array.newInstance(all.getClass().getComponentType(), keep.size());
        for (int k = 0; k < keep.size(); k++) java.lang.reflect.Array.set(out, k, java.lang.reflect.Array.get(all, keep.get(k)));
        return out;
    }

    @Test
    void tutorialExamples() {
        // torch.tensor([[[[0.0856]]]])
        assertEquals("tensor([[[[0.0856]]]])", fmt(s(1, 1, 1, 1), f32(0.0856f)));
        // torch.tensor([[1.3434, -1.7952]])
        assertEquals("tensor([[ 1.3434, -1.7952]])", fmt(s(1, 2), f32(1.3434f, -1.7952f)));
        // torch.ones(2)
        assertEquals("tensor([1., 1.])", fmt(s(2), f32(1, 1)));
        // torch.tensor([5, 2, 2, 9])
        assertEquals("tensor([5, 2, 2, 9])", fmt(s(4), new long[] {5, 2, 2, 9}));
        // torch.tensor([[-2.1772, 0.7573, -0.0201]])
        assertEquals("tensor([[-2.1772,  0.7573, -0.0201]])", fmt(s(1, 3), f32(-2.1772f, 0.7573f, -0.0201f)));
    }

    @Test
    void zeroDim() {
        assertEquals("tensor(3.)", fmt(s(), f32(3)));                        // torch.tensor(3.)
        assertEquals("tensor(-0.5000)", fmt(s(), f32(-0.5f)));                  // torch.tensor(-0.5)
        assertEquals("tensor(7)", fmt(s(), new long[] {7}));               // torch.tensor(7)
        assertEquals("tensor(True)", fmt(s(), new boolean[] {true}));         // torch.tensor(True)
        assertEquals("tensor(0.)", fmt(s(), f32(0)));                     // torch.tensor(0.)
        assertEquals("tensor(1.0000e+10)", fmt(s(), f32(1e10f)));                  // torch.tensor(1e10)
        // torch.tensor(3., dtype=torch.float64)
        assertEquals("tensor(3., dtype=torch.float64)", fmt(s(), new double[] {3}, "dtype=torch.float64"));
        // torch.tensor(2.5, requires_grad=True)
        assertEquals("tensor(2.5000, requires_grad=True)", fmt(s(), f32(2.5f), "requires_grad=True"));
    }

    @Test
    void empty() {
        assertEquals("tensor([])", fmt(s(0), f32()));                                         // torch.zeros(0)
        assertEquals("tensor([], size=(0, 3))", fmt(s(0, 3), f32()));                                      // torch.zeros(0, 3)
        // torch.zeros(0, 3, dtype=torch.int64): the caller supplies dtype, the formatter adds size before it
        assertEquals("tensor([], size=(0, 3), dtype=torch.int64)", fmt(s(0, 3), new long[0], "dtype=torch.int64"));
        // torch.zeros(2, 0, 4, requires_grad=True)
        assertEquals("tensor([], size=(2, 0, 4), requires_grad=True)", fmt(s(2, 0, 4), f32(), "requires_grad=True"));
        // No reference (CPU-only oracle): PyTorch appends size after device=..., before dtype.
        assertEquals("tensor([], device='cuda:0', size=(0, 3), dtype=torch.int64)",
                fmt(s(0, 3), new long[0], "device='cuda:0'", "dtype=torch.int64"));
    }

    @Test
    void intMode() {
        // torch.tensor([1., 2., 300.])
        assertEquals("tensor([  1.,   2., 300.])", fmt(s(3), f32(1, 2, 300)));
        // torch.tensor([[-1., 20.], [3., -400.]])
        assertEquals("""
                tensor([[  -1.,   20.],
                        [   3., -400.]])""", fmt(s(2, 2), f32(-1, 20, 3, -400)));
        // torch.tensor([1., 1e4]): integral but max/min > 1000
        assertEquals("tensor([1.0000e+00, 1.0000e+04])", fmt(s(2), f32(1, 1e4f)));
    }

    @Test
    void sciMode() {
        assertEquals("tensor([1.0000e-05, 1.0000e+00])", fmt(s(2), f32(1e-5f, 1)));                // torch.tensor([1e-5, 1.])
        assertEquals("tensor([-1.0000e-05,  1.0000e+00])", fmt(s(2), f32(-1e-5f, 1)));                // torch.tensor([-1e-5, 1.])
        assertEquals("tensor([1.0000e+10, 1.5000e+00])", fmt(s(2), f32(1e10f, 1.5f)));            // torch.tensor([1e10, 1.5])
        // torch.tensor([[-1.5e-7, 2.], [3e3, 0.]])
        assertEquals("""
                tensor([[-1.5000e-07,  2.0000e+00],
                        [ 3.0000e+03,  0.0000e+00]])""", fmt(s(2, 2), f32(-1.5e-7f, 2, 3e3f, 0)));
        // torch.tensor([1e-4, 1.]): float32 1e-4 widens to just under 1e-4, which already triggers sci mode...
        assertEquals("tensor([1.0000e-04, 1.0000e+00])", fmt(s(2), f32(1e-4f, 1)));
        // ...and so does float64: torch.tensor([1e-4, 1.], dtype=torch.float64), since max/min == 1e4 > 1000
        assertEquals("tensor([1.0000e-04, 1.0000e+00], dtype=torch.float64)", fmt(s(2), new double[] {1e-4, 1}, "dtype=torch.float64"));
        // torch.tensor([1.00005, 2.00015, 0.125, 0.00015], dtype=torch.float64)
        assertEquals("tensor([1.0001e+00, 2.0002e+00, 1.2500e-01, 1.5000e-04], dtype=torch.float64)", fmt(s(4), new double[] {1.00005, 2.00015, 0.125, 0.00015}, "dtype=torch.float64"));
    }

    @Test
    void roundingIsHalfEvenOnTheExactBinaryValue() {
        // torch.tensor([1.00005, 2.00015, 0.12345, 0.03125], dtype=torch.float64)
        assertEquals("tensor([1.0001, 2.0002, 0.1235, 0.0312], dtype=torch.float64)", fmt(s(4), new double[] {1.00005, 2.00015, 0.12345, 0.03125}, "dtype=torch.float64"));
        // torch.tensor([0.03125, -0.96875])
        assertEquals("tensor([ 0.0312, -0.9688])", fmt(s(2), f32(0.03125f, -0.96875f)));
    }

    @Test
    void columnAlignment() {
        // torch.tensor([[1.5, -2.25, 100.125], [0.001, 3., -40.]])
        assertEquals("""
                tensor([[ 1.5000e+00, -2.2500e+00,  1.0012e+02],
                        [ 1.0000e-03,  3.0000e+00, -4.0000e+01]])""", fmt(s(2, 3), f32(1.5f, -2.25f, 100.125f, 0.001f, 3, -40)));
        // torch.tensor([[[1.5, -2.25], [3., 4.]], [[-10.125, 0.5], [6., 7.]]])
        assertEquals("""
                tensor([[[  1.5000,  -2.2500],
                         [  3.0000,   4.0000]],

                        [[-10.1250,   0.5000],
                         [  6.0000,   7.0000]]])""", fmt(s(2, 2, 2), f32(1.5f, -2.25f, 3, 4, -10.125f, 0.5f, 6, 7)));
    }

    @Test
    void nonFiniteAndNegativeZero() {
        float inf = Float.POSITIVE_INFINITY;
        // torch.tensor([inf, nan, -0., 1.5, -inf])
        assertEquals("tensor([   inf,    nan, -0.0000, 1.5000,   -inf])", fmt(s(5), f32(inf, Float.NaN, -0f, 1.5f, -inf)));
        assertEquals("tensor([-0., 1.])", fmt(s(2), f32(-0f, 1)));                  // torch.tensor([-0., 1.])
        assertEquals("tensor([nan, inf])", fmt(s(2), f32(Float.NaN, inf)));            // torch.tensor([nan, inf])
        assertEquals("tensor([0., 0.])", fmt(s(2), f32(0, 0)));                       // torch.tensor([0., 0.])
        // torch.tensor([1e-5, nan, -inf])
        assertEquals("tensor([1.0000e-05,        nan,       -inf])", fmt(s(3), f32(1e-5f, Float.NaN, -inf)));
    }

    @Test
    void boolAndInt64() {
        // torch.tensor([True, False, True])
        assertEquals("tensor([ True, False,  True])", fmt(s(3), new boolean[] {true, false, true}));
        // torch.tensor([[True], [True]])
        assertEquals("""
                tensor([[True],
                        [True]])""", fmt(s(2, 1), new boolean[] {true, true}));
        // torch.tensor([[-5, 10], [300, -2]])
        assertEquals("""
                tensor([[ -5,  10],
                        [300,  -2]])""", fmt(s(2, 2), new long[] {-5, 10, 300, -2}));
    }

    @Test
    void summarised1d() {
        // torch.arange(2000, dtype=torch.float32) * 0.5 - 3
        assertEquals("tensor([ -3.0000,  -2.5000,  -2.0000,  ..., 995.5000, 996.0000, 996.5000])", fmt(s(2000), gen(2000, i -> i * 0.5f - 3)));
        // torch.arange(2000)
        assertEquals("tensor([   0,    1,    2,  ..., 1997, 1998, 1999])", fmt(s(2000), genL(2000, i -> i)));
        // torch.arange(1200) % 3 == 0
        boolean[] b = new boolean[1200];
        for (int i = 0; i < b.length; i++) b[i] = i % 3 == 0;
        assertEquals("tensor([ True, False, False,  ...,  True, False, False])", fmt(s(1200), b));
    }

    @Test
    void summarised2d() {
        // torch.arange(1600, dtype=torch.float32).reshape(40, 40) / 7
        assertEquals("""
                tensor([[0.0000e+00, 1.4286e-01, 2.8571e-01,  ..., 5.2857e+00, 5.4286e+00,
                         5.5714e+00],
                        [5.7143e+00, 5.8571e+00, 6.0000e+00,  ..., 1.1000e+01, 1.1143e+01,
                         1.1286e+01],
                        [1.1429e+01, 1.1571e+01, 1.1714e+01,  ..., 1.6714e+01, 1.6857e+01,
                         1.7000e+01],
                        ...,
                        [2.1143e+02, 2.1157e+02, 2.1171e+02,  ..., 2.1671e+02, 2.1686e+02,
                         2.1700e+02],
                        [2.1714e+02, 2.1729e+02, 2.1743e+02,  ..., 2.2243e+02, 2.2257e+02,
                         2.2271e+02],
                        [2.2286e+02, 2.2300e+02, 2.2314e+02,  ..., 2.2814e+02, 2.2829e+02,
                         2.2843e+02]])""", fmt(s(40, 40), gen(1600, i -> i / 7f)));
        // torch.arange(1200, dtype=torch.float32).reshape(2, 600) / 8: a dim of 2 is never elided
        assertEquals("""
                tensor([[0.0000e+00, 1.2500e-01, 2.5000e-01,  ..., 7.4625e+01, 7.4750e+01,
                         7.4875e+01],
                        [7.5000e+01, 7.5125e+01, 7.5250e+01,  ..., 1.4962e+02, 1.4975e+02,
                         1.4988e+02]])""", fmt(s(2, 600), gen(1200, i -> i / 8f)));
        // torch.arange(1200, dtype=torch.float32).reshape(600, 2) / 8
        assertEquals("""
                tensor([[0.0000e+00, 1.2500e-01],
                        [2.5000e-01, 3.7500e-01],
                        [5.0000e-01, 6.2500e-01],
                        ...,
                        [1.4925e+02, 1.4938e+02],
                        [1.4950e+02, 1.4962e+02],
                        [1.4975e+02, 1.4988e+02]])""", fmt(s(600, 2), gen(1200, i -> i / 8f)));
    }

    @Test
    void summarised3d() {
        // ((torch.arange(1800) % 13 - 6).float() / 4).reshape(10, 12, 15)
        assertEquals("""
                tensor([[[-1.5000, -1.2500, -1.0000,  ...,  1.5000, -1.5000, -1.2500],
                         [-1.0000, -0.7500, -0.5000,  ..., -1.2500, -1.0000, -0.7500],
                         [-0.5000, -0.2500,  0.0000,  ..., -0.7500, -0.5000, -0.2500],
                         ...,
                         [-0.2500,  0.0000,  0.2500,  ..., -0.5000, -0.2500,  0.0000],
                         [ 0.2500,  0.5000,  0.7500,  ...,  0.0000,  0.2500,  0.5000],
                         [ 0.7500,  1.0000,  1.2500,  ...,  0.5000,  0.7500,  1.0000]],

                        [[ 1.2500,  1.5000, -1.5000,  ...,  1.0000,  1.2500,  1.5000],
                         [-1.5000, -1.2500, -1.0000,  ...,  1.5000, -1.5000, -1.2500],
                         [-1.0000, -0.7500, -0.5000,  ..., -1.2500, -1.0000, -0.7500],
                         ...,
                         [-0.7500, -0.5000, -0.2500,  ..., -1.0000, -0.7500, -0.5000],
                         [-0.2500,  0.0000,  0.2500,  ..., -0.5000, -0.2500,  0.0000],
                         [ 0.2500,  0.5000,  0.7500,  ...,  0.0000,  0.2500,  0.5000]],

                        [[ 0.7500,  1.0000,  1.2500,  ...,  0.5000,  0.7500,  1.0000],
                         [ 1.2500,  1.5000, -1.5000,  ...,  1.0000,  1.2500,  1.5000],
                         [-1.5000, -1.2500, -1.0000,  ...,  1.5000, -1.5000, -1.2500],
                         ...,
                         [-1.2500, -1.0000, -0.7500,  ..., -1.5000, -1.2500, -1.0000],
                         [-0.7500, -0.5000, -0.2500,  ..., -1.0000, -0.7500, -0.5000],
                         [-0.2500,  0.0000,  0.2500,  ..., -0.5000, -0.2500,  0.0000]],

                        ...,

                        [[ 1.5000, -1.5000, -1.2500,  ...,  1.2500,  1.5000, -1.5000],
                         [-1.2500, -1.0000, -0.7500,  ..., -1.5000, -1.2500, -1.0000],
                         [-0.7500, -0.5000, -0.2500,  ..., -1.0000, -0.7500, -0.5000],
                         ...,
                         [-0.5000, -0.2500,  0.0000,  ..., -0.7500, -0.5000, -0.2500],
                         [ 0.0000,  0.2500,  0.5000,  ..., -0.2500,  0.0000,  0.2500],
                         [ 0.5000,  0.7500,  1.0000,  ...,  0.2500,  0.5000,  0.7500]],

                        [[ 1.0000,  1.2500,  1.5000,  ...,  0.7500,  1.0000,  1.2500],
                         [ 1.5000, -1.5000, -1.2500,  ...,  1.2500,  1.5000, -1.5000],
                         [-1.2500, -1.0000, -0.7500,  ..., -1.5000, -1.2500, -1.0000],
                         ...,
                         [-1.0000, -0.7500, -0.5000,  ..., -1.2500, -1.0000, -0.7500],
                         [-0.5000, -0.2500,  0.0000,  ..., -0.7500, -0.5000, -0.2500],
                         [ 0.0000,  0.2500,  0.5000,  ..., -0.2500,  0.0000,  0.2500]],

                        [[ 0.5000,  0.7500,  1.0000,  ...,  0.2500,  0.5000,  0.7500],
                         [ 1.0000,  1.2500,  1.5000,  ...,  0.7500,  1.0000,  1.2500],
                         [ 1.5000, -1.5000, -1.2500,  ...,  1.2500,  1.5000, -1.5000],
                         ...,
                         [-1.5000, -1.2500, -1.0000,  ...,  1.5000, -1.5000, -1.2500],
                         [-1.0000, -0.7500, -0.5000,  ..., -1.2500, -1.0000, -0.7500],
                         [-0.5000, -0.2500,  0.0000,  ..., -0.7500, -0.5000, -0.2500]]])""", fmt(s(10, 12, 15), gen(1800, i -> (i % 13 - 6) / 4f)));
    }

    @Test
    void longRowsWrapAtLineWidth() {
        // torch.arange(30, dtype=torch.float32) / 3
        assertEquals("""
                tensor([0.0000, 0.3333, 0.6667, 1.0000, 1.3333, 1.6667, 2.0000, 2.3333, 2.6667,
                        3.0000, 3.3333, 3.6667, 4.0000, 4.3333, 4.6667, 5.0000, 5.3333, 5.6667,
                        6.0000, 6.3333, 6.6667, 7.0000, 7.3333, 7.6667, 8.0000, 8.3333, 8.6667,
                        9.0000, 9.3333, 9.6667])""", fmt(s(30), gen(30, i -> i / 3f)));
        // torch.arange(-20, 40)
        assertEquals("""
                tensor([-20, -19, -18, -17, -16, -15, -14, -13, -12, -11, -10,  -9,  -8,  -7,
                         -6,  -5,  -4,  -3,  -2,  -1,   0,   1,   2,   3,   4,   5,   6,   7,
                          8,   9,  10,  11,  12,  13,  14,  15,  16,  17,  18,  19,  20,  21,
                         22,  23,  24,  25,  26,  27,  28,  29,  30,  31,  32,  33,  34,  35,
                         36,  37,  38,  39])""", fmt(s(60), genL(60, i -> i - 20)));
        // torch.arange(60, dtype=torch.float32).reshape(3, 20) / 7
        assertEquals("""
                tensor([[0.0000, 0.1429, 0.2857, 0.4286, 0.5714, 0.7143, 0.8571, 1.0000, 1.1429,
                         1.2857, 1.4286, 1.5714, 1.7143, 1.8571, 2.0000, 2.1429, 2.2857, 2.4286,
                         2.5714, 2.7143],
                        [2.8571, 3.0000, 3.1429, 3.2857, 3.4286, 3.5714, 3.7143, 3.8571, 4.0000,
                         4.1429, 4.2857, 4.4286, 4.5714, 4.7143, 4.8571, 5.0000, 5.1429, 5.2857,
                         5.4286, 5.5714],
                        [5.7143, 5.8571, 6.0000, 6.1429, 6.2857, 6.4286, 6.5714, 6.7143, 6.8571,
                         7.0000, 7.1429, 7.2857, 7.4286, 7.5714, 7.7143, 7.8571, 8.0000, 8.1429,
                         8.2857, 8.4286]])""", fmt(s(3, 20), gen(60, i -> i / 7f)));
    }

    @Test
    void suffixes() {
        // torch.tensor([[1.3434, -1.7952], [0.5, 2.]], requires_grad=True) * 2
        assertEquals("""
                tensor([[ 2.6868, -3.5904],
                        [ 1.0000,  4.0000]], grad_fn=<MulBackward0>)""", fmt(s(2, 2), f32(1.3434f * 2, -1.7952f * 2, 1, 4), "grad_fn=<MulBackward0>"));
        // torch.arange(6, dtype=torch.float64).reshape(2, 3) / 4
        assertEquals("""
                tensor([[0.0000, 0.2500, 0.5000],
                        [0.7500, 1.0000, 1.2500]], dtype=torch.float64)""", fmt(s(2, 3), gen(6, i -> i / 4.0), "dtype=torch.float64"));
        // (torch.arange(30, dtype=torch.float32) / 3).requires_grad_() * 2: suffix overflows the last line
        assertEquals("""
                tensor([ 0.0000,  0.6667,  1.3333,  2.0000,  2.6667,  3.3333,  4.0000,  4.6667,
                         5.3333,  6.0000,  6.6667,  7.3333,  8.0000,  8.6667,  9.3333, 10.0000,
                        10.6667, 11.3333, 12.0000, 12.6667, 13.3333, 14.0000, 14.6667, 15.3333,
                        16.0000, 16.6667, 17.3333, 18.0000, 18.6667, 19.3333],
                       grad_fn=<MulBackward0>)""", fmt(s(30), gen(30, i -> i / 3f * 2f), "grad_fn=<MulBackward0>"));
        // (torch.arange(27, dtype=torch.float32) / 3).to(torch.float64).requires_grad_() + 1
        assertEquals("""
                tensor([1.0000, 1.3333, 1.6667, 2.0000, 2.3333, 2.6667, 3.0000, 3.3333, 3.6667,
                        4.0000, 4.3333, 4.6667, 5.0000, 5.3333, 5.6667, 6.0000, 6.3333, 6.6667,
                        7.0000, 7.3333, 7.6667, 8.0000, 8.3333, 8.6667, 9.0000, 9.3333, 9.6667],
                       dtype=torch.float64, grad_fn=<AddBackward0>)""", fmt(s(27), gen(27, i -> (double) (i / 3f) + 1.0),
                "dtype=torch.float64", "grad_fn=<AddBackward0>"));
    }

    @Test
    void parameterPrefix() {
        // torch.nn.Parameter(torch.tensor([[1., 2.], [3., 4.]]))
        assertEquals("""
                Parameter containing:
                tensor([[1., 2.],
                        [3., 4.]], requires_grad=True)""", TensorFormat.format(PARAM, s(2, 2), f32(1, 2, 3, 4), null, null,
                List.of("requires_grad=True")));
        // torch.nn.Parameter(torch.arange(27, dtype=torch.float32) / 3)
        assertEquals("""
                Parameter containing:
                tensor([0.0000, 0.3333, 0.6667, 1.0000, 1.3333, 1.6667, 2.0000, 2.3333, 2.6667,
                        3.0000, 3.3333, 3.6667, 4.0000, 4.3333, 4.6667, 5.0000, 5.3333, 5.6667,
                        6.0000, 6.3333, 6.6667, 7.0000, 7.3333, 7.6667, 8.0000, 8.3333, 8.6667],
                       requires_grad=True)""", TensorFormat.format(PARAM, s(27), gen(27, i -> i / 3f), null, null,
                List.of("requires_grad=True")));
        // torch.nn.Parameter(torch.tensor([0.0856]))
        assertEquals("""
                Parameter containing:
                tensor([0.0856], requires_grad=True)""", TensorFormat.format(PARAM, s(1), f32(0.0856f), null, null,
                List.of("requires_grad=True")));
    }

    @Test
    void rejectsAmbiguousData() {
        assertThrows(IllegalArgumentException.class,
                () -> TensorFormat.format(T, s(1), new double[1], new long[1], null, List.of()));
        // above 1000 elements only the 6 edges of each long dimension are passed, not every element
        assertThrows(IllegalArgumentException.class, () -> TensorFormat.format(T, s(2000), null, new long[2000], null, List.of()));
    }
}
