package dev.tessera.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code tessera examples}: lists every example, runs one by name, and rejects an unknown name in one line. */
class ExamplesCommandTest {
    private record Run(int exit, String out, String err) {}

    private static Run run(String... args) {
        PrintStream out = System.out, err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            return new Run(Tessera.execute(args), o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    @Test void listsEveryExample() {
        Run r = run("examples");
        assertEquals(0, r.exit);
        List<String> lines = r.out.lines().toList();
        assertEquals(1 + ExamplesCommand.EXAMPLES.size(), lines.size(), r.out);
        for (String name : ExamplesCommand.EXAMPLES.keySet())
            assertTrue(lines.stream().anyMatch(l -> l.startsWith("  " + name + " ")), name);
    }

    @Test void runsOneByName() {
        Run r = run("examples", "identity");
        assertEquals(0, r.exit, r.err);
        assertEquals(List.of("torch.Size([128, 20])", "output is the input object: true", "values equal: true"), r.out.lines().toList());
        Run m = run("examples", "custom-modules");
        assertEquals(0, m.exit, m.err);
        assertTrue(m.out.startsWith("M0()\nempty module:forward\n"), m.out);
    }

    @Test void unknownNameIsOneLineError() {
        Run r = run("examples", "nope");
        assertEquals(1, r.exit);
        assertEquals(1, r.err.strip().lines().count(), r.err);
        assertTrue(r.err.contains("no example named 'nope'; choose one of identity, embedding"), r.err);
    }
}
