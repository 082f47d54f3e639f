package dev.tessera.ops;

import dev.tessera.Tensor;
import dev.tessera.TesseraException;
import dev.tessera.backend.View;
import java.util.Arrays;
import java.util.Comparator;

/**
 * PyTorch's write-overlap checks (ATen's MemoryOverlap.cpp), run by in-place ops and copy_ before
 * any kernel: a destination whose elements share memory (an expanded view) is refused, and so is
 * a source that partly overlaps the destination. On a GPU both would race (every element is
 * written by its own thread, in no order); the CPU would give a deterministic but different
 * answer, so both backends refuse alike. As in PyTorch, a case that is not dense (e.g. a strided
 * slice) is "too hard" and allowed, and so is a source that is exactly the destination. Operands
 * are checked before broadcasting, as PyTorch's TensorIterator does.
 */
public final class MemoryOverlap {
    private MemoryOverlap() {}

    static final String INTERNAL = "unsupported operation: more than one element of the written-to tensor refers to a single memory "
            + "location. Please clone() the tensor before performing the operation.";
    static final String PARTIAL = "unsupported operation: some elements of the input tensor and the written-to tensor refer to a single "
            + "memory location. Please clone() the tensor before performing the operation.";

    /** Throws PyTorch's error when out has a stride-0 dim of size > 1 (has_internal_overlap = YES). */
    public static void assertNoInternalOverlap(Tensor out) {
        View v = out.raw();
        if (v.numel() == 0 || denseWithoutOverlap(v)) return;
        for (int d = 0; d < v.shape().length; d++)
            if (v.shape()[d] > 1 && v.strides()[d] == 0) throw new TesseraException(INTERNAL);
    }

    /** Throws PyTorch's error when in and out share storage and their (dense) extents overlap without coinciding. */
    public static void assertNoPartialOverlap(Tensor out, Tensor in) {
        View a = out.raw(), b = in.raw();
        if (a.storage() != b.storage() || a.numel() == 0 || b.numel() == 0) return;
        if (!denseWithoutOverlap(a) || !denseWithoutOverlap(b)) return;   // TOO_HARD: allowed, as in PyTorch
        long aBegin = a.offset(), aEnd = aBegin + a.numel(), bBegin = b.offset(), bEnd = bBegin + b.numel();
        if (aBegin == bBegin && aEnd == bEnd && Arrays.equals(a.strides(), b.strides())) return;   // FULL: the same view (x.add_(x))
        if (aBegin < bEnd && bBegin < aEnd) throw new TesseraException(PARTIAL);   // incl. the same elements in another order (x.add_(x.t()))
    }

    /**
     * PyTorch's is_non_overlapping_and_dense: ignoring size-1 dims, the strides sorted ascending are
     * 1, size, size·size', ... — the view covers a contiguous range once, in some dim order.
     */
    static boolean denseWithoutOverlap(View v) {
        long[] shape = v.shape(), strides = v.strides();
        Integer[] dims = new Integer[shape.length];
        for (int i = 0; i < dims.length; i++) dims[i] = i;
        Arrays.sort(dims, Comparator.comparingLong(d -> strides[d]));
        long expected = 1;
        for (int d : dims) {
            if (shape[d] == 1) continue;
            if (strides[d] != expected) return false;
            expected *= shape[d];
        }
        return true;
    }
}
