package dev.tessera.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The emulated libnccl.so.2 (src/test/native/cuda-emu/nccl.cpp) passes its multi-process test program
 * (nccl_test.cpp, built beside it by scripts/build-cuda-emu.sh): every collective against values computed
 * from the inputs, in place and out of place, for 1 to 4 ranks; ncclCommInitAll with grouped calls; the
 * argument and initialisation errors; the timeout, a peer that exits and ncclCommAbort from another
 * thread. Emulator runs only: the emulator is the thing under test.
 */
@Tag("cuda")
class EmulatedNcclTest {
    @Test void multiProcessTestProgramPasses() throws IOException, InterruptedException {
        String emulator = System.getProperty("tessera.cudaEmulator");
        Assumptions.assumeTrue(emulator != null, "the emulated NCCL is tested in the emulator runs");
        Path program = Path.of(emulator, "nccl-test");
        assertTrue(Files.isExecutable(program), program + " was not built (scripts/build-cuda-emu.sh builds it with the emulator)");
        Process p = new ProcessBuilder(program.toString()).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();   // the program ends itself: its ranks time out after at most 30 s
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "nccl-test did not finish");
        String text = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), text);
        assertTrue(text.contains("nccl-test: 14 passed, 0 failed"), text);
    }
}
