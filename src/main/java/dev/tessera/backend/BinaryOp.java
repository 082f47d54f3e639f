package dev.tessera.backend;

/**
 * Elementwise functions of two operands of the same dtype, already broadcast to the output shape.
 * Comparisons write BOOL; the rest write the operands' dtype. DIV is true division (floats only).
 */
public enum BinaryOp {
    ADD, SUB, MUL, DIV, POW, MAXIMUM, MINIMUM, EQ, NE, GT, GE, LT, LE;

    public boolean isComparison() { return ordinal() >= EQ.ordinal(); }
}
