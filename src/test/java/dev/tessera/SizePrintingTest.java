package dev.tessera;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.nn.Linear;
import dev.tessera.nn.functional.F;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Shapes print as PyTorch's torch.Size, and error messages print them as PyTorch 1.13 does (its output quoted). */
class SizePrintingTest {
    @Test void sizePrintsAsTorchSizeAndListsAsPythonList() {
        // PyTorch 1.13: print(torch.zeros(128, 20).shape, torch.zeros(()).shape) -> torch.Size([128, 20]) torch.Size([])
        assertEquals("torch.Size([128, 20])", Tensor.zeros(128, 20).shape().toString());
        assertEquals("torch.Size([])", Tensor.scalar(1).shape().toString());
        assertEquals(List.of(128L, 20L), Tensor.zeros(128, 20).shape().toList());
        assertEquals("[128, 20]", Tensor.zeros(128, 20).shape().toList().toString());
        assertEquals(List.of(), Size.of().toList());
    }

    @Test void messagesPrintShapesAsPyTorchDoes() {
        // PyTorch 1.13: F.layer_norm(torch.zeros(20, 5, 11), [10])
        TesseraException ln = assertThrows(TesseraException.class, () -> F.layerNorm(Tensor.zeros(20, 5, 11), new long[] {10}, null, null, 1e-5));
        assertEquals("Given normalized_shape=[10], expected input with shape [*, 10], but got input of size[20, 5, 11]", ln.getMessage());

        // PyTorch 1.13: F.cross_entropy(torch.zeros(3, 4, 2), torch.zeros(3, 1, dtype=torch.long))
        TesseraException ce = assertThrows(TesseraException.class, () -> F.crossEntropy(Tensor.zeros(3, 4, 2), Tensor.of(new long[3], 3, 1)));
        assertTrue(ce.getMessage().endsWith("Expected target size [3, 2], got [3, 1]"), ce.getMessage());

        // PyTorch 1.13: nn.Linear(3, 1).load_state_dict({'weight': torch.zeros(1, 4), 'bias': torch.zeros(1)})
        TesseraException sd = assertThrows(TesseraException.class,
                () -> new Linear(3, 1).loadStateDict(Map.of("weight", Tensor.zeros(1, 4), "bias", Tensor.zeros(1)), true));
        assertEquals("Error(s) in loading state_dict for Linear:\n\tsize mismatch for weight: copying a param with shape torch.Size([1, 4]) "
                + "from checkpoint, the shape in current model is torch.Size([1, 3]).", sd.getMessage());

        // PyTorch 1.13: "... modified by an inplace operation: [torch.FloatTensor [2, 3]], which is output 0 of ExpBackward0, ..."
        Tensor a = Tensor.ones(2, 3).requiresGrad(true);
        Tensor b = a.exp();
        b.add_(1);
        TesseraException ip = assertThrows(TesseraException.class, () -> b.sum().backward());
        assertTrue(ip.getMessage().contains(" [2, 3]], which is an input or output of ExpBackward0"), ip.getMessage());
    }
}
