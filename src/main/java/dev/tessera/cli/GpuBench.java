package dev.tessera.cli;

import dev.tessera.Cuda;
import dev.tessera.DType;
import dev.tessera.Device;
import dev.tessera.Tensor;
import dev.tessera.examples.CustomModulesExample;
import dev.tessera.nn.CrossEntropyLoss;
import dev.tessera.nn.Module;
import dev.tessera.optim.SGD;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * {@code tessera bench gpu}: Tessera on cuda:0 next to PyTorch on the same card in the same run
 * (PyTorch's side is {@code bench_gpu.py}, run with the machine's python3 when it has torch).
 * Both sides warm up, then take the median of 7 samples of synchronised repetitions; TF32 is off.
 */
final class GpuBench {
    private GpuBench() {}

    record Row(String name, double tessera, String unit, boolean higherIsBetter) {}

    /** The problem sizes; the names of the rows come from them and must match bench_gpu.py's at FULL. */
    record Sizes(int gemm, int bmmBatch, int bmm, int addBig, int addSmall, int softmax, int trainBatch) {
        static final Sizes FULL = new Sizes(4096, 64, 128, 1 << 20, 1024, 4096, 256);
    }

    static void run() {
        if (!Device.isCudaAvailable())
            throw new IllegalArgumentException("bench gpu: CUDA unavailable: " + Device.cudaUnavailableReason().orElse("unknown"));
        print(measure(Sizes.FULL), pytorchReference());
    }

    /** The rows' names, in order: what bench_gpu.py prints after "ref" at {@link Sizes#FULL}. */
    static List<String> names(Sizes z) {
        return List.of("sgemm_" + z.gemm, "bmm_" + z.bmmBatch + "x" + z.bmm + "x" + z.bmm, "add_" + count(z.addBig), "add_" + count(z.addSmall),
                "softmax_" + z.softmax + "x" + z.softmax, "train_step_m2_b" + z.trainBatch);
    }

    /** Tessera's rows on cuda:0, TF32 off. */
    static List<Row> measure(Sizes z) {
        List<String> name = names(z);
        Device d = Device.cuda();
        Cuda.setAllowTf32(false);
        List<Row> rows = new ArrayList<>();
        try (var noGrad = Tensor.noGrad()) {
            Tensor a = Tensor.randn(new long[] {z.gemm, z.gemm}, DType.FLOAT32, d), b = Tensor.randn(new long[] {z.gemm, z.gemm}, DType.FLOAT32, d);
            rows.add(new Row(name.get(0), 2.0 * Math.pow(z.gemm, 3) / seconds(() -> a.mm(b)) / 1e9, "GFLOP/s", true));
            Tensor x = Tensor.randn(new long[] {z.bmmBatch, z.bmm, z.bmm}, DType.FLOAT32, d), y = Tensor.randn(new long[] {z.bmmBatch, z.bmm, z.bmm}, DType.FLOAT32, d);
            rows.add(new Row(name.get(1), 2.0 * z.bmmBatch * Math.pow(z.bmm, 3) / seconds(() -> x.bmm(y)) / 1e9, "GFLOP/s", true));
            Tensor u = Tensor.randn(new long[] {z.addBig}, DType.FLOAT32, d), v = Tensor.randn(new long[] {z.addBig}, DType.FLOAT32, d);
            rows.add(new Row(name.get(2), seconds(() -> u.add(v)) * 1e6, "us", false));
            Tensor s = Tensor.randn(new long[] {z.addSmall}, DType.FLOAT32, d), t = Tensor.randn(new long[] {z.addSmall}, DType.FLOAT32, d);
            rows.add(new Row(name.get(3), seconds(() -> s.add(t)) * 1e6, "us", false));
            Tensor m = Tensor.randn(new long[] {z.softmax, z.softmax}, DType.FLOAT32, d);
            rows.add(new Row(name.get(4), seconds(() -> m.softmax(-1)) * 1e3, "ms", false));
        }
        Module model = new CustomModulesExample.M2().to(d);
        SGD sgd = new SGD(model.parameters(), 0.01);
        Tensor xb = Tensor.randn(new long[] {z.trainBatch, 784}, DType.FLOAT32, d);
        Tensor yb = Tensor.rand(z.trainBatch).mul(10).to(DType.INT64).clamp(0, 9).to(d);
        CrossEntropyLoss lossFn = new CrossEntropyLoss();
        rows.add(new Row(name.get(5), seconds(() -> {
            Tensor loss = lossFn.forward(model.forward(xb), yb);
            sgd.zeroGrad();
            loss.backward();
            sgd.step();
            return loss;
        }) * 1e3, "ms", false));
        return rows;
    }

