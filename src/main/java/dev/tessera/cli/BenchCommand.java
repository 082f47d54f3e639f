package dev.tessera.cli;

import dev.tessera.DType;
import dev.tessera.Tensor;
import dev.tessera.backend.cpu.Gemm;
import dev.tessera.backend.cpu.Parallel;
import dev.tessera.ops.Conv;
import dev.tessera.examples.CustomModulesExample;
import dev.tessera.nn.BatchNorm2d;
import dev.tessera.nn.functional.F;
import dev.tessera.nn.CrossEntropyLoss;
import dev.tessera.nn.Linear;
import dev.tessera.nn.Module;
import dev.tessera.nn.ReLU;
import dev.tessera.nn.Sequential;
import dev.tessera.ops.Normalization;
import dev.tessera.optim.SGD;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code tessera bench cpu}: Tessera's CPU kernels next to libtorch's, measured in the same run
 * when the optional {@code libtorch} Maven profile put {@code LibtorchTimer} on the class path.
 * Prints a table, then one {@code bench:} line per row; ratio is Tessera's speed over libtorch's.
 */
@Command(name = "bench", description = "Benchmark Tessera's kernels: cpu (next to libtorch with -Plibtorch) or gpu (next to PyTorch on the same card).")
final class BenchCommand implements Runnable {
    @Parameters(index = "0", paramLabel = "TARGET", description = "what to benchmark: cpu or gpu") String target;

    /** A measured row; {@code reference} times the same thing in the reference library, with its threads. */
    private record Row(String name, double tessera, String unit, boolean higherIsBetter, int threads, ToDoubleFunction<ReferenceTimer> reference) {}

    private record Result(Row row, double reference) {
        double ratio() { return row.higherIsBetter ? row.tessera / reference : reference / row.tessera; }
    }

    /**
     * Tessera's rows are all measured before libtorch is loaded: once its native pools and
     * JavaCPP's reference handling are in the JVM, Tessera's small-op rows measured up to 1.8×
     * slower (M2 step 0.52 → 0.96 ms), so each side is timed in the state a user of it would have.
     */
    @Override public void run() {
        if (target.equals("gpu")) { GpuBench.run(); return; }
        if (!target.equals("cpu"))
            throw new IllegalArgumentException("unknown bench target '" + target + "' (choose cpu or gpu)");
        int maxThreads = Runtime.getRuntime().availableProcessors();
        List<Row> rows = new ArrayList<>();
        try (var noGrad = Tensor.noGrad()) {
            for (int threads : maxThreads >= 2 ? new int[] {1, 2} : new int[] {1}) {
                Parallel.setThreads(threads);
                for (int n : new int[] {256, 512, 1024, 2048}) {
                    Tensor a = Tensor.randn(n, n), b = Tensor.randn(n, n);
                    double flops = 2.0 * n * n * n;
                    double t = Timing.medianSeconds(() -> a.mm(b));
                    ToDoubleFunction<ReferenceTimer> gemmRef = ref -> flops / ref.gemmSeconds(n) / 1e9;
                    rows.add(new Row("gemm_n" + n + "_t" + threads, flops / t / 1e9, "GFLOP/s", true, threads, gemmRef));
                    if (n == 1024 && Gemm.vectorApiAvailable()) {
                        float[] af = a.toFloatArray(), bf = b.toFloatArray(), cf = new float[n * n];
                        double tf = Timing.medianSeconds(() -> Gemm.sgemmFallback(false, false, n, n, n, af, 0, n, bf, 0, n, cf, 0, n, false));
                        rows.add(new Row("gemm_fallback_n1024_t" + threads, flops / tf / 1e9, "GFLOP/s", true, threads, gemmRef));
                    }
                }
            }
            Parallel.setThreads(maxThreads);
            Tensor x = Tensor.randn(64, 16, 28, 28), w = Tensor.randn(16, 16, 3, 3), bias = Tensor.randn(16);
            double convFlops = 2.0 * 64 * 16 * 28 * 28 * 16 * 9;
            double tc = Timing.medianSeconds(() -> Conv.conv2d(x, w, bias, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, 1));
            rows.add(new Row("conv2d_64x16x28x28_k3", convFlops / tc / 1e9, "GFLOP/s", true, maxThreads,
                    ref -> convFlops / ref.conv2dSeconds(64, 16, 28, 28, 16, 3) / 1e9));
            Tensor s = Tensor.randn(4096, 512);
            double ts = Timing.medianSeconds(() -> s.softmax(-1));
            rows.add(new Row("softmax_4096x512", ts * 1e3, "ms", false, maxThreads, ref -> ref.softmaxSeconds(4096, 512) * 1e3));
            Tensor gamma = Tensor.ones(512), beta = Tensor.zeros(512);
            double tl = Timing.medianSeconds(() -> Normalization.layerNorm(s, new long[] {512}, gamma, beta, 1e-5));
            rows.add(new Row("layernorm_4096x512", tl * 1e3, "ms", false, maxThreads, ref -> ref.layerNormSeconds(4096, 512) * 1e3));
        }
        trainingRows(rows, maxThreads);
        for (String model : new String[] {"m2", "mlp512", "m3"}) {
            double t = trainStepSeconds(model, 256);
            rows.add(new Row("train_step_" + model + "_b256", t * 1e3, "ms", false, maxThreads, ref -> ref.trainStepSeconds(model, 256) * 1e3));
        }
        double tCnn = trainStepSeconds("cnn", 64);
        rows.add(new Row("train_step_cnn_b64", tCnn * 1e3, "ms", false, maxThreads, ref -> ref.trainStepSeconds("cnn", 64) * 1e3));
        ReferenceTimer ref = loadReference();
        List<Result> results = new ArrayList<>();
        for (Row r : rows) {
            if (ref != null) ref.setThreads(r.threads);
            results.add(new Result(r, ref == null ? Double.NaN : r.reference.applyAsDouble(ref)));
        }
        print(results, ref);
    }

