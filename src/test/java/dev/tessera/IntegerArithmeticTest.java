package dev.tessera;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

/**
 * INT64 arithmetic is exact over the whole 64-bit range, beyond 2^53 where doubles stop being
 * exact, on every backend (the CUDA suite runs {@link #checkOn} on cuda:0). Expected values are
 * what PyTorch 1.13 printed for the same int64 tensors.
 */
public class IntegerArithmeticTest {
    private static final long TWO53 = 1L << 53;

    @Test void cpu() { checkOn(Device.CPU); }

    private static Tensor longs(Device d, long... v) { return Tensor.of(v, v.length).to(d); }

    public static void checkOn(Device d) {
        Tensor big = longs(d, TWO53 + 1, TWO53, -TWO53 - 3, Long.MAX_VALUE - 1);
        Tensor one = longs(d, 1, 1, 1, 1);
        assertArrayEquals(new long[] {TWO53 + 2, TWO53 + 1, -TWO53 - 2, Long.MAX_VALUE}, big.add(one).toLongArray());
        assertArrayEquals(new long[] {TWO53, TWO53 - 1, -TWO53 - 4, Long.MAX_VALUE - 2}, big.sub(one).toLongArray());
        assertArrayEquals(new long[] {2 * TWO53 + 2, 2 * TWO53, -2 * TWO53 - 6, -4}, big.mul(longs(d, 2, 2, 2, 2)).toLongArray());   // the last wraps, as int64 does
        assertArrayEquals(new long[] {TWO53 + 1, TWO53, -TWO53 - 3, Long.MAX_VALUE - 1}, big.maximum(longs(d, TWO53, TWO53 - 1, -TWO53 - 4, 0)).toLongArray());
        // torch.tensor([3, 5, 2, -1, -1, 7]) ** torch.tensor([39, 3, 62, 3, -3, -1]): exact, and PyTorch's integer rule for negative powers
        Tensor base = longs(d, 3, 5, 2, -1, -1, 7), exp = longs(d, 39, 3, 62, 3, -3, -1);
        assertArrayEquals(new long[] {4052555153018976267L, 125, 1L << 62, -1, -1, 0}, base.pow(exp).toLongArray());
        assertArrayEquals(new long[] {3 * TWO53 + 3}, longs(d, TWO53 + 1, TWO53 + 1, TWO53 + 1).sum().toLongArray());
        assertArrayEquals(new long[] {TWO53 + 1}, longs(d, TWO53, TWO53 + 1, TWO53 - 1).max().toLongArray());
        assertArrayEquals(new long[] {1}, longs(d, TWO53, TWO53 + 1, TWO53 - 1).argmax(0).toLongArray());
        assertArrayEquals(new long[] {2}, longs(d, TWO53 + 2, TWO53 + 1, TWO53 - 1).argmin(0).toLongArray());
        assertArrayEquals(new long[] {TWO53 + 1, 7}, Tensor.where(longs(d, 1, 0).gt(longs(d, 0, 0)), longs(d, TWO53 + 1, 0), longs(d, 5, 7)).toLongArray());
    }
}
