package dev.tessera.backend.cuda;

import dev.tessera.backend.ConvGeometry;
import dev.tessera.backend.MergedDims;
import dev.tessera.backend.View;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** The by-value kernel structs of cuda-kernels/common.cuh, laid out byte for byte (README "Calling convention"). */
final class Structs {
    static final int MAX_DIMS = 8;

    private Structs() {}

    /**
     * Forces the elementwise kernels' 64-bit index path even where the 32-bit one is exact (tests
     * reach both paths with it): package-private, initialised from the system property
     * {@code tessera.cudaIndex64} ({@code -Dtessera.cudaIndex64=true}).
     */
    static volatile boolean index64Only = Boolean.getBoolean("tessera.cudaIndex64");

    /**
     * struct Strides for up to four views of one shape; operand 0 is the output. index32 is set
     * when n and every operand's extent (the offset of its last element, Σ (shape − 1)·stride) are
     * below 2^31, so that the kernels' 32-bit offsets cannot overflow; then magic/shift hold each
     * dimension's divisor for division by multiplication (Granlund & Montgomery).
     */
    static byte[] strides(long[] shape, View... views) {
        MergedDims m = new MergedDims(shape, views);
        int ndim = m.shape.length;
        if (ndim > MAX_DIMS)
            throw new UnsupportedOperationException("CUDA elementwise kernels take at most " + MAX_DIMS + " non-mergeable dimensions, got " + ndim
                    + "; make an operand contiguous first");
        boolean index32 = !index64Only && fitsIn31Bits(m);
        ByteBuffer b = ByteBuffer.allocate(8 + 4 + 4 + 8 * MAX_DIMS + 4 * 8 * MAX_DIMS + 2 * 4 * MAX_DIMS).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(m.numel()).putInt(ndim).putInt(index32 ? 1 : 0);
        for (int d = 0; d < MAX_DIMS; d++) b.putLong(d < ndim ? m.shape[d] : 1);
        for (int k = 0; k < 4; k++)
            for (int d = 0; d < MAX_DIMS; d++) b.putLong(k < views.length && d < ndim ? m.strides[k][d] : 0);
        for (int d = 0; d < MAX_DIMS; d++) b.putInt(index32 && d < ndim ? (int) magic(m.shape[d]) : 0);
        for (int d = 0; d < MAX_DIMS; d++) b.putInt(index32 && d < ndim ? shift(m.shape[d]) : 0);
        return b.array();
    }

    private static final long LIMIT = 1L << 31;

    static boolean fitsIn31Bits(MergedDims m) {
        if (m.numel() >= LIMIT) return false;
        for (long[] st : m.strides) {
            long extent = 0;
            for (int d = 0; d < st.length; d++) {
                if (m.shape[d] == 0) return true;   // no element: nothing is indexed
                extent += (m.shape[d] - 1) * Math.abs(st[d]);
                if (extent >= LIMIT) return false;
            }
        }
        return true;
    }

    /** ⌈log2 d⌉ for 1 ≤ d < 2^31. */
    static int shift(long d) { return 64 - Long.numberOfLeadingZeros(d - 1); }

    /** The 32-bit multiplier m with i / d = (umulhi(i, m) + i) >> shift(d) for every i < 2^31 (as an unsigned int). */
    static long magic(long d) { return ((1L << 32) * ((1L << shift(d)) - d)) / d + 1; }

    /** struct Conv; x's strides (im2col, maxpool2d) and cols' strides (im2col, col2im), null where unused. */
    static byte[] conv(ConvGeometry g, long[] xStrides, long[] colsStrides) {
        ByteBuffer b = ByteBuffer.allocate(6 * 8 + 4 * 8 + 3 * 8 + 8 * 4 + 8).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(g.n()).putLong(g.c()).putLong(g.h()).putLong(g.w()).putLong(g.outH()).putLong(g.outW());
        for (int i = 0; i < 4; i++) b.putLong(xStrides == null ? 0 : xStrides[i]);
        for (int i = 0; i < 3; i++) b.putLong(colsStrides == null ? 0 : colsStrides[i]);
        b.putInt(g.kh()).putInt(g.kw()).putInt(g.sh()).putInt(g.sw()).putInt(g.ph()).putInt(g.pw()).putInt(g.dh()).putInt(g.dw());
        b.putDouble(g.padValue());
        return b.array();
    }
}
