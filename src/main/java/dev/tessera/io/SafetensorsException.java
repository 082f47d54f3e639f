package dev.tessera.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A safetensors file that cannot be read (truncated, corrupted, malformed header, a dtype Tessera does
 * not support) or cannot be written. It is an {@link IOException}, so callers that already handle I/O
 * failures handle these too; the message always names the file and the problem.
 */
public class SafetensorsException extends IOException {
    private final transient Path path;

    public SafetensorsException(Path path, String problem) {
        super(message(path, problem));
        this.path = path;
    }

    public SafetensorsException(Path path, String problem, Throwable cause) {
        super(message(path, problem), cause);
        this.path = path;
    }

    /** The file the problem is about (may be null when no file was involved). */
    public Path path() { return path; }

    private static String message(Path path, String problem) {
        return path == null ? "safetensors: " + problem : "safetensors file " + path + ": " + problem;
    }
}
