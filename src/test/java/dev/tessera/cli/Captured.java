package dev.tessera.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.function.IntSupplier;

/** What a command printed: its exit code and its standard output and error, captured while it ran. */
record Captured(int exit, String out, String err) {
    /** {@code tessera args...}, in this JVM. */
    static Captured run(String... args) { return of(() -> Tessera.execute(args)); }

    /** The standard output of body. */
    static String stdout(Runnable body) {
        return of(() -> { body.run(); return 0; }).out();
    }

    static Captured of(IntSupplier body) {
        PrintStream out = System.out, err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            int code = body.getAsInt();
            return new Captured(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }
}
