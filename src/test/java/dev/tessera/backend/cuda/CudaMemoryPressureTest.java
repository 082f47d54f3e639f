package dev.tessera.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.TestUtil;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Device memory stays flat over a long run without System.gc() or close() in user code: 10,000
 * training steps of the CLI's CNN with batch sizes cycling through 64, 48, 17, 33 keep the reserved
 * memory after a 100-step warm-up within 1.2× of its warm-up peak, and 64 MiB tensors allocated and
 * dropped until three times the device's memory has passed never run out — with the JVM's default
 * settings and with -XX:+DisableExplicitGC. Each case runs in a JVM of its own
 * ({@link MemoryPressureMain}) under the emulator with kernel bodies skipped
 * (TESSERA_EMU_SKIP_KERNELS: the allocator does not depend on values).
 */
@Tag("cuda")
class CudaMemoryPressureTest {
    @ParameterizedTest
    @ValueSource(strings = {"", "-XX:+DisableExplicitGC"})
    void memoryStaysFlatWithoutSystemGc(String jvmFlag) throws Exception {
        TestUtil.assumeCuda();
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getProperty("tessera.cudaEmulator") != null,
                "10,000 steps need the emulator's kernel skipping; on a GPU run MemoryPressureMain by hand");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m"));
        if (!jvmFlag.isEmpty()) cmd.add(jvmFlag);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), MemoryPressureMain.class.getName(), "10000", "100"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("TESSERA_EMU_SKIP_KERNELS", "1");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), out);
        assertEquals(0, p.exitValue(), out);
        String line = out.lines().filter(l -> l.startsWith("steps=")).findFirst().orElseThrow(() -> new AssertionError(out));
        System.out.println("[" + (jvmFlag.isEmpty() ? "default GC settings" : jvmFlag) + "] " + line);
        Map<String, Double> r = new HashMap<>();
        for (String kv : line.split(" ")) r.put(kv.substring(0, kv.indexOf('=')), Double.parseDouble(kv.substring(kv.indexOf('=') + 1)));
        assertEquals(10000, r.get("steps"));
        assertTrue(r.get("warmPeak") > 0, line);
        assertTrue(r.get("maxAfterWarmup") <= 1.2 * r.get("warmPeak"), "reserved grew past 1.2x its warm-up peak: " + line);
        assertTrue(r.get("dropped") >= 3 * 4096 / 64, line);
    }
}
