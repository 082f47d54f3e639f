package dev.tessera.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.Device;
import dev.tessera.TestUtil;
import java.nio.charset.StandardCharsets;
import jcuda.CudaException;
import jcuda.driver.CUmodule;
import jcuda.driver.JCudaDriver;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The driver decides which PTX it loads: Tessera's kernels (declared at a low ISA) load, and the
 * same PTX declared at ISA 9.0, as nvcc 13 writes it, loads only on a CUDA 13 driver. The emulator
 * runs this at a CUDA 12.2 driver (and the emulated CUDA-13 host at 13.0).
 */
@Tag("cuda")
class PtxDriverVersionTest {
    @Test void ptxNewerThanTheDriverIsRefused() {
        TestUtil.assumeCuda();
        CudaRuntime.backend(0);   // Tessera's own kernels loaded on this driver
        CudaRuntime.backend(0).cudaDevice().makeCurrent();
        int[] driver = {0};
        JCudaDriver.cuDriverGetVersion(driver);
        String ptx = new String(Kernels.readPtx("unary"), StandardCharsets.US_ASCII).replaceFirst("(?m)^\\.version \\d+\\.\\d+", ".version 9.0");
        CUmodule module = new CUmodule();
        if (driver[0] >= 13000) {
            JCudaDriver.cuModuleLoadData(module, ptx.getBytes(StandardCharsets.US_ASCII));
            JCudaDriver.cuModuleUnload(module);
            return;
        }
        try {
            JCudaDriver.cuModuleLoadData(module, ptx.getBytes(StandardCharsets.US_ASCII));
        } catch (CudaException e) {
            assertTrue(e.getMessage().contains("CUDA_ERROR_UNSUPPORTED_PTX_VERSION"), e.getMessage());
            assertTrue(Device.isCudaAvailable());
            return;
        }
        throw new AssertionError("a CUDA " + Kernels.cudaVersion(driver[0]) + " driver loaded PTX ISA 9.0");
    }

    /** On a driver older than the kernels' ISA (an emulated CUDA 9.2 driver), CUDA is unavailable with the mismatch as the reason. */
    @Test void aTooOldDriverIsTheReasonCudaIsUnavailable() throws Exception {
        TestUtil.assumeCuda();
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getProperty("tessera.cudaEmulator") != null, "needs the emulator's settable driver version");
        String javaBin = java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"), "dev.tessera.cli.Tessera", "info").redirectErrorStream(true);
        pb.environment().put("TESSERA_EMU_DRIVER_VERSION", "9020");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS));
        assertTrue(out.contains("cuda:        unavailable: ") && out.contains("need a CUDA 10.0 driver or newer, and this driver is CUDA 9.2"), out);
    }
}