    /**
     * Forward then backward (with a fixed upstream gradient, inputs requiring grad) of the layers
     * a CNN trains through, as {@link ReferenceTimer}'s *TrainSeconds.
     */
    private static void trainingRows(List<Row> rows, int threads) {
        int[] one = {1, 1}, two = {2, 2}, none = {0, 0};
        Tensor x = Tensor.randn(64, 16, 28, 28).requiresGrad(true), w = Tensor.randn(16, 16, 3, 3).requiresGrad(true);
        Tensor b = Tensor.randn(16).requiresGrad(true), g = Tensor.randn(64, 16, 28, 28);
        double tc = Timing.medianSeconds(() -> Conv.conv2d(x, w, b, one, one, one, 1).backward(g));
        rows.add(new Row("conv2d_64x16x28x28_k3_fwdbwd", tc * 1e3, "ms", false, threads, ref -> ref.conv2dTrainSeconds(64, 16, 28, 28, 16, 3, 1) * 1e3));
        Tensor xd = Tensor.randn(64, 64, 28, 28).requiresGrad(true), wd = Tensor.randn(64, 1, 3, 3).requiresGrad(true);
        Tensor bd = Tensor.randn(64).requiresGrad(true), gd = Tensor.randn(64, 64, 28, 28);
        double td = Timing.medianSeconds(() -> Conv.conv2d(xd, wd, bd, one, one, one, 64).backward(gd));
        rows.add(new Row("conv2d_dw_64x64x28x28_k3_fwdbwd", td * 1e3, "ms", false, threads, ref -> ref.conv2dTrainSeconds(64, 64, 28, 28, 64, 3, 64) * 1e3));
        Tensor xl = Tensor.randn(256, 784).requiresGrad(true), wl = Tensor.randn(512, 784).requiresGrad(true);
        Tensor bl = Tensor.randn(512).requiresGrad(true), gl = Tensor.randn(256, 512);
        double tl = Timing.medianSeconds(() -> F.linear(xl, wl, bl).backward(gl));
        rows.add(new Row("linear_784x512_b256_fwdbwd", tl * 1e3, "ms", false, threads, ref -> ref.linearTrainSeconds(256, 784, 512) * 1e3));
        BatchNorm2d bn = new BatchNorm2d(32);
        Tensor xb = Tensor.randn(64, 32, 28, 28).requiresGrad(true), gb = Tensor.randn(64, 32, 28, 28);
        double tb = Timing.medianSeconds(() -> bn.forward(xb).backward(gb));
        rows.add(new Row("batchnorm2d_64x32x28x28_fwdbwd", tb * 1e3, "ms", false, threads, ref -> ref.batchNormTrainSeconds(64, 32, 28, 28) * 1e3));
        Tensor gp = Tensor.randn(64, 32, 14, 14);
        double tp = Timing.medianSeconds(() -> Conv.maxPool2d(xb, two, two, none).backward(gp));
        rows.add(new Row("maxpool2d_64x32x28x28_k2_fwdbwd", tp * 1e3, "ms", false, threads, ref -> ref.maxPoolTrainSeconds(64, 32, 28, 28, 2) * 1e3));
    }

