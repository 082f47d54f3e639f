package dev.tessera.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.Tensor;
import dev.tessera.backend.ConvGeometry;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The by-value kernel structs as the Java side packs them must match cuda-kernels/common.cuh byte for byte. */
class StructsTest {
    @Test void stridesLayout() throws Exception {
        Tensor t = Tensor.zeros(2, 3, 4).transpose(0, 2);            // shape [4, 3, 2], strides (1, 4, 12)
        ByteBuffer b = ByteBuffer.wrap(Structs.strides(t.shape().toArray(), t.raw(), Tensor.zeros(4, 3, 2).raw())).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(400, b.capacity(), "sizeof(Strides)");
        assertEquals(24, b.getLong(0), "n");
        assertEquals(3, b.getInt(8), "ndim (nothing mergeable)");
        assertEquals(1, b.getInt(12), "index32");
        assertEquals(4, b.getLong(16), "shape[0]");
        assertEquals(1, b.getLong(16 + 64), "stride[0][0]");           // operand 0, dim 0
        assertEquals(6, b.getLong(16 + 64 + 64), "stride[1][0]");      // operand 1 (contiguous [4,3,2]), dim 0
        assertEquals(Structs.magic(3), b.getInt(336 + 4 * 1) & 0xffffffffL, "magic[1] (shape[1] = 3)");
        assertEquals(2, b.getInt(336 + 32 + 4 * 1), "shift[1] = ceil(log2 3)");
        assertTrue(Files.readString(Path.of("cuda-kernels/common.cuh")).contains("static_assert(sizeof(Strides) == 400"), "common.cuh asserts 400");
    }

    private static int index32(long[] shape, dev.tessera.backend.View... views) {
        return ByteBuffer.wrap(Structs.strides(shape, views)).order(ByteOrder.LITTLE_ENDIAN).getInt(12);
    }

    /** The 32-bit path only where every index fits: n below 2^31 and every operand's last offset too; the switch forces 64 bits. */
    @Test void index32OnlyWhereEveryOffsetFits() {
        var storage = Tensor.zeros(1).raw().storage();
        long[] small = {1000, 3};
        assertEquals(1, index32(small, new dev.tessera.backend.View(storage, 0, small, new long[] {3, 1})));
        long big = 3_000_000_000L;   // an expanded view: no memory behind it
        assertEquals(0, index32(new long[] {big}, new dev.tessera.backend.View(storage, 0, new long[] {big}, new long[] {0})), "n >= 2^31");
        long[] wide = {2, 3};   // six elements, but the last is 2^31 + 2 elements from the first
        assertEquals(0, index32(wide, new dev.tessera.backend.View(storage, 0, wide, dev.tessera.backend.View.contiguousStrides(wide)),
                new dev.tessera.backend.View(storage, 0, wide, new long[] {1L << 31, 1})), "extent >= 2^31");
        long[] edge = {2, 3};   // last offset 2^31 - 1: still 32-bit
        assertEquals(1, index32(edge, new dev.tessera.backend.View(storage, 0, edge, new long[] {(1L << 31) - 3, 1})));
        Structs.index64Only = true;
        try {
            assertEquals(0, index32(small, new dev.tessera.backend.View(storage, 0, small, new long[] {3, 1})), "forced 64-bit");
        } finally {
            Structs.index64Only = false;
        }
    }

    /** The kernels' division by multiplication, (umulhi(i, magic) + i) >> shift, equals i / d for divisors and numerators across the 31-bit range. */
    @Test void magicNumbersDivideExactly() {
        java.util.Random rng = new java.util.Random(7);
        java.util.List<Long> divisors = new java.util.ArrayList<>(java.util.List.of(1L, 2L, 3L, 5L, 7L, 31L, 32L, 33L, 641L, 1L << 20, (1L << 31) - 1, (1L << 30) + 1));
        for (int k = 0; k < 200; k++) divisors.add(1 + (long) rng.nextInt(Integer.MAX_VALUE));
        for (int k = 0; k < 200; k++) divisors.add(1 + (long) rng.nextInt(5000));
        for (long d : divisors) {
            long m = Structs.magic(d);
            int s = Structs.shift(d);
            assertTrue(m > 0 && m < (1L << 32) && s >= 0 && s <= 31, "magic " + m + " shift " + s + " for " + d);
            long[] numerators = {0, 1, d - 1, d, d + 1, 2 * d - 1, Integer.MAX_VALUE, Integer.MAX_VALUE - 1, Integer.MAX_VALUE / d * d, rng.nextInt(Integer.MAX_VALUE)};
            for (long i : numerators) {
                if (i < 0 || i > Integer.MAX_VALUE) continue;
                long hi = (i * m) >>> 32;   // __umulhi of two 32-bit values
                assertEquals(i / d, (hi + i) >>> s, i + " / " + d);
            }
        }
    }

    @Test void convLayout() throws Exception {
        ConvGeometry g = new ConvGeometry(2, 3, 5, 7, 3, 2, 1, 2, 1, 0, 1, 1, -1.5);
        ByteBuffer b = ByteBuffer.wrap(Structs.conv(g, new long[] {105, 35, 7, 1}, new long[] {9, 8, 1})).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(144, b.capacity(), "sizeof(Conv)");
        assertEquals(2, b.getLong(0), "n");
        assertEquals(g.outW(), b.getLong(40), "outW");
        assertEquals(105, b.getLong(48), "xs[0]");
        assertEquals(9, b.getLong(80), "cs[0]");
        assertEquals(3, b.getInt(104), "kh");
        assertEquals(1, b.getInt(132), "dw");
        assertEquals(-1.5, b.getDouble(136), 0.0, "padValue");
        assertTrue(Files.readString(Path.of("cuda-kernels/common.cuh")).contains("static_assert(sizeof(Conv) == 144"), "common.cuh asserts 144");
    }
}
