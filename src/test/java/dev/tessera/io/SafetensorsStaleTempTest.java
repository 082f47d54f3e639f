package dev.tessera.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.Tensor;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Killed saves must not accumulate temporary files (issue 12, item 8): a save deletes the temporary
 * files of the same target that no live writer holds locked, and leaves live ones and other files alone.
 */
class SafetensorsStaleTempTest {
    @TempDir Path dir;

    private List<String> files() throws IOException {
        try (Stream<Path> s = Files.list(dir)) { return s.map(p -> p.getFileName().toString()).sorted().toList(); }
    }

    private List<String> temps() throws IOException { return files().stream().filter(n -> n.endsWith(".tmp")).toList(); }

    private static final Map<String, Tensor> SD = Map.of("a", Tensor.of(new float[] {1, 2, 3}));

    @Test void staleTempFilesOfTheTargetAreRemovedAndOthersKept() throws IOException {
        Path target = dir.resolve("m.safetensors");
        for (String stale : List.of(".m.safetensors.tessera-4242-1a2b3c.tmp", ".m.safetensors.tessera-1-z.tmp", ".m.safetensors.9x8y7z.tmp"))
            Files.writeString(dir.resolve(stale), "half a file");
        List<String> unrelated = List.of(".other.safetensors.tessera-1-abc.tmp", ".m.safetensors.tessera-1-abc.tmp.keep",
                ".m.safetensorsx.abc.tmp", "m.safetensors.bak", ".m.safetensors.has.dots.tmp");
        for (String keep : unrelated) Files.writeString(dir.resolve(keep), "not ours");
        Safetensors.save(SD, target);
        List<String> expected = new java.util.ArrayList<>(unrelated);
        expected.add("m.safetensors");
        assertEquals(expected.stream().sorted().toList(), files());
        assertArrayEquals(new float[] {1, 2, 3}, Safetensors.load(target).get("a").toFloatArray());
    }

    @Test void aTempFileLockedByALiveWriterInThisJvmIsKept() throws IOException {
        Path target = dir.resolve("m.safetensors");
        Path live = dir.resolve(".m.safetensors.tessera-7-live.tmp");
        try (FileChannel ch = FileChannel.open(live, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE); FileLock lock = ch.lock()) {
            Safetensors.save(SD, target);
            assertEquals(List.of(".m.safetensors.tessera-7-live.tmp"), temps());
            assertTrue(lock.isValid(), "the sweep must not have dropped the writer's lock");
        }
        Safetensors.save(SD, target);
        assertEquals(List.of(), temps(), "unlocked once the writer is done: stale");
    }

    private Process java(String... args) throws Exception {
        String cp = Path.of(StaleTempHolder.class.getProtectionDomain().getCodeSource().getLocation().toURI()) + File.pathSeparator
                + Path.of(Tensor.class.getProtectionDomain().getCodeSource().getLocation().toURI()) + File.pathSeparator
                + System.getProperty("java.class.path");
        List<String> cmd = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", cp, StaleTempHolder.class.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    }

    private static void awaitLine(Process p, String expected) throws IOException {
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        assertEquals(expected, r.readLine());
    }

    @Test void anotherProcessesLiveTempIsKeptAndItsKilledTempRemoved() throws Exception {
        Path target = dir.resolve("m.safetensors");
        Path held = dir.resolve(".m.safetensors.tessera-99-held.tmp");
        Process holder = java("hold", held.toString());
        try {
            awaitLine(holder, "locked");
            Safetensors.save(SD, target);
            assertEquals(List.of(held.getFileName().toString()), temps(), "a live writer's file is kept");
        } finally {
            holder.destroyForcibly();   // kill -9: the OS drops its lock, the file stays
            assertTrue(holder.waitFor(30, TimeUnit.SECONDS));
        }
        assertEquals(List.of(held.getFileName().toString()), temps());
        Safetensors.save(SD, target);
        assertEquals(List.of(), temps(), "the killed writer's file is stale now and removed");
    }

    @Test void aKillLoopLeavesAtMostOneTempFileAndANormalSaveNone() throws Exception {
        // The case: up to 5 temp files accumulated in a kill loop, 2 remained after a normal save.
        Path target = dir.resolve("m.safetensors");
        for (int i = 0; i < 4; i++) {
            Process saver = java("save", target.toString());
            try {
                awaitLine(saver, "saving");
                Thread.sleep(150 + 100L * i);   // JVM warm-up then some saves; killed at some point within one
            } finally {
                saver.destroyForcibly();
                assertTrue(saver.waitFor(30, TimeUnit.SECONDS));
            }
            assertTrue(temps().size() <= 1, "after kill " + i + ": " + temps());
        }
        Safetensors.save(SD, target);
        assertEquals(List.of("m.safetensors"), files());
    }
}
