package dev.tessera;

import static dev.tessera.TestUtil.assertClose;
import static dev.tessera.TestUtil.assertThrowsWith;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Factories, inspection, Size, Device parsing, seeding and dtype conversion. */
class CreationTest {

    private static double[] filled(int n, double v) {
        double[] d = new double[n];
        Arrays.fill(d, v);
        return d;
    }

    // ---- factories ----

    @Test void zerosOnesFullEmptyHaveShapeDtypeAndValues() {
        Tensor z = Tensor.zeros(2, 3), o = Tensor.ones(4), f = Tensor.full(2.5, 3, 1, 2), e = Tensor.empty(2, 2);
        for (Tensor t : new Tensor[] {z, o, f, e}) {
            assertEquals(DType.FLOAT32, t.dtype());
            assertEquals(Device.CPU, t.device());
            assertTrue(t.isContiguous());
        }
        assertClose(z, filled(6, 0), new long[] {2, 3}, 0, 0);
        assertClose(o, filled(4, 1), new long[] {4}, 0, 0);
        assertClose(f, filled(6, 2.5), new long[] {3, 1, 2}, 0, 0);
        assertEquals(Size.of(2, 2), e.shape());
        // Options overloads.
        Tensor z64 = Tensor.zeros(new long[] {3}, DType.FLOAT64, Device.CPU);
        assertEquals(DType.FLOAT64, z64.dtype());
        assertArrayEquals(new long[] {7, 7}, Tensor.full(7, new long[] {2}, DType.INT64, Device.CPU).toLongArray());
        assertArrayEquals(new boolean[] {true, true}, Tensor.ones(new long[] {2}, DType.BOOL, Device.CPU).toBooleanArray());
    }

    @Test void zeroSizeAndZeroDimShapes() {
        Tensor empty = Tensor.zeros(0, 3);
        assertEquals(0, empty.numel());
        assertEquals(2, empty.dim());
        assertEquals(0, empty.toFloatArray().length);
        Tensor s = Tensor.scalar(3.25);
        assertEquals(0, s.dim());
        assertEquals(1, s.numel());
        assertEquals(Size.of(), s.shape());
        assertEquals(DType.FLOAT32, s.dtype());
        assertEquals(3.25, s.item(), 0);
    }

    @Test void negativeShapeIsRejected() {
        assertThrowsWith(TesseraException.class, "negative dimension", () -> Tensor.zeros(2, -1));
    }

    @Test void arangeIntIsInt64AndArangeRangeIsFloat32() {
        Tensor a = Tensor.arange(5);
        assertEquals(DType.INT64, a.dtype());
        assertArrayEquals(new long[] {0, 1, 2, 3, 4}, a.toLongArray());
        assertEquals(0, Tensor.arange(0).numel());

        Tensor r = Tensor.arange(1, 2, 0.25);
        assertEquals(DType.FLOAT32, r.dtype());
        assertArrayEquals(new float[] {1f, 1.25f, 1.5f, 1.75f}, r.toFloatArray());
        // The end is exclusive and the count is ceil((end - start) / step), as torch.arange.
        assertArrayEquals(new float[] {0f, 0.4f, 0.8f}, Tensor.arange(0, 1.2, 0.4).toFloatArray(), 1e-7f);
        assertArrayEquals(new float[] {3f, 2f, 1f}, Tensor.arange(3, 0, -1).toFloatArray());
        assertThrows(TesseraException.class, () -> Tensor.arange(0, 1, 0));
        assertThrows(TesseraException.class, () -> Tensor.arange(0, 1, -1));
    }

    @Test void ofCopiesHostArraysOfEveryType() {
        float[] fa = {1.5f, -2f, 3f, 4f, 5f, 6f};
        Tensor f = Tensor.of(fa, 2, 3);
        fa[0] = 100f;   // the tensor holds a copy
        assertEquals(DType.FLOAT32, f.dtype());
        assertArrayEquals(new float[] {1.5f, -2f, 3f, 4f, 5f, 6f}, f.toFloatArray());

        Tensor d = Tensor.of(new double[] {0.1, 0.2});
        assertEquals(DType.FLOAT64, d.dtype());
        assertEquals(Size.of(2), d.shape());   // no shape: 1-D of the array's length
        assertArrayEquals(new double[] {0.1, 0.2}, d.toDoubleArray());

        Tensor l = Tensor.of(new long[] {1L << 60, -3}, 2, 1);
        assertEquals(DType.INT64, l.dtype());
        assertArrayEquals(new long[] {1L << 60, -3}, l.toLongArray());   // exact beyond 2^53

        Tensor b = Tensor.of(new boolean[] {true, false, true});
        assertEquals(DType.BOOL, b.dtype());
        assertArrayEquals(new boolean[] {true, false, true}, b.toBooleanArray());

        assertThrowsWith(TesseraException.class, "invalid for input of size 6", () -> Tensor.of(new float[6], 4, 2));
    }

