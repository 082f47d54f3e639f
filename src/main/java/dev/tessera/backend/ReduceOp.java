package dev.tessera.backend;

/** Reductions along the inner axis of an [outer, inner] view; ARGMAX/ARGMIN write INT64 (first index on ties). */
public enum ReduceOp { SUM, MAX, MIN, ARGMAX, ARGMIN }
