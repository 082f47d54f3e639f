package dev.tessera;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A CUDA tensor of more than 2^31 - 1 elements, which device memory can hold and no Java array can:
 * the host copies refuse it by name, while item() of a one-element view and printing (the edges
 * only) work. BOOL, so that it takes 2 GiB of (emulated) device memory; created with empty() and
 * written only at the elements read, so that the emulator runs no kernel over 2^31 elements.
 */
@Tag("cuda")
class HugeCudaTensorTest {
    @Test void itemAndPrintingWorkBeyondTheLargestJavaArray() {
        TestUtil.assumeCuda();
        long n = (1L << 31) + 3;
        Tensor t = Tensor.empty(new long[] {n}, DType.BOOL, Device.cuda());
        try {
            t.narrow(0, 0, 3).copy_(Tensor.of(new boolean[] {true, false, true}));
            t.narrow(0, n - 3, 3).copy_(Tensor.of(new boolean[] {false, true, true}));   // offsets 2^31 .. 2^31 + 2
            t.narrow(0, 1L << 30, 1).fill_(1);   // in the middle, which printing leaves out

            // PyTorch 1.13: t = torch.zeros(2**31 + 3, dtype=torch.bool); t[:3] = torch.tensor([True, False, True]);
            // t[-3:] = torch.tensor([False, True, True]); repr(t) (here with the device suffix of a CUDA tensor)
            assertEquals("tensor([ True, False,  True,  ..., False,  True,  True], device='cuda:0')", t.toString());
            assertEquals(1.0, t.index(n - 1).item());
            assertEquals(0.0, t.index(1L << 31).item());
            assertEquals(1.0, t.narrow(0, n - 2, 1).item());
            assertEquals(1.0, t.narrow(0, 1L << 30, 1).view().item());
            assertEquals(0.0, t.select(0, 1).item());
            assertEquals("tensor([False,  True,  True], device='cuda:0')", t.narrow(0, n - 3, 3).toString());
            TestUtil.assertThrowsWith(TesseraException.class, "toBooleanArray: a tensor of 2147483651 elements (shape torch.Size([2147483651]))",
                    t::toBooleanArray);
            TestUtil.assertThrowsWith(TesseraException.class, "a Tensor with 2147483651 elements cannot be converted to Scalar", t::item);
        } finally {
            t.close();
            Cuda.emptyCache();   // its 2 GiB segment back to the driver, for the tests that follow
        }
    }
}