    // ---- inspection and Size ----

    @Test void inspection() {
        Tensor t = Tensor.zeros(2, 3, 4);
        assertEquals(3, t.dim());
        assertEquals(24, t.numel());
        assertEquals(3, t.size(1));
        assertEquals(4, t.size(-1));
        assertEquals(2, t.size(-3));
        assertEquals(Size.of(2, 3, 4), t.shape());
        assertArrayEquals(new long[] {12, 4, 1}, t.stride());
        assertThrowsWith(TesseraException.class, "Dimension out of range", () -> t.size(3));
        assertThrowsWith(TesseraException.class, "Dimension out of range", () -> t.size(-4));
    }

    @Test void sizeValueSemanticsAndPrinting() {
        Size s = Tensor.zeros(128, 20).shape();
        assertEquals("torch.Size([128, 20])", s.toString());
        assertEquals(Size.of(128, 20), s);
        assertEquals(Size.of(128, 20).hashCode(), s.hashCode());
        assertNotEquals(Size.of(20, 128), s);
        assertNotEquals(Size.of(128, 20, 1), s);
        assertEquals("torch.Size([])", Size.of().toString());
        assertEquals(2560, s.numel());
        assertEquals(1, Size.of().numel());
        assertEquals(20, s.get(-1));
        assertThrows(TesseraIndexException.class, () -> s.get(2));   // PyTorch 1.13: IndexError: tuple index out of range
        long[] dims = {3, 4};
        Size copy = new Size(dims);
        dims[0] = 99;   // Size is immutable: it copied the array
        assertEquals(Size.of(3, 4), copy);
    }

    // ---- seeding and random ----

    @Test void manualSeedMakesRandomOpsReproducible() {
        Tensor.manualSeed(42);
        float[] r1 = Tensor.rand(50).toFloatArray(), n1 = Tensor.randn(50).toFloatArray();
        float[] d1 = Tensor.ones(200).dropout(0.5, true).toFloatArray();
        Tensor.manualSeed(42);
        float[] r2 = Tensor.rand(50).toFloatArray(), n2 = Tensor.randn(50).toFloatArray();
        float[] d2 = Tensor.ones(200).dropout(0.5, true).toFloatArray();
        assertArrayEquals(r1, r2);
        assertArrayEquals(n1, n2);
        assertArrayEquals(d1, d2);

        Tensor.manualSeed(43);
        assertFalse(Arrays.equals(r1, Tensor.rand(50).toFloatArray()));
        assertFalse(Arrays.equals(n1, Tensor.randn(50).toFloatArray()));
        assertFalse(Arrays.equals(d1, Tensor.ones(200).dropout(0.5, true).toFloatArray()));
        // Consecutive draws differ too.
        Tensor.manualSeed(42);
        assertFalse(Arrays.equals(Tensor.rand(50).toFloatArray(), Tensor.rand(50).toFloatArray()));
    }

    @Test void randIsUniformOnUnitInterval() {
        Tensor.manualSeed(7);
        double[] v = Tensor.rand(new long[] {100_000}, DType.FLOAT64, Device.CPU).toDoubleArray();
        double sum = 0, sumSq = 0;
        for (double x : v) {
            assertTrue(x >= 0 && x < 1, "rand value outside [0, 1): " + x);
            sum += x;
            sumSq += x * x;
        }
        double mean = sum / v.length, var = sumSq / v.length - mean * mean;
        // Std error of the mean is sqrt(1/12 / 1e5) ≈ 9e-4: 5e-3 is more than 5 sigma.
        assertEquals(0.5, mean, 5e-3);
        assertEquals(1.0 / 12, var, 2e-3);
        float[] f = Tensor.rand(1000).toFloatArray();
        for (float x : f) assertTrue(x >= 0f && x < 1f, "float32 rand value outside [0, 1): " + x);
    }

    @Test void randnIsStandardNormal() {
        Tensor.manualSeed(11);
        double[] v = Tensor.randn(100_000).toDoubleArray();
        double sum = 0, sumSq = 0;
        for (double x : v) sum += x;
        double mean = sum / v.length;
        for (double x : v) sumSq += (x - mean) * (x - mean);
        double std = Math.sqrt(sumSq / (v.length - 1));
        // Std errors: mean 1/sqrt(1e5) ≈ 3.2e-3, std 1/sqrt(2e5) ≈ 2.2e-3; tolerances are ~5 sigma.
        assertEquals(0.0, mean, 0.015);
        assertEquals(1.0, std, 0.01);
    }

    @Test void randRejectsIntegralDtypes() {
        assertThrows(TesseraException.class, () -> Tensor.rand(new long[] {2}, DType.INT64, Device.CPU));
        assertThrows(TesseraException.class, () -> Tensor.randn(new long[] {2}, DType.BOOL, Device.CPU));
    }

    // ---- devices ----

