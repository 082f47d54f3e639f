package dev.tessera;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Assumptions;

/** The one closeness assertion every test uses: shape, then dtype, then values (NaN fails). */
public final class TestUtil {
    private TestUtil() {}

    /**
     * Runs the GC and waits until the blocks of unreachable CUDA tensors are back with the allocator
     * (the GC reports them through a reference queue, a moment after it returns):
     * {@link Cuda#memoryAllocated()} holds still for 100 ms, or 5 s pass. Returns that count. For
     * tests that measure what a step keeps live; never needed to keep memory flat.
     */
    public static long settledCudaMemory() throws InterruptedException {
        System.gc();
        long last = Cuda.memoryAllocated();
        for (long deadline = System.nanoTime() + 5_000_000_000L; System.nanoTime() < deadline; ) {
            Thread.sleep(100);
            long now = Cuda.memoryAllocated();
            if (now == last) break;
            last = now;
        }
        return last;
    }

    /**
     * For tests that need CUDA (tag them {@code @Tag("cuda")}): skips without CUDA, but fails where
     * CUDA must be there — with {@code TESSERA_REQUIRE_CUDA=1} (scripts/gpu-check.sh), and in the
     * cuda-emulator test run (pom.xml) whenever the emulator was built.
     */
    public static void assumeCuda() {
        if (Device.isCudaAvailable()) {
            if (Boolean.getBoolean("tessera.cudaEmulatorShim")) {   // the emulated CUDA-13 host: cuBLAS must have come through the shim
                var details = dev.tessera.backend.cuda.CudaLibraries.load().details();
                if (details.stream().noneMatch(l -> l.startsWith("cublas:") && l.contains("through Tessera's forwarding shim")))
                    fail("expected cuBLAS 13 through the forwarding shim, got " + details);
            }
            return;
        }
        String why = Device.cudaUnavailableReason().orElse("?");
        if ("1".equals(System.getenv("TESSERA_REQUIRE_CUDA"))) fail("TESSERA_REQUIRE_CUDA=1 but CUDA is unavailable: " + why);
        String emulator = System.getProperty("tessera.cudaEmulator");
        if (emulator != null && Files.exists(Path.of(emulator, "driver", "libcuda.so.1")))
            fail("the CUDA host emulator was built in " + emulator + " but CUDA is unavailable: " + why);
        Assumptions.assumeTrue(false, "no CUDA: " + why);
    }

    /**
     * After {@link #assumeCuda()}, for tests that need cuDNN on cuda:0: skips without it, but fails
     * where it must be there — the emulator runs (which build an emulated cuDNN) and
     * {@code TESSERA_REQUIRE_CUDNN=1}; on the emulated CUDA-13 host cuDNN 9 must come through the shim.
     */
    public static void assumeCudnn() {
        if (dev.tessera.backend.cuda.CudaRuntime.cudnnLoaded(0)) {
            if (Boolean.getBoolean("tessera.cudaEmulatorShim")) {
                var details = dev.tessera.backend.cuda.CudaLibraries.load().details();
                if (details.stream().noneMatch(l -> l.startsWith("cudnn:") && l.contains("through Tessera's forwarding shim")))
                    fail("expected cuDNN 9 through the forwarding shim, got " + details);
            }
            return;
        }
        String why = dev.tessera.backend.cuda.CudaRuntime.cudnnPath(0);
        if ("1".equals(System.getenv("TESSERA_REQUIRE_CUDNN")) || System.getProperty("tessera.cudaEmulator") != null)
            fail("cuDNN was expected here but is not loaded: " + why);
        Assumptions.assumeTrue(false, why);
    }

    public static void assertClose(Tensor actual, double[] expected, long[] expectedShape, double rtol, double atol) {
        assertEquals(Size.of(expectedShape), actual.shape(), "shape");
        double[] a = actual.toDoubleArray();
        assertEquals(expected.length, a.length, "numel");
        for (int i = 0; i < a.length; i++)
            if (!(Math.abs(a[i] - expected[i]) <= atol + rtol * Math.abs(expected[i])) && !(Double.isNaN(expected[i]) && Double.isNaN(a[i]))
                    && !(a[i] == expected[i]))
                fail("at flat index " + i + " of " + Arrays.toString(expectedShape) + ": actual " + a[i] + " expected " + expected[i]);
    }

    public static void assertClose(Tensor actual, Tensor expected, double rtol, double atol) {
        assertEquals(expected.dtype(), actual.dtype(), "dtype");
        assertClose(actual, expected.toDoubleArray(), expected.shape().toArray(), rtol, atol);
    }

    /** Seeded random doubles in [-1, 1). */
    public static double[] randomDoubles(java.util.Random rng, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = rng.nextDouble() * 2 - 1;
        return v;
    }

    /** A seeded FLOAT64 tensor of uniform values in [-1, 1). */
    public static Tensor random64(java.util.Random rng, long... shape) {
        return Tensor.of(randomDoubles(rng, (int) Size.of(shape).numel()), shape);
    }

    /** Asserts that {@code body} throws {@code type} with a message containing {@code fragment}; returns it. */
    public static <T extends Throwable> T assertThrowsWith(Class<T> type, String fragment, org.junit.jupiter.api.function.Executable body) {
        T e = assertThrows(type, body);
        assertTrue(e.getMessage() != null && e.getMessage().contains(fragment),
                () -> "expected a message containing \"" + fragment + "\" but got: " + e.getMessage());
        return e;
    }
}
