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
 * run straight on the backend (below the ops' overlap checks) — and passes their correct twins.
 * Emulator only: a GPU has no such detector (compute-sanitizer is its counterpart).
 */
@Tag("cuda")
class RaceDetectorTest {
    @BeforeEach void emulatorOnly() {
        TestUtil.assumeCuda();
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getProperty("tessera.cudaEmulator") != null, "the race detector is the emulator's");
    }

    /** Launches a test-only kernel of mutants/races.cu (one block of 64 threads over 64 floats). */
    private static void launch(String kernel) {
        CudaRuntime.backend(0).cudaDevice().makeCurrent();
        String ptx = ".version 6.3\n.target sm_75\n.address_size 64\n.visible .entry " + kernel + "(\n)\n";
        CUmodule module = new CUmodule();
        JCudaDriver.cuModuleLoadData(module, (ptx + "\0").getBytes(StandardCharsets.US_ASCII));
        CUfunction f = new CUfunction();
        JCudaDriver.cuModuleGetFunction(f, module, kernel);
        CUdeviceptr data = new CUdeviceptr();
        JCudaDriver.cuMemAlloc(data, 64 * 4);
        try {
            Pointer params = Pointer.to(Pointer.to(data), Pointer.to(new long[] {64}));
            JCudaDriver.cuLaunchKernel(f, 1, 1, 1, 64, 1, 1, 0, null, params, null);
        } finally {
            JCudaDriver.cuMemFree(data);
            JCudaDriver.cuModuleUnload(module);
        }
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
