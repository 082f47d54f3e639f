package dev.tessera.backend.cuda;

import static dev.tessera.TestUtil.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.Cuda;
import dev.tessera.DType;
import dev.tessera.Device;
import dev.tessera.Tensor;
import dev.tessera.TestUtil;
import dev.tessera.nn.BatchNorm1d;
import dev.tessera.nn.BatchNorm2d;
import dev.tessera.nn.Conv2d;
import dev.tessera.nn.Module;
import dev.tessera.nn.Parameter;
import dev.tessera.ops.Conv;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Convolution and batch norm on CUDA against the CPU backend, forward and every gradient, in
 * FLOAT32 (TF32 off; 1e-4 relative, 1e-5 absolute) and FLOAT64 (1e-10), once through cuDNN and
 * once through Tessera's fallback kernels — and each run proves which path served it (the
 * backend's counters), so a run that expected cuDNN and did not get it fails.
 */
@Tag("cuda")
class CudaConvBatchNormTest {
    enum Path { CUDNN, FALLBACK }

    private final Random rng = new Random(8);

    @BeforeEach void setUp() {
        TestUtil.assumeCuda();
        Cuda.setCudnnAllowTf32(false);
    }

    @AfterEach void restore() {
        Cuda.setCudnnEnabled(true);
        Cuda.setCudnnAllowTf32(true);
        Cuda.setCudnnBenchmark(false);
        Cuda.setCudnnDeterministic(false);
    }

    private void use(Path p) {
        if (p == Path.CUDNN) TestUtil.assumeCudnn();
        Cuda.setCudnnEnabled(p == Path.CUDNN);
    }

    /** Runs body and checks that every convolution/batch-norm primitive call in it took path p. */
    private static void onPath(Path p, Runnable body) {
        long[] before = CudaRuntime.cudnnCallCounts(0);
        body.run();
        long[] after = CudaRuntime.cudnnCallCounts(0);
        long cudnn = after[0] - before[0], fallback = after[1] - before[1];
        if (p == Path.CUDNN) {
            assertTrue(cudnn > 0, "no call reached cuDNN");
            assertEquals(0, fallback, "calls fell back from cuDNN: " + CudaRuntime.cudnnPath(0));
        } else {
            assertEquals(0, cudnn, "cuDNN ran while switched off");
            assertTrue(fallback > 0, "no call reached the fallback kernels");
        }
    }

    private Tensor random(DType t, long... shape) {
        double[] v = new double[(int) dev.tessera.Size.of(shape).numel()];
        for (int i = 0; i < v.length; i++) v[i] = rng.nextGaussian();
        return Tensor.of(v, shape).to(t);
    }

    private static double rtol(DType t) { return t == DType.FLOAT64 ? 1e-10 : 1e-4; }
    private static double atol(DType t) { return t == DType.FLOAT64 ? 1e-10 : 1e-5; }

    /** One convolution case of the contract sweep; transposed: the input is a non-contiguous transpose(2, 3) view. */
    record ConvCase(String name, long[] x, long[] w, int[] stride, int[] padding, int[] dilation, int groups, boolean transposed) {}

    static final List<ConvCase> CASES = List.of(
            new ConvCase("1x1", new long[] {2, 8, 5, 5}, new long[] {4, 8, 1, 1}, new int[] {1, 1}, new int[] {0, 0}, new int[] {1, 1}, 1, false),
            new ConvCase("3x3 s1 p1", new long[] {2, 4, 6, 6}, new long[] {6, 4, 3, 3}, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, 1, false),
            new ConvCase("5x5 s2 p2", new long[] {2, 3, 9, 9}, new long[] {4, 3, 5, 5}, new int[] {2, 2}, new int[] {2, 2}, new int[] {1, 1}, 1, false),
            new ConvCase("7x7 s2 p3, 3 channels, batch 1", new long[] {1, 3, 11, 11}, new long[] {4, 3, 7, 7}, new int[] {2, 2}, new int[] {3, 3}, new int[] {1, 1}, 1, false),
            new ConvCase("dilation 2", new long[] {2, 4, 8, 8}, new long[] {4, 4, 3, 3}, new int[] {1, 1}, new int[] {2, 2}, new int[] {2, 2}, 1, false),
            new ConvCase("groups 2", new long[] {2, 4, 6, 6}, new long[] {6, 2, 3, 3}, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, 2, false),
            new ConvCase("depthwise", new long[] {2, 4, 6, 6}, new long[] {4, 1, 3, 3}, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, 4, false),
            new ConvCase("non-square", new long[] {2, 3, 5, 8}, new long[] {4, 3, 2, 3}, new int[] {1, 2}, new int[] {1, 0}, new int[] {2, 1}, 1, false),
            new ConvCase("non-contiguous input", new long[] {2, 3, 7, 6}, new long[] {5, 3, 3, 3}, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, 1, true));

