package dev.tessera;

/** Element types. FLOAT32 is the default, as in PyTorch; BOOL is what comparisons return. */
public enum DType {
    FLOAT32("torch.float32", 4), FLOAT64("torch.float64", 8), INT64("torch.int64", 8), BOOL("torch.bool", 1);

    private final String torchName;
    private final int byteSize;

    DType(String torchName, int byteSize) { this.torchName = torchName; this.byteSize = byteSize; }

    /** The name PyTorch prints, e.g. {@code torch.float64}. */
    public String torchName() { return torchName; }

    /** Bytes per element in PyTorch's (and safetensors') layout. */
    public int byteSize() { return byteSize; }

    public boolean isFloatingPoint() { return this == FLOAT32 || this == FLOAT64; }

    /**
     * PyTorch's type promotion for two tensor operands: BOOL &lt; INT64 &lt; FLOAT32 &lt; FLOAT64.
     * (INT64 with FLOAT32 gives FLOAT32, as in PyTorch.)
     */
    public static DType promote(DType a, DType b) { return a.ordinalRank() >= b.ordinalRank() ? a : b; }

    private int ordinalRank() {
        return switch (this) { case BOOL -> 0; case INT64 -> 1; case FLOAT32 -> 2; case FLOAT64 -> 3; };
    }
}