    /** The same step as {@link ReferenceTimer#trainStepSeconds}: forward, cross-entropy, zero grads, backward, SGD (lr 0.01). */
    static double trainStepSeconds(String model, int batch) {
        Tensor.manualSeed(0);
        Module net = switch (model) {
            case "m2" -> new CustomModulesExample.M2();
            case "mlp512" -> new Sequential(new Linear(784, 512), new ReLU(), new Linear(512, 512), new ReLU(), new Linear(512, 10));
            case "m3" -> new CustomModulesExample.M3();
            case "cnn" -> Models.cnn();
            default -> throw new IllegalArgumentException("unknown model " + model);
        };
        Tensor x = model.equals("cnn") ? Tensor.randn(batch, 1, 28, 28) : Tensor.randn(batch, 784);
        Tensor y = Tensor.rand(batch).mul(10).to(DType.INT64).clamp(0, 9);
        SGD sgd = new SGD(net.parameters(), 0.01);
        CrossEntropyLoss lossFn = new CrossEntropyLoss();
        return Timing.medianSeconds(() -> {
            Tensor loss = lossFn.forward(net.forward(x), y);
            sgd.zeroGrad();
            loss.backward();
            sgd.step();
        }, 3.0);
    }

    private static ReferenceTimer loadReference() {
        try {
            return (ReferenceTimer) Class.forName("dev.tessera.cli.LibtorchTimer").getConstructor().newInstance();
        } catch (ClassNotFoundException e) {
            return null;   // the optional profile is not on the class path
        } catch (ReflectiveOperationException | LinkageError e) {
            System.err.println("bench: libtorch reference could not be loaded: " + e);
            return null;
        }
    }

    private static void print(List<Result> results, ReferenceTimer ref) {
        Locale l = Locale.ROOT;
        System.out.println("Tessera CPU benchmark (" + Runtime.getRuntime().availableProcessors() + " threads available; GEMM path: "
                + (Gemm.vectorApiAvailable() ? "Vector API" : "fallback") + ")");
        System.out.println(peakLine());
        System.out.println(ref == null ? "reference: none (run with the libtorch profile: mvn -B -q -Plibtorch compile exec:exec@bench)"
                : "reference: " + ref.name() + ", measured in this run after Tessera's rows");
        System.out.printf(l, "%-32s %12s %12s %8s  %s%n", "benchmark", "tessera", ref == null ? "" : "libtorch", ref == null ? "" : "ratio", "unit");
        for (Result r : results)
            System.out.printf(l, "%-32s %12.2f %12s %8s  %s%n", r.row.name, r.row.tessera,
                    Double.isNaN(r.reference) ? "" : String.format(l, "%.2f", r.reference),
                    Double.isNaN(r.reference) ? "" : String.format(l, "%.2fx", r.ratio()), r.row.unit);
        for (Result r : results)
            System.out.println(String.format(l, "bench: %s tessera=%.3f %s", r.row.name, r.row.tessera, r.row.unit)
                    + (Double.isNaN(r.reference) ? "" : String.format(l, " libtorch=%.3f ratio=%.3f", r.reference, r.ratio())));
    }

    /**
     * Theoretical fp32 peak: clock × 8 fp32 lanes per 256-bit FMA pipe × 2 flops per FMA × 2 pipes
     * per core (Zen 4 and most current x86 cores; Zen 4 runs AVX-512 as two 256-bit halves). The
     * clock is measured with a dependent integer chain, since /proc/cpuinfo shows the nominal one.
     */
    static String peakLine() {
        double ghz = Timing.measureClockGhz();
        int cores = Runtime.getRuntime().availableProcessors();
        String flags = "";
        try {
            flags = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(s -> s.startsWith("flags")).findFirst().orElse("");
        } catch (IOException | RuntimeException e) {
            // not Linux: no flags to report
        }
        boolean fma = Arrays.asList(flags.split("\\s+")).contains("fma");
        double perCore = ghz * (fma ? 32 : 16);
        return String.format(Locale.ROOT, "peak fp32: %.0f GFLOP/s per core, %.0f for %d cores (measured clock %.2f GHz x %d flop/cycle: 2 FMA pipes x 8 lanes x 2%s)",
                perCore, perCore * cores, cores, ghz, fma ? 32 : 16, fma ? "" : "; no FMA flag, counted as separate mul+add");
    }
}