    /** 1024 -> "1K", 1048576 -> "1M", as the row names have them. */
    private static String count(int n) {
        return n % (1 << 20) == 0 ? n / (1 << 20) + "M" : n % 1024 == 0 ? n / 1024 + "K" : String.valueOf(n);
    }

    /** Median seconds per call: warm-up, then 7 samples of repetitions each ended by a device synchronise. */
    static double seconds(Supplier<?> op) {
        long warmEnd = System.nanoTime() + 500_000_000L;
        int reps = 1;
        while (System.nanoTime() < warmEnd) {
            long t0 = System.nanoTime();
            for (int i = 0; i < reps; i++) op.get();
            Cuda.synchronize();
            if (System.nanoTime() - t0 < 5_000_000L) reps *= 2;
        }
        double[] samples = new double[7];
        for (int k = 0; k < samples.length; k++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < reps; i++) op.get();
            Cuda.synchronize();
            samples[k] = (System.nanoTime() - t0) / 1e9 / reps;
        }
        Arrays.sort(samples);
        return samples[3];
    }

    /** Runs bench_gpu.py with python3; empty when there is no python3 with torch. */
    private static Map<String, String> pytorchReference() {
        Map<String, String> out = new HashMap<>();
        try (InputStream in = GpuBench.class.getResourceAsStream("bench_gpu.py")) {
            Path script = Files.createTempFile("tessera-bench-gpu", ".py");
            Files.write(script, in.readAllBytes());
            Process p = new ProcessBuilder("python3", script.toString()).redirectErrorStream(true).start();
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(600, TimeUnit.SECONDS)) p.destroyForcibly();
            Files.deleteIfExists(script);
            for (String line : text.split("\n")) {
                String[] f = line.trim().split("\\s+", 3);
                if (f.length == 3 && f[0].equals("ref")) out.put(f[1], f[2]);
            }
            if (out.isEmpty()) System.err.println("bench gpu: no PyTorch reference (python3 said: " + text.strip().lines().reduce((x, y) -> y).orElse("") + ")");
        } catch (IOException | InterruptedException | RuntimeException e) {
            System.err.println("bench gpu: no PyTorch reference: " + e.getMessage());
        }
        return out;
    }

    static void print(List<Row> rows, Map<String, String> ref) {
        Locale l = Locale.ROOT;
        System.out.println("Tessera GPU benchmark on cuda:0; reference: " + ref.getOrDefault("version", "none (python3 with torch not found)"));
        System.out.printf(l, "%-22s %12s %12s %8s  %s%n", "benchmark", "tessera", "pytorch", "ratio", "unit");
        for (Row r : rows) {
            String refText = ref.get(r.name);
            double refValue = refText == null ? Double.NaN : Double.parseDouble(refText);
            double ratio = r.higherIsBetter ? r.tessera / refValue : refValue / r.tessera;
            System.out.printf(l, "%-22s %12.3f %12s %8s  %s%n", r.name, r.tessera, Double.isNaN(refValue) ? "" : String.format(l, "%.3f", refValue),
                    Double.isNaN(ratio) ? "" : String.format(l, "%.2fx", ratio), r.unit);
        }
        for (Row r : rows) {
            String refText = ref.get(r.name);
            String line = String.format(l, "bench: %s tessera=%.3f %s", r.name, r.tessera, r.unit);
            if (refText != null) {
                double refValue = Double.parseDouble(refText);
                line += String.format(l, " pytorch=%.3f ratio=%.3f", refValue, r.higherIsBetter ? r.tessera / refValue : refValue / r.tessera);
            }
            System.out.println(line);
        }
    }
}
