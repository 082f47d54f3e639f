package dev.tessera.nn;

import static dev.tessera.TestUtil.assertClose;
import static dev.tessera.TestUtil.assertThrowsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.tessera.DType;
import dev.tessera.Device;
import dev.tessera.Tensor;
import dev.tessera.TesseraException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Module's registration, iteration, modes, devices, state dicts and repr, against PyTorch's semantics. */
class ModuleTest {
    @BeforeEach void seed() { Tensor.manualSeed(1234); }

    /** The tutorial's M1: one child registered under "l1". */
    static final class M1 extends Module {
        final Linear l1 = register("l1", new Linear(10, 100));
        @Override public Tensor forward(Tensor x) { return l1.forward(x); }
    }

    /** Registers its child BEFORE its own parameter: PyTorch still lists own parameters first. */
    static final class ChildFirst extends Module {
        final Linear fc = register("fc", new Linear(3, 2));
        final Parameter scale = registerParameter("scale", new Parameter(Tensor.ones(2)));
        final Tensor counter = registerBuffer("counter", Tensor.zeros(1));
    }

    /** No forward of its own. */
    static final class NoForward extends Module {}

    private static List<String> names(Map<String, ?> m) { return new ArrayList<>(m.keySet()); }

    // ---- iteration ----

    @Test void ownParametersComeBeforeChildrenAndNamesAreDotted() {
        ChildFirst m = new ChildFirst();
        assertEquals(List.of("scale", "fc.weight", "fc.bias"), names(m.namedParameters()));
        List<Parameter> ps = m.parameters();
        assertEquals(3, ps.size());
        assertSame(m.scale, ps.get(0));
        assertSame(m.fc.weight, ps.get(1));
        assertSame(m.fc.bias, ps.get(2));
        assertEquals(List.of("counter"), names(m.namedBuffers()));
        assertEquals(List.of("", "fc"), names(m.namedModules()));
    }

    @Test void sequentialNamesArePositionsAndNestedPreOrder() {
        Sequential inner = new Sequential(new Linear(4, 4), new Tanh());
        Sequential s = new Sequential(new Linear(3, 4), new ReLU(), inner, new Linear(4, 2, false));
        assertEquals(List.of("0.weight", "0.bias", "2.0.weight", "2.0.bias", "3.weight"), names(s.namedParameters()));
        // bias=false registers null, which iteration skips
        assertNull(((Linear) s.get(3)).bias);
        assertEquals(List.of("", "0", "1", "2", "2.0", "2.1", "3"), names(s.namedModules()));
        List<Module> mods = s.modules();
        assertSame(s, mods.get(0));
        assertSame(inner, mods.get(3));
        assertSame(inner.get(0), mods.get(4));
        assertEquals(List.of("0", "1", "2", "3"), names(s.namedChildren()));
        assertEquals(4, s.children().size());
        assertSame(inner, s.children().get(2));
        assertEquals(List.of("", "0", "1"), names(inner.namedModules()));
        assertEquals(List.of("0.weight", "0.bias"), names(inner.namedParameters()));
    }

    @Test void sharedParametersAndModulesAreCountedOnce() {
        Linear shared = new Linear(3, 3);
        Sequential s = new Sequential(shared, new ReLU(), shared);
        assertEquals(List.of("0.weight", "0.bias"), names(s.namedParameters()));
        assertEquals(List.of("", "0", "1"), names(s.namedModules()));

        // The same Parameter object registered under two names (weight tying): listed once, under the first name.
        Module tied = new NoForward();
        Parameter w = new Parameter(Tensor.ones(2, 2));
        tied.registerParameter("a", w);
        tied.registerParameter("b", w);
        tied.registerParameter("c", null);
        assertEquals(List.of("a"), names(tied.namedParameters()));
        assertEquals(1, tied.parameters().size());
    }

    @Test void buffersOfBatchNormInOrder() {
        Sequential s = new Sequential(new Linear(2, 3), new BatchNorm1d(3));
        assertEquals(List.of("1.running_mean", "1.running_var", "1.num_batches_tracked"), names(s.namedBuffers()));
        List<Tensor> bufs = s.buffers();
        assertEquals(3, bufs.size());
        assertEquals(DType.INT64, bufs.get(2).dtype());
        assertEquals(0, bufs.get(2).dim());
        assertTrue(new BatchNorm1d(3, 1e-5, 0.1, true, false).buffers().isEmpty());
    }