    @ParameterizedTest @EnumSource(Path.class) void convolutionSweep(Path path) {
        use(path);
        for (DType t : List.of(DType.FLOAT32, DType.FLOAT64))
            for (ConvCase c : CASES) {
                Tensor x = random(t, c.x()), w = random(t, c.w()), b = random(t, c.w()[0]);
                Tensor xCpu = x.clone().requiresGrad(true), wCpu = w.clone().requiresGrad(true), bCpu = b.clone().requiresGrad(true);
                Tensor xGpu = x.to(Device.cuda()).requiresGrad(true), wGpu = w.to(Device.cuda()).requiresGrad(true), bGpu = b.to(Device.cuda()).requiresGrad(true);
                Tensor outCpu = conv(c, xCpu, wCpu, bCpu);
                Tensor[] outGpu = new Tensor[1];
                onPath(path, () -> outGpu[0] = conv(c, xGpu, wGpu, bGpu));
                String what = c.name() + " " + t;
                assertCloseAs(what + " forward", outGpu[0].cpu(), outCpu, t);
                Tensor upstream = random(t, outCpu.shape().toArray());
                outCpu.backward(upstream);
                onPath(path, () -> outGpu[0].backward(upstream.to(Device.cuda())));
                assertCloseAs(what + " dx", xGpu.grad().cpu(), xCpu.grad(), t);
                assertCloseAs(what + " dweight", wGpu.grad().cpu(), wCpu.grad(), t);
                assertCloseAs(what + " dbias", bGpu.grad().cpu(), bCpu.grad(), t);
            }
    }

    private static Tensor conv(ConvCase c, Tensor x, Tensor w, Tensor b) {
        Tensor in = c.transposed() ? x.transpose(2, 3) : x;
        return Conv.conv2d(in, w, b, c.stride(), c.padding(), c.dilation(), c.groups());
    }

    private static void assertCloseAs(String what, Tensor actual, Tensor expected, DType t) {
        try {
            assertClose(actual, expected, rtol(t), atol(t));
        } catch (AssertionError e) {
            throw new AssertionError(what + ": " + e.getMessage(), e);
        }
    }

    /** An expanded (stride-0) input is no cuDNN tensor: that case runs on the fallback, with the reason kept, and matches the CPU. */
    @Test void expandedInputFallsBackWithAReason() {
        use(Path.CUDNN);
        Tensor x = random(DType.FLOAT32, 2, 1, 5, 5), w = random(DType.FLOAT32, 3, 4, 3, 3);
        Tensor expected = Conv.conv2d(x.expand(2, 4, 5, 5), w, null, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, 1);
        long[] before = CudaRuntime.cudnnCallCounts(0);
        Tensor out = Conv.conv2d(x.cuda().expand(2, 4, 5, 5), w.cuda(), null, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, 1);
        long[] after = CudaRuntime.cudnnCallCounts(0);
        assertEquals(1, after[1] - before[1], "the expanded input should have run on the fallback");
        assertClose(out.cpu(), expected, 1e-4, 1e-5);
        assertTrue(CudaRuntime.cudnnPath(0).contains("expanded (stride-0) input"), CudaRuntime.cudnnPath(0));
    }

    /** Only the weight (and bias) need gradients: a first layer, where backward-data must not run. */
    @ParameterizedTest @EnumSource(Path.class) void convolutionWeightGradientOnly(Path path) {
        use(path);
        Tensor x = random(DType.FLOAT32, 3, 2, 6, 6), w = random(DType.FLOAT32, 4, 2, 3, 3);
        Tensor wCpu = w.clone().requiresGrad(true), wGpu = w.to(Device.cuda()).requiresGrad(true);
        Tensor outCpu = Conv.conv2d(x, wCpu, null, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, 1).sum();
        Tensor outGpu = Conv.conv2d(x.cuda(), wGpu, null, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, 1).sum();
        outCpu.backward();
        onPath(path, outGpu::backward);
        assertClose(wGpu.grad().cpu(), wCpu.grad(), 1e-4, 1e-4);
    }

    /** BatchNorm2d and BatchNorm1d ([N, C] and [N, C, L]) over several training steps, then eval: outputs, gradients, running stats. */
    @ParameterizedTest @EnumSource(Path.class) void batchNormTrainAndEvalOverSeveralSteps(Path path) {
        use(path);
        for (DType t : List.of(DType.FLOAT32, DType.FLOAT64)) {
            runBatchNorm(path, t, new BatchNorm2d(3), new BatchNorm2d(3), new long[] {4, 3, 5, 5});
            runBatchNorm(path, t, new BatchNorm1d(4), new BatchNorm1d(4), new long[] {8, 4});
            runBatchNorm(path, t, new BatchNorm1d(4), new BatchNorm1d(4), new long[] {3, 4, 6});
            runBatchNorm(path, t, new BatchNorm2d(2, 1e-3, null, false, true), new BatchNorm2d(2, 1e-3, null, false, true), new long[] {2, 2, 3, 4});
        }
    }

