package dev.tessera.nn;

import static dev.tessera.TestUtil.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** loadStateDict returns the unmatched keys as PyTorch's _IncompatibleKeys, with its repr (PyTorch 1.13's output quoted). */
class IncompatibleKeysTest {
    @Test void nonStrictLoadReturnsMissingAndUnexpectedKeysInOrder() {
        Tensor.manualSeed(3);
        Sequential s = new Sequential(new Linear(2, 2), new Linear(2, 1));
        Map<String, Tensor> state = new LinkedHashMap<>();
        state.put("0.weight", Tensor.full(3, 2, 2));
        state.put("extra", Tensor.zeros(1));
        state.put("it's", Tensor.zeros(1));
        state.put("back\\slash", Tensor.zeros(1));
        IncompatibleKeys r = s.loadStateDict(state, false);
        assertEquals(List.of("0.bias", "1.weight", "1.bias"), r.missingKeys());
        assertEquals(List.of("extra", "it's", "back\\slash"), r.unexpectedKeys());
        assertFalse(r.allMatched());
        // PyTorch 1.13, the same Sequential and dict, strict=False:
        // _IncompatibleKeys(missing_keys=['0.bias', '1.weight', '1.bias'], unexpected_keys=['extra', "it's", 'back\\slash'])
        assertEquals("_IncompatibleKeys(missing_keys=['0.bias', '1.weight', '1.bias'], unexpected_keys=['extra', \"it's\", 'back\\\\slash'])",
                r.toString());
        assertClose(((Linear) s.get(0)).weight.detach(), new double[] {3, 3, 3, 3}, new long[] {2, 2}, 0, 0);   // present keys loaded

        // PyTorch 1.13: load_state_dict({}, strict=False) -> _IncompatibleKeys(missing_keys=['0.weight', '0.bias', '1.weight', '1.bias'], unexpected_keys=[])
        assertEquals("_IncompatibleKeys(missing_keys=['0.weight', '0.bias', '1.weight', '1.bias'], unexpected_keys=[])",
                s.loadStateDict(Map.of(), false).toString());
    }

    @Test void aFullMatchPrintsAllKeysMatched() {
        Sequential s = new Sequential(new Linear(2, 2), new Linear(2, 1));
        // PyTorch 1.13: print(m.load_state_dict(m.state_dict())) and with strict=False -> <All keys matched successfully>
        for (IncompatibleKeys r : List.of(s.loadStateDict(s.stateDict()), s.loadStateDict(s.stateDict(), false), s.loadStateDict(s.stateDict(), true))) {
            assertTrue(r.allMatched());
            assertEquals(List.of(), r.missingKeys());
            assertEquals(List.of(), r.unexpectedKeys());
            assertEquals("<All keys matched successfully>", r.toString());
        }
    }

    @Test void recordIsAValueWithImmutableLists() {
        IncompatibleKeys a = new IncompatibleKeys(new java.util.ArrayList<>(List.of("a")), List.of());
        assertEquals(new IncompatibleKeys(List.of("a"), List.of()), a);
        org.junit.jupiter.api.Assertions.assertThrows(UnsupportedOperationException.class, () -> a.missingKeys().add("b"));
        assertEquals("'a\\nb'", IncompatibleKeys.pyRepr("a\nb"));            // Python: repr('a\nb')
        assertEquals("'both \\' and \"'", IncompatibleKeys.pyRepr("both ' and \""));   // Python: repr("both ' and \"") -> 'both \' and "'
    }
}