    @Test void trainAndEvalAreRecursive() {
        Sequential inner = new Sequential(new Dropout(0.2));
        Sequential s = new Sequential(new Linear(2, 2), inner);
        for (Module m : s.modules()) assertTrue(m.isTraining());
        assertSame(s, s.eval());
        for (Module m : s.modules()) assertFalse(m.isTraining(), m.getClass().getSimpleName());
        assertSame(s, s.train());
        for (Module m : s.modules()) assertTrue(m.isTraining());
        s.train(false);
        assertFalse(inner.get(0).isTraining());
        inner.train(true);   // only the subtree
        assertFalse(s.isTraining());
        assertTrue(inner.get(0).isTraining());
    }

    @Test void zeroGradSetsGradsToNull() {
        Sequential s = new Sequential(new Linear(3, 2), new ReLU(), new Linear(2, 1));
        s.forward(Tensor.randn(4, 3)).sum().backward();
        for (Parameter p : s.parameters()) assertNotNull(p.grad());
        s.zeroGrad();
        for (Parameter p : s.parameters()) assertNull(p.grad());
    }

    @Test void applyVisitsChildrenBeforeSelf() {
        Sequential inner = new Sequential(new Tanh());
        Sequential s = new Sequential(new ReLU(), inner);
        List<Module> seen = new ArrayList<>();
        assertSame(s, s.apply(seen::add));
        assertEquals(List.of(s.get(0), inner.get(0), inner, s), seen);
        // The tutorial's use: re-initialise every Linear.
        Sequential net = new Sequential(new Linear(3, 3), new ReLU(), new Linear(3, 1));
        net.apply(m -> { if (m instanceof Linear l) Init.ones_(l.weight); });
        assertClose(((Linear) net.get(2)).weight, new double[] {1, 1, 1}, new long[] {1, 3}, 0, 0);
    }

    @Test void missingForwardThrowsNamingTheClass() {
        assertThrowsWith(UnsupportedOperationException.class, "NoForward", () -> new NoForward().forward(Tensor.zeros(1)));
        assertThrowsWith(UnsupportedOperationException.class, "ModuleList", () -> new ModuleList(new ReLU()).forward(Tensor.zeros(1)));
    }

    @Test void badAndDuplicateNamesAreRejected() {
        Module m = new NoForward();
        m.registerParameter("w", new Parameter(Tensor.zeros(1)));
        assertThrowsWith(IllegalArgumentException.class, "'w' already exists", () -> m.register("w", new ReLU()));
        assertThrowsWith(IllegalArgumentException.class, "'w' already exists", () -> m.registerBuffer("w", Tensor.zeros(1)));
        assertThrowsWith(IllegalArgumentException.class, "a.b", () -> m.registerParameter("a.b", new Parameter(Tensor.zeros(1))));
        assertThrowsWith(IllegalArgumentException.class, "x.y", () -> m.register("x.y", new ReLU()));
        assertThrowsWith(IllegalArgumentException.class, "\"\"", () -> m.registerBuffer("", Tensor.zeros(1)));
        assertEquals(List.of("w"), names(m.namedParameters()));
        assertTrue(m.children().isEmpty());
        assertTrue(m.buffers().isEmpty());
    }

    // ---- devices ----

    @Test void toCpuIsInPlaceAndKeepsParameterObjects() {
        Sequential s = new Sequential(new Linear(3, 2), new BatchNorm1d(2));
        List<Parameter> before = s.parameters();
        List<Tensor> buffersBefore = s.buffers();
        assertSame(s, s.to(Device.CPU));
        assertSame(s, s.to("cpu"));
        assertSame(s, s.cpu());
        List<Parameter> after = s.parameters();
        for (int i = 0; i < before.size(); i++) assertSame(before.get(i), after.get(i));
        for (int i = 0; i < buffersBefore.size(); i++) assertSame(buffersBefore.get(i), s.buffers().get(i));
        for (Tensor t : s.stateDict().values()) assertEquals(Device.CPU, t.device());
    }

