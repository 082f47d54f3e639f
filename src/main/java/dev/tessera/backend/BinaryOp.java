package dev.tessera.backend;

/**
 * Elementwise functions of two operands of the same dtype, already broadcast to the output shape.
 * Comparisons write BOOL; the rest write the operands' dtype. DIV is true division (floats only).
 * RELU_BACKWARD(grad, y) = y &gt; 0 ? grad : 0 (PyTorch's threshold_backward), one pass instead of three.
 */
public enum BinaryOp {
    ADD, SUB, MUL, DIV, POW, MAXIMUM, MINIMUM, RELU_BACKWARD, EQ, NE, GT, GE, LT, LE;

    public boolean isComparison() { return ordinal() >= EQ.ordinal(); }
}
