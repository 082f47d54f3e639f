package dev.tessera.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.Tensor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Without {@code --add-modules jdk.incubator.vector} the first float32 GEMM prints the hint once on
 * standard error, and {@code tessera info} shows it; with the module (as these tests run) there is no hint.
 * Each case runs in a fresh JVM, since the hint is printed when the GEMM class initialises.
 */
class VectorApiHintTest {
    /** Two matrix multiplies, so that "once" is checked; run by the forked JVM. */
    public static void main(String[] args) {
        Tensor a = Tensor.randn(8, 8);
        a.matmul(a);
        a.matmul(a);
        System.out.println("done");
    }

    private record Result(String out, String err) {}

    private static Result run(boolean vectorModule, String... mainAndArgs) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        if (vectorModule) cmd.add("--add-modules=jdk.incubator.vector");
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path")));
        cmd.addAll(Arrays.asList(mainAndArgs));
        Path err = java.nio.file.Files.createTempFile("tessera-hint", ".err");
        try {
            Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "forked JVM did not finish");
            assertEquals(0, p.exitValue(), out);
            return new Result(out, java.nio.file.Files.readString(err));
        } finally {
            java.nio.file.Files.deleteIfExists(err);
        }
    }

    private static long hintLines(String text) {
        return text.lines().filter(l -> l.contains("--add-modules jdk.incubator.vector") && l.contains("slower")).count();
    }

    @Test void firstGemmWithoutTheModulePrintsTheHintOnceOnStandardError() throws Exception {
        Result r = run(false, VectorApiHintTest.class.getName());
        assertEquals("done", r.out().strip());
        assertEquals(1, hintLines(r.err()), r.err());
    }

    @Test void noHintWithTheModule() throws Exception {
        Result r = run(true, VectorApiHintTest.class.getName());
        assertEquals(0, hintLines(r.err()), r.err());
    }

    @Test void infoShowsTheHintWithoutTheModule() throws Exception {
        Result r = run(false, Tessera.class.getName(), "info");
        assertTrue(r.out().contains("hint:        tessera: the Vector API module is not enabled"), r.out());
        assertTrue(r.out().contains("cpu gemm:    portable fallback"), r.out());
    }
}
