package dev.tessera.ops;

import static dev.tessera.TestUtil.assertClose;
import static dev.tessera.TestUtil.assertThrowsWith;
import static dev.tessera.TestUtil.random64;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessera.DType;
import dev.tessera.Tensor;
import dev.tessera.TesseraException;
import dev.tessera.TesseraIndexException;
import dev.tessera.autograd.GradCheck;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Tensor.norm against values and gradients PyTorch 1.13 printed (float64), GradCheck, and a naive reference sweep. */
class NormTest {
    private static final double INF = Double.POSITIVE_INFINITY;

    private static Tensor x() { return Tensor.of(new double[] {1.5, -2, 0, 0.25, 3, -0.5}, 2, 3).requiresGrad(true); }

    /** x.norm(p) and d/dx, PyTorch 1.13, x = [[1.5, -2, 0], [0.25, 3, -0.5]] float64. */
    private static void check(double p, double norm, double[] grad) {
        Tensor x = x();
        Tensor n = x.norm(p);
        assertEquals(0, n.dim());
        assertEquals(norm, n.item(), 1e-15 * Math.max(1, norm), "p=" + p);   // float64: a few ulps
        n.backward();
        assertClose(x.grad(), grad, new long[] {2, 3}, 1e-13, 1e-15);
    }

    @Test void normsAndGradientsOfAllElementsMatchPyTorch() {
        check(2, 3.944933459514875, new double[] {0.3802345503146868, -0.5069794004195823, 0.0, 0.06337242505244779, 0.7604691006293736, -0.12674485010489558});
        check(1, 7.25, new double[] {1, -1, 0, 1, 1, -1});
        check(0, 5.0, new double[6]);
        check(3, 3.3771134453615903, new double[] {0.19728370634161016, -0.3507265890517514, 0.0, 0.005480102953933616, 0.7891348253664406, -0.021920411815734463});
        check(0.5, 31.11537836069557, new double[] {4.554512660405837, -3.9443236657693017, 0.0, 11.15623204504022, 3.2205267871729504, -7.888647331538603});
        check(INF, 3.0, new double[] {0, 0, 0, 0, 1, 0});
        check(-INF, 0.0, new double[6]);
        check(-1, 0.0, new double[6]);
        assertEquals(3.944933459514875, x().norm().item(), 1e-15 * 4, "norm() is the 2-norm");
        assertEquals("LinalgVectorNormBackward0", x().norm().gradFn().name());   // PyTorch 2.x; 1.13 printed NormBackward1
    }

    @Test void normsAlongDimsMatchPyTorch() {
        Tensor x = x();
        // PyTorch 1.13: x.norm(p, dim=1) and x.norm(p, dim=0, keepdim=True)
        assertClose(x.norm(2, 1), new double[] {2.5, 3.0516389039334255}, new long[] {2}, 1e-15, 0);
        assertClose(x.norm(2, 0, true), new double[] {1.5206906325745548, 3.605551275463989, 0.5}, new long[] {1, 3}, 1e-15, 0);
        assertClose(x.norm(1, 1), new double[] {3.5, 3.75}, new long[] {2}, 0, 0);
        assertClose(x.norm(1, 0, true), new double[] {1.75, 5.0, 0.5}, new long[] {1, 3}, 0, 0);
        assertClose(x.norm(INF, 1), new double[] {2, 3}, new long[] {2}, 0, 0);
        assertClose(x.norm(INF, 0, true), new double[] {1.5, 3, 0.5}, new long[] {1, 3}, 0, 0);
        assertClose(x.norm(3, 1), new double[] {2.2489707226377074, 3.005199317161366}, new long[] {2}, 1e-14, 0);
        assertClose(x.norm(3, 0, true), new double[] {1.5023112517293415, 3.2710663101885897, 0.5}, new long[] {1, 3}, 1e-14, 0);
        assertClose(x.norm(2, new int[] {0, 1}, false), new double[] {3.944933459514875}, new long[] {}, 1e-15, 0);
        assertClose(x.norm(2, new int[] {-1}, true), new double[] {2.5, 3.0516389039334255}, new long[] {2, 1}, 1e-15, 0);
    }

