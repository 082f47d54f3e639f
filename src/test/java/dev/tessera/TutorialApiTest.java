package dev.tessera;

import static dev.tessera.TestUtil.assertClose;
import static dev.tessera.TestUtil.assertThrowsWith;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.nn.BatchNorm1d;
import dev.tessera.nn.Linear;
import dev.tessera.nn.Module;
import dev.tessera.nn.Parameter;
import dev.tessera.nn.Sequential;
import dev.tessera.nn.functional.F;
import dev.tessera.optim.SGD;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pieces the tutorial's neighbours use (issue 12, item 6), each against PyTorch 1.13's output. */
class TutorialApiTest {
    @Test void capitalTReversesAllDimsAndMTSwapsTheLastTwo() {
        Tensor a = Tensor.arange(24).to(DType.FLOAT32).reshape(2, 3, 4).requiresGrad(true);
        // PyTorch 1.13: a.T.shape -> torch.Size([4, 3, 2]) (PermuteBackward0); a.mT.shape -> torch.Size([2, 4, 3]) (TransposeBackward0)
        assertEquals(Size.of(4, 3, 2), a.T().shape());
        assertEquals("PermuteBackward0", a.T().gradFn().name());
        assertEquals(Size.of(2, 4, 3), a.mT().shape());
        assertEquals("TransposeBackward0", a.mT().gradFn().name());
        Tensor m = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        assertClose(m.T(), new double[] {1, 4, 2, 5, 3, 6}, new long[] {3, 2}, 0, 0);
        assertClose(m.mT(), new double[] {1, 4, 2, 5, 3, 6}, new long[] {3, 2}, 0, 0);
        assertEquals(23.0, a.T().select(0, 3).select(0, 2).select(0, 1).item(), "a.T[3, 2, 1] = a[1, 2, 3]");
        // PyTorch 1.13: torch.zeros(3).mT -> RuntimeError: tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor.
        assertThrowsWith(TesseraException.class, "tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor.", () -> Tensor.zeros(3).mT());
    }

