package dev.tessera.backend;

import dev.tessera.Device;
import dev.tessera.TesseraException;
import dev.tessera.backend.cpu.CpuBackend;
import java.util.Optional;

/** Finds the backend for a device. CPU always exists; CUDA is looked up lazily, once. */
public final class Backends {
    private static final String CUDA_REASON =
            "this build of Tessera has no CUDA backend yet; tensors and models run on the CPU";

    private Backends() {}

    public static Backend of(Device device) {
        if (!device.isCuda()) return CpuBackend.INSTANCE;
        throw new TesseraException("CUDA unavailable: " + CUDA_REASON + " (asked for " + device + ")");
    }

    public static int cudaDeviceCount() { return 0; }

    public static Optional<String> cudaUnavailableReason() { return Optional.of(CUDA_REASON); }
}
