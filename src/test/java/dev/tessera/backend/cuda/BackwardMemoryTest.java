package dev.tessera.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.Cuda;
import dev.tessera.DType;
import dev.tessera.Device;
import dev.tessera.Tensor;
import dev.tessera.TestUtil;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Backward hands its own memory back as it goes (retain_graph=False), without the GC: through a chain
 * of 30 tanh on 1 MiB tensors, each node's backward makes about four 1 MiB tensors (out², its
 * negation, 1 − out², g·(1 − out²)); were they left to the GC, the peak during backward would rise by
 * ~90 MiB over the forward's (92 MiB measured with the release switched off) and stay there. With
 * the release it rises by a few MiB, and afterwards only x.grad is new.
 */
@Tag("cuda")
class BackwardMemoryTest {
    private static final long MIB = 1 << 20;

    @Test void backwardReleasesWhatItMakesAsItGoes() throws InterruptedException {
        TestUtil.assumeCuda();
        TestUtil.settledCudaMemory();
        Tensor x = Tensor.randn(new long[] {256, 1024}, DType.FLOAT32, Device.cuda()).requiresGrad(true);   // 1 MiB
        Tensor h = x;
        for (int i = 0; i < 30; i++) h = h.tanh();
        Tensor loss = h.sum();
        long afterForward = Cuda.memoryAllocated();
        Cuda.resetPeakMemoryStats();
        loss.backward();
        long peak = Cuda.maxMemoryAllocated(), after = Cuda.memoryAllocated();
        assertTrue(peak - afterForward <= 8 * MIB, "backward's peak rose " + (peak - afterForward) / MIB + " MiB over the forward's");
        assertTrue(after - afterForward <= MIB + 64 * 1024, "after backward " + (after - afterForward) / 1024 + " KiB more are allocated (x.grad is 1024 KiB)");
        // and the gradient is right: d/dx of sum(tanh^30(x)) by the CPU backend
        Tensor xc = x.detach().cpu().requiresGrad(true), hc = xc;
        for (int i = 0; i < 30; i++) hc = hc.tanh();
        hc.sum().backward();
        assertArrayEquals(xc.grad().toFloatArray(), x.grad().cpu().toFloatArray(), 1e-5f);
    }

    /** retainGraph keeps what a second backward needs; the second pass gives the same gradient again. */
    @Test void retainGraphKeepsTheSavedTensors() {
        TestUtil.assumeCuda();
        Tensor x = Tensor.randn(new long[] {64, 32}, DType.FLOAT32, Device.cuda()).requiresGrad(true);
        Tensor y = x.tanh().mul(x).sum();
        y.backward(Tensor.ones(new long[0], DType.FLOAT32, Device.cuda()), true);
        float[] once = x.grad().cpu().toFloatArray();
        y.backward();
        float[] twice = x.grad().cpu().toFloatArray();
        for (int i = 0; i < once.length; i++) once[i] *= 2;
        assertArrayEquals(once, twice, 1e-5f);
    }
}
