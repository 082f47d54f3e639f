package dev.tessera.backend.cuda;

import static dev.tessera.TestUtil.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tessera.Cuda;
import dev.tessera.DType;
import dev.tessera.Device;
import dev.tessera.Tensor;
import dev.tessera.TestUtil;
import dev.tessera.TesseraException;
import dev.tessera.nn.CrossEntropyLoss;
import dev.tessera.nn.Linear;
import dev.tessera.nn.Module;
import dev.tessera.nn.Parameter;
import dev.tessera.nn.ReLU;
import dev.tessera.nn.Sequential;
import dev.tessera.nn.functional.F;
import dev.tessera.ops.Conv;
import dev.tessera.optim.SGD;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.BinaryOperator;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Every op on CUDA against the CPU backend on the same random inputs, forward and backward,
 * including non-contiguous views and broadcasting (STYLE E13). Without a GPU these skip (TestUtil.assumeCuda says
 * when that is a failure instead). Tolerance: 1e-4 relative, 1e-5
 * absolute (FP32, TF32 off), at each call.
 */
@Tag("cuda")
class CudaMatchesCpuTest {
    private static final double RTOL = 1e-4, ATOL = 1e-5;
    private final Random rng = new Random(42);

    @BeforeEach void requireCuda() { TestUtil.assumeCuda(); }

    private Tensor random(long... shape) {
        float[] v = new float[(int) dev.tessera.Size.of(shape).numel()];
        for (int i = 0; i < v.length; i++) v[i] = (float) rng.nextGaussian();
        return Tensor.of(v, shape);
    }

    /**
     * fn on CPU copies and on CUDA copies of the inputs: outputs and input gradients agree; then the
     * same with the floating inputs in FLOAT64, so that both float kernels of each op run.
     */
    private void check(Function<Tensor[], Tensor> fn, Tensor... inputs) {
        checkOnce(fn, inputs);
        Tensor[] doubles = new Tensor[inputs.length];
        for (int i = 0; i < inputs.length; i++) doubles[i] = inputs[i].dtype() == DType.FLOAT32 ? inputs[i].to(DType.FLOAT64) : inputs[i];
        checkOnce(fn, doubles);
    }

    private void checkOnce(Function<Tensor[], Tensor> fn, Tensor... inputs) {
        Tensor[] cpu = new Tensor[inputs.length], gpu = new Tensor[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            boolean grad = inputs[i].dtype().isFloatingPoint();
            cpu[i] = inputs[i].clone().requiresGrad(grad);
            gpu[i] = inputs[i].to(Device.cuda()).requiresGrad(grad);
        }
        Tensor outCpu = fn.apply(cpu), outGpu = fn.apply(gpu);
        assertTrue(outGpu.isCuda(), "output on CUDA");
        assertClose(outGpu.cpu(), outCpu, RTOL, ATOL);
        if (!outCpu.requiresGrad()) return;
        long[] shape = outCpu.shape().toArray();
        Tensor upstream = random(shape).reshape(shape).to(outCpu.dtype());   // reshape: a 0-dim output needs a 0-dim gradient, and of() makes 1-D
        outCpu.backward(upstream);
        outGpu.backward(upstream.to(Device.cuda()));
        for (int i = 0; i < inputs.length; i++)
            if (cpu[i].grad() != null) assertClose(gpu[i].grad().cpu(), cpu[i].grad(), RTOL, ATOL);
    }

    @Test void elementwiseWithBroadcastingAndViews() {
        check(in -> in[0].add(in[1]).mul(in[0]).sub(in[1].div(in[1].abs().add(1.0))), random(3, 4, 5), random(4, 1));
        check(in -> in[0].transpose(0, 1).exp().log().sqrt(), random(4, 6).abs().add(0.5));
        check(in -> in[0].narrow(1, 1, 3).tanh().sigmoid().relu().gelu(), random(5, 6));
        check(in -> in[0].pow(3.0).maximum(in[1]).minimum(in[0].neg()).clamp(-0.5, 0.7), random(2, 7), random(7));
        check(in -> Tensor.where(in[0].gt(in[1]), in[0], in[1].mul(2.0)).maskedFill(in[0].lt(-1.0), 3.0), random(4, 4), random(4));
        check(in -> Tensor.where(in[0].ne(in[0].relu()), in[1], in[0]), random(3, 4), random(3, 4));   // ne: true exactly where x < 0
    }

