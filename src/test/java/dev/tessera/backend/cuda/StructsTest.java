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
        assertEquals(336, b.capacity(), "sizeof(Strides)");
        assertEquals(24, b.getLong(0), "n");
        assertEquals(3, b.getInt(8), "ndim (nothing mergeable)");
        assertEquals(4, b.getLong(16), "shape[0]");
        assertEquals(1, b.getLong(16 + 64), "stride[0][0]");           // operand 0, dim 0
        assertEquals(6, b.getLong(16 + 64 + 64), "stride[1][0]");      // operand 1 (contiguous [4,3,2]), dim 0
        assertTrue(Files.readString(Path.of("cuda-kernels/common.cuh")).contains("static_assert(sizeof(Strides) == 336"), "common.cuh asserts 336");
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