    @Test void zeroNormHasZeroGradientAndTiesShare() {
        // PyTorch 1.13: torch.zeros(2, 3).norm() backward -> zeros (not NaN)
        Tensor z = Tensor.zeros(new long[] {2, 3}, DType.FLOAT64, dev.tessera.Device.CPU).requiresGrad(true);
        z.norm().backward();
        assertClose(z.grad(), new double[6], new long[] {2, 3}, 0, 0);
        // PyTorch 1.13: torch.tensor([3., 3., 1.]).norm(inf) backward -> [0.5, 0.5, 0.0]
        Tensor t = Tensor.of(new double[] {3, 3, 1}).requiresGrad(true);
        t.norm(INF).backward();
        assertClose(t.grad(), new double[] {0.5, 0.5, 0}, new long[] {3}, 0, 0);
        // PyTorch 1.13: torch.tensor(3.).norm() -> tensor(3.), torch.tensor(-3.).norm(1) -> tensor(3.)
        assertEquals(3.0, Tensor.scalar(3).norm().item());
        assertEquals(3.0, Tensor.scalar(-3).norm(1).item());
    }

    @Test void gradCheckForEveryKindOfP() {
        Random rng = new Random(11);
        for (double p : new double[] {1, 1.5, 2, 3, 0.7, -1.5, INF, -INF}) {
            Tensor a = random64(rng, 3, 4).requiresGrad(true);   // no exact zeros or ties: the norms are smooth there
            GradCheck.check(in -> in[0].norm(p), a);
            GradCheck.check(in -> in[0].norm(p, 1), a);
            GradCheck.check(in -> in[0].norm(p, new int[] {0}, true), a);
        }
    }

    @Test void sweepAgainstNaiveReference() {
        Random rng = new Random(5);
        for (long[] shape : new long[][] {{1}, {5}, {2, 3}, {3, 1, 4}, {2, 3, 2}})
            for (double p : new double[] {0, 1, 2, 2.5, INF, -INF})
                for (int d = 0; d < shape.length; d++) {
                    Tensor a = random64(rng, shape);
                    Tensor f = a.to(DType.FLOAT32);
                    double[] ref = naive(a.toDoubleArray(), shape, d, p);
                    final int dim = d;
                    long[] outShape = java.util.stream.IntStream.range(0, shape.length).filter(i -> i != dim).mapToLong(i -> shape[i]).toArray();
                    assertClose(f.norm(p, d).to(DType.FLOAT64), ref, outShape, 1e-5, 1e-6);   // float32 vs float64 reference
                }
    }

    private static double[] naive(double[] v, long[] shape, int dim, double p) {
        int outer = 1, inner = 1, n = (int) shape[dim];
        for (int i = 0; i < dim; i++) outer *= (int) shape[i];
        for (int i = dim + 1; i < shape.length; i++) inner *= (int) shape[i];
        double[] out = new double[outer * inner];
        for (int o = 0; o < outer; o++)
            for (int in = 0; in < inner; in++) {
                double acc = p == INF ? 0 : p == -INF ? INF : 0;
                for (int k = 0; k < n; k++) {
                    double a = Math.abs(v[(o * n + k) * inner + in]);
                    if (p == INF) acc = Math.max(acc, a);
                    else if (p == -INF) acc = Math.min(acc, a);
                    else if (p == 0) acc += a != 0 ? 1 : 0;
                    else acc += Math.pow(a, p);
                }
                out[o * inner + in] = p == 0 || Double.isInfinite(p) ? acc : Math.pow(acc, 1 / p);
            }
        return out;
    }

    @Test void argumentErrors() {
        // PyTorch 1.13: torch.zeros(2, dtype=torch.long).norm() -> norm(): input dtype should be either floating point or complex. Got Long instead.
        assertThrowsWith(TesseraException.class, "norm(): input dtype should be either floating point or complex. Got Long instead.",
                () -> Tensor.of(new long[] {1, 2}).norm());
        assertThrowsWith(TesseraIndexException.class, "Dimension out of range", () -> x().norm(2, 2));
        assertThrowsWith(TesseraException.class, "appears multiple times", () -> x().norm(2, new int[] {0, -2}, false));
        assertThrowsWith(TesseraException.class, "empty tensor", () -> Tensor.zeros(0).norm(INF));
        assertEquals(0.0, Tensor.zeros(0).norm().item(), "the 2-norm of nothing is 0, as PyTorch");
    }
}