    @Test void toCudaWithoutCudaThrowsAndChangesNothing() {
        assumeFalse(Device.isCudaAvailable(), "this machine has CUDA");
        Sequential s = new Sequential(new Linear(3, 2), new BatchNorm1d(2));
        List<Parameter> params = s.parameters();
        Map<String, double[]> values = snapshot(s);
        TesseraException e = assertThrows(TesseraException.class, () -> s.to("cuda"));
        assertTrue(e.getMessage().startsWith("CUDA unavailable:"), e.getMessage());
        assertThrows(TesseraException.class, s::cuda);
        for (int i = 0; i < params.size(); i++) assertSame(params.get(i), s.parameters().get(i));
        for (Tensor t : s.stateDict().values()) assertEquals(Device.CPU, t.device());
        assertSnapshot(values, s);
    }

    // ---- state dicts ----

    @Test void stateDictOrderIsPerModuleParamsThenBuffers() {
        Sequential s = new Sequential(new Conv2d(1, 2, 3), new BatchNorm2d(2), new Sequential(new Linear(2, 2)));
        assertEquals(List.of("0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked",
                "2.0.weight", "2.0.bias"), names(s.stateDict()));
        // A module with its own buffer and a child: own params, own buffers, then the child's.
        assertEquals(List.of("scale", "counter", "fc.weight", "fc.bias"), names(new ChildFirst().stateDict()));
    }

    @Test void stateDictSharesStorageWithParameters() {
        Linear l = new Linear(2, 2);
        Map<String, Tensor> sd = l.stateDict();
        assertFalse(sd.get("weight").requiresGrad());
        try (var ng = Tensor.noGrad()) { l.weight.fill_(3); }
        assertClose(sd.get("weight"), new double[] {3, 3, 3, 3}, new long[] {2, 2}, 0, 0);
        sd.get("bias").fill_(-1);   // writing through the state dict reaches the parameter
        assertClose(l.bias.detach(), new double[] {-1, -1}, new long[] {2}, 0, 0);
    }

    @Test void loadStateDictCopiesIntoTheSameParameters() {
        Sequential src = new Sequential(new Linear(3, 2), new BatchNorm1d(2));
        src.forward(Tensor.randn(5, 3));   // moves the running stats and num_batches_tracked
        Sequential dst = new Sequential(new Linear(3, 2), new BatchNorm1d(2));
        List<Parameter> params = dst.parameters();
        List<Tensor> buffers = dst.buffers();
        dst.loadStateDict(src.stateDict(), true);
        for (int i = 0; i < params.size(); i++) assertSame(params.get(i), dst.parameters().get(i));
        for (int i = 0; i < buffers.size(); i++) assertSame(buffers.get(i), dst.buffers().get(i));
        Map<String, Tensor> a = src.stateDict(), b = dst.stateDict();
        for (String k : a.keySet()) assertClose(b.get(k), a.get(k), 0, 0);
        assertEquals(1L, dst.buffers().get(2).toLongArray()[0]);
        assertTrue(dst.parameters().get(0).requiresGrad());
        // a copy, not an alias: changing the source afterwards leaves the destination alone
        try (var ng = Tensor.noGrad()) { ((Linear) src.get(0)).weight.fill_(7); }
        assertFalse(((Linear) dst.get(0)).weight.toDoubleArray()[0] == 7);
    }

