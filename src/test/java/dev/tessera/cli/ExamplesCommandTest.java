package dev.tessera.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code tessera examples}: lists every example, runs one by name, and rejects an unknown name in one line. */
class ExamplesCommandTest {
    private static Captured run(String... args) { return Captured.run(args); }

    @Test void listsEveryExample() {
        Captured r = run("examples");
        assertEquals(0, r.exit());
        List<String> lines = r.out().lines().toList();
        assertEquals(1 + ExamplesCommand.EXAMPLES.size(), lines.size(), r.out());
        for (String name : ExamplesCommand.EXAMPLES.keySet())
            assertTrue(lines.stream().anyMatch(l -> l.startsWith("  " + name + " ")), name);
    }

    @Test void runsOneByName() {
        Captured r = run("examples", "identity");
        assertEquals(0, r.exit(), r.err());
        assertEquals(List.of("torch.Size([128, 20])", "output is the input object: true", "values equal: true"), r.out().lines().toList());
        Captured m = run("examples", "custom-modules");
        assertEquals(0, m.exit(), m.err());
        assertTrue(m.out().startsWith("M0()\nempty module:forward\n"), m.out());
    }

    @Test void unknownNameIsOneLineError() {
        Captured r = run("examples", "nope");
        assertEquals(1, r.exit());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("no example named 'nope'; choose one of identity, embedding"), r.err());
    }
}
