package dev.tessera.cli;

import java.util.Arrays;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.openblas.global.openblas;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.SGD;
import org.bytedeco.pytorch.SGDOptions;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorArrayRefOptional;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorVector;
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
 * {@code threads} and OpenBLAS at 1. A training step ({@link #trainStepSeconds}) gives the threads
 * to the pool that does most of its model's work: OpenBLAS for the MLPs, ATen for the CNN (measured;
 * see {@link #trainStepIsBlas}). Each measurement sets both on the calling thread before it
 * starts, so the thread setting is the best one libtorch offers for that op.
 *
 * <p>Timing: at least {@value #WARMUP_NANOS} ns of warm-up per op, then the median of
 * {@value #SAMPLES} timed samples; a sample loops the op enough times to last about
 * {@value #MIN_SAMPLE_NANOS} ns and is divided by that count. Every tensor made for a
 * measurement (inputs, outputs, temporaries) is freed: outputs per call through a
 * {@link PointerScope}, inputs through one around the whole measurement. A training step's model
 * parameters and its SGD optimizer are made once per measurement, in the outer scope; each step's
 * activations, loss and autograd graph are freed by the per-call scope (the gradients belong to the
 * parameters: {@code zero_grad()} sets them to none, PyTorch's default, and backward makes new
 * ones), so memory stays flat over the steps.
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
    public double conv2dTrainSeconds(int n, int c, int h, int w, int oc, int k, int groups) {
        applyThreads(false);
        try (PointerScope outer = new PointerScope()) {
            Tensor x = torch.randn(n, c, h, w).requires_grad_(true);
            Tensor weight = torch.randn(oc, c / groups, k, k).requires_grad_(true);
            TensorOptional bias = new TensorOptional(torch.randn(oc).requires_grad_(true));
            long[] stride = {1, 1};
            long[] padding = {k / 2, k / 2};
            long[] dilation = {1, 1};
            Tensor grad = torch.randn(n, oc, h, w);
            return median(() -> backward(torch.conv2d(x, weight, bias, stride, padding, dilation, groups), grad));
        }
    }

    @Override
    public double linearTrainSeconds(int batch, int in, int out) {
        applyThreads(false);
        try (PointerScope outer = new PointerScope()) {
            Tensor x = torch.randn(batch, in).requires_grad_(true);
            Tensor weight = torch.randn(out, in).requires_grad_(true);
            TensorOptional bias = new TensorOptional(torch.randn(out).requires_grad_(true));
            Tensor grad = torch.randn(batch, out);
            return median(() -> backward(torch.linear(x, weight, bias), grad));
        }
    }

    @Override
    public double batchNormTrainSeconds(int n, int c, int h, int w) {
        applyThreads(false);
        try (PointerScope outer = new PointerScope()) {
            Tensor x = torch.randn(n, c, h, w).requires_grad_(true);
            TensorOptional weight = new TensorOptional(torch.ones(c).requires_grad_(true));
            TensorOptional bias = new TensorOptional(torch.zeros(c).requires_grad_(true));
            TensorOptional runningMean = new TensorOptional(torch.zeros(c));
            TensorOptional runningVar = new TensorOptional(torch.ones(c));
            Tensor grad = torch.randn(n, c, h, w);
            return median(() -> backward(torch.batch_norm(x, weight, bias, runningMean, runningVar, true, 0.1, 1e-5, false), grad));
        }
    }

    @Override
    public double maxPoolTrainSeconds(int n, int c, int h, int w, int k) {
        applyThreads(false);
        try (PointerScope outer = new PointerScope()) {
            Tensor x = torch.randn(n, c, h, w).requires_grad_(true);
            long[] kernel = {k, k};
            long[] none = {0, 0};
            long[] one = {1, 1};
            Tensor grad = torch.randn(n, c, h / k, w / k);
            return median(() -> backward(torch.max_pool2d(x, kernel, kernel, none, one, false), grad));
        }
    }

    /** out.backward(grad); returns out (the op's result, freed with the call's scope). */
    private static Tensor backward(Tensor out, Tensor grad) {
        out.backward(grad, new BoolOptional(), false, new TensorArrayRefOptional());
        return out;
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

    @Override
    public double trainStepSeconds(String model, int batch) {
        applyThreads(trainStepIsBlas(model));
        try (PointerScope outer = new PointerScope()) {
            Model m = Model.of(model);
            Tensor x = torch.randn(batch, Model.IN);
            Tensor y = torch.randint(Model.CLASSES, new long[] {batch});
            SGD sgd = new SGD(new TensorVector(m.params), new SGDOptions(LR));
            return median(() -> step(m, sgd, x, y));
        }
    }

    /**
     * Package-private check: the loss of {@code steps} training steps of {@code model} on one fixed
     * random batch, before each step's update; it must go down.
     */
    float[] trainLosses(String model, int batch, int steps) {
        applyThreads(trainStepIsBlas(model));
        try (PointerScope outer = new PointerScope()) {
            torch.manual_seed(0);
            Model m = Model.of(model);
            Tensor x = torch.randn(batch, Model.IN);
            Tensor y = torch.randint(Model.CLASSES, new long[] {batch});
            SGD sgd = new SGD(new TensorVector(m.params), new SGDOptions(LR));
            float[] losses = new float[steps];
            for (int i = 0; i < steps; i++) {
                try (PointerScope scope = new PointerScope()) {
                    losses[i] = step(m, sgd, x, y).item_float();
                }
            }
            return losses;
        }
    }

    static final double LR = 0.01;

    /** One SGD step (autograd on: no InferenceMode here); returns the loss. */
    private static Tensor step(Model m, SGD sgd, Tensor x, Tensor y) {
        Tensor loss = torch.cross_entropy_loss(m.forward(x), y);
        sgd.zero_grad();
        loss.backward();
        sgd.step();
        return loss;
    }

    /**
     * Which pool a training step's threads go to (see {@link #applyThreads}): the faster setting
     * measured on the 2-vCPU Zen 4 machine, quiet (no other process busy), median ms per step of
     * 1 thread / 2 threads on ATen (OpenBLAS 1) / 2 threads on OpenBLAS (ATen 1):
     * <pre>
     *            batch 64                 batch 256
     * m2         0.124 / 0.121 / 0.123    0.372 / 0.356 / 0.312
     * mlp512     2.71  / 2.65  / 1.67     9.99  / 9.95  / 5.66
     * m3         2.14  / 1.45  / 2.16     18.1  / 8.84  / 15.2
     * </pre>
     * So OpenBLAS for the MLPs, whose work is the GEMMs of the linear layers (forward and backward),
     * and ATen for the CNN, whose convolutions (forward and backward) run in oneDNN on ATen's OpenMP
     * pool. For m2 at batch 64 neither helps; OpenBLAS is also the safer one there: with ATen's pool
     * at 2 a step took 24 ms whenever another process held a core (OpenMP barriers wait for the
     * descheduled worker), while with OpenBLAS's it stayed at 0.12 ms. With threads == 1 both pools
     * get 1; with both at 2 they fight (see the class comment).
     */
    private static boolean trainStepIsBlas(String model) {
        switch (model) {
            case "m2": return true;
            case "mlp512": return true;
            case "m3": return false;
            case "cnn": return false;
            default: throw new IllegalArgumentException("unknown model: " + model);
        }
    }

    /**
     * The benchmark's models as plain leaf tensors (requires_grad) and functional ops, initialised
     * like torch.nn's defaults (uniform ±1/√fan_in for weight and bias).
     */
    private static final class Model {
        static final int IN = 784;
        static final int CLASSES = 10;
        private static final long[] STRIDE = {2, 2};
        private static final long[] PADDING = {1, 1};
        private static final long[] DILATION = {1, 1};

        final String name;
        final Tensor[] params;
        private final TensorOptional[] biases;

        private Model(String name, Tensor... params) {
            this.name = name;
            this.params = params;
            this.biases = new TensorOptional[params.length / 2];
            for (int i = 0; i < biases.length; i++) {
                biases[i] = new TensorOptional(params[2 * i + 1]);
            }
        }

        static Model of(String name) {
            switch (name) {
                case "m2":
                    return new Model(name, weight(10, IN), bias(10, IN), weight(10, 10), bias(10, 10));
                case "mlp512":
                    return new Model(name, weight(512, IN), bias(512, IN), weight(512, 512), bias(512, 512),
                            weight(10, 512), bias(10, 512));
                case "m3":
                    return new Model(name, weight(16, 1, 3, 3), bias(16, 9), weight(16, 16, 3, 3), bias(16, 144),
                            weight(10, 16, 3, 3), bias(10, 144));
                case "cnn":
                    return new Model(name, weight(16, 1, 3, 3), bias(16, 9), weight(32, 16, 3, 3), bias(32, 144),
                            weight(10, 32 * 7 * 7), bias(10, 32 * 7 * 7));
                default:
                    throw new IllegalArgumentException("unknown model: " + name);
            }
        }

        private static Tensor weight(long... shape) {
            long fanIn = 1;
            for (int i = 1; i < shape.length; i++) {
                fanIn *= shape[i];
            }
            return param(shape, fanIn);
        }

        private static Tensor bias(long size, long fanIn) {
            return param(new long[] {size}, fanIn);
        }

        private static Tensor param(long[] shape, long fanIn) {
            double bound = 1 / Math.sqrt(fanIn);
            Tensor t = torch.empty(shape);
            torch.uniform_(t, -bound, bound);
            t.requires_grad_(true);
            return t;
        }

        Tensor forward(Tensor x) {
            switch (name) {
                case "m2":
                    return torch.linear(torch.relu(torch.linear(x, params[0], biases[0])), params[2], biases[1]);
                case "mlp512": {
                    Tensor h = torch.relu(torch.linear(x, params[0], biases[0]));
                    h = torch.relu(torch.linear(h, params[2], biases[1]));
                    return torch.linear(h, params[4], biases[2]);
                }
                case "cnn": {
                    Tensor h = x.view(-1, 1, 28, 28);
                    long[] one = {1, 1};
                    long[] pool = {2, 2};
                    long[] none = {0, 0};
                    for (int i = 0; i < 2; i++) {
                        h = torch.relu(torch.conv2d(h, params[2 * i], biases[i], one, one, one, 1));
                        h = torch.max_pool2d(h, pool, pool, none, one, false);
                    }
                    return torch.linear(torch.flatten(h, 1, -1), params[4], biases[2]);
                }
                default: { // m3
                    Tensor h = x.view(-1, 1, 28, 28);
                    for (int i = 0; i < 3; i++) {
                        h = torch.relu(torch.conv2d(h, params[2 * i], biases[i], STRIDE, PADDING, DILATION, 1));
                    }
                    return torch.avg_pool2d(h, 4).view(-1, CLASSES);
                }
            }
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
