package dev.tessera.backend.cpu;

import dev.tessera.backend.BinaryOp;

/**
 * FLOAT32 binary rows with the op chosen outside the loop, so each loop is a plain expression the
 * JIT can unroll (and, at unit stride into separate arrays, vectorise). Every other dtype goes
 * through {@link Scalar}.
 */
final class FloatLoops {
    private FloatLoops() {}

    /** o[oo + j·so] = a[ao + j·sa] op b[bo + j·sb] for j in [0, len); op not a comparison and not POW. */
    static void arithmetic(BinaryOp op, float[] a, int ao, int sa, float[] b, int bo, int sb, float[] o, int oo, int so, int len) {
        if (so == 1 && sa == 1 && sb == 1) {
            switch (op) {
                case ADD -> { for (int j = 0; j < len; j++) o[oo + j] = a[ao + j] + b[bo + j]; }
                case SUB -> { for (int j = 0; j < len; j++) o[oo + j] = a[ao + j] - b[bo + j]; }
                case MUL -> { for (int j = 0; j < len; j++) o[oo + j] = a[ao + j] * b[bo + j]; }
                case DIV -> { for (int j = 0; j < len; j++) o[oo + j] = a[ao + j] / b[bo + j]; }
                case MAXIMUM -> { for (int j = 0; j < len; j++) o[oo + j] = Math.max(a[ao + j], b[bo + j]); }
                case MINIMUM -> { for (int j = 0; j < len; j++) o[oo + j] = Math.min(a[ao + j], b[bo + j]); }
                case RELU_BACKWARD -> { for (int j = 0; j < len; j++) o[oo + j] = b[bo + j] > 0 ? a[ao + j] : 0f; }
                default -> throw new IllegalArgumentException(op.name());
            }
        } else if (so == 1 && sa == 1 && sb == 0) {
            float s = b[bo];
            switch (op) {
                case ADD -> { for (int j = 0; j < len; j++) o[oo + j] = a[ao + j] + s; }
                case SUB -> { for (int j = 0; j < len; j++) o[oo + j] = a[ao + j] - s; }
                case MUL -> { for (int j = 0; j < len; j++) o[oo + j] = a[ao + j] * s; }
                case DIV -> { for (int j = 0; j < len; j++) o[oo + j] = a[ao + j] / s; }
                case MAXIMUM -> { for (int j = 0; j < len; j++) o[oo + j] = Math.max(a[ao + j], s); }
                case MINIMUM -> { for (int j = 0; j < len; j++) o[oo + j] = Math.min(a[ao + j], s); }
                case RELU_BACKWARD -> { for (int j = 0; j < len; j++) o[oo + j] = s > 0 ? a[ao + j] : 0f; }
                default -> throw new IllegalArgumentException(op.name());
            }
        } else {
            switch (op) {
                case ADD -> { for (int j = 0; j < len; j++) o[oo + j * so] = a[ao + j * sa] + b[bo + j * sb]; }
                case SUB -> { for (int j = 0; j < len; j++) o[oo + j * so] = a[ao + j * sa] - b[bo + j * sb]; }
                case MUL -> { for (int j = 0; j < len; j++) o[oo + j * so] = a[ao + j * sa] * b[bo + j * sb]; }
                case DIV -> { for (int j = 0; j < len; j++) o[oo + j * so] = a[ao + j * sa] / b[bo + j * sb]; }
                case MAXIMUM -> { for (int j = 0; j < len; j++) o[oo + j * so] = Math.max(a[ao + j * sa], b[bo + j * sb]); }
                case MINIMUM -> { for (int j = 0; j < len; j++) o[oo + j * so] = Math.min(a[ao + j * sa], b[bo + j * sb]); }
                case RELU_BACKWARD -> { for (int j = 0; j < len; j++) o[oo + j * so] = b[bo + j * sb] > 0 ? a[ao + j * sa] : 0f; }
                default -> throw new IllegalArgumentException(op.name());
            }
        }
    }

    /** o[oo + j·so] = a[ao + j·sa] op b[bo + j·sb] for a comparison op. */
    static void compare(BinaryOp op, float[] a, int ao, int sa, float[] b, int bo, int sb, boolean[] o, int oo, int so, int len) {
        switch (op) {
            case EQ -> { for (int j = 0; j < len; j++) o[oo + j * so] = a[ao + j * sa] == b[bo + j * sb]; }
            case NE -> { for (int j = 0; j < len; j++) o[oo + j * so] = a[ao + j * sa] != b[bo + j * sb]; }
            case GT -> { for (int j = 0; j < len; j++) o[oo + j * so] = a[ao + j * sa] > b[bo + j * sb]; }
            case GE -> { for (int j = 0; j < len; j++) o[oo + j * so] = a[ao + j * sa] >= b[bo + j * sb]; }
            case LT -> { for (int j = 0; j < len; j++) o[oo + j * so] = a[ao + j * sa] < b[bo + j * sb]; }
            case LE -> { for (int j = 0; j < len; j++) o[oo + j * so] = a[ao + j * sa] <= b[bo + j * sb]; }
            default -> throw new IllegalArgumentException(op.name());
        }
    }
}