    @Test void deviceParsing() {
        assertSame(Device.CPU, Device.of("cpu"));
        assertEquals(Device.cuda(0), Device.of("cuda"));
        assertEquals(Device.cuda(), Device.of("cuda:0"));
        Device d1 = Device.of("cuda:1");
        assertEquals("cuda", d1.type());
        assertEquals(1, d1.index());
        assertEquals("cuda:1", d1.toString());
        assertEquals("cpu", Device.CPU.toString());
        assertEquals(-1, Device.CPU.index());
        assertEquals("cpu", Device.CPU.type());
        assertTrue(d1.isCuda());
        assertFalse(Device.CPU.isCuda());
        for (String bad : new String[] {"gpu", "cuda:-1", "cuda:x", "cuda:", "CPU", "cpu:0", ""})
            assertThrows(IllegalArgumentException.class, () -> Device.of(bad), bad);
        assertThrows(IllegalArgumentException.class, () -> Device.of(null));
        assertThrows(IllegalArgumentException.class, () -> Device.cuda(-1));
    }

    @Tag("cuda") @Test void cudaAvailabilityIsConsistentWithItsReason() {
        Tensor t = Tensor.ones(2);
        if (Device.isCudaAvailable()) {
            assertTrue(Device.cudaDeviceCount() > 0);
            assertTrue(Device.cudaUnavailableReason().isEmpty());
            assertEquals(Device.cuda(0), Device.auto());
        } else {
            assertEquals(0, Device.cudaDeviceCount());
            assertTrue(Device.cudaUnavailableReason().isPresent());
            assertFalse(Device.cudaUnavailableReason().get().isBlank());
            assertEquals(Device.CPU, Device.auto());
            TesseraException e = assertThrows(TesseraException.class, () -> t.to("cuda"));
            assertTrue(e.getMessage().startsWith("CUDA unavailable:"), e.getMessage());
            assertThrows(TesseraException.class, t::cuda);
        }
        assertSame(t, t.to(Device.CPU));
        assertSame(t, t.cpu());
        assertSame(t, t.to("cpu"));
    }

    // ---- host conversion and dtype ----

    @Test void itemAndHostArrays() {
        assertEquals(-1.5, Tensor.of(new float[] {-1.5f}, 1, 1).item(), 0);
        assertEquals(9, Tensor.of(new long[] {9}).item(), 0);
        assertEquals(1, Tensor.of(new boolean[] {true}).item(), 0);
        assertThrowsWith(TesseraException.class, "a Tensor with 2 elements cannot be converted to Scalar", () -> Tensor.zeros(2).item());

        Tensor f = Tensor.of(new float[] {1.75f, -2.5f, 0.1f});
        assertArrayEquals(new double[] {1.75, -2.5, (double) 0.1f}, f.toDoubleArray());
        assertArrayEquals(new long[] {1, -2, 0}, f.toLongArray());   // truncation toward zero, as .long()
        Tensor l = Tensor.of(new long[] {3, -4});
        assertArrayEquals(new float[] {3f, -4f}, l.toFloatArray());
        assertArrayEquals(new double[] {3, -4}, l.toDoubleArray());
        // Host copies are row-major in the logical order, also for non-contiguous views.
        Tensor m = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3).t();
        assertArrayEquals(new double[] {1, 4, 2, 5, 3, 6}, m.toDoubleArray());
    }

    @Test void toDTypeIsIdentityForSameDtypeAndConvertsOtherwise() {
        Tensor f = Tensor.of(new float[] {1.5f, -2.7f, 0f}, 3);
        assertSame(f, f.to(DType.FLOAT32));

        Tensor d = f.to(DType.FLOAT64);
        assertEquals(DType.FLOAT64, d.dtype());
        assertArrayEquals(new double[] {1.5, (double) -2.7f, 0}, d.toDoubleArray());
        Tensor i = f.to(DType.INT64);
        assertEquals(DType.INT64, i.dtype());
        assertArrayEquals(new long[] {1, -2, 0}, i.toLongArray());
        Tensor b = f.to(DType.BOOL);
        assertArrayEquals(new boolean[] {true, true, false}, b.toBooleanArray());
        assertArrayEquals(new float[] {1f, 1f, 0f}, b.to(DType.FLOAT32).toFloatArray());

        d.fill_(9);   // a conversion is a copy: the source is untouched
        assertArrayEquals(new float[] {1.5f, -2.7f, 0f}, f.toFloatArray());
    }

    @Test void toDTypeBetweenFloatsIsDifferentiable() {
        Tensor x = Tensor.of(new double[] {1, 2, 3}).requiresGrad(true);
        Tensor y = x.to(DType.FLOAT32);
        assertTrue(y.requiresGrad());
        y.mul(2.0).sum().backward();
        assertEquals(DType.FLOAT64, x.grad().dtype());
        assertClose(x.grad(), new double[] {2, 2, 2}, new long[] {3}, 0, 0);
    }
}
