package dev.tessera.io;

import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Test helper run as a separate JVM (never by JUnit): either holds an exclusive lock on a file, as a
 * save in progress does ({@code hold PATH}: prints "locked", then waits to be killed), or saves to a
 * target in a loop until killed ({@code save PATH}: prints "saving" first).
 */
public final class StaleTempHolder {
    private StaleTempHolder() {}

    public static void main(String[] args) throws Exception {
        Path path = Path.of(args[1]);
        if (args[0].equals("hold")) {
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ch.lock();
                System.out.println("locked");
                System.out.flush();
                Thread.sleep(120_000);
            }
        } else {
            var sd = java.util.Map.of("w", dev.tessera.Tensor.zeros(4_000_000));   // 16 MB: a save takes a while
            System.out.println("saving");
            System.out.flush();
            for (long deadline = System.nanoTime() + 120_000_000_000L; System.nanoTime() < deadline; ) Safetensors.save(sd, path);
        }
    }
}