    /**
     * The elementwise kernels (unary, binary, where, copy, fill) on their 32-bit index path — every
     * operand here has its offsets below 2^31 — and, forced through Structs.index64Only, on the
     * 64-bit one: broadcasting over several dims, permuted, narrowed and transposed operands, eight
     * non-mergeable dims of odd sizes (each with its own divisor), every dtype's copy.
     */
    @Test void elementwiseOnBothIndexPaths() {
        for (boolean force64 : new boolean[] {false, true}) {
            Structs.index64Only = force64;
            try {
                check(in -> in[0].add(in[1]).mul(in[2]), random(3, 1, 5, 7), random(4, 1, 1), random(7));
                check(in -> in[0].permute(2, 0, 3, 1).exp().sub(in[1]), random(3, 5, 2, 7), random(7, 1));
                check(in -> in[0].narrow(2, 1, 5).transpose(0, 1).tanh().maximum(in[1]), random(4, 6, 9), random(5));
                check(in -> in[0].permute(7, 6, 5, 4, 3, 2, 1, 0).mul(2.0).add(in[1]), random(2, 3, 2, 5, 2, 3, 3, 2), random(2));
                check(in -> Tensor.where(in[0].gt(in[1]), in[0], in[1].mul(3.0)), random(33, 17), random(17, 33).t());
                Tensor a = random(6, 5, 7);
                for (DType t : DType.values()) {
                    Tensor src = t == DType.BOOL ? a.gt(0.0) : a.mul(10.0).to(t);
                    exact("permuted copy " + t + (force64 ? " (64-bit)" : ""), src.permute(1, 2, 0).contiguous(), src.to(Device.cuda()).permute(1, 2, 0).contiguous());
                    exact("fill of a transposed view " + t, Tensor.zeros(new long[] {5, 6}, t, Device.CPU).t().fill_(1), Tensor.zeros(new long[] {5, 6}, t, Device.cuda()).t().fill_(1));
                }
            } finally {
                Structs.index64Only = false;
            }
        }
    }

    /**
     * contiguous() of transposed and permuted views through the tiled transpose (transpose_*): sizes
     * that are not multiples of 32 (partial tiles on both edges), one tile, a view with an offset,
     * batch dims on either side of the transposed pair, an expanded source, every dtype — exact —
     * and the gradient through it; thin views below the tile limit take the plain copy.
     */
    @Test void contiguousOfTransposedViews() {
        record Case(long[] shape, Function<Tensor, Tensor> view) {}
        List<Case> cases = List.of(new Case(new long[] {33, 45}, t -> t.t()), new Case(new long[] {70, 21}, t -> t.t()),
                new Case(new long[] {32, 32}, t -> t.t()), new Case(new long[] {40, 36}, t -> t.narrow(0, 3, 35).t()),
                new Case(new long[] {3, 22, 21}, t -> t.transpose(1, 2)), new Case(new long[] {2, 33, 5, 17}, t -> t.permute(0, 3, 2, 1)),
                new Case(new long[] {2, 21, 35}, t -> t.permute(2, 0, 1)), new Case(new long[] {2, 3, 40, 19}, t -> t.permute(0, 3, 1, 2)),
                new Case(new long[] {50, 1}, t -> t.expand(50, 20).t()), new Case(new long[] {297, 5}, t -> t.t()));
        for (Case c : cases) {
            Tensor x = random(c.shape()).mul(50.0);
            for (DType t : DType.values()) {
                Tensor src = t == DType.BOOL ? x.gt(0.0) : x.to(t);
                Tensor gpu = c.view().apply(src.to(Device.cuda()));
                assertTrue(!gpu.isContiguous(), "a non-contiguous view");
                exact("contiguous() of a " + gpu.shape() + " view, " + t, c.view().apply(src).contiguous(), gpu.contiguous());
            }
            check(in -> c.view().apply(in[0]).contiguous().mul(in[0].sum()), x.div(50.0));
        }
    }

