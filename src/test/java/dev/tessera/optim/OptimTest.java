package dev.tessera.optim;

import static dev.tessera.TestUtil.assertClose;
import static dev.tessera.TestUtil.assertThrowsWith;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.DType;
import dev.tessera.Device;
import dev.tessera.Tensor;
import dev.tessera.TestUtil;
import dev.tessera.nn.Parameter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** SGD, Adam, AdamW against PyTorch's numbers; zeroGrad, schedulers, state dicts, errors, training. */
class OptimTest {
    private static final long[] SHAPE = {2, 2};
    private static final double[] P0 = {0.5, -1.0, 2.0, 0.25};

    /** The gradient set before step k (0-based); the same formula is in the PyTorch script below. */
    private static double[] grad(int k) { return new double[] {0.1 * (k + 1), -0.3, 0.2 - 0.15 * k, 1.0 / (k + 1)}; }

    private static Parameter param(DType dtype, Device device) { return new Parameter(Tensor.of(P0, SHAPE).to(dtype).to(device)); }

    private static void setGrad(Tensor p, int k) { p.setGrad(Tensor.of(grad(k), SHAPE).to(p.dtype()).to(p.device())); }

    /*
     * Expected parameters after 4 steps, printed by PyTorch 1.13 (float64) with /usr/bin/python3 running:
     *   p0 = [0.5, -1.0, 2.0, 0.25]; grad(k) = [0.1*(k+1), -0.3, 0.2-0.15*k, 1.0/(k+1)]
     *   p = torch.tensor(p0, dtype=torch.float64).reshape(2, 2).requires_grad_(); opt = <config>([p])
     *   for k in range(4): p.grad = torch.tensor(grad(k), dtype=torch.float64).reshape(2, 2); opt.step()
     *   print(p.detach().flatten().tolist())
     */
    static Stream<Arguments> pytorchCases() {
        return Stream.of(
                Arguments.of("SGD(lr=0.1)", (Function<List<Tensor>, Optimizer>) ps -> new SGD(ps, 0.1),
                        new double[] {0.39999999999999997, -0.8799999999999999, 2.0100000000000002, 0.04166666666666665}),
                Arguments.of("SGD(lr=0.1, momentum=0.9)", (Function<List<Tensor>, Optimizer>) ps -> new SGD(ps, 0.1, 0.9),
                        new double[] {0.3144099999999999, -0.7285299999999999, 1.96167, -0.31773333333333337}),
                Arguments.of("SGD(lr=0.1, momentum=0.9, dampening=0.5)",
                        (Function<List<Tensor>, Optimizer>) ps -> new SGD(ps, 0.1, 0.9, 0.5, 0, false),
                        new double[] {0.39000999999999997, -0.81268, 1.946445, -0.2058166666666667}),
                Arguments.of("SGD(lr=0.1, momentum=0.9, nesterov=True)",
                        (Function<List<Tensor>, Optimizer>) ps -> new SGD(ps, 0.1, 0.9, 0, true),
                        new double[] {0.23296899999999993, -0.6356769999999999, 1.9755029999999998, -0.46929333333333334}),
                Arguments.of("SGD(lr=0.1, momentum=0.9, weight_decay=0.01)",
                        (Function<List<Tensor>, Optimizer>) ps -> new SGD(ps, 0.1, 0.9, 0.01, false),
                        new double[] {0.31008863466049996, -0.719909522331, 1.9437891276219998, -0.3188664140747501}),
                Arguments.of("SGD(lr=0.1, weight_decay=0.1)", (Function<List<Tensor>, Optimizer>) ps -> new SGD(ps, 0.1, 0, 0.1, false),
                        new double[] {0.381293015, -0.84238404, 1.93178554, 0.03611410249999998}),
                Arguments.of("Adam(lr=0.01)", (Function<List<Tensor>, Optimizer>) ps -> new Adam(ps, 0.01),
                        new double[] {0.46116406721264175, -0.9600000013333334, 1.9813439405683329, 0.21373423024144422}),
                Arguments.of("Adam(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)",
                        (Function<List<Tensor>, Optimizer>) ps -> new Adam(ps, 0.01, 0.8, 0.99, 1e-6, 0.1),
                        new double[] {0.45979924152801954, -0.9600116120391314, 1.9668283374826931, 0.2145406346298919}),
                Arguments.of("AdamW(lr=0.01)", (Function<List<Tensor>, Optimizer>) ps -> new AdamW(ps, 0.01),
                        new double[] {0.460969985178943, -0.9596060609291436, 1.9805490199238087, 0.2136399823649757}),
                Arguments.of("AdamW(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)",
                        (Function<List<Tensor>, Optimizer>) ps -> new AdamW(ps, 0.01, 0.8, 0.99, 1e-6, 0.1),
                        new double[] {0.458235701820475, -0.9560660891440228, 1.9758277366313566, 0.21382712632930023}));
    }

