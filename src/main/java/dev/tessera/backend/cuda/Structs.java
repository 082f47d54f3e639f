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

    /** struct Strides for up to four views of one shape; operand 0 is the output. */
    static byte[] strides(long[] shape, View... views) {
        MergedDims m = new MergedDims(shape, views);
        int ndim = m.shape.length;
        if (ndim > MAX_DIMS)
            throw new UnsupportedOperationException("CUDA elementwise kernels take at most " + MAX_DIMS + " non-mergeable dimensions, got " + ndim
                    + "; make an operand contiguous first");
        ByteBuffer b = ByteBuffer.allocate(8 + 4 + 4 + 8 * MAX_DIMS + 4 * 8 * MAX_DIMS).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(m.numel()).putInt(ndim).putInt(0);
        for (int d = 0; d < MAX_DIMS; d++) b.putLong(d < ndim ? m.shape[d] : 1);
        for (int k = 0; k < 4; k++)
            for (int d = 0; d < MAX_DIMS; d++) b.putLong(k < views.length && d < ndim ? m.strides[k][d] : 0);
        return b.array();
    }

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