    @Test void reductions() {
        Tensor x = random(3, 5, 7);
        check(in -> in[0].sum(), x);
        check(in -> in[0].mean(new int[] {0, 2}, true), x);
        check(in -> in[0].max(1), x);
        check(in -> in[0].min(), x);
        check(in -> in[0].var(2).add(in[0].std(0).sum()), x);
        assertArrayEquals(x.argmax(1).toLongArray(), x.to(Device.cuda()).argmax(1).toLongArray());
        assertClose(x.to(Device.cuda()).argmin(2).cpu(), x.argmin(2), 0, 0);
        // Rows longer than a block (256 threads): each thread folds several elements and the whole
        // reduction tree takes part, so a missing barrier in it changes the result.
        Tensor wide = random(3, 1000);
        check(in -> in[0].sum(1).add(in[0].max(1)).add(in[0].min(1)), wide);
        check(in -> in[0].var(0).add(in[0].mean(0)), random(300, 2));
        assertClose(wide.to(Device.cuda()).argmax(1).cpu(), wide.argmax(1), 0, 0);
        assertClose(wide.to(Device.cuda()).argmin(1).cpu(), wide.argmin(1), 0, 0);
        // Few long rows: SUM/MAX/MIN spread each row over several blocks, then reduce the partials.
        Tensor longRows = random(3, 20000);
        check(in -> in[0].sum(1).add(in[0].max(1)).sub(in[0].min(1)).add(in[0].mean()), longRows);
        check(in -> in[0].sum(0).add(in[0].max(0)), random(20000, 2));   // strided long rows
        Tensor positive = longRows.gt(0.0);
        exact("bool count over long rows", positive.sum(), positive.to(Device.cuda()).sum());   // partial counts are INT64
        exact("int64 max over long rows", longRows.mul(100.0).to(DType.INT64).max(1), longRows.mul(100.0).to(DType.INT64).to(Device.cuda()).max(1));
        // Column reductions (kept axis contiguous: reduce_cols_*): short and long columns, split
        // into slices and reduced again, a transposed view, and exact BOOL/INT64 results.
        check(in -> in[0].sum(0).add(in[0].max(0)).sub(in[0].min(0)).add(in[0].mean(0)), random(4, 1000));
        check(in -> in[0].sum(0).add(in[0].max(0)), random(9000, 3));
        check(in -> in[0].t().sum(1), random(5000, 7));
        Tensor columns = random(7000, 5);
        exact("bool column counts", columns.gt(0.0).sum(0), columns.gt(0.0).to(Device.cuda()).sum(0));
        exact("int64 column max", columns.mul(100.0).to(DType.INT64).max(0), columns.mul(100.0).to(DType.INT64).to(Device.cuda()).max(0));
        exact("column argmax", columns.argmax(0), columns.to(Device.cuda()).argmax(0));
        Tensor x64 = x.to(DType.FLOAT64);
        assertClose(x64.to(Device.cuda()).argmin(1).cpu(), x64.argmin(1), 0, 0);
        assertClose(x64.to(Device.cuda()).argmax(0).cpu(), x64.argmax(0), 0, 0);
    }

    /**
     * Zero-size dimensions through every op family, forward and backward, against the CPU (whose
     * results are PyTorch's: sum 0, mean NaN, empty outputs). On a GPU an empty reduction row
     * divided by zero in reduce.cu; the emulator runs that division on the host, where it traps.
     */
    @Test void zeroSizeDimensions() {
        check(in -> in[0].sum(1).add(in[0].mean(1)), random(3, 0));            // [0, 0, 0] + [nan, nan, nan]
        check(in -> in[0].sum().add(in[0].mean()), random(0));
        check(in -> in[0].sum(0).add(in[0].max(1).sum()), random(0, 3));
        check(in -> in[0].var(1), random(3, 0));
        check(in -> in[0].add(in[1]).mul(2.0).exp(), random(1, 0), random(3, 0));   // the broadcast gradient is summed over an empty dim
        check(in -> in[0].mm(in[1]), random(2, 0), random(0, 3));              // k = 0: zeros
        check(in -> in[0].mm(in[1]), random(0, 4), random(4, 3));
        check(in -> in[0].softmax(1).add(in[0].logSoftmax(1)), random(3, 0));
        check(in -> in[0].softmax(1), random(0, 4));
        check(in -> F.layerNorm(in[0], new long[] {4}, in[1], in[2], 1e-5), random(0, 4), random(4), random(4));
        check(in -> Conv.conv2d(in[0], in[1], in[2], new int[] {1, 1}, new int[] {0, 0}, new int[] {1, 1}, 1), random(0, 2, 4, 4), random(3, 2, 3, 3), random(3));
        check(in -> F.maxPool2d(in[0], 2).add(F.avgPool2d(in[0], 2)), random(0, 3, 4, 4));
        check(in -> F.batchNorm(in[0], in[1], in[2], null, null, false, 0.1, 1e-5), random(0, 2, 3), random(2), random(2).abs());
        check(in -> F.crossEntropy(in[0], in[1]), random(0, 4), Tensor.of(new long[0], 0));   // mean over no rows: NaN
        check(in -> Tensor.cat(List.of(in[0], in[1]), 0).relu(), random(0, 3), random(2, 3));
        exact("argmax over a non-empty dim of an empty tensor", random(0, 3).argmax(1), random(0, 3).to(Device.cuda()).argmax(1));
        TestUtil.assertThrowsWith(TesseraException.class, "max(): Expected reduction dim 1 to have non-zero size.", () -> random(3, 0).to(Device.cuda()).max(1));
    }

    /** A device tensor larger than any Java array (an expanded view: no memory) cannot come to the host in one piece: a clear error, before any copy. */
    @Test void hostCopiesBeyondJavaArraysFailClearly() {
        Tensor huge = Tensor.ones(1).to(Device.cuda()).expand(3_000_000_000L);
        TestUtil.assertThrowsWith(TesseraException.class, "toDoubleArray: a tensor of 3000000000 elements", huge::toDoubleArray);
        TestUtil.assertThrowsWith(TesseraException.class, "to(cpu): a tensor of 3000000000 elements", huge::cpu);
        assertEquals(1.0, huge.narrow(0, 2_999_999_999L, 1).item());
    }