    private static Tensor runFourSteps(Function<List<Tensor>, Optimizer> make, DType dtype, Device device) {
        Parameter p = param(dtype, device);
        Optimizer opt = make.apply(List.of(p));
        for (int k = 0; k < 4; k++) { setGrad(p, k); opt.step(); }
        assertTrue(p.isLeaf() && p.requiresGrad(), "the step must not record a graph on the parameter");
        assertEquals(dtype, p.dtype());
        return p;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("pytorchCases")
    void matchesPyTorchInFloat64(String name, Function<List<Tensor>, Optimizer> make, double[] expected) {
        assertClose(runFourSteps(make, DType.FLOAT64, Device.CPU), expected, SHAPE, 1e-12, 1e-12);   // same formulas, float64
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("pytorchCases")
    void matchesPyTorchInFloat32(String name, Function<List<Tensor>, Optimizer> make, double[] expected) {
        assertClose(runFourSteps(make, DType.FLOAT32, Device.CPU), expected, SHAPE, 1e-5, 1e-6);     // float32 vs float64 reference
    }

    @Tag("cuda")
    @ParameterizedTest(name = "{0}")
    @MethodSource("pytorchCases")
    void matchesPyTorchOnCuda(String name, Function<List<Tensor>, Optimizer> make, double[] expected) {
        TestUtil.assumeCuda();
        Tensor p = runFourSteps(make, DType.FLOAT32, Device.cuda());
        assertTrue(p.isCuda(), "the parameter stays on its device");
        assertClose(p, expected, SHAPE, 1e-4, 1e-5);                                                 // CUDA float32 vs float64 reference
        assertClose(runFourSteps(make, DType.FLOAT64, Device.cuda()), expected, SHAPE, 1e-9, 1e-12);  // the float64 kernels
    }

    @Test
    void zeroGradSetsGradsToNull() {
        Parameter a = param(DType.FLOAT32, Device.CPU), b = param(DType.FLOAT32, Device.CPU);
        Optimizer opt = new SGD(List.of(a, b), 0.1);
        setGrad(a, 0);
        setGrad(b, 1);
        opt.zeroGrad();
        assertNull(a.grad());
        assertNull(b.grad());
    }

    @Test
    void parametersWithoutGradAreUntouchedAndGetNoState() {
        for (Function<List<Tensor>, Optimizer> make : List.<Function<List<Tensor>, Optimizer>>of(
                ps -> new SGD(ps, 0.1, 0.9, 0.1, true), ps -> new Adam(ps, 0.1, 0.9, 0.999, 1e-8, 0.1), ps -> new AdamW(ps, 0.1))) {
            Parameter withGrad = param(DType.FLOAT32, Device.CPU), without = param(DType.FLOAT32, Device.CPU);
            Optimizer opt = make.apply(List.of(withGrad, without));
            for (int k = 0; k < 3; k++) { setGrad(withGrad, k); opt.step(); }
            assertArrayEquals(Tensor.of(P0, SHAPE).toFloatArray(), without.toFloatArray(), 0f);     // bit-identical
            assertTrue(withGrad.toFloatArray()[0] != (float) P0[0], "the parameter with a grad moved");
            Map<?, ?> state = (Map<?, ?>) opt.stateDict().get("state");
            assertEquals(List.of(0), new ArrayList<>(state.keySet()));
        }
    }

    @Test
    void stepUpdatesTheSameParameterObjectsInPlace() {
        Parameter p = param(DType.FLOAT32, Device.CPU);
        Optimizer opt = new Adam(List.of(p), 0.1);
        setGrad(p, 0);
        Tensor grad = p.grad();
        opt.step();
        assertSame(p, opt.params().get(0));
        assertSame(grad, p.grad(), "step does not replace the gradient");
        assertClose(grad, grad(0), SHAPE, 1e-7, 0);                        // nor change it (weight decay makes a new tensor)
    }

    // ------------------------------------------------------------------ schedulers

    @Test
    void stepLrSequenceMatchesClosedForm() {
        Optimizer opt = new SGD(List.of(param(DType.FLOAT32, Device.CPU)), 0.1);
        StepLR sched = new StepLR(opt, 3, 0.5);
        for (int epoch = 0; epoch < 12; epoch++) {
            double expected = 0.1 * Math.pow(0.5, epoch / 3);
            assertEquals(expected, sched.lastLr(), 1e-15, "epoch " + epoch);       // chained products vs pow: rounding only
            assertEquals(sched.lastLr(), opt.lr(), 0.0);
            sched.step();
        }
        StepLR defaults = new StepLR(new SGD(List.of(param(DType.FLOAT32, Device.CPU)), 0.1), 1);
        defaults.step();
        assertEquals(0.1 * 0.1, defaults.lastLr(), 1e-15, "default gamma is 0.1");
    }

    @Test
    void cosineAnnealingSequenceMatchesClosedForm() {
        Optimizer opt = new Adam(List.of(param(DType.FLOAT32, Device.CPU)), 0.1);
        CosineAnnealingLR sched = new CosineAnnealingLR(opt, 5, 0.001);
        for (int t = 0; t < 13; t++) {                                           // past tMax it rises again, as PyTorch's
            double expected = 0.001 + (0.1 - 0.001) * (1 + Math.cos(Math.PI * t / 5)) / 2;
            assertEquals(expected, sched.lastLr(), 1e-15, "epoch " + t);
            assertEquals(sched.lastLr(), opt.lr(), 0.0);
            sched.step();
        }
        CosineAnnealingLR toZero = new CosineAnnealingLR(new SGD(List.of(param(DType.FLOAT32, Device.CPU)), 0.2), 4);
        for (int t = 0; t < 4; t++) toZero.step();
        assertEquals(0.0, toZero.lastLr(), 1e-15, "default etaMin is 0");
    }

    @Test
    void schedulerChangesTheStepSize() {
        Parameter p = param(DType.FLOAT64, Device.CPU);
        SGD opt = new SGD(List.of(p), 1.0);
        StepLR sched = new StepLR(opt, 1, 0.5);
        sched.step();                                                             // lr 0.5
        setGrad(p, 0);
        opt.step();
        assertClose(p, new double[] {0.5 - 0.05, -1.0 + 0.15, 2.0 - 0.1, 0.25 - 0.5}, SHAPE, 0, 1e-15);
    }

    // ------------------------------------------------------------------ state dicts

    static Stream<Arguments> statefulOptimizers() {
        return Stream.of(
                Arguments.of("SGD nesterov", (Function<List<Tensor>, Optimizer>) ps -> new SGD(ps, 0.1, 0.9, 0.01, true)),
                Arguments.of("Adam", (Function<List<Tensor>, Optimizer>) ps -> new Adam(ps, 0.05, 0.8, 0.99, 1e-6, 0.1)),
                Arguments.of("AdamW", (Function<List<Tensor>, Optimizer>) ps -> new AdamW(ps, 0.05)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("statefulOptimizers")
    void stateDictRoundTripContinuesIdentically(String name, Function<List<Tensor>, Optimizer> make) {
        Parameter a = param(DType.FLOAT32, Device.CPU), a2 = new Parameter(Tensor.of(new float[] {0.3f, -0.7f, 1.1f}, 3));   // a2: never has a grad
        Optimizer first = make.apply(List.of(a, a2));
        for (int k = 0; k < 2; k++) { setGrad(a, k); first.step(); }
        Map<String, Object> saved = first.stateDict();

        Parameter b = new Parameter(a.detach().clone()), b2 = new Parameter(a2.detach().clone());
        Optimizer second = make.apply(List.of(b, b2));
        second.setLr(123);                                                       // replaced by the loaded hyperparameters
        second.loadStateDict(saved);
        assertEquals(first.lr(), second.lr(), 0.0);
        for (int k = 2; k < 4; k++) {
            setGrad(a, k); first.step();
            setGrad(b, k); second.step();
        }
        assertArrayEquals(a.toFloatArray(), b.toFloatArray(), 0f);                // same ops on the same values: bit-identical
        assertArrayEquals(a2.toFloatArray(), b2.toFloatArray(), 0f);

        // the saved dict is a snapshot: the two steps after saving did not change it
        Map<?, ?> savedState = (Map<?, ?>) ((Map<?, ?>) saved.get("state")).get(0);
        Map<?, ?> nowState = (Map<?, ?>) ((Map<?, ?>) first.stateDict().get("state")).get(0);
        for (Object key : savedState.keySet())
            if (savedState.get(key) instanceof Tensor t) assertTrue(!java.util.Arrays.equals(t.toFloatArray(), ((Tensor) nowState.get(key)).toFloatArray()), name + " " + key);
    }

    @Test
    void stateDictLayoutIsPyTorchs() {
        Parameter p = param(DType.FLOAT32, Device.CPU), q = param(DType.FLOAT32, Device.CPU);
        Adam opt = new Adam(List.of(p, q), 0.01);
        setGrad(p, 0); setGrad(q, 0);
        opt.step(); opt.step();
        Map<String, Object> sd = opt.stateDict();
        assertEquals(List.of("state", "param_groups"), new ArrayList<>(sd.keySet()));
        Map<?, ?> s0 = (Map<?, ?>) ((Map<?, ?>) sd.get("state")).get(0);
        assertEquals(List.of("step", "exp_avg", "exp_avg_sq"), new ArrayList<>(s0.keySet()));
        assertEquals(2L, s0.get("step"));
        assertEquals(p.shape(), ((Tensor) s0.get("exp_avg")).shape());
        Map<?, ?> g = (Map<?, ?>) ((List<?>) sd.get("param_groups")).get(0);
        assertEquals(0.01, g.get("lr"));
        assertEquals(List.of(0.9, 0.999), g.get("betas"));
        assertEquals(1e-8, g.get("eps"));
        assertEquals(0.0, g.get("weight_decay"));
        assertEquals(List.of(0, 1), g.get("params"));
        Map<?, ?> sgd = (Map<?, ?>) ((List<?>) new SGD(List.of(p), 0.1, 0.9).stateDict().get("param_groups")).get(0);
        assertEquals(List.of("lr", "momentum", "dampening", "weight_decay", "nesterov", "params"), new ArrayList<>(sgd.keySet()));
    }

    @Test
    @SuppressWarnings("unchecked")
    void loadStateDictValidatesBeforeChangingAnything() {
        Parameter p = param(DType.FLOAT32, Device.CPU);
        Adam opt = new Adam(List.of(p), 0.01);
        setGrad(p, 0);
        opt.step();
        Map<String, Object> good = opt.stateDict();

        Map<String, Object> twoGroups = new LinkedHashMap<>(good);
        List<?> groups = (List<?>) good.get("param_groups");
        twoGroups.put("param_groups", List.of(groups.get(0), groups.get(0)));
        assertThrowsWith(IllegalArgumentException.class, "loaded state dict has a different number of parameter groups", () -> opt.loadStateDict(twoGroups));

        Map<String, Object> bigGroup = withGroup(good, "params", List.of(0, 1));
        assertThrowsWith(IllegalArgumentException.class, "doesn't match the size of optimizer's group", () -> opt.loadStateDict(bigGroup));

        Map<String, Object> badBeta = withGroup(withGroup(good, "lr", 99.0), "betas", List.of(0.9, 1.5));
        assertThrowsWith(IllegalArgumentException.class, "Invalid beta parameter at index 1: 1.5", () -> opt.loadStateDict(badBeta));

        Map<String, Object> badShape = new LinkedHashMap<>(good);
        Map<String, Object> entry = new LinkedHashMap<>((Map<String, Object>) ((Map<?, ?>) good.get("state")).get(0));
        entry.put("exp_avg", Tensor.zeros(4));
        badShape.put("state", Map.of(0, entry));
        assertThrowsWith(IllegalArgumentException.class, "has shape torch.Size([4]), but the parameter has torch.Size([2, 2])", () -> opt.loadStateDict(badShape));

        Map<String, Object> missingKey = new LinkedHashMap<>(good);
        Map<String, Object> partial = new LinkedHashMap<>(entry);
        partial.remove("exp_avg");
        missingKey.put("state", Map.of(0, partial));
        assertThrowsWith(IllegalArgumentException.class, "expected [step, exp_avg, exp_avg_sq]", () -> opt.loadStateDict(missingKey));

        assertThrowsWith(IllegalArgumentException.class, "\"state\" map", () -> opt.loadStateDict(Map.of()));

        // nothing changed: opt continues exactly as an optimizer loaded from the good dict
        Parameter twin = new Parameter(p.detach().clone());
        Adam reference = new Adam(List.of(twin), 0.5);
        reference.loadStateDict(good);
        assertEquals(0.01, opt.lr(), 0.0);
        setGrad(p, 1); opt.step();
        setGrad(twin, 1); reference.step();
        assertArrayEquals(twin.toFloatArray(), p.toFloatArray(), 0f);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> withGroup(Map<String, Object> sd, String key, Object value) {
        Map<String, Object> g = new LinkedHashMap<>((Map<String, Object>) ((List<?>) sd.get("param_groups")).get(0));
        g.put(key, value);
        Map<String, Object> out = new LinkedHashMap<>(sd);
        out.put("param_groups", List.of(g));
        return out;
    }

    // ------------------------------------------------------------------ errors

    @Test
    void invalidArgumentsThrowPyTorchsMessages() {
        List<Tensor> ps = List.of(param(DType.FLOAT32, Device.CPU));
        assertThrowsWith(IllegalArgumentException.class, "optimizer got an empty parameter list", () -> new SGD(List.of(), 0.1));
        assertThrowsWith(IllegalArgumentException.class, "optimizer got an empty parameter list", () -> new Adam(List.of(), 0.1));
        assertThrowsWith(IllegalArgumentException.class, "Invalid learning rate: -0.1", () -> new SGD(ps, -0.1));
        assertThrowsWith(IllegalArgumentException.class, "Invalid momentum value: -0.5", () -> new SGD(ps, 0.1, -0.5));
        assertThrowsWith(IllegalArgumentException.class, "Invalid weight_decay value: -1.0", () -> new SGD(ps, 0.1, 0, -1, false));
        assertThrowsWith(IllegalArgumentException.class, "Nesterov momentum requires a momentum and zero dampening", () -> new SGD(ps, 0.1, 0, 0, true));
        assertThrowsWith(IllegalArgumentException.class, "Nesterov momentum requires a momentum and zero dampening",
                () -> new SGD(ps, 0.1, 0.9, 0.1, 0, true));
        assertThrowsWith(IllegalArgumentException.class, "Invalid learning rate: -0.1", () -> new Adam(ps, -0.1));
        assertThrowsWith(IllegalArgumentException.class, "Invalid beta parameter at index 0: 1.0", () -> new Adam(ps, 0.1, 1.0, 0.999));
        assertThrowsWith(IllegalArgumentException.class, "Invalid beta parameter at index 1: -0.1", () -> new AdamW(ps, 0.1, 0.9, -0.1));
        assertThrowsWith(IllegalArgumentException.class, "Invalid epsilon value: -1.0E-8", () -> new Adam(ps, 0.1, 0.9, 0.999, -1e-8, 0));
        assertThrowsWith(IllegalArgumentException.class, "Invalid weight_decay value: -0.01", () -> new AdamW(ps, 0.1, 0.9, 0.999, 1e-8, -0.01));
        assertThrowsWith(IllegalArgumentException.class, "Invalid learning rate: NaN", () -> new SGD(ps, Double.NaN));
        assertThrowsWith(IllegalArgumentException.class, "Invalid learning rate: -1.0", () -> new SGD(ps, 0.1).setLr(-1));
        Tensor nonLeaf = Tensor.ones(2).requiresGrad(true).mul(2);
        assertThrowsWith(IllegalArgumentException.class, "can't optimize a non-leaf Tensor", () -> new SGD(List.of(nonLeaf), 0.1));
        assertThrowsWith(IllegalArgumentException.class, "duplicate parameters", () -> new SGD(List.of(ps.get(0), ps.get(0)), 0.1));
        SGD sgd = new SGD(ps, 0.1);
        assertThrowsWith(IllegalArgumentException.class, "stepSize must be positive, got 0", () -> new StepLR(sgd, 0));
        assertThrowsWith(IllegalArgumentException.class, "tMax must be positive, got 0", () -> new CosineAnnealingLR(sgd, 0));
    }

    @Test
    void defaultsAreTorchs() {
        List<Tensor> ps = List.of(param(DType.FLOAT32, Device.CPU));
        Map<?, ?> adam = (Map<?, ?>) ((List<?>) new Adam(ps).stateDict().get("param_groups")).get(0);
        assertEquals(1e-3, adam.get("lr"));
        assertEquals(0.0, adam.get("weight_decay"));
        Map<?, ?> adamw = (Map<?, ?>) ((List<?>) new AdamW(ps, 0.1).stateDict().get("param_groups")).get(0);
        assertEquals(1e-2, adamw.get("weight_decay"));
        assertEquals(1e-8, adamw.get("eps"));
    }

    // ------------------------------------------------------------------ end to end

    /** Least squares: loss = mean((A w - y)²) with A [8, 3], w [3, 1], from a seeded Random. */
    private static double trainLeastSquares(Function<List<Tensor>, Optimizer> make, int steps, double[] firstLoss) {
        Random rng = new Random(2024);
        double[] a = new double[24], wTrue = {1.5, -2.0, 0.5}, y = new double[8];
        for (int i = 0; i < a.length; i++) a[i] = rng.nextGaussian();
        for (int r = 0; r < 8; r++) for (int c = 0; c < 3; c++) y[r] += a[r * 3 + c] * wTrue[c];
        Tensor A = Tensor.of(a, 8, 3).to(DType.FLOAT32), Y = Tensor.of(y, 8, 1).to(DType.FLOAT32);
        Parameter w = new Parameter(Tensor.zeros(3, 1));
        Optimizer opt = make.apply(List.of(w));
        double loss = 0;
        for (int s = 0; s < steps; s++) {
            opt.zeroGrad();
            Tensor l = A.matmul(w).sub(Y).square().mean();
            l.backward();
            loss = l.item();
            if (s == 0) firstLoss[0] = loss;
            opt.step();
        }
        return loss;
    }

    @Test
    void sgdAndAdamDecreaseAQuadraticLoss() {
        double[] first = new double[1];
        double sgd = trainLeastSquares(ps -> new SGD(ps, 0.05, 0.9), 200, first);
        assertTrue(first[0] > 1 && sgd < 1e-4 * first[0], "SGD loss " + first[0] + " -> " + sgd);
        double adam = trainLeastSquares(ps -> new Adam(ps, 0.05), 300, first);
        assertTrue(adam < 1e-3 * first[0], "Adam loss " + first[0] + " -> " + adam);
        double adamw = trainLeastSquares(ps -> new AdamW(ps, 0.05, 0.9, 0.999, 1e-8, 0), 300, first);
        assertTrue(adamw < 1e-3 * first[0], "AdamW loss " + first[0] + " -> " + adamw);
    }
}
