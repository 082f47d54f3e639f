package dev.tessera;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Port of PyTorch's {@code torch/_tensor_str.py} with the default print options (precision 4,
 * threshold 1000, edgeitems 3, linewidth 80, sci_mode chosen automatically), so that
 * {@code Tensor.toString()} matches {@code repr(tensor)} character for character.
 */
final class TensorFormat {
    private static final int PRECISION = 4;
    private static final int THRESHOLD = 1000;
    private static final int EDGE_ITEMS = 3;
    private static final int LINE_WIDTH = 80;

    private TensorFormat() {}

    /**
     * PyTorch's repr: prefix + data + suffixes, e.g. prefix {@code "tensor("} gives
     * {@code "tensor([[ 1.3434, -1.7952]], requires_grad=True)"}.
     *
     * @param prefix   {@code "tensor("}, or {@code "Parameter containing:\ntensor("}; continuation lines are
     *                 indented by the length of the prefix's last line, as PyTorch indents by len("tensor(")
     * @param shape    the tensor's shape; {@code long[0]} for a 0-dim tensor
     * @param floats   FLOAT32 (widened) or FLOAT64 values in row-major order of {@link #shownShape(long[])} (every
     *                 element, or only the edges PyTorch prints when it summarises), or null
     * @param longs    INT64 values, or null
     * @param bools    BOOL values, or null (exactly one of floats/longs/bools is non-null, holding
     *                 {@code numel(shownShape(shape))} values)
     * @param suffixes already formatted suffixes in PyTorch's order ("device='cuda:0'", "dtype=torch.float64",
     *                 "requires_grad=True", "grad_fn=&lt;MulBackward0&gt;"); for an empty tensor this method
     *                 adds {@code size=(...)} itself (after any device suffix, where PyTorch puts it), while the
     *                 caller must still pass the dtype suffix, which PyTorch prints for every non-default dtype
     *                 of an empty tensor, int64 and bool included
     * @return the repr string
     */
    static String format(String prefix, long[] shape, double[] floats, long[] longs, boolean[] bools,
                         List<String> suffixes) {
        if ((floats == null ? 0 : 1) + (longs == null ? 0 : 1) + (bools == null ? 0 : 1) != 1) {
            throw new IllegalArgumentException("exactly one of floats, longs, bools must be non-null");
        }
        int indent = prefix.length() - prefix.lastIndexOf('\n') - 1;
        long numel = numelOf(shape);
        long[] shown = shownShape(shape);
        long given = floats != null ? floats.length : longs != null ? longs.length : bools.length;
        if (given != numelOf(shown))
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " prints " + numelOf(shown) + " elements (shape "
                    + Arrays.toString(shown) + "), got " + given);
        List<String> sfx = new ArrayList<>(suffixes);
        String data;
        if (numel == 0) {
            data = "[]";
            // Like NumPy, PyTorch spells out the shape of an empty tensor unless it is (0,).
            if (shape.length != 1) {
                int at = 0;
                while (at < sfx.size() && sfx.get(at).startsWith("device=")) at++;
                sfx.add(at, "size=" + tuple(shape));
            }
        } else {
            data = new Printer(shape, shown, floats, longs, bools).tensorStr(0, 0, indent);
        }
        return addSuffixes(prefix + data, sfx, indent);
    }

    /**
     * The shape of what is printed: the shape itself up to {@value #THRESHOLD} elements; above that
     * PyTorch summarises, and every dimension longer than 2·{@value #EDGE_ITEMS} keeps only its first
     * and last {@value #EDGE_ITEMS} (get_summarized_data). Only these elements need to reach the host.
     */
    static long[] shownShape(long[] shape) {
        long[] shown = shape.clone();
        if (numelOf(shape) > THRESHOLD)
            for (int d = 0; d < shown.length; d++) shown[d] = Math.min(shown[d], 2 * EDGE_ITEMS);
        return shown;
    }

    /** The edge items kept per summarised dimension, for {@code Views.edges}. */
    static int edgeItems() { return EDGE_ITEMS; }

    private static long numelOf(long[] shape) {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    /** PyTorch's _add_suffixes: a suffix moves to its own line when the current one would pass the linewidth. */
    private static String addSuffixes(String tensorStr, List<String> suffixes, int indent) {
        StringBuilder sb = new StringBuilder(tensorStr);
        // Same "+ 1" as PyTorch (len - rfind + 1), i.e. the last line's length plus 2.
        int lastLineLen = tensorStr.length() - tensorStr.lastIndexOf('\n') + 1;
        for (String suffix : suffixes) {
            if (lastLineLen + suffix.length() + 2 > LINE_WIDTH) {
                sb.append(",\n").append(" ".repeat(indent)).append(suffix);
                lastLineLen = indent + suffix.length();
            } else {
                sb.append(", ").append(suffix);
                lastLineLen += suffix.length() + 2;
            }
        }
        return sb.append(')').toString();
    }

    /** Python's str(tuple(shape)): "(0, 3)", with the trailing comma of a 1-tuple. */
    private static String tuple(long[] shape) {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) sb.append(i == 0 ? "" : ", ").append(shape[i]);
        return sb.append(shape.length == 1 ? ",)" : ")").toString();
    }

    /**
     * One repr in progress: the _Formatter state plus the recursive _tensor_str_with_formatter walk,
     * over the shown elements (row-major in the shown shape); a dimension shorter there than in the
     * tensor is summarised, "..." standing for its middle.
     */
    private static final class Printer {
        private final long[] shape, shown;
        private final int[] strides;   // of the shown elements
        private final double[] floats;
        private final long[] longs;
        private final boolean[] bools;
        private boolean intMode = true;
        private boolean sciMode = false;
        private int maxWidth = 1;

        Printer(long[] shape, long[] shown, double[] floats, long[] longs, boolean[] bools) {
            this.shape = shape;
            this.shown = shown;
            this.floats = floats;
            this.longs = longs;
            this.bools = bools;
            strides = new int[shown.length];
            int s = 1;
            for (int d = shown.length - 1; d >= 0; d--) {
                strides[d] = s;
                s *= (int) shown[d];
            }
            initFormatter(s);   // the formatter sees only the printed elements, as PyTorch's does
        }

        /** _Formatter.__init__: choose int/sci/fixed mode and the common column width. */
        private void initFormatter(int count) {
            if (floats == null) {
                for (int i = 0; i < count; i++) maxWidth = Math.max(maxWidth, plain(i).length());
                return;
            }
            // Min/max/ratio are computed in double by PyTorch too (tensor_totype), so widened float32 agrees.
            double min = Double.POSITIVE_INFINITY, max = 0;
            List<Double> vals = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                double v = floats[i];
                if (Double.isFinite(v) && v != 0) {
                    vals.add(v);
                    min = Math.min(min, Math.abs(v));
                    max = Math.max(max, Math.abs(v));
                    if (v != Math.ceil(v)) intMode = false;
                }
            }
            if (vals.isEmpty()) return; // only zeros/inf/nan: int mode, width 1
            sciMode = max / min > 1000.0 || max > 1.0e8 || (!intMode && min < 1.0e-4);
            for (double v : vals) {
                // Int mode reserves one extra column for the trailing '.'.
                int len = sciMode ? sci(v).length() : intMode ? fixed(v, 0).length() + 1 : fixed(v, PRECISION).length();
                maxWidth = Math.max(maxWidth, len);
            }
        }

        /** _Formatter.format: the element right-aligned to the common width. */
        private String element(int i) {
            String s;
            if (floats == null) {
                s = plain(i);
            } else {
                double v = floats[i];
                if (sciMode) s = sci(v);
                else if (intMode) s = fixed(v, 0) + (Double.isFinite(v) ? "." : "");
                else s = fixed(v, PRECISION);
            }
            return " ".repeat(Math.max(0, maxWidth - s.length())) + s;
        }

        private String plain(int i) {
            return longs != null ? Long.toString(longs[i]) : bools[i] ? "True" : "False";
        }

        String tensorStr(int dim, int offset, int indent) {
            if (dim == shape.length) return element(offset); // 0-dim
            int n = (int) shown[dim];
            boolean elided = shown[dim] < shape[dim];
            List<String> parts = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                if (elided && i == EDGE_ITEMS) {
                    // A summarised vector marks the gap with " ..." (leading space); higher dims with "...".
                    parts.add(dim == shape.length - 1 ? " ..." : "...");
                }
                int off = offset + i * strides[dim];
                parts.add(dim == shape.length - 1 ? element(off) : tensorStr(dim + 1, off, indent + 1));
            }
            if (dim < shape.length - 1) {
                // Slices are separated by one blank line per extra dimension below them.
                String sep = "," + "\n".repeat(shape.length - dim - 1) + " ".repeat(indent + 1);
                return "[" + String.join(sep, parts) + "]";
            }
            // _vector_str: wrap so that a line holds floor((linewidth - indent) / (width + 2)) items.
            int perLine = Math.max(1, Math.floorDiv(LINE_WIDTH - indent, maxWidth + 2));
            List<String> lines = new ArrayList<>();
            for (int i = 0; i < parts.size(); i += perLine) {
                lines.add(String.join(", ", parts.subList(i, Math.min(parts.size(), i + perLine))));
            }
            return "[" + String.join(",\n" + " ".repeat(indent + 1), lines) + "]";
        }
    }

    /** Python's '{:.Nf}'.format(v): exact binary value rounded half-even (Java's %f rounds differently). */
    static String fixed(double v, int decimals) {
        if (Double.isNaN(v)) return "nan";
        if (Double.isInfinite(v)) return v > 0 ? "inf" : "-inf";
        String s = new BigDecimal(Math.abs(v)).setScale(decimals, RoundingMode.HALF_EVEN).toPlainString();
        // Python keeps the sign of negative values that round to zero, and of -0.0.
        return (Math.copySign(1.0, v) < 0 ? "-" : "") + s;
    }

    /** Python's '{:.4e}'.format(v): "1.0000e-05", "-3.2000e+10", exponent at least two digits. */
    static String sci(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) return fixed(v, 0);
        String sign = Math.copySign(1.0, v) < 0 ? "-" : "";
        if (v == 0) return sign + "0." + "0".repeat(PRECISION) + "e+00";
        BigDecimal r = new BigDecimal(Math.abs(v)).round(new MathContext(PRECISION + 1, RoundingMode.HALF_EVEN));
        String digits = r.unscaledValue().toString();
        int exp = digits.length() - 1 - r.scale();
        digits = (digits + "0".repeat(PRECISION + 1)).substring(0, PRECISION + 1);
        String e = Integer.toString(Math.abs(exp));
        return sign + digits.charAt(0) + "." + digits.substring(1) + "e" + (exp < 0 ? "-" : "+")
                + (e.length() < 2 ? "0" + e : e);
    }
}
