package dev.tessera.backend;

import dev.tessera.Device;
import dev.tessera.backend.cpu.CpuBackend;
import dev.tessera.backend.cuda.CudaRuntime;
import java.util.Optional;

/** Finds the backend for a device. The CPU always exists; CUDA is loaded lazily, once, on first use. */
public final class Backends {
    private Backends() {}

    /** The device's backend; for CUDA without a usable GPU this throws "CUDA unavailable: reason". */
    public static Backend of(Device device) {
        return device.isCuda() ? CudaRuntime.backend(device.index()) : CpuBackend.INSTANCE;
    }

    public static int cudaDeviceCount() { return CudaRuntime.deviceCount(); }

    public static Optional<String> cudaUnavailableReason() { return CudaRuntime.unavailableReason(); }
}
