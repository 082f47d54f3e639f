package dev.tessera;

import static dev.tessera.TestUtil.assertThrowsWith;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

/**
 * In-place ops and copy_ refuse writes that would race on a GPU, with PyTorch's messages, before
 * any kernel runs; what PyTorch allows stays allowed. Every expectation below is what PyTorch 1.13
 * did with the same calls. The CUDA test suite runs {@link #checkOn} on cuda:0 too.
 */
public class MemoryOverlapTest {
    static final String INTERNAL = "unsupported operation: more than one element of the written-to tensor refers to a single memory location. "
            + "Please clone() the tensor before performing the operation.";
    static final String PARTIAL = "unsupported operation: some elements of the input tensor and the written-to tensor refer to a single memory "
            + "location. Please clone() the tensor before performing the operation.";

    @Test void cpu() { checkOn(Device.CPU); }

    public static void checkOn(Device d) {
        Tensor x = Tensor.arange(0, 5, 1).to(d);
        assertThrowsWith(TesseraException.class, PARTIAL, () -> x.narrow(0, 1, 4).copy_(x.narrow(0, 0, 4)));
        assertThrowsWith(TesseraException.class, PARTIAL, () -> x.narrow(0, 0, 3).add_(x.narrow(0, 2, 3)));
        assertArrayEquals(new double[] {0, 1, 2, 3, 4}, x.toDoubleArray(), "nothing was written");
        Tensor m = Tensor.arange(0, 4, 1).to(d).view(2, 2);
        assertThrowsWith(TesseraException.class, PARTIAL, () -> m.add_(m.t()));            // the same elements in another order
        Tensor g = Tensor.arange(0, 12, 1).to(d).view(3, 4);
        assertThrowsWith(TesseraException.class, PARTIAL, () -> g.add_(g.select(0, 0)));    // checked before broadcasting
        Tensor e = Tensor.zeros(1).to(d).expand(3);
        assertThrowsWith(TesseraException.class, INTERNAL, () -> e.add_(1.0));
        assertThrowsWith(TesseraException.class, INTERNAL, () -> e.mul_(2.0));
        assertThrowsWith(TesseraException.class, INTERNAL, () -> e.clamp_(0, 1));
        assertThrowsWith(TesseraException.class, INTERNAL, () -> e.copy_(Tensor.ones(3).to(d)));
        assertThrowsWith(TesseraException.class, INTERNAL, () -> Tensor.zeros(new long[] {1}, DType.INT64, d).expand(3).add_(1.0));
        // allowed, as in PyTorch
        assertArrayEquals(new double[] {2, 2, 2}, e.fill_(2).toDoubleArray());
        assertArrayEquals(new double[] {0, 0, 0}, e.zero_().toDoubleArray());
        Tensor y = Tensor.arange(0, 5, 1).to(d);
        assertArrayEquals(new double[] {0, 1, 2, 3, 4}, y.copy_(y).toDoubleArray());
        assertArrayEquals(new double[] {0, 2, 4, 6, 8}, y.add_(y).toDoubleArray());
        Tensor z = Tensor.arange(0, 6, 1).to(d);
        z.view(3, 2).select(1, 0).copy_(z.view(3, 2).select(1, 1));                          // strided, not dense: allowed
        assertArrayEquals(new double[] {1, 1, 3, 3, 5, 5}, z.toDoubleArray());
        Tensor w = Tensor.arange(0, 12, 1).to(d).view(3, 4);
        w.narrow(0, 1, 2).copy_(w.select(0, 0));                                              // disjoint rows of one storage
        assertArrayEquals(new double[] {0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3}, w.toDoubleArray());
    }
}
