package dev.tessera.backend;

/** Elementwise functions of one floating-point operand; out has the operand's shape and dtype. */
public enum UnaryOp { NEG, EXP, LOG, SQRT, RSQRT, ABS, SIGN, RELU, SIGMOID, TANH, GELU, ERF }
