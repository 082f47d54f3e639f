package dev.tessera.backend;

import java.util.Arrays;

/**
 * The shape of an elementwise loop over up to four views of one shape, with size-1 dimensions
 * dropped and neighbouring dimensions merged wherever every operand is laid out alike — so a
 * contiguous tensor is one dimension and a broadcast bias add is two. Both backends iterate this.
 */
public final class MergedDims {
    /** Merged shape (at least one dimension; {@code [0]} for an empty loop, {@code [1]} for a scalar). */
    public final long[] shape;
    /** Per operand, strides in elements matching {@link #shape}. */
    public final long[][] strides;

    public MergedDims(long[] shape, View... views) {
        int k = views.length;
        long[] mergedShape = new long[Math.max(1, shape.length)];
        long[][] merged = new long[k][mergedShape.length];
        int dims = 0;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 1) continue;
            boolean canMerge = dims > 0;
            for (int v = 0; v < k && canMerge; v++)
                canMerge = merged[v][dims - 1] == views[v].strides()[d] * shape[d];
            if (canMerge) {
                mergedShape[dims - 1] *= shape[d];
                for (int v = 0; v < k; v++) merged[v][dims - 1] = views[v].strides()[d];
            } else {
                mergedShape[dims] = shape[d];
                for (int v = 0; v < k; v++) merged[v][dims] = views[v].strides()[d];
                dims++;
            }
        }
        if (dims == 0) {
            boolean empty = false;
            for (long d : shape) empty |= d == 0;
            mergedShape[0] = empty ? 0 : 1;
            dims = 1;
        }
        this.shape = Arrays.copyOf(mergedShape, dims);
        this.strides = new long[k][];
        for (int v = 0; v < k; v++) strides[v] = Arrays.copyOf(merged[v], dims);
    }

    public long numel() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }
}
