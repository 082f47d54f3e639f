package dev.tessera.backend.cuda;

import java.lang.management.ManagementFactory;
import javax.management.JMException;
import javax.management.ObjectName;

/**
 * Asks the JVM for a garbage collection so that the blocks of unreachable tensors come back to the
 * allocator. {@code System.gc()} does nothing under {@code -XX:+DisableExplicitGC} (set by
 * many server deployments), so there the collection goes through HotSpot's diagnostic command
 * {@code GC.run} (what {@code jcmd <pid> GC.run} does), which that flag does not switch off. Where
 * neither exists (another JVM), device memory comes back only when the GC runs on its own.
 */
final class GarbageCollection {
    private GarbageCollection() {}

    private static final boolean EXPLICIT_GC_DISABLED =
            ManagementFactory.getRuntimeMXBean().getInputArguments().contains("-XX:+DisableExplicitGC");
    private static volatile boolean diagnosticCommandFailed;

    /** Runs a full collection now (synchronously, in the caller's thread). */
    static void collect() {
        if (!EXPLICIT_GC_DISABLED || diagnosticCommandFailed) { System.gc(); return; }
        try {
            ManagementFactory.getPlatformMBeanServer().invoke(new ObjectName("com.sun.management:type=DiagnosticCommand"),
                    "gcRun", new Object[] {null}, new String[] {String[].class.getName()});
        } catch (JMException | RuntimeException e) {
            diagnosticCommandFailed = true;
            System.err.println("tessera: -XX:+DisableExplicitGC is set and the GC.run diagnostic command failed (" + e
                    + "); unreachable CUDA tensors are freed only when the GC runs on its own, or at close()");
        }
    }
}
