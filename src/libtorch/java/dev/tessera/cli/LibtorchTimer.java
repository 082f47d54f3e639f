package dev.tessera.cli;

import java.util.Arrays;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.openblas.global.openblas;
import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * {@link ReferenceTimer} backed by libtorch (CPU, float32) through the bytedeco JavaCPP presets.
 * Compiled only by the Maven profile {@code libtorch} (source folder {@code src/libtorch/java}).
 *
 * <p>Threads: libtorch on CPU has two pools, ATen's intra-op pool (OpenMP, which also runs oneDNN,
 * and so conv2d) and OpenBLAS's own pthread pool, which ATen calls for GEMM. With both sized to the
 * cores they fight for them (spinning workers of one pool steal the cores the other needs). So only
 * one pool gets the threads at a time: GEMM, whose work is one BLAS call, runs with ATen at 1
 * thread and OpenBLAS at {@code threads}; conv2d (oneDNN), softmax and layer norm run with ATen at
 * {@code threads} and OpenBLAS at 1. Each measurement sets both on the calling thread before it
 * starts, so the thread setting is the best one libtorch offers for that op.
 *
 * <p>Timing: at least {@value #WARMUP_NANOS} ns of warm-up per op, then the median of
 * {@value #SAMPLES} timed samples; a sample loops the op enough times to last about
 * {@value #MIN_SAMPLE_NANOS} ns and is divided by that count. Every tensor made for a
 * measurement (inputs, outputs, temporaries) is freed: outputs per call through a
 * {@link PointerScope}, inputs through one around the whole measurement.
 */
public final class LibtorchTimer implements ReferenceTimer {

    /** Which pool gets the threads. {@link #PER_OP} is the default; the others are for experiments. */
    enum Pools { PER_OP, ATEN_ONLY, BLAS_ONLY, BOTH }

    static final long WARMUP_NANOS = 1_000_000_000L;
    static final int SAMPLES = 7;
    static final long MIN_SAMPLE_NANOS = 5_000_000L;

    private final String version;
    private int threads = 1;
    private Pools pools = Pools.PER_OP;

    public LibtorchTimer() {
        Loader.load(torch.class);
        Loader.load(openblas.class); // the OpenBLAS that libtorch links (libopenblas.so.0), already loaded by the torch presets
        this.version = torchVersion();
    }

    @Override
    public String name() {
        return "libtorch " + version;
    }

    @Override
    public void setThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1: " + threads);
        }
        this.threads = threads;
    }

    /** Package-private: choose the thread policy (default {@link Pools#PER_OP}). */
    void setPools(Pools pools) {
        this.pools = pools;
    }

    @Override
    public double gemmSeconds(int n) {
        applyThreads(true);
        try (PointerScope outer = new PointerScope(); InferenceMode guard = new InferenceMode()) {
            Tensor a = torch.randn(n, n);
            Tensor b = torch.randn(n, n);
            return median(() -> torch.mm(a, b));
        }
    }

    @Override
    public double conv2dSeconds(int n, int c, int h, int w, int oc, int k) {
        applyThreads(false); // float32 conv2d on CPU goes to oneDNN, which runs on ATen's OpenMP pool
        try (PointerScope outer = new PointerScope(); InferenceMode guard = new InferenceMode()) {
            Tensor x = torch.randn(n, c, h, w);
            Tensor weight = torch.randn(oc, c, k, k);
            TensorOptional bias = new TensorOptional(torch.randn(oc));
            long[] stride = {1, 1};
            long[] padding = {k / 2, k / 2};
            long[] dilation = {1, 1};
            return median(() -> torch.conv2d(x, weight, bias, stride, padding, dilation, 1));
        }
    }

    @Override
    public double softmaxSeconds(int rows, int cols) {
        applyThreads(false);
        try (PointerScope outer = new PointerScope(); InferenceMode guard = new InferenceMode()) {
            Tensor x = torch.randn(rows, cols);
            return median(() -> torch.softmax(x, -1));
        }
    }

    @Override
    public double layerNormSeconds(int rows, int cols) {
        applyThreads(false);
        try (PointerScope outer = new PointerScope(); InferenceMode guard = new InferenceMode()) {
            Tensor x = torch.randn(rows, cols);
            TensorOptional weight = new TensorOptional(torch.randn(cols));
            TensorOptional bias = new TensorOptional(torch.randn(cols));
            long[] shape = {cols};
            return median(() -> torch.layer_norm(x, shape, weight, bias, 1e-5, false));
        }
    }

    /** Sizes ATen's and OpenBLAS's pools for the next op; {@code blasOp}: the op's work is BLAS. */
    private void applyThreads(boolean blasOp) {
        int aten;
        int blas;
        switch (pools) {
            case ATEN_ONLY: aten = threads; blas = 1; break;
            case BLAS_ONLY: aten = 1; blas = threads; break;
            case BOTH: aten = threads; blas = threads; break;
            default:
                aten = blasOp ? 1 : threads;
                blas = blasOp ? threads : 1;
        }
        // ATen's setting is per calling thread under OpenMP; all timed calls run on this thread.
        torch.set_num_threads(aten);
        openblas.blas_set_num_threads(blas); // openblas_set_num_threads, found by symbol
    }

    /** One call of the op; what it allocates lives in the caller's inner scope. */
    private interface Op {
        Tensor call();
    }

    private static void once(Op op) {
        try (PointerScope scope = new PointerScope()) {
            op.call();
        }
    }

    /** Median seconds per call after warm-up. */
    private static double median(Op op) {
        long start = System.nanoTime();
        long calls = 0;
        long now;
        long lastStart;
        long last;
        do {
            lastStart = System.nanoTime();
            once(op);
            now = System.nanoTime();
            last = now - lastStart;
            calls++;
        } while (now - start < WARMUP_NANOS || calls < 3);
        // Repetitions per sample from the warm-up's steady rate (the slower of average and last call).
        long perCall = Math.max(1, Math.max(last, (now - start) / calls));
        int reps = (int) Math.max(1, Math.min(1_000_000, (MIN_SAMPLE_NANOS + perCall - 1) / perCall));
        double[] samples = new double[SAMPLES];
        for (int s = 0; s < SAMPLES; s++) {
            long t0 = System.nanoTime();
            for (int r = 0; r < reps; r++) {
                once(op);
            }
            samples[s] = (System.nanoTime() - t0) / 1e9 / reps;
        }
        Arrays.sort(samples);
        return samples[SAMPLES / 2];
    }

    /** "2.10.0" from the presets' version "2.10.0-1.5.13". */
    private static String torchVersion() {
        String v = null;
        try {
            v = Loader.getVersion("org.bytedeco", "pytorch", torch.class);
        } catch (Exception | LinkageError e) {
            // fall through to the manifest
        }
        if (v == null) {
            v = torch.class.getPackage() == null ? null : torch.class.getPackage().getImplementationVersion();
        }
        if (v == null) {
            return "(unknown version)";
        }
        int dash = v.indexOf('-');
        return dash > 0 ? v.substring(0, dash) : v;
    }
}
