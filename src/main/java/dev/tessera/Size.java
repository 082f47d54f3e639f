package dev.tessera;

import java.util.Arrays;

/**
 * An immutable tensor shape; prints as PyTorch's {@code torch.Size}: {@code torch.Size([128, 20])}.
 * {@link #toList()} prints as PyTorch's {@code list(size)}, {@code [128, 20]}, the form PyTorch's
 * error messages use.
 */
public final class Size {
    private final long[] dims;

    public Size(long... dims) { this.dims = dims.clone(); }

    public static Size of(long... dims) { return new Size(dims); }

    /**
     * Size of dimension {@code i}; negative indices count from the end. An index outside
     * {@code [-dim(), dim())} throws {@link TesseraIndexException} (PyTorch: {@code IndexError: tuple
     * index out of range}).
     */
    public long get(int i) {
        int d = i < 0 ? i + dims.length : i;
        if (d < 0 || d >= dims.length)
            throw new TesseraIndexException("Size.get: tuple index " + i + " out of range for " + this);
        return dims[d];
    }

    public int dim() { return dims.length; }

    /** Product of all dimensions (1 for a 0-dim shape). */
    public long numel() { return numel(dims); }

    public long[] toArray() { return dims.clone(); }

    /** The dimensions as an unmodifiable list, as PyTorch's {@code list(size)}; prints as {@code [128, 20]}. */
    public java.util.List<Long> toList() { return java.util.List.of(Arrays.stream(dims).boxed().toArray(Long[]::new)); }

    static long numel(long[] dims) {
        long n = 1;
        for (long d : dims) n *= d;
        return n;
    }

    @Override public boolean equals(Object o) { return o instanceof Size s && Arrays.equals(dims, s.dims); }
    @Override public int hashCode() { return Arrays.hashCode(dims); }

    /** {@code torch.Size([128, 20])}, {@code torch.Size([])} for a 0-dim tensor, as PyTorch prints them. */
    @Override public String toString() {
        StringBuilder sb = new StringBuilder("torch.Size([");
        for (int i = 0; i < dims.length; i++) sb.append(i == 0 ? "" : ", ").append(dims[i]);
        return sb.append("])").toString();
    }
}