    @Test void cosineSimilarityTakesADim() {
        Tensor x1 = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3), x2 = Tensor.of(new float[] {1, 0, -1, 2, 2, 2}, 2, 3);
        // PyTorch 1.13: F.cosine_similarity(x1, x2, 0) and (x1, x2, 1) (float32)
        assertClose(F.cosineSimilarity(x1, x2, 0), new double[] {0.9761871099472046, 0.9284766912460327, 0.5999999642372131}, new long[] {3}, 1e-6, 0);
        assertClose(F.cosineSimilarity(x1, x2, 1), new double[] {-0.37796443700790405, 0.9869275093078613}, new long[] {2}, 1e-6, 0);
        assertClose(F.cosineSimilarity(x1, x2, -1), F.cosineSimilarity(x1, x2), 0, 0);
    }

    @Test void randintIsUniformOverTheHalfOpenRange() {
        Tensor.manualSeed(0);
        Tensor r = Tensor.randint(3, 10, new long[] {10000});
        assertEquals(DType.INT64, r.dtype());
        assertEquals(Size.of(10000), r.shape());
        long[] counts = new long[10];
        for (long v : r.toLongArray()) counts[(int) v]++;
        assertEquals(0, counts[0] + counts[1] + counts[2], "nothing below low");
        // 7 values, 10000 draws: each count ~ Binomial(10000, 1/7), mean 1428.6, sd 35; allow 5 sd
        for (int v = 3; v < 10; v++) assertTrue(Math.abs(counts[v] - 10000 / 7.0) < 175, "count of " + v + ": " + counts[v]);
        Tensor s = Tensor.randint(2, new long[] {4, 5});
        assertEquals(Size.of(4, 5), s.shape());
        for (long v : s.toLongArray()) assertTrue(v == 0 || v == 1);
        Tensor neg = Tensor.randint(-5, -3, new long[] {200});
        for (long v : neg.toLongArray()) assertTrue(v == -5 || v == -4, "floor, not truncation, for negative ranges: " + v);
        assertEquals(DType.FLOAT32, Tensor.randint(0, 4, new long[] {3}, DType.FLOAT32, Device.CPU).dtype());
        assertEquals(0, Tensor.randint(0, 4, new long[] {}).dim());
        Tensor.manualSeed(42);
        long[] first = Tensor.randint(100, new long[] {8}).toLongArray();
        Tensor.manualSeed(42);
        assertArrayEquals(first, Tensor.randint(100, new long[] {8}).toLongArray(), "seeded");
        // PyTorch 1.13: torch.randint(5, 2, (3,)) -> RuntimeError: random_ expects 'from' to be less than 'to', but got from=5 >= to=2
        assertThrowsWith(TesseraException.class, "random_ expects 'from' to be less than 'to', but got from=5 >= to=2", () -> Tensor.randint(5, 2, new long[] {3}));
    }

    @Test void ofWithAnExplicitEmptyShapeIsZeroDim() {
        // PyTorch 1.13: torch.tensor(3.).shape -> torch.Size([]); torch.tensor([3.]).shape -> torch.Size([1])
        Tensor s = Tensor.of(new float[] {3f}, new long[0]);
        assertEquals(0, s.dim());
        assertEquals("tensor(3.)", s.toString());
        assertEquals(Size.of(1), Tensor.of(new float[] {3f}).shape());
        assertEquals(0, Tensor.of(new double[] {3}, new long[0]).dim());
        assertEquals(0, Tensor.of(new long[] {3}, new long[0]).dim());
        assertEquals(0, Tensor.of(new boolean[] {true}, new long[0]).dim());
        assertEquals(Size.of(4), Tensor.of(new long[] {1, 2, 3, 4}).shape());
        assertThrowsWith(TesseraException.class, "invalid for input of size 2", () -> Tensor.of(new float[] {1, 2}, new long[0]));
    }

    @Test void moduleToDTypeIsInPlaceAndSkipsIntegerBuffers() {
        Tensor.manualSeed(1);
        Sequential m = new Sequential(new Linear(2, 2), new BatchNorm1d(2));
        List<Parameter> before = m.parameters();
        double[] w = before.get(0).toDoubleArray();
        Sequential same = m.toDouble();
        assertSame(m, same);
        // PyTorch 1.13: m.double() -> every entry float64 but 1.num_batches_tracked (int64)
        m.stateDict().forEach((k, v) -> assertEquals(k.endsWith("num_batches_tracked") ? DType.INT64 : DType.FLOAT64, v.dtype(), k));
        for (int i = 0; i < before.size(); i++) assertSame(before.get(i), m.parameters().get(i), "the same Parameter objects");
        assertArrayEquals(w, before.get(0).toDoubleArray(), 1e-7, "values kept (float32 -> float64 is exact)");
        Tensor y = m.forward(Tensor.randn(new long[] {4, 2}, DType.FLOAT64, Device.CPU));
        assertEquals(DType.FLOAT64, y.dtype());
        y.sum().backward();
        assertEquals(DType.FLOAT64, before.get(0).grad().dtype());
        m.toFloat();
        assertEquals(DType.FLOAT32, before.get(0).dtype());
        assertEquals(DType.FLOAT32, before.get(0).grad().dtype(), "grads follow");
        assertEquals(DType.INT64, m.buffers().get(2).dtype());
        // PyTorch 1.13: nn.Linear(2, 2).to(torch.int64) -> TypeError: nn.Module.to only accepts floating point or complex dtypes, but got desired dtype=torch.int64
        assertThrowsWith(IllegalArgumentException.class, "nn.Module.to only accepts floating point dtypes, but got desired dtype=torch.int64",
                () -> new Linear(2, 2).to(DType.INT64));
    }

    static final class Net extends Module {
        final Linear l1 = register("l1", new Linear(3, 2));
        @Override public Tensor forward(Tensor x) { return l1.forward(x); }
    }

    @Test void modesAndMovesChainOnTheConcreteType() {
        // PyTorch: m.eval() is m -> True; model = Net().eval() keeps the Net
        Net net = new Net().eval();
        assertFalse(net.isTraining());
        assertFalse(net.l1.isTraining());
        Net back = net.train();
        assertSame(net, back);
        assertTrue(net.l1.isTraining());
        Linear l = new Linear(3, 2).eval();
        assertEquals(2, l.outFeatures);
        assertEquals(Size.of(4, 2), new Linear(3, 2).eval().forward(Tensor.zeros(4, 3)).shape());
        Net moved = new Net().cpu().to(Device.CPU).to("cpu").toFloat().train(false);
        assertFalse(moved.isTraining());
        new SGD(moved.parameters(), 0.1).step();
    }
}
