package dev.tessera.backend;

import dev.tessera.DType;

/**
 * What a kernel sees of a tensor: storage, element offset, shape and strides (in elements).
 * Broadcasting reaches the kernels as stride 0.
 */
public record View(Storage storage, long offset, long[] shape, long[] strides) {
    public DType dtype() { return storage.dtype(); }

    public long numel() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    /** Row-major strides of a dense tensor of this shape (size-0 dimensions count as 1). */
    public static long[] contiguousStrides(long[] shape) {
        long[] st = new long[shape.length];
        long acc = 1;
        for (int d = shape.length - 1; d >= 0; d--) { st[d] = acc; acc *= Math.max(shape[d], 1); }
        return st;
    }

    /** True when the elements are laid out densely in row-major order. */
    public boolean isContiguous() {
        long expected = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] != 1 && strides[d] != expected) return false;
            expected *= shape[d];
        }
        return true;
    }
}
