package dev.tessera.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.TestUtil;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** {@code tessera bench gpu} before a GPU session spends time on it: names, rows, the table. */
class GpuBenchTest {
    /** Each of Tessera's rows at full size has a PyTorch line of the same name (the fallback rows: of their cuDNN row), or its ratio stays empty. */
    @Test void rowNamesMatchThePyTorchScript() throws IOException {
        String script;
        try (InputStream in = GpuBench.class.getResourceAsStream("bench_gpu.py")) {
            script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        for (String name : GpuBench.names(GpuBench.Sizes.FULL)) {
            if (name.endsWith("_fallback")) continue;   // compared with the plain cuDNN line
            // a plain print, or an entry of the cuDNN workload list (printed plain and with "_bench")
            assertTrue(script.contains("print(\"ref " + name + "\"") || script.contains("(\"" + name.replaceFirst("_bench$", "") + "\", lambda"), name);
        }
    }

    /** Small sizes on the device: every row measured, and the table puts the ratio where a reference is given. */
    @Tag("cuda") @Test void measuresEveryRowAndPrintsRatios() {
        TestUtil.assumeCuda();
        GpuBench.Sizes small = new GpuBench.Sizes(64, 2, 16, 4096, 1024, 64, 4,
                new long[] {2, 4, 6, 6}, new long[] {1, 8, 5, 5}, new long[] {2, 4, 5, 5},
                new long[] {20, 40}, new long[] {2, 5000}, new long[] {10, 48}, 40, 40, new long[] {50, 8, 64});
        List<GpuBench.Row> rows = GpuBench.measure(small);
        assertEquals(GpuBench.names(small), rows.stream().map(GpuBench.Row::name).toList());
        for (GpuBench.Row r : rows) assertTrue(r.tessera() > 0 && Double.isFinite(r.tessera()), r.toString());
        String text = Captured.stdout(() -> GpuBench.print(rows, Map.of("add_1K", String.valueOf(rows.get(3).tessera() * 2), "version", "test")));
        assertTrue(text.startsWith("Tessera GPU benchmark on cuda:0; reference: test"), text);
        assertTrue(text.matches("(?s).*\\nadd_1K +[0-9.]+ +[0-9.]+ +2\\.00x  us\\n.*"), text);   // time ratio: reference / tessera
        assertTrue(text.contains("bench: sgemm_64 tessera="), text);
        for (String kernelRow : List.of("softmax_20x40", "softmax_2x5000", "layernorm_10x48", "add_bcast_40x40", "transpose_40x40", "embedding_bwd_50x8_64", "queue_add_1K"))
            assertTrue(text.contains("bench: " + kernelRow + " tessera="), kernelRow + " in " + text);
    }
}
