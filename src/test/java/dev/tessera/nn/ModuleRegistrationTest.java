package dev.tessera.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.Tensor;
import dev.tessera.optim.SGD;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * A Module or Parameter field that was never registered fails loudly at first use (Module's
 * javadoc says why Tessera does not register fields by reflection). In PyTorch the same class
 * registers on assignment: {@code self.l1 = nn.Linear(784, 128)} gives 100480 parameters
 * (PyTorch 1.13), where an unchecked Tessera module would have had 0 and trained nothing.
 */
class ModuleRegistrationTest {
    @BeforeEach void seed() { Tensor.manualSeed(7); }

    /** The case: the layer is assigned, never registered. */
    static final class ForgotModule extends Module {
        final Linear l1 = new Linear(784, 128);
        @Override public Tensor forward(Tensor x) { return l1.forward(x); }
    }

    static final class ForgotParameter extends Module {
        final Linear l1 = register("l1", new Linear(4, 2));
        final Parameter scale = new Parameter(Tensor.ones(2));
        @Override public Tensor forward(Tensor x) { return l1.forward(x).mul(scale); }
    }

    /** Registered correctly itself, but holds a child that forgot. */
    static final class Outer extends Module {
        final ForgotParameter inner = register("inner", new ForgotParameter());
    }

    /** The forgotten field is declared by the superclass. */
    static class Base extends Module {
        final Linear hidden = new Linear(2, 2);
    }

    static final class Derived extends Base {
        final Linear out = register("out", new Linear(2, 1));
    }

    /** Registered once, then replaced by a module nobody registered. */
    static final class Reassigned extends Module {
        Linear l1 = register("l1", new Linear(2, 2));
        void replace() { l1 = new Linear(2, 2); }
    }

    /** Everything here is allowed. */
    static final class Fine extends Module {
        final Sequential body = register("body", new Sequential(new Linear(3, 3), new ReLU()));
        final Linear first = (Linear) body.get(0);                  // registered below this module: fine
        final Parameter firstWeight = first.weight;                  // a parameter registered below: fine
        final Parameter none = registerParameter("none", null);      // bias=False style
        final Linear noBias = register("noBias", new Linear(3, 1, false));
        final Object label = "not a module";
        final Tensor plain = Tensor.zeros(1);                        // plain tensors are not checked, as in PyTorch
        @Module.Unregistered final Linear teacher = new Linear(3, 3);
    }

    private static void assertUnregistered(Executable call, String... fragments) {
        IllegalStateException e = assertThrows(IllegalStateException.class, call);
        for (String f : fragments) assertTrue(e.getMessage().contains(f), () -> "expected \"" + f + "\" in: " + e.getMessage());
    }

    @Test void forgottenModuleFailsAtEveryFirstUseNamingTheField() {
        String[] expected = {"ForgotModule: field ForgotModule.l1 holds a Linear that was never registered",
                "l1 = register(\"l1\", ...)", "@Module.Unregistered"};
        ForgotModule m = new ForgotModule();
        assertUnregistered(m::parameters, expected);
        assertUnregistered(() -> new SGD(m.parameters(), 0.1), expected);   // the silent no-op training of the issue
        assertUnregistered(m::toString, expected);                          // would have printed "ForgotModule()"
        assertUnregistered(m::stateDict, expected);
        assertUnregistered(m::eval, expected);
        assertUnregistered(m::cpu, expected);
        assertUnregistered(m::zeroGrad, expected);
        assertUnregistered(m::children, expected);
        assertUnregistered(m::namedBuffers, expected);
    }

    @Test void forgottenParameterFailsNamingTheField() {
        assertUnregistered(new ForgotParameter()::namedParameters,
                "field ForgotParameter.scale holds a Parameter that was never registered", "scale = registerParameter(\"scale\", ...)");
    }

    @Test void aChildsForgottenFieldFailsFromTheRoot() {
        Outer o = new Outer();
        assertUnregistered(o::parameters, "ForgotParameter.scale");
        assertUnregistered(o::toString, "ForgotParameter.scale");
    }

    @Test void aSuperclassFieldIsCheckedToo() {
        assertUnregistered(new Derived()::parameters, "Derived: field Base.hidden holds a Linear");
    }

    @Test void replacingARegisteredFieldIsCaught() {
        Reassigned r = new Reassigned();
        assertEquals(2, r.parameters().size());
        r.replace();
        assertUnregistered(r::parameters, "Reassigned.l1");
    }

    @Test void registeredReferencesNullsPlainTensorsAndMarkedFieldsPass() {
        Fine f = new Fine();
        List<String> names = new ArrayList<>(f.namedParameters().keySet());
        assertEquals(List.of("body.0.weight", "body.0.bias", "noBias.weight"), names);
        assertEquals("Fine(\n  (body): Sequential(\n    (0): Linear(in_features=3, out_features=3, bias=True)\n    (1): ReLU()\n  )\n"
                + "  (noBias): Linear(in_features=3, out_features=1, bias=False)\n)", f.toString());
        f.eval();
        f.zeroGrad();
        assertEquals(3, f.stateDict().size());
    }

    @Test void theCheckSeesTheCorrectedClassAsPyTorchSeesTheOriginal() {
        // PyTorch 1.13: Net with self.l1 = nn.Linear(784, 128) has 100480 parameters.
        Module fixed = new Module() {
            final Linear l1 = register("l1", new Linear(784, 128));
        };
        assertEquals(100480, fixed.parameters().stream().mapToLong(Tensor::numel).sum());
    }
}
