package dev.tessera.backend.cpu;

import dev.tessera.backend.BinaryOp;
import dev.tessera.backend.UnaryOp;

/** The scalar definition of every elementwise op, in double. The switches are exhaustive on purpose. */
final class Scalar {
    private Scalar() {}

    private static final double SQRT1_2 = Math.sqrt(0.5);

    static double unary(UnaryOp op, double x) {
        return switch (op) {
            case NEG -> -x;
            case EXP -> Math.exp(x);
            case LOG -> Math.log(x);
            case SQRT -> Math.sqrt(x);
            case RSQRT -> 1.0 / Math.sqrt(x);
            case ABS -> Math.abs(x);
            case SIGN -> Math.signum(x);
            case RELU -> x > 0 ? x : (Double.isNaN(x) ? x : 0.0);
            case SIGMOID -> 1.0 / (1.0 + Math.exp(-x));
            case TANH -> Math.tanh(x);
            case GELU -> 0.5 * x * (1.0 + erf(x * SQRT1_2));
            case ERF -> erf(x);
        };
    }

    static double binary(BinaryOp op, double a, double b) {
        return switch (op) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case POW -> Math.pow(a, b);
            case MAXIMUM -> Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.max(a, b);
            case MINIMUM -> Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.min(a, b);
            case RELU_BACKWARD -> b > 0 ? a : 0;
            case EQ -> a == b ? 1 : 0;
            case NE -> a != b ? 1 : 0;
            case GT -> a > b ? 1 : 0;
            case GE -> a >= b ? 1 : 0;
            case LT -> a < b ? 1 : 0;
            case LE -> a <= b ? 1 : 0;
        };
    }

    /**
     * INT64 arithmetic in 64-bit integers, exact over the whole range (wrapping on overflow, as
     * PyTorch's int64 does). POW by squaring with PyTorch's integer rules for negative exponents:
     * 1 for base 1, ±1 for base −1, otherwise 0. DIV is not an INT64 op (true division promotes).
     */
    static long binaryLong(BinaryOp op, long a, long b) {
        return switch (op) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case POW -> powLong(a, b);
            case MAXIMUM -> Math.max(a, b);
            case MINIMUM -> Math.min(a, b);
            case RELU_BACKWARD -> b > 0 ? a : 0;
            case DIV, EQ, NE, GT, GE, LT, LE -> throw new IllegalArgumentException(op + " does not produce INT64 from INT64");
        };
    }

    static long powLong(long base, long exp) {
        if (exp < 0) return base == 1 ? 1 : base == -1 ? ((exp & 1) == 0 ? 1 : -1) : 0;
        long result = 1;
        for (long b = base, e = exp; e > 0; e >>= 1, b *= b) if ((e & 1) != 0) result *= b;
        return result;
    }

    /** Comparisons of INT64 values, exact over the whole range. */
    static boolean compare(BinaryOp op, long a, long b) {
        return switch (op) {
            case EQ -> a == b;
            case NE -> a != b;
            case GT -> a > b;
            case GE -> a >= b;
            case LT -> a < b;
            case LE -> a <= b;
            default -> throw new IllegalArgumentException(op + " is not a comparison");
        };
    }

    /**
     * The error function to double precision. |x| &lt; 2.5: the everywhere-positive series
     * erf(x) = 2/√π · e^(−x²) · Σ (2x²)^n x / (1·3·…·(2n+1)), which has no cancellation;
     * beyond: erfc by its continued fraction (modified Lentz), which converges fast there.
     */
    static double erf(double x) {
        if (Double.isNaN(x)) return x;
        double ax = Math.abs(x);
        if (ax > 6) return Math.copySign(1.0, x);
        if (ax < 2.5) {
            double x2 = x * x, term = x, sum = x;
            for (int n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
                term *= 2 * x2 / (2 * n + 1);
                sum += term;
            }
            return 2 / Math.sqrt(Math.PI) * Math.exp(-x2) * sum;
        }
        // erfc(a) = e^(−a²)/√π · 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + 2/(a + …)))))
        double tiny = 1e-300, f = ax, c = ax, d = 0;
        for (int n = 1; n < 300; n++) {
            double an = n * 0.5;
            d = ax + an * d;
            d = d == 0 ? tiny : 1 / d;
            c = ax + an / c;
            if (c == 0) c = tiny;
            double delta = c * d;
            f *= delta;
            if (Math.abs(delta - 1) < 1e-16) break;
        }
        double erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
        return Math.copySign(1 - erfc, x);
    }
}
