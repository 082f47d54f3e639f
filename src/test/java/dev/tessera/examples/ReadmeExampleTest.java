package dev.tessera.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's example is a complete class: it compiles exactly as pasted, runs, and its loss falls. */
class ReadmeExampleTest {
    static String readmeExample() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        int section = readme.indexOf("## Example\n");
        assertTrue(section >= 0, "README has an Example section");
        int start = readme.indexOf("```java\n", section) + "```java\n".length();
        int end = readme.indexOf("```", start);
        return readme.substring(start, end);
    }

    /**
     * Tessera's classes (where Tensor was loaded from) plus java.class.path: under surefire the latter
     * may be only a manifest jar, so the location of the classes is named explicitly.
     */
    private static String classPath() throws Exception {
        String tessera = Path.of(dev.tessera.Tensor.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        return tessera + java.io.File.pathSeparator + System.getProperty("java.class.path");
    }

    @Test void readmeExampleCompilesAsPastedAndTrains(@TempDir Path dir) throws Exception {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        Assumptions.assumeTrue(javac != null, "no Java compiler in this runtime (a jlink'd JRE)");
        String source = readmeExample();
        Matcher cls = Pattern.compile("public class (\\w+)").matcher(source);
        assertTrue(cls.find(), "the example declares a public class");
        Path file = dir.resolve(cls.group(1) + ".java");
        Files.writeString(file, source);
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int rc = javac.run(null, null, diagnostics, "-proc:none", "-d", dir.toString(), "-cp", classPath(), file.toString());
        assertEquals(0, rc, () -> "the README example does not compile:\n" + diagnostics.toString(StandardCharsets.UTF_8));

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream saved = System.out;
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader())) {
            System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
            Method main = loader.loadClass(cls.group(1)).getMethod("main", String[].class);
            main.invoke(null, (Object) new String[0]);
        } finally {
            System.setOut(saved);
        }
        List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(List.of("Net(", "  (l1): Linear(in_features=784, out_features=128, bias=True)",
                "  (l2): Linear(in_features=128, out_features=10, bias=True)", ")"), lines.subList(0, 4));
        Pattern loss = Pattern.compile("tensor\\((\\d+\\.\\d{4}), grad_fn=<NllLossBackward0>\\)");
        double[] losses = lines.subList(4, lines.size()).stream().mapToDouble(l -> {
            Matcher m = loss.matcher(l);
            assertTrue(m.matches(), l);
            return Double.parseDouble(m.group(1));
        }).toArray();
        assertEquals(10, losses.length);
        // 10 random labels over 10 classes start near ln 10 = 2.30; 64 fixed samples are memorised quickly
        assertTrue(Math.abs(losses[0] - Math.log(10)) < 0.3, "first loss " + losses[0]);
        assertTrue(losses[9] < losses[0] - 0.5, "the loss falls: " + java.util.Arrays.toString(losses));
    }
}
