package dev.tessera.nn;

import java.math.BigDecimal;

/** Python's spellings, so that layer reprs read exactly as PyTorch's. */
final class Repr {
    private Repr() {}

    /** Python's repr of a float: 0.1, 1e-05, 1.0, 0.001. */
    static String pyFloat(double v) {
        if (v == 0) return 1 / v < 0 ? "-0.0" : "0.0";
        if (Double.isNaN(v)) return "nan";
        if (Double.isInfinite(v)) return v > 0 ? "inf" : "-inf";
        BigDecimal d = new BigDecimal(Double.toString(v)).stripTrailingZeros();
        double abs = Math.abs(v);
        if (abs >= 1e-4 && abs < 1e16) {
            String s = d.toPlainString();
            return s.contains(".") ? s : s + ".0";
        }
        int exponent = d.precision() - d.scale() - 1;
        String digits = d.unscaledValue().abs().toString();
        String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        return (v < 0 ? "-" : "") + mantissa + "e" + (exponent < 0 ? "-" : "+") + String.format("%02d", Math.abs(exponent));
    }

    static String bool(boolean b) { return b ? "True" : "False"; }

    /** A Python tuple of ints: (3,) or (3, 3). */
    static String tuple(long... v) {
        if (v.length == 1) return "(" + v[0] + ",)";
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < v.length; i++) sb.append(i == 0 ? "" : ", ").append(v[i]);
        return sb.append(')').toString();
    }
}
