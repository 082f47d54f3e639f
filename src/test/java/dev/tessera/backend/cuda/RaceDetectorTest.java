package dev.tessera.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.DType;
import dev.tessera.Device;
import dev.tessera.Tensor;
import dev.tessera.TestUtil;
import dev.tessera.backend.View;
import java.nio.charset.StandardCharsets;
import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.JCudaDriver;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The emulator's race detector (src/test/native/cuda-emu/driver.cpp) catches seeded races — two
 * threads writing one element, a shared-memory exchange without its barrier, an overlapping copy
 * run straight on the backend (below the ops' overlap checks) — and passes their correct twins; and
 * its warp shuffles (mutants/shuffles.cu): values as the CUDA Programming Guide defines them, and a
 * launch failure for a wrong mask, a lane missing from the shuffle, diverged lanes or a partial warp
 * (compute-sanitizer's synccheck on a GPU). Emulator only: a GPU has no such detector.
 */
@Tag("cuda")
class RaceDetectorTest {
    @BeforeEach void emulatorOnly() {
        TestUtil.assumeCuda();
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getProperty("tessera.cudaEmulator") != null, "the race detector is the emulator's");
    }

    /** Launches a test-only kernel of mutants/races.cu (one block of 64 threads over 64 floats). */
    private static void launch(String kernel) { launchOn(kernel, new float[64]); }

    /** Launches a kernel of mutants/races.cu or shuffles.cu as one block of data.length threads over data (i -> data[i]); returns data after. */
    private static float[] launchOn(String kernel, float[] data) {
        CudaRuntime.backend(0).cudaDevice().makeCurrent();
        String ptx = ".version 6.3\n.target sm_75\n.address_size 64\n.visible .entry " + kernel + "(\n)\n";
        CUmodule module = new CUmodule();
        JCudaDriver.cuModuleLoadData(module, (ptx + "\0").getBytes(StandardCharsets.US_ASCII));
        CUfunction f = new CUfunction();
        JCudaDriver.cuModuleGetFunction(f, module, kernel);
        CUdeviceptr d = new CUdeviceptr();
        JCudaDriver.cuMemAlloc(d, data.length * 4L);
        try {
            JCudaDriver.cuMemcpyHtoD(d, Pointer.to(data), data.length * 4L);
            Pointer params = Pointer.to(Pointer.to(d), Pointer.to(new long[] {data.length}));
            JCudaDriver.cuLaunchKernel(f, 1, 1, 1, data.length, 1, 1, 0, null, params, null);
            float[] out = new float[data.length];
            JCudaDriver.cuMemcpyDtoH(Pointer.to(out), d, data.length * 4L);
            return out;
        } finally {
            JCudaDriver.cuMemFree(d);
            JCudaDriver.cuModuleUnload(module);
        }
    }

    private static float[] iota(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = i + 1;
        return v;
    }

    /**
     * The Programming Guide's shuffle semantics, written out here per lane: xor reads lane ^ m, down
     * reads lane + d; a source beyond the end of the lane's width-segment gives its own value.
     */
    private static float[] shuffleReference(float[] x, boolean xor, int[] args, int width) {
        float[] v = x.clone();
        for (int arg : args) {
            float[] next = v.clone();
            for (int t = 0; t < v.length; t++) {
                int lane = t % 32, segmentEnd = lane / width * width + width - 1, src = xor ? lane ^ arg : lane + arg;
                next[t] = v[t] + v[t - lane + (src <= segmentEnd ? src : lane)];
            }
            v = next;
        }
        return v;
    }

    @Test void warpShufflesExchangeAsTheProgrammingGuideSays() {
        float[] x = iota(64);
        org.junit.jupiter.api.Assertions.assertArrayEquals(shuffleReference(x, true, new int[] {16, 8, 4, 2, 1}, 32), launchOn("shfl_ok_xor_sum", x));
        float[] sums = launchOn("shfl_ok_xor_sum", x);
        org.junit.jupiter.api.Assertions.assertEquals(32 * 33 / 2f, sums[7]);           // warp 0: 1 + ... + 32
        org.junit.jupiter.api.Assertions.assertEquals(64 * 65 / 2f - 32 * 33 / 2f, sums[40]);
        org.junit.jupiter.api.Assertions.assertArrayEquals(shuffleReference(x, true, new int[] {16}, 16), launchOn("shfl_ok_xor_width16", x));
        org.junit.jupiter.api.Assertions.assertArrayEquals(shuffleReference(x, false, new int[] {4, 2, 1}, 8), launchOn("shfl_ok_down_width8", x));
    }

    /** Each misuse fails the launch (the emulator prints why on stderr); the correct twin above passes. */
    @Test void shuffleMisuseFailsTheLaunch() {
        for (String mutant : new String[] {"shfl_bad_mask", "shfl_missing_lane", "shfl_diverged", "shfl_lane_at_barrier", "shfl_caller_outside_mask"}) {
            CudaException e = assertThrows(CudaException.class, () -> launchOn(mutant, iota(64)), mutant);
            assertTrue(e.getMessage().contains("LAUNCH_FAILED"), mutant + ": " + e.getMessage());
        }
        // a full mask in a block of 48 threads names lanes 16..31 of warp 1, which do not exist
        assertThrows(CudaException.class, () -> launchOn("shfl_ok_xor_sum", iota(48)));
        launchOn("shfl_ok_xor_sum", iota(64));   // the device is fine afterwards
    }

    @Test void seededRacesFailTheLaunch() {
        assertThrows(CudaException.class, () -> launch("race_two_writers"));
        assertThrows(CudaException.class, () -> launch("race_missing_barrier"));
        launch("race_free_one_writer");
        launch("race_free_with_barrier");
    }

    /** An overlapping copy straight on the backend (the ops refuse it before any kernel): the copy kernel races. */
    @Test void anOverlappingCopyRaces() {
        Tensor x = Tensor.arange(0, 1000, 1).to(Device.cuda());
        View all = x.raw();
        View src = new View(all.storage(), 0, new long[] {999}, new long[] {1}), dst = new View(all.storage(), 1, new long[] {999}, new long[] {1});
        CudaException e = assertThrows(CudaException.class, () -> CudaRuntime.backend(0).copy(src, dst));
        assertTrue(e.getMessage().contains("LAUNCH_FAILED"), e.getMessage());
        CudaRuntime.backend(0).copy(src, new View(Tensor.zeros(new long[] {999}, DType.FLOAT32, Device.cuda()).raw().storage(), 0, new long[] {999}, new long[] {1}));
    }
}
