package dev.tessera;

import dev.tessera.backend.Backends;
import java.util.Optional;

/**
 * Where a tensor lives: {@code cpu} or {@code cuda:i}. A value object; parse with {@link #of(String)}.
 */
public final class Device {
    public static final Device CPU = new Device("cpu", -1);

    private final String type;
    private final int index;

    private Device(String type, int index) { this.type = type; this.index = index; }

    /** {@code cuda:0}. */
    public static Device cuda() { return cuda(0); }

    public static Device cuda(int index) {
        if (index < 0) throw new IllegalArgumentException("Device.cuda: device index must be >= 0, got " + index);
        return new Device("cuda", index);
    }

    /** Parses "cpu", "cuda", "cuda:N"; anything else throws IllegalArgumentException. */
    public static Device of(String spec) {
        if (spec == null) throw new IllegalArgumentException("Device.of: device string is null");
        String s = spec.trim();
        if (s.equals("cpu")) return CPU;
        if (s.equals("cuda")) return cuda(0);
        if (s.startsWith("cuda:")) {
            String idx = s.substring(5);
            if (!idx.isEmpty() && idx.chars().allMatch(Character::isDigit) && idx.length() < 9) return cuda(Integer.parseInt(idx));
        }
        throw new IllegalArgumentException("Expected one of cpu, cuda, cuda:N device type at start of device string: " + spec);
    }

    /** {@code cuda:0} when CUDA is available, else {@code cpu}: "GPU in production, CPU in CI". */
    public static Device auto() { return isCudaAvailable() ? cuda(0) : CPU; }

    /** Whether a CUDA device can be used. Never throws. */
    public static boolean isCudaAvailable() { return cudaDeviceCount() > 0; }

    /** Number of usable CUDA devices; 0 when there is no driver, GPU or library. Never throws. */
    public static int cudaDeviceCount() { return Backends.cudaDeviceCount(); }

    /** Why CUDA cannot be used (no driver, no GPU, which library is missing), or empty when it can. */
    public static Optional<String> cudaUnavailableReason() { return Backends.cudaUnavailableReason(); }

    /** "cpu" or "cuda". */
    public String type() { return type; }

    /** The device index, -1 for the CPU. */
    public int index() { return index; }

    public boolean isCuda() { return type.equals("cuda"); }

    @Override public boolean equals(Object o) { return o instanceof Device d && d.type.equals(type) && d.index == index; }
    @Override public int hashCode() { return type.hashCode() * 31 + index; }
    @Override public String toString() { return index < 0 ? type : type + ":" + index; }
}