    /** The overlap checks refuse on CUDA exactly what they refuse on the CPU (there the writes would race). */
    @Test void overlappingWritesAreRefused() {
        dev.tessera.MemoryOverlapTest.checkOn(Device.cuda());
    }

    /** INT64 arithmetic beyond 2^53, exact as on the CPU (pow by squaring rather than device pow). */
    @Test void int64ArithmeticIsExact() {
        dev.tessera.IntegerArithmeticTest.checkOn(Device.cuda());
    }

    /**
     * Two Java threads on one device, as a data-loading thread beside a training one: one copies
     * batches to the device and reduces them while the other trains; both results match the CPU.
     */
    @Test void twoThreadsShareTheDevice() throws Exception {
        float[][] batches = new float[200][];
        for (int i = 0; i < batches.length; i++) batches[i] = random(512).toFloatArray();
        java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
        Thread loader = new Thread(() -> {
            try {
                for (float[] b : batches) {
                    Tensor host = Tensor.of(b, b.length);
                    assertEquals(host.sum().item(), host.to(Device.cuda()).mul(2.0).sum().item() / 2, 1e-3);
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        loader.start();
        Tensor.manualSeed(5);
        Module cpu = new Sequential(new Linear(16, 8), new ReLU(), new Linear(8, 3));
        Tensor.manualSeed(5);
        Module gpu = new Sequential(new Linear(16, 8), new ReLU(), new Linear(8, 3)).to("cuda");
        SGD optCpu = new SGD(cpu.parameters(), 0.1), optGpu = new SGD(gpu.parameters(), 0.1);
        Tensor x = random(32, 16), y = Tensor.of(new long[32], 32);
        for (int step = 0; step < 50; step++) {
            Tensor lc = new CrossEntropyLoss().forward(cpu.forward(x), y), lg = new CrossEntropyLoss().forward(gpu.forward(x.cuda()), y.cuda());
            optCpu.zeroGrad(); lc.backward(); optCpu.step();
            optGpu.zeroGrad(); lg.backward(); optGpu.step();
            assertEquals(lc.item(), lg.item(), 1e-4, "loss at step " + step);
        }
        loader.join();
        if (failure.get() != null) throw new AssertionError("the loading thread failed", failure.get());
    }

    @Test void matmulTransposedBatchedAndBroadcast() {
        check(in -> in[0].mm(in[1]), random(17, 33), random(33, 9));
        check(in -> in[0].t().mm(in[1].t()), random(33, 17), random(9, 33));
        check(in -> in[0].bmm(in[1].transpose(1, 2)), random(4, 6, 8), random(4, 5, 8));
        check(in -> in[0].matmul(in[1]), random(2, 1, 3, 4), random(5, 4, 2));
        check(in -> F.linear(in[0], in[1], in[2]), random(8, 16), random(4, 16), random(4));
    }

    @Test void softmaxConvPoolEmbeddingLayerNorm() {
        check(in -> in[0].softmax(1).add(in[0].logSoftmax(-1)), random(4, 9, 3));
        check(in -> in[0].softmax(1).mul(in[0].logSoftmax(1)), random(3, 700));   // rows longer than a block
        check(in -> F.layerNorm(in[0], new long[] {517}, in[1], in[2], 1e-5), random(2, 517), random(517), random(517));
        check(in -> Conv.conv2d(in[0], in[1], in[2], new int[] {2, 1}, new int[] {1, 2}, new int[] {1, 2}, 1), random(2, 3, 9, 8), random(4, 3, 3, 2), random(4));
        check(in -> Conv.conv2d(in[0], in[1], null, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, 2), random(2, 4, 6, 6), random(6, 2, 3, 3));
        check(in -> Conv.conv1d(in[0], in[1], in[2], 1, 1, 1, 1), random(2, 3, 10), random(5, 3, 3), random(5));
        check(in -> F.maxPool2d(in[0], 2).add(F.avgPool2d(in[0], 2)), random(2, 3, 8, 8));
        check(in -> F.embedding(in[1], in[0], 0), random(10, 4), Tensor.of(new long[] {1, 0, 9, 1, 3, 3}, 2, 3));
        check(in -> F.layerNorm(in[0], new long[] {6}, in[1], in[2], 1e-5), random(3, 4, 6), random(6), random(6));
        check(in -> F.batchNorm(in[0], null, null, in[1], in[2], true, 0.1, 1e-5), random(4, 3, 5, 5), random(3), random(3));
        check(in -> F.crossEntropy(in[0], in[1]), random(6, 5), Tensor.of(new long[] {0, 4, 2, 2, 1, 3}, 6));
        check(in -> F.crossEntropy(in[0], in[1], 2, 0.1, dev.tessera.nn.Reduction.MEAN), random(6, 5), Tensor.of(new long[] {0, 4, 2, 2, 1, 3}, 6));
        // As PyTorch's CUDA kernels: the bad target is reported at the next sync point (here item()), with the CPU's message
        Tensor badLoss = F.crossEntropy(random(2, 5).to(Device.cuda()), Tensor.of(new long[] {1, 7}, 2).to(Device.cuda()));
        TestUtil.assertThrowsWith(dev.tessera.TesseraIndexException.class, "Target 7 is out of bounds.", badLoss::item);
        assertTrue(Double.isFinite(random(3).to(Device.cuda()).sum().item()), "the error is reported once");
    }

    /**
     * Softmax, log-softmax and layer norm over row lengths on both sides of the warp-per-row limit
     * (CudaBackend.WARP_ROW_MAX, 1024): one element, a partial warp, exactly one warp and one more,
     * odd lengths, the limit and one past it (a block per row), a long row; 11 rows leave warps of
     * the second block idle; two very long rows (slices over several blocks), masked slices. Large
     * values (the max must be subtracted), a NaN row, no affine params.
     */
    @Test void softmaxAndLayerNormAcrossRowLengths() {
        for (long n : new long[] {1, 7, 32, 33, 100, 1024, 1025, 2500}) {
            long rows = n > 1000 ? 3 : 11;
            Tensor x = random(rows, n);
            check(in -> in[0].softmax(1).add(in[0].logSoftmax(1)), x);
            check(in -> F.layerNorm(in[0], new long[] {n}, in[1], in[2], 1e-5), x, random(n), random(n));
        }
        // few very long rows: each cut into slices over several blocks (softmax_partial, softmax_split),
        // one row with whole slices masked to -inf (as an attention mask does), one all -inf (NaN, as the CPU)
        check(in -> in[0].softmax(1).add(in[0].logSoftmax(1)), random(2, 20000));
        boolean[] mask = new boolean[3 * 9000];
        for (int j = 0; j < 7000; j++) mask[j] = true;
        for (int j = 18000; j < 27000; j++) mask[j] = true;
        Tensor masked = random(3, 9000).maskedFill(Tensor.of(mask, 3, 9000), Double.NEGATIVE_INFINITY);
        for (Tensor m : List.of(masked, masked.to(DType.FLOAT64))) {
            assertClose(m.to(Device.cuda()).softmax(1).cpu(), m.softmax(1), RTOL, ATOL);
            assertClose(m.to(Device.cuda()).logSoftmax(1).cpu(), m.logSoftmax(1), RTOL, ATOL);
        }
        check(in -> in[0].softmax(-1).add(in[0].logSoftmax(-1)), random(5, 300).mul(1000.0));
        check(in -> F.layerNorm(in[0], new long[] {300}), random(5, 300).mul(1000.0).add(50.0));
        float[] v = random(4, 40).toFloatArray();
        v[45] = Float.NaN;   // row 1
        Tensor withNaN = Tensor.of(v, 4, 40);
        assertClose(withNaN.to(Device.cuda()).softmax(1).cpu(), withNaN.softmax(1), RTOL, ATOL);
        assertClose(F.layerNorm(withNaN.to(Device.cuda()), new long[] {40}).cpu(), F.layerNorm(withNaN, new long[] {40}), RTOL, ATOL);
        assertTrue(Double.isNaN(withNaN.to(Device.cuda()).logSoftmax(1).toDoubleArray()[40]), "a NaN makes its row NaN");
    }

    /**
     * The embedding's weight gradient (embedding.cu: a stable radix sort of the indices on the
     * device, then one thread per element summing its row's segment, no atomics) is the CPU's to the
     * bit: repeated indices, a padding index that takes most of the batch (its row stays zero), more
     * indices than one radix tile (2048, so offsets cross tiles), tables that need one, two and three
     * radix passes (rows 200, 300, 70000), and no index at all.
     */
    @Test void embeddingBackwardMatchesTheCpuExactly() {
        record Case(int rows, int d, int m, long padding, boolean skewed) {}
        for (Case c : List.of(new Case(200, 3, 5000, 7, true), new Case(300, 5, 3000, -1, false), new Case(70000, 2, 2500, 69999, true),
                new Case(10, 4, 0, 0, false), new Case(1, 3, 40, -1, false))) {
            long[] idx = new long[c.m()];
            for (int i = 0; i < idx.length; i++)
                idx[i] = c.skewed() && rng.nextInt(10) < 6 ? (c.padding() >= 0 ? c.padding() : 0) : rng.nextInt(c.rows());
            Tensor indices = Tensor.of(idx, c.m()), up = random(c.m(), c.d());
            for (DType t : List.of(DType.FLOAT32, DType.FLOAT64)) {
                Tensor w = random(c.rows(), c.d()).to(t);
                Tensor wc = w.clone().requiresGrad(true), wg = w.to(Device.cuda()).requiresGrad(true);
                F.embedding(indices, wc, c.padding()).backward(up.to(t));
                F.embedding(indices.to(Device.cuda()), wg, c.padding()).backward(up.to(t).to(Device.cuda()));
                exact("embedding weight gradient, " + c + ", " + t, wc.grad(), wg.grad());
                if (c.padding() >= 0) assertEquals(0.0, wg.grad().select(0, c.padding()).abs().sum().item(), "the padding row gets no gradient");
            }
        }
    }

    /**
     * With the grid capped at 3 blocks (Kernels.gridLimit), every kernel family strides over more
     * work than its grid, as on a GPU for big tensors: elementwise threads, warps over softmax and
     * layer-norm rows, blocks over long rows, reduction slices, transpose tiles (their second barrier
     * then guards a reused tile) and radix tiles.
     */
    @Test void kernelsStrideOverWorkBeyondTheirGrid() {
        Kernels.gridLimit = 3;
        try {
            check(in -> in[0].add(in[1]).exp(), random(40, 50), random(50));
            check(in -> in[0].softmax(1).add(in[0].logSoftmax(1)), random(50, 33));
            check(in -> in[0].softmax(1), random(7, 1500));
            check(in -> in[0].logSoftmax(1), random(2, 9000));
            check(in -> F.layerNorm(in[0], new long[] {40}, in[1], in[2], 1e-5), random(45, 40), random(40), random(40));
            check(in -> F.layerNorm(in[0], new long[] {1100}), random(5, 1100));
            check(in -> in[0].sum(1).add(in[0].max(1)), random(9, 300));
            check(in -> in[0].sum(0), random(300, 9));
            check(in -> in[0].t().contiguous(), random(70, 100));
            long[] idx = new long[9000];
            for (int i = 0; i < idx.length; i++) idx[i] = rng.nextInt(3) == 0 ? 2 : rng.nextInt(40);
            Tensor w = random(40, 3), up = random(9000, 3);
            Tensor wc = w.clone().requiresGrad(true), wg = w.to(Device.cuda()).requiresGrad(true);
            F.embedding(Tensor.of(idx, idx.length), wc, 2).backward(up);
            F.embedding(Tensor.of(idx, idx.length).to(Device.cuda()), wg, 2).backward(up.to(Device.cuda()));
            exact("embedding gradient with 5 radix tiles on 3 blocks", wc.grad(), wg.grad());
        } finally {
            Kernels.gridLimit = Kernels.MAX_GRID;
        }
    }

    /** INT64 and BOOL kernels: exact agreement with the CPU, including broadcasting and a transposed operand. */
    @Test void integerAndBoolOpsAreExact() {
        long[] av = new long[12], bv = new long[4];
        for (int i = 0; i < av.length; i++) av[i] = rng.nextInt(11) - 5;
        for (int i = 0; i < bv.length; i++) bv[i] = rng.nextInt(4) + 1;   // nonzero divisors, small exponents
        Tensor a = Tensor.of(av, 4, 3).t(), b = Tensor.of(bv, 4);           // a: [3, 4], not contiguous
        List<BinaryOperator<Tensor>> ops = List.of(Tensor::add, Tensor::sub, Tensor::mul, Tensor::div, Tensor::pow, Tensor::maximum, Tensor::minimum,
                Tensor::eq, Tensor::ne, Tensor::gt, Tensor::ge, Tensor::lt, Tensor::le);
        Tensor ga = a.to(Device.cuda()), gb = b.to(Device.cuda());
        for (int k = 0; k < ops.size(); k++) exact("int64 binary op #" + k, ops.get(k).apply(a, b), ops.get(k).apply(ga, gb));
        Tensor m = a.gt(0.0), gm = ga.gt(0.0);   // BOOL [3, 4]
        List<Function<Tensor, Tensor>> reductions = List.of(t -> t.sum(0), t -> t.sum(1), t -> t.max(0), t -> t.max(1), t -> t.min(0), t -> t.min(1),
                t -> t.argmax(0), t -> t.argmax(1), t -> t.argmin(0), t -> t.argmin(1));
        for (int k = 0; k < reductions.size(); k++) {
            exact("int64 reduction #" + k, reductions.get(k).apply(a), reductions.get(k).apply(ga));
            exact("bool reduction #" + k, reductions.get(k).apply(m), reductions.get(k).apply(gm));
        }
        exact("bool and bool", m.mul(a.lt(2.0)), gm.mul(ga.lt(2.0)));
        exact("contiguous int64", a.t().contiguous(), ga.t().contiguous());   // a strided copy
        exact("contiguous bool", m.t().contiguous(), gm.t().contiguous());
        exact("where int64", Tensor.where(m, a, b), Tensor.where(gm, ga, gb));
        exact("where bool", Tensor.where(m, m, a.eq(b)), Tensor.where(gm, gm, ga.eq(gb)));
        boolean[] first = new boolean[12];
        first[0] = true;
        Tensor x = random(3, 4).mul(3.0).maskedFill(Tensor.of(first, 3, 4), Double.NaN);   // NaN: -> BOOL is true, -> INT64 is 0
        Tensor gx = x.to(Device.cuda());
        for (DType from : DType.values())
            for (DType to : DType.values()) {
                if (from == DType.BOOL && to == DType.BOOL) { exact("copy bool", m.t().to(to), gm.t().to(to)); continue; }
                Tensor src = from == DType.BOOL ? m : from == DType.FLOAT32 ? x : from == DType.INT64 ? a : x.to(from);
                Tensor gsrc = from == DType.BOOL ? gm : from == DType.FLOAT32 ? gx : from == DType.INT64 ? ga : gx.to(from);
                exact("copy " + from + " -> " + to, src.t().to(to), gsrc.t().to(to));
            }
        for (DType t : DType.values())
            exact("fill " + t, Tensor.full(1, new long[] {5}, t, Device.CPU), Tensor.full(1, new long[] {5}, t, Device.cuda()));
    }

    private static void exact(String what, Tensor cpu, Tensor cuda) {
        assertTrue(cuda.isCuda(), what + ": on CUDA");
        assertEquals(cpu.dtype(), cuda.dtype(), what + ": dtype");
        assertEquals(cpu.shape(), cuda.shape(), what + ": shape");
        assertEquals(Arrays.toString(cpu.toDoubleArray()), Arrays.toString(cuda.toDoubleArray()), what);
    }

    /**
     * The device generator (Philox, counter-based) has no CPU twin to compare with, so: its moments,
     * the same seed giving the same numbers, and FLOAT32 being FLOAT64's values rounded.
     */
    @Test void deviceRandomHasTheRightMomentsAndIsReproducible() {
        for (boolean normal : new boolean[] {false, true}) {
            Tensor.manualSeed(11);
            Tensor d = normal ? Tensor.randn(new long[] {20000}, DType.FLOAT64, Device.cuda()) : Tensor.rand(new long[] {20000}, DType.FLOAT64, Device.cuda());
            Tensor.manualSeed(11);
            Tensor f = normal ? Tensor.randn(new long[] {20000}, DType.FLOAT32, Device.cuda()) : Tensor.rand(new long[] {20000}, DType.FLOAT32, Device.cuda());
            double mean = d.mean().item(), var = d.var().item();
            double expectMean = normal ? 0 : 0.5, expectVar = normal ? 1 : 1.0 / 12;
            // 5 standard errors: sd of the mean is sqrt(var / n); of the variance about var·sqrt(2 / n)
            assertEquals(expectMean, mean, 5 * Math.sqrt(expectVar / 20000), (normal ? "normal" : "uniform") + " mean");
            assertEquals(expectVar, var, 5 * expectVar * Math.sqrt(2.0 / 20000), (normal ? "normal" : "uniform") + " variance");
            assertClose(f.cpu(), d.to(DType.FLOAT32).cpu(), 0, 0);
        }
    }

    /** Dropout on the device: about p of the elements dropped, survivors scaled by 1/(1-p), the gradient through the same mask. */
    @Test void dropoutOnDevice() {
        Tensor x = Tensor.ones(new long[] {20000}, DType.FLOAT32, Device.cuda()).requiresGrad(true);
        Tensor.manualSeed(5);
        Tensor y = F.dropout(x, 0.3, true);
        double[] v = y.toDoubleArray();
        int dropped = 0;
        for (double e : v) {
            if (e == 0) dropped++;
            else assertEquals(1 / 0.7, e, 1e-6, "survivor scaled by 1/(1-p)");
        }
        assertEquals(0.3, dropped / 20000.0, 5 * Math.sqrt(0.3 * 0.7 / 20000), "fraction dropped");
        y.sum().backward();
        assertArrayEquals(v, x.grad().toDoubleArray(), 1e-6, "d(sum)/dx is the scaled mask");
        Tensor.manualSeed(5);
        assertArrayEquals(v, F.dropout(x.detach(), 0.3, true).toDoubleArray(), "same seed, same mask");
    }

    /** A bad embedding index is flagged on the device and reported at the next sync point (a host read or synchronize). */
    @Test void embeddingIndexOutOfRangeIsAJavaException() {
        Tensor w = random(5, 3).to(Device.cuda());
        Tensor out = F.embedding(Tensor.of(new long[] {2, 5}, 2).to(Device.cuda()), w);
        TesseraException e = assertThrows(dev.tessera.TesseraIndexException.class, () -> dev.tessera.Cuda.synchronize());
        assertEquals("index out of range in self", e.getMessage());
        Tensor again = F.embedding(Tensor.of(new long[] {-1}, 1).to(Device.cuda()), w);
        assertThrows(dev.tessera.TesseraIndexException.class, again::toFloatArray);
        assertEquals(3, out.size(1));
    }

    /** No host sync inside a training step: nll's and embedding's error flags wait for the loss's item(), which is the step's one sync. */
    @Test void aTrainingStepDoesNotSyncBeforeItem() {
        Module model = new Sequential(new dev.tessera.nn.Embedding(10, 8), new dev.tessera.nn.Flatten(), new Linear(16, 4)).to("cuda");
        SGD opt = new SGD(model.parameters(), 0.1, 0.9);
        Tensor x = Tensor.of(new long[] {1, 2, 3, 4, 5, 6}, 3, 2).to(Device.cuda()), y = Tensor.of(new long[] {0, 3, 1}, 3).to(Device.cuda());
        for (int step = 0; step < 3; step++) {
            long before = CudaRuntime.hostSyncCount(0);
            opt.zeroGrad();
            Tensor loss = new CrossEntropyLoss().forward(model.forward(x), y);
            loss.backward();
            opt.step();
            assertEquals(before, CudaRuntime.hostSyncCount(0), "host syncs between zeroGrad() and item() at step " + step);
            assertTrue(Double.isFinite(loss.item()));
            assertEquals(before + 1, CudaRuntime.hostSyncCount(0), "item() is one sync");
        }
    }

    @Test void dtypesAndRandomOnDevice() {
        Tensor.manualSeed(7);
        Tensor u = Tensor.rand(new long[] {10000}, DType.FLOAT32, Device.cuda());
        double mean = u.mean().item();
        assertTrue(Math.abs(mean - 0.5) < 0.02, "uniform mean " + mean);   // 5 sigma of 0.0029
        Tensor l = Tensor.arange(10).to(Device.cuda());
        assertEquals(45, l.sum().item(), 0.0, "INT64 sum exact");
        assertEquals("tensor([ True, False], device='cuda:0')", Tensor.of(new float[] {1, -1}, 2).to(Device.cuda()).gt(0.0).toString());
    }

    @Test void moduleMovesInPlaceAndTrains() {
        Tensor.manualSeed(3);
        Module model = new Sequential(new Linear(8, 16), new ReLU(), new Linear(16, 3));
        Parameter first = model.parameters().get(0);
        assertSame(model, model.to("cuda"));
        assertSame(first, model.parameters().get(0));
        assertTrue(first.isCuda());
        SGD opt = new SGD(model.parameters(), 0.1, 0.9);
        Tensor x = random(32, 8).to(Device.cuda());
        Tensor y = Tensor.of(new long[32], 32).to(Device.cuda());
        double firstLoss = 0, lastLoss = 0;
        for (int i = 0; i < 50; i++) {
            Tensor loss = new CrossEntropyLoss().forward(model.forward(x), y);
            if (i == 0) firstLoss = loss.item();
            lastLoss = loss.item();
            opt.zeroGrad();
            loss.backward();
            opt.step();
        }
        assertTrue(lastLoss < firstLoss / 4, firstLoss + " -> " + lastLoss);
    }

    @Test void memoryStaysFlatOverManySteps() throws InterruptedException {
        Module model = new Sequential(new Linear(32, 64), new ReLU(), new Linear(64, 10)).to("cuda");
        SGD opt = new SGD(model.parameters(), 0.01);
        Tensor x = random(64, 32).to(Device.cuda());
        Tensor y = Tensor.of(new long[64], 64).to(Device.cuda());
        long after100 = 0, maxReserved = 0;
        for (int i = 0; i < 2000; i++) {   // no System.gc() or close() in the loop: autograd and the allocator keep it flat
            Tensor loss = new CrossEntropyLoss().forward(model.forward(x), y);
            opt.zeroGrad();
            loss.backward();
            opt.step();
            if (i == 99) after100 = TestUtil.settledCudaMemory();   // a measurement of what a step keeps live
            maxReserved = Math.max(maxReserved, Cuda.memoryReserved());
        }
        long end = TestUtil.settledCudaMemory();
        assertTrue(end <= after100 * 2 + (1 << 20), "memoryAllocated grew from " + after100 + " to " + end + " bytes");
        // the cache grows only up to the allocator's soft limit before it collects (1/16 of the device here), plus a segment
        long limit = CudaRuntime.backend(0).cudaDevice().totalMemory() / 16 + (20 << 20);
        assertTrue(maxReserved <= limit, "memoryReserved reached " + maxReserved + " bytes, above " + limit);
    }
}
