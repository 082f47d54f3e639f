package dev.tessera.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.Tensor;
import dev.tessera.io.Safetensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line as a user meets it: user errors are one line and a non-zero exit; train runs end to end. */
class TesseraCommandTest {
    private static Captured run(String... args) { return Captured.run(args); }

    private static void assertOneLineError(Captured r, String fragment) {
        assertTrue(r.exit() != 0, "exit code");
        assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        assertTrue(r.err().startsWith("tessera: ") && r.err().contains(fragment), r.err());
    }

    @Test void userErrorsAreOneLineAndNonZero(@TempDir Path dir) {
        assertOneLineError(run("train", "--bogus"), "Unknown option: '--bogus'");
        assertOneLineError(run("train", "--device", "gpu"), "gpu");
        assertOneLineError(run("train", "--data", "mnist:" + dir.resolve("missing")), "missing");
        assertOneLineError(run("train", "--save", dir.resolve("no/such/dir/m.safetensors").toString()), "does not exist");
        assertOneLineError(run("train", "--model", "resnet"), "unknown model 'resnet'");
        assertOneLineError(run("bench", "tpu"), "unknown bench target 'tpu'");
        if (!dev.tessera.Device.isCudaAvailable()) assertOneLineError(run("train", "--device", "cuda"), "CUDA unavailable");
    }

    @Test void trainRunsEndToEndAndSaves(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("model.safetensors");
        Captured r = run("train", "--model", "mlp", "--epochs", "2", "--train-size", "600", "--batch-size", "50", "--lr", "0.05",
                "--device", "cpu", "--save", model.toString(), "--seed", "3");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("Sequential(\n  (0): Flatten(start_dim=1, end_dim=-1)"), r.out());
        assertTrue(Pattern.compile("(?m)^final: test_accuracy=0\\.\\d{4} test_loss=\\d+\\.\\d{4} epochs=2 seconds=\\d+\\.\\d device=cpu$").matcher(r.out()).find(), r.out());
        assertTrue(r.out().contains("validation accuracy"), r.out());
        Map<String, Tensor> saved = Safetensors.load(model);
        assertEquals(java.util.Set.of("1.weight", "1.bias", "3.weight", "3.bias"), saved.keySet());   // safetensors orders by name
        // per step (600 - 60 validation images / 50 = 11 batches, 2 epochs): 22 rows, validation on rows 11 and 22
        java.util.List<String> csv = Files.readAllLines(dir.resolve("model.csv"));
        assertEquals(23, csv.size(), String.join("\n", csv));
        assertEquals("step,epoch,train_loss,train_loss_smoothed,val_loss,val_accuracy", csv.get(0));
        assertTrue(csv.get(11).matches("11,1\\.000000,[0-9.e+-]+,[0-9.e+-]+,[0-9.e+-]+,[0-9.e+-]+"), csv.get(11));
        assertTrue(csv.get(10).endsWith(",,"), csv.get(10));
        if (ModuleLayer.boot().findModule("java.desktop").isPresent()) {   // the GPU bundle's runtime has no image I/O
            assertTrue(Files.size(dir.resolve("model.png")) > 1000, "chart written");
            assertTrue(r.out().contains("model.png and " + dir.resolve("model.csv")), r.out());
        } else
            assertTrue(r.out().contains("no chart"), r.out());
    }

    /** The same seeded run on CUDA and on the CPU: same data, same initial weights, so nearly the same model. */
    @Tag("cuda") @Test void trainOnCudaMatchesTheCpuRun() {
        dev.tessera.TestUtil.assumeCuda();
        String[] args = {"train", "--model", "mlp", "--epochs", "1", "--train-size", "600", "--batch-size", "50", "--lr", "0.05", "--seed", "3"};
        Captured cpu = run(concat(args, "--device", "cpu")), cuda = run(concat(args, "--device", "cuda"));
        assertEquals(0, cuda.exit(), cuda.err());
        Pattern p = Pattern.compile("(?m)^final: test_accuracy=(0\\.\\d{4}) test_loss=(\\d+\\.\\d{4}) epochs=1 seconds=\\d+\\.\\d device=(\\S+)$");
        Matcher mc = p.matcher(cpu.out()), mg = p.matcher(cuda.out());
        assertTrue(mc.find(), cpu.out());
        assertTrue(mg.find(), cuda.out());
        assertEquals("cuda:0", mg.group(3));
        assertEquals(Double.parseDouble(mc.group(1)), Double.parseDouble(mg.group(1)), 0.02, "test accuracy, CPU vs CUDA");
        assertEquals(Double.parseDouble(mc.group(2)), Double.parseDouble(mg.group(2)), 0.02, "test loss, CPU vs CUDA");
    }

    private static String[] concat(String[] a, String... b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
