package dev.tessera;

import static dev.tessera.TestUtil.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.nn.BatchNorm1d;
import dev.tessera.nn.Linear;
import dev.tessera.nn.Sequential;
import dev.tessera.nn.functional.F;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Issue 12's additions on CUDA against the CPU: norm (forward and backward), randint, T/mT, the
 * embedding IndexError type, dropout's node name, Module.to(dtype). Skips without CUDA
 * (TestUtil.assumeCuda says when that is a failure). Tolerance 1e-4 relative, 1e-5 absolute (FP32).
 */
@Tag("cuda")
class TutorialApiCudaTest {
    private static final double RTOL = 1e-4, ATOL = 1e-5;

    @BeforeEach void requireCuda() { TestUtil.assumeCuda(); }

    @Test void normMatchesTheCpuForwardAndBackward() {
        Random rng = new Random(3);
        for (double p : new double[] {0, 1, 2, 3, 0.5, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY})
            for (DType dtype : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
                Tensor x = TestUtil.random64(rng, 3, 5).to(dtype);
                Tensor cpu = x.clone().requiresGrad(true), gpu = x.to(Device.cuda()).requiresGrad(true);
                Tensor a = cpu.norm(p, 1), b = gpu.norm(p, 1);
                assertTrue(b.isCuda());
                assertClose(b.cpu(), a.detach(), RTOL, ATOL);
                a.sum().backward();
                b.sum().backward();
                assertTrue(gpu.grad().isCuda());
                assertClose(gpu.grad().cpu(), cpu.grad(), RTOL, ATOL);
                assertClose(gpu.norm(p).cpu(), cpu.norm(p).detach(), RTOL, ATOL);
            }
    }

    @Test void randintOnTheDevice() {
        Tensor.manualSeed(5);
        Tensor r = Tensor.randint(-3, 4, new long[] {5000}, DType.INT64, Device.cuda());
        assertTrue(r.isCuda());
        assertEquals(DType.INT64, r.dtype());
        long[] v = r.toLongArray();
        long[] counts = new long[7];
        for (long x : v) {
            assertTrue(x >= -3 && x < 4, "in [-3, 4): " + x);
            counts[(int) x + 3]++;
        }
        // 7 values, 5000 draws: mean 714, sd 25; 5 sd
        for (long c : counts) assertTrue(Math.abs(c - 5000 / 7.0) < 125, java.util.Arrays.toString(counts));
    }

    @Test void transposesIndexErrorsDropoutAndModuleDtype() {
        Tensor a = Tensor.arange(24).to(DType.FLOAT32).reshape(2, 3, 4);
        assertClose(a.to(Device.cuda()).T().cpu(), a.T().contiguous(), 0, 0);
        assertClose(a.to(Device.cuda()).mT().cpu(), a.mT().contiguous(), 0, 0);
        // PyTorch 1.13 on CUDA too: IndexError: index out of range in self
        TesseraIndexException e = assertThrows(TesseraIndexException.class,
                () -> F.embedding(Tensor.of(new long[] {10}).to(Device.cuda()), Tensor.zeros(10, 3).to(Device.cuda())).cpu());
        assertEquals("index out of range in self", e.getMessage());
        // PyTorch: native_dropout on CUDA
        Tensor x = Tensor.ones(4, 4).to(Device.cuda()).requiresGrad(true);
        assertEquals("NativeDropoutBackward0", F.dropout(x, 0.5, true).gradFn().name());
        Sequential m = new Sequential(new Linear(2, 2), new BatchNorm1d(2)).cuda();
        m.toDouble();
        m.stateDict().forEach((k, t) -> {
            assertTrue(t.isCuda(), k);
            assertEquals(k.endsWith("num_batches_tracked") ? DType.INT64 : DType.FLOAT64, t.dtype(), k);
        });
        assertEquals(DType.FLOAT64, m.forward(Tensor.randn(new long[] {3, 2}, DType.FLOAT64, Device.cuda())).dtype());
    }
}