    @Test void strictLoadRejectsMissingAndUnexpectedKeysAndChangesNothing() {
        Linear l = new Linear(2, 2);
        Map<String, double[]> before = snapshot(l);
        Map<String, Tensor> missing = new LinkedHashMap<>();
        missing.put("weight", Tensor.zeros(2, 2));
        TesseraException e1 = assertThrows(TesseraException.class, () -> l.loadStateDict(missing, true));
        assertTrue(e1.getMessage().contains("Missing key(s) in state_dict: \"bias\""), e1.getMessage());
        assertSnapshot(before, l);

        Map<String, Tensor> extra = new LinkedHashMap<>();
        extra.put("weight", Tensor.zeros(2, 2));
        extra.put("bias", Tensor.zeros(2));
        extra.put("gamma", Tensor.zeros(2));
        TesseraException e2 = assertThrows(TesseraException.class, () -> l.loadStateDict(extra, true));
        assertTrue(e2.getMessage().contains("Unexpected key(s) in state_dict: \"gamma\""), e2.getMessage());
        assertSnapshot(before, l);

        // non-strict: both are ignored and the present keys are loaded
        l.loadStateDict(missing, false);
        assertClose(l.weight.detach(), new double[4], new long[] {2, 2}, 0, 0);
        assertClose(l.bias.detach(), before.get("bias"), new long[] {2}, 0, 0);
        l.loadStateDict(extra, false);
        assertClose(l.bias.detach(), new double[2], new long[] {2}, 0, 0);
    }

    @Test void shapeMismatchIsRejectedEvenWhenNotStrictAndChangesNothing() {
        Sequential s = new Sequential(new Linear(2, 3), new Linear(3, 1));
        Map<String, double[]> before = snapshot(s);
        Map<String, Tensor> state = new LinkedHashMap<>();
        state.put("0.weight", Tensor.zeros(3, 2));        // fine, but must not be written either
        state.put("0.bias", Tensor.zeros(3));
        state.put("1.weight", Tensor.zeros(1, 4));        // wrong
        state.put("1.bias", Tensor.zeros(1));
        for (boolean strict : new boolean[] {true, false}) {
            TesseraException e = assertThrows(TesseraException.class, () -> s.loadStateDict(state, strict));
            assertTrue(e.getMessage().contains("size mismatch for 1.weight"), e.getMessage());
            assertSnapshot(before, s);
        }
    }

    private static Map<String, double[]> snapshot(Module m) {
        Map<String, double[]> out = new LinkedHashMap<>();
        m.stateDict().forEach((k, v) -> out.put(k, v.toDoubleArray()));
        return out;
    }

    private static void assertSnapshot(Map<String, double[]> expected, Module m) {
        Map<String, Tensor> now = m.stateDict();
        assertEquals(expected.keySet(), now.keySet());
        for (String k : expected.keySet())
            assertClose(now.get(k), expected.get(k), now.get(k).shape().toArray(), 0, 0);   // exactly unchanged
    }

    // ---- repr ----

    @Test void reprOfCustomModuleIsPyTorchs() {
        assertEquals("M1(\n  (l1): Linear(in_features=10, out_features=100, bias=True)\n)", new M1().toString());
        assertEquals("NoForward()", new NoForward().toString());
    }

    @Test void reprOfNestedSequential() {
        Sequential s = new Sequential(new Linear(2, 3), new ReLU(), new Sequential(new Linear(3, 1, false), new Sigmoid()));
        String expected = """
                Sequential(
                  (0): Linear(in_features=2, out_features=3, bias=True)
                  (1): ReLU()
                  (2): Sequential(
                    (0): Linear(in_features=3, out_features=1, bias=False)
                    (1): Sigmoid()
                  )
                )""";
        assertEquals(expected, s.toString());
        assertEquals("ModuleList(\n  (0): Tanh()\n)", new ModuleList(new Tanh()).toString());
    }

    @Test void parameterPrintsAsPyTorch() {
        Parameter p = new Parameter(Tensor.of(new float[] {1, 2, 3}, 3));
        assertEquals("Parameter containing:\ntensor([1., 2., 3.], requires_grad=True)", p.toString());
        assertEquals("Parameter containing:\ntensor([0.5000])", new Parameter(Tensor.of(new float[] {0.5f}, 1), false).toString());
        assertTrue(p.requiresGrad());
        assertTrue(p.isLeaf());
    }

    @Test void parameterSharesStorageWithItsData() {
        Tensor data = Tensor.zeros(2);
        Parameter p = new Parameter(data);
        data.fill_(5);
        assertClose(p.detach(), new double[] {5, 5}, new long[] {2}, 0, 0);
        assertFalse(data.requiresGrad());
    }
}