    private void runBatchNorm(Path path, DType t, BatchNorm2d cpu, BatchNorm2d gpu, long[] shape) {
        toDtype(cpu, t);
        toDtype(gpu, t);
        if (cpu.weight != null) {
            Tensor w = random(t, cpu.weight.shape().toArray()), b = random(t, cpu.bias.shape().toArray());
            try (var ng = Tensor.noGrad()) { cpu.weight.copy_(w); cpu.bias.copy_(b); gpu.weight.copy_(w); gpu.bias.copy_(b); }
        }
        gpu.to(Device.cuda());
        for (int step = 0; step < 4; step++) {
            if (step == 3) { cpu.eval(); gpu.eval(); }
            Tensor x = random(t, shape).mul(1 + step).add(step);
            Tensor xCpu = x.clone().requiresGrad(true), xGpu = x.to(Device.cuda()).requiresGrad(true);
            Tensor outCpu = cpu.forward(xCpu);
            Tensor[] outGpu = new Tensor[1];
            onPath(path, () -> outGpu[0] = gpu.forward(xGpu));
            String what = cpu + " " + t + " step " + step;
            assertCloseAs(what + " forward", outGpu[0].cpu(), outCpu, t);
            assertCloseAs(what + " running_mean", gpu.runningMean.cpu(), cpu.runningMean, t);
            assertCloseAs(what + " running_var", gpu.runningVar.cpu(), cpu.runningVar, t);
            Tensor upstream = random(t, shape);
            outCpu.backward(upstream);
            Path backwardPath = step == 3 ? null : path;   // eval's backward is elementwise Tensor ops: no primitive
            if (backwardPath == null) outGpu[0].backward(upstream.cuda());
            else onPath(backwardPath, () -> outGpu[0].backward(upstream.cuda()));
            assertCloseAs(what + " dx", xGpu.grad().cpu(), xCpu.grad(), t);
            if (cpu.weight != null) {
                assertCloseAs(what + " dweight", gpu.weight.grad().cpu(), cpu.weight.grad(), t);
                assertCloseAs(what + " dbias", gpu.bias.grad().cpu(), cpu.bias.grad(), t);
                cpu.zeroGrad();
                gpu.zeroGrad();
            }
        }
    }

    private static void toDtype(Module m, DType t) {
        try (var ng = Tensor.noGrad()) {
            for (Parameter p : m.parameters()) p.internalSetData(p.detach().to(t));
            for (Tensor b : m.buffers()) if (b.dtype().isFloatingPoint()) b.internalSetData(b.detach().to(t));
        }
    }

    /** cudnn.benchmark (cudnnFind*, cached) and deterministic choose algorithms that give the same results. */
    @Test void benchmarkAndDeterministicModes() {
        use(Path.CUDNN);
        Tensor x = random(DType.FLOAT64, 2, 3, 7, 7), w = random(DType.FLOAT64, 4, 3, 3, 3);
        Tensor expected = Conv.conv2d(x, w, null, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, 1);
        for (boolean benchmark : new boolean[] {false, true})
            for (boolean deterministic : new boolean[] {false, true}) {
                Cuda.setCudnnBenchmark(benchmark);
                Cuda.setCudnnDeterministic(deterministic);
                Tensor xg = x.cuda().requiresGrad(true), wg = w.cuda().requiresGrad(true);
                Tensor[] out = new Tensor[1];
                onPath(Path.CUDNN, () -> {
                    out[0] = Conv.conv2d(xg, wg, null, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, 1);
                    out[0].sum().backward();
                });
                assertClose(out[0].cpu(), expected, 1e-10, 1e-10);
            }
    }

    /** A model with Conv2d and BatchNorm2d trains the same on CUDA as on the CPU (a few SGD steps). */
    @ParameterizedTest @EnumSource(Path.class) void convBatchNormModelTrainsLikeTheCpu(Path path) {
        use(path);
        Tensor.manualSeed(3);
        var cpu = new dev.tessera.nn.Sequential(new Conv2d(1, 4, 3, 1, 1), new BatchNorm2d(4), new dev.tessera.nn.ReLU(), new Conv2d(4, 2, 3, 2, 0));
        Tensor.manualSeed(3);
        var gpu = new dev.tessera.nn.Sequential(new Conv2d(1, 4, 3, 1, 1), new BatchNorm2d(4), new dev.tessera.nn.ReLU(), new Conv2d(4, 2, 3, 2, 0));
        gpu.to(Device.cuda());
        var optCpu = new dev.tessera.optim.SGD(cpu.parameters(), 0.1, 0.9);
        var optGpu = new dev.tessera.optim.SGD(gpu.parameters(), 0.1, 0.9);
        for (int step = 0; step < 3; step++) {
            Tensor x = random(DType.FLOAT32, 4, 1, 8, 8);
            Tensor lossCpu = cpu.forward(x).pow(2).mean();
            optCpu.zeroGrad();
            lossCpu.backward();
            optCpu.step();
            Tensor[] lossGpu = new Tensor[1];
            onPath(path, () -> {
                lossGpu[0] = gpu.forward(x.cuda()).pow(2).mean();
                optGpu.zeroGrad();
                lossGpu[0].backward();
                optGpu.step();
            });
            assertEquals(lossCpu.item(), lossGpu[0].item(), 1e-4 * Math.abs(lossCpu.item()) + 1e-5, "loss at step " + step);
        }
        var pc = cpu.namedParameters();
        gpu.namedParameters().forEach((name, p) -> assertClose(p.cpu(), pc.get(name), 1e-3, 1e-4));
    }
}
