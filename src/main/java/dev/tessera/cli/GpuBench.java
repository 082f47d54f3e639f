package dev.tessera.cli;

import dev.tessera.Cuda;
import dev.tessera.DType;
import dev.tessera.Device;
import dev.tessera.Tensor;
import dev.tessera.examples.CustomModulesExample;
import dev.tessera.nn.CrossEntropyLoss;
import dev.tessera.nn.Module;
import dev.tessera.nn.functional.F;
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

    /** One measurement; {@code ref} names the PyTorch line it is compared with (the fallback rows share cuDNN's). */
    record Row(String name, double tessera, String unit, boolean higherIsBetter, String ref) {
        Row(String name, double tessera, String unit, boolean higherIsBetter) { this(name, tessera, unit, higherIsBetter, name); }
    }

    /**
     * The problem sizes; the names of the rows come from them and must match bench_gpu.py's at FULL.
     * convA/convB are conv2d inputs [N, C, H, W] with C→C 3×3 (stride 1, padding 1) filters, bn a
     * BatchNorm2d input. The kernel rows: softmax (square: rows longer than a warp's limit, a block
     * per row), softmaxShort [rows, n] (a warp per row) and softmaxLong [rows, n] (few long rows, a
     * row's slices over several blocks), layerNorm [rows, n] (a warp per row),
     * bcast a square matrix plus a column (the 32-bit index path), transpose a square's t().contiguous()
     * (the tiled transpose), embedding [rows, dim, indices] forward and backward with half the indices
     * at padding_idx 0 (the sorted, atomic-free backward).
     */
    record Sizes(int gemm, int bmmBatch, int bmm, int addBig, int addSmall, int softmax, int trainBatch, long[] convA, long[] convB, long[] bn,
                 long[] softmaxShort, long[] softmaxLong, long[] layerNorm, int bcast, int transpose, long[] embedding) {
        static final Sizes FULL = new Sizes(4096, 64, 128, 1 << 20, 1024, 4096, 256,
                new long[] {256, 16, 28, 28}, new long[] {64, 64, 56, 56}, new long[] {256, 64, 28, 28},
                new long[] {65536, 128}, new long[] {16, 65536}, new long[] {16384, 768}, 4096, 4096, new long[] {32768, 512, 16384});
    }

    static void run() {
        if (!Device.isCudaAvailable())
            throw new IllegalArgumentException("bench gpu: CUDA unavailable: " + Device.cudaUnavailableReason().orElse("unknown"));
        print(measure(Sizes.FULL), pytorchReference());
    }

    private static String shape(long[] s) { return s[0] + "x" + s[1] + "x" + s[2] + "x" + s[3]; }

    /**
     * The convolution, batch-norm and training workloads, each measured three ways: through cuDNN
     * with its heuristics (the plain name), with {@code cudnn.benchmark} on ({@code _bench}), and on
     * Tessera's own kernels ({@code _fallback}, compared with PyTorch's plain cuDNN line).
     */
    private static List<String> cudnnWorkloads(Sizes z) {
        return List.of("conv_" + shape(z.convA) + "_fwd", "conv_" + shape(z.convA) + "_fwdbwd", "conv_" + shape(z.convB) + "_fwd",
                "conv_" + shape(z.convB) + "_fwdbwd", "batchnorm_" + shape(z.bn) + "_fwdbwd", "train_step_m3_b" + z.trainBatch,
                "train_step_cnn_b" + z.trainBatch, "train_step_mlp_b" + z.trainBatch);
    }

    private static final List<String> VARIANTS = List.of("", "_bench", "_fallback");

    /** The rows' names, in order; every one but the _fallback rows is what bench_gpu.py prints after "ref" at {@link Sizes#FULL}. */
    static List<String> names(Sizes z) {
        List<String> names = new ArrayList<>(List.of("sgemm_" + z.gemm, "bmm_" + z.bmmBatch + "x" + z.bmm + "x" + z.bmm, "add_" + count(z.addBig),
                "add_" + count(z.addSmall), "softmax_" + z.softmax + "x" + z.softmax, "softmax_" + z.softmaxShort[0] + "x" + z.softmaxShort[1],
                "softmax_" + z.softmaxLong[0] + "x" + z.softmaxLong[1],
                "layernorm_" + z.layerNorm[0] + "x" + z.layerNorm[1], "add_bcast_" + z.bcast + "x" + z.bcast, "transpose_" + z.transpose + "x" + z.transpose,
                "embedding_bwd_" + z.embedding[0] + "x" + z.embedding[1] + "_" + z.embedding[2], "queue_add_" + count(z.addSmall),
                "train_step_m2_b" + z.trainBatch));
        for (String w : cudnnWorkloads(z)) for (String v : VARIANTS) names.add(w + v);
        return names;
    }

    /** Tessera's rows on cuda:0, TF32 off (matmul and cuDNN). */
    static List<Row> measure(Sizes z) {
        List<String> name = names(z);
        Device d = Device.cuda();
        Cuda.setAllowTf32(false);
        Cuda.setCudnnAllowTf32(false);
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
            Tensor sh = Tensor.randn(z.softmaxShort, DType.FLOAT32, d);
            rows.add(new Row(name.get(5), seconds(() -> sh.softmax(-1)) * 1e3, "ms", false));
            Tensor lg = Tensor.randn(z.softmaxLong, DType.FLOAT32, d);
            rows.add(new Row(name.get(6), seconds(() -> lg.softmax(-1)) * 1e3, "ms", false));
            Tensor ln = Tensor.randn(z.layerNorm, DType.FLOAT32, d), gamma = Tensor.randn(new long[] {z.layerNorm[1]}, DType.FLOAT32, d),
                    beta = Tensor.randn(new long[] {z.layerNorm[1]}, DType.FLOAT32, d);
            long[] normalized = {z.layerNorm[1]};
            rows.add(new Row(name.get(7), seconds(() -> F.layerNorm(ln, normalized, gamma, beta, 1e-5)) * 1e3, "ms", false));
            Tensor sq = Tensor.randn(new long[] {z.bcast, z.bcast}, DType.FLOAT32, d), col = Tensor.randn(new long[] {z.bcast, 1}, DType.FLOAT32, d);
            rows.add(new Row(name.get(8), seconds(() -> sq.add(col)) * 1e6, "us", false));
            Tensor tr = Tensor.randn(new long[] {z.transpose, z.transpose}, DType.FLOAT32, d);
            rows.add(new Row(name.get(9), seconds(() -> tr.t().contiguous()) * 1e6, "us", false));
        }
        rows.add(new Row(name.get(10), seconds(embeddingBackward(z.embedding)) * 1e3, "ms", false));
        try (var noGrad = Tensor.noGrad()) {
            Tensor s = Tensor.randn(new long[] {z.addSmall}, DType.FLOAT32, d), t = Tensor.randn(new long[] {z.addSmall}, DType.FLOAT32, d);
            rows.add(new Row(name.get(11), hostSeconds(() -> s.add(t)) * 1e6, "us", false));
        }
        rows.add(new Row(name.get(12), seconds(trainStep(new CustomModulesExample.M2(), z.trainBatch, 784)) * 1e3, "ms", false));
        List<Supplier<Supplier<?>>> workloads = List.of(
                () -> conv(z.convA, false), () -> conv(z.convA, true), () -> conv(z.convB, false), () -> conv(z.convB, true), () -> batchNorm(z.bn),
                () -> trainStep(new CustomModulesExample.M3(), z.trainBatch, 784), () -> trainStep(Models.cnn(), z.trainBatch, 1, 28, 28),
                () -> trainStep(Models.mlp(), z.trainBatch, 1, 28, 28));
        List<String> base = cudnnWorkloads(z);
        try {
            for (int i = 0; i < workloads.size(); i++)
                for (String variant : VARIANTS) {
                    Cuda.setCudnnBenchmark(variant.equals("_bench"));
                    Cuda.setCudnnEnabled(!variant.equals("_fallback"));
                    rows.add(new Row(base.get(i) + variant, seconds(workloads.get(i).get()) * 1e3, "ms", false, base.get(i) + (variant.equals("_bench") ? "_bench" : "")));
                }
        } finally {
            Cuda.setCudnnBenchmark(false);
            Cuda.setCudnnEnabled(true);
        }
        return rows;
    }

    /** conv2d of x [N, C, H, W] with a C→C 3×3 filter, stride 1, padding 1 (and bias); with backward of a sum. */
    private static Supplier<?> conv(long[] xs, boolean backward) {
        Device d = Device.cuda();
        Tensor x = Tensor.randn(xs, DType.FLOAT32, d).requiresGrad(backward);
        dev.tessera.nn.Conv2d conv = new dev.tessera.nn.Conv2d(xs[1], xs[1], 3, 1, 1);
        conv.to(d);
        if (!backward) return () -> { try (var ng = Tensor.noGrad()) { return conv.forward(x); } };
        return () -> {
            Tensor out = conv.forward(x);
            out.backward(Tensor.ones(out.shape().toArray()).to(d));
            return out;
        };
    }

    /** F.embedding of [rows, dim] with m indices, half of them padding_idx 0, forward and backward of a fixed gradient (grads accumulate, as in PyTorch's loop). */
    private static Supplier<?> embeddingBackward(long[] e) {
        Device d = Device.cuda();
        Tensor w = Tensor.randn(new long[] {e[0], e[1]}, DType.FLOAT32, d).requiresGrad(true);
        long[] idx = new long[(int) e[2]];
        java.util.Random rng = new java.util.Random(0);
        for (int i = 0; i < idx.length; i++) idx[i] = i % 2 == 0 ? 0 : 1 + rng.nextInt((int) e[0] - 1);
        Tensor indices = Tensor.of(idx, idx.length).to(d), g = Tensor.randn(new long[] {e[2], e[1]}, DType.FLOAT32, d);
        return () -> {
            Tensor out = F.embedding(indices, w, 0);
            out.backward(g);
            return out;
        };
    }

    /** BatchNorm2d in training mode, forward and backward. */
    private static Supplier<?> batchNorm(long[] xs) {
        Device d = Device.cuda();
        Tensor x = Tensor.randn(xs, DType.FLOAT32, d).requiresGrad(true);
        dev.tessera.nn.BatchNorm2d bn = new dev.tessera.nn.BatchNorm2d(xs[1]);
        bn.to(d);
        Tensor g = Tensor.ones(xs).to(d);
        return () -> {
            Tensor out = bn.forward(x);
            out.backward(g);
            return out;
        };
    }

    /** One SGD step (lr 0.01) of model on a random batch of [batch, *sample] with 10 classes. */
    private static Supplier<?> trainStep(Module model, int batch, long... sample) {
        Device d = Device.cuda();
        model.to(d);
        SGD sgd = new SGD(model.parameters(), 0.01);
        long[] shape = new long[sample.length + 1];
        shape[0] = batch;
        System.arraycopy(sample, 0, shape, 1, sample.length);
        Tensor xb = Tensor.randn(shape, DType.FLOAT32, d);
        Tensor yb = Tensor.rand(batch).mul(10).to(DType.INT64).clamp(0, 9).to(d);
        CrossEntropyLoss lossFn = new CrossEntropyLoss();
        return () -> {
            Tensor loss = lossFn.forward(model.forward(xb), yb);
            sgd.zeroGrad();
            loss.backward();
            sgd.step();
            return loss;
        };
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

    /**
     * Host seconds to queue one call: the median of 7 samples of {@value #QUEUED} calls timed
     * without a synchronise inside (the device is synchronised before and after each sample), so the
     * time is the host's work per op — argument checks, allocation, the launch — as long as the
     * device keeps up with a kernel this small.
     */
    static double hostSeconds(Supplier<?> op) {
        for (int i = 0; i < 3 * QUEUED; i++) op.get();
        double[] samples = new double[7];
        for (int k = 0; k < samples.length; k++) {
            Cuda.synchronize();
            long t0 = System.nanoTime();
            for (int i = 0; i < QUEUED; i++) op.get();
            samples[k] = (System.nanoTime() - t0) / 1e9 / QUEUED;
        }
        Cuda.synchronize();
        Arrays.sort(samples);
        return samples[3];
    }

    private static final int QUEUED = 200;

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
            String refText = ref.get(r.ref);
            double refValue = refText == null ? Double.NaN : Double.parseDouble(refText);
            double ratio = r.higherIsBetter ? r.tessera / refValue : refValue / r.tessera;
            System.out.printf(l, "%-22s %12.3f %12s %8s  %s%n", r.name, r.tessera, Double.isNaN(refValue) ? "" : String.format(l, "%.3f", refValue),
                    Double.isNaN(ratio) ? "" : String.format(l, "%.2fx", ratio), r.unit);
        }
        for (Row r : rows) {
            String refText = ref.get(r.ref);
            String line = String.format(l, "bench: %s tessera=%.3f %s", r.name, r.tessera, r.unit);
            if (refText != null) {
                double refValue = Double.parseDouble(refText);
                line += String.format(l, " pytorch=%.3f ratio=%.3f", refValue, r.higherIsBetter ? r.tessera / refValue : refValue / r.tessera);
            }
            System.out.println(line);
        }
    }
}
