package dev.tessera;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tessera.nn.Dropout;
import dev.tessera.nn.Module;
import dev.tessera.nn.functional.F;
import dev.tessera.optim.SGD;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Each PyTorch error class maps to one Java type (TesseraException's javadoc has the table). The
 * PyTorch 1.13 type and message for the same call are quoted at each line.
 */
class ExceptionTypesTest {
    private static final Tensor A = Tensor.zeros(2, 3);

    private static <T extends Throwable> String thrown(Class<T> type, Executable call) {
        T e = assertThrows(type, call);
        assertEquals(type, e.getClass(), "exactly " + type.getSimpleName() + ", not a subclass");
        return e.getMessage();
    }

    @Test void indexErrorsAreTesseraIndexExceptions() {
        // IndexError: Dimension out of range (expected to be in range of [-2, 1], but got 5)
        assertEquals("size: Dimension out of range (expected to be in range of [-2, 1], but got 5)", thrown(TesseraIndexException.class, () -> A.size(5)));
        // IndexError: Dimension out of range ... but got 4)  (transpose, sum, softmax, cat, unsqueeze, flatten, max, argmax: all IndexError)
        thrown(TesseraIndexException.class, () -> A.transpose(0, 4));
        thrown(TesseraIndexException.class, () -> A.sum(3));
        thrown(TesseraIndexException.class, () -> A.softmax(2));
        thrown(TesseraIndexException.class, () -> Tensor.cat(List.of(A, A), 5));
        // IndexError: Dimension out of range (expected to be in range of [-3, 2], but got 4)
        assertEquals("unsqueeze: Dimension out of range (expected to be in range of [-3, 2], but got 4)",
                thrown(TesseraIndexException.class, () -> A.unsqueeze(4)));
        thrown(TesseraIndexException.class, () -> A.flatten(0, 5));
        thrown(TesseraIndexException.class, () -> A.max(3));
        thrown(TesseraIndexException.class, () -> A.argmax(3));
        // IndexError: select(): index 5 out of range for tensor of size [2, 3] at dimension 0
        assertEquals("select(): index 5 out of range for tensor of size [2, 3] at dimension 0", thrown(TesseraIndexException.class, () -> A.select(0, 5)));
        // a[5] -> IndexError: index 5 is out of bounds for dimension 0 with size 2 ; a[-3] likewise
        assertEquals("index 5 is out of bounds for dimension 0 with size 2", thrown(TesseraIndexException.class, () -> A.index(5)));
        assertEquals("index -3 is out of bounds for dimension 0 with size 2", thrown(TesseraIndexException.class, () -> A.index(-3)));
        // torch.tensor(1.)[0] -> IndexError: invalid index of a 0-dim tensor. Use `tensor.item()` ...
        thrown(TesseraIndexException.class, () -> Tensor.scalar(1).index(0));
        // a.shape[5] -> IndexError: tuple index out of range
        thrown(TesseraIndexException.class, () -> A.shape().get(5));
        // F.embedding(torch.tensor([10]), torch.zeros(10, 3)) -> IndexError: index out of range in self (also for -1)
        assertEquals("index out of range in self", thrown(TesseraIndexException.class, () -> F.embedding(Tensor.of(new long[] {10}, 1), Tensor.zeros(10, 3))));
        thrown(TesseraIndexException.class, () -> F.embedding(Tensor.of(new long[] {-1}, 1), Tensor.zeros(10, 3)));
        // F.cross_entropy(a, torch.tensor([0, 5])) -> IndexError: Target 5 is out of bounds.
        assertEquals("Target 5 is out of bounds.", thrown(TesseraIndexException.class, () -> F.crossEntropy(A, Tensor.of(new long[] {0, 5}, 2))));
        // F.nll_loss(a, torch.tensor([0, -2])) -> IndexError: Target -2 is out of bounds.
        assertEquals("Target -2 is out of bounds.", thrown(TesseraIndexException.class, () -> F.nllLoss(A, Tensor.of(new long[] {0, -2}, 2))));
    }

    @Test void runtimeErrorsStayPlainTesseraExceptions() {
        // RuntimeError: shape '[5]' is invalid for input of size 6
        thrown(TesseraException.class, () -> A.view(5));
        // RuntimeError: mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)
        assertEquals("mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)", thrown(TesseraException.class, () -> A.mm(A)));
        // RuntimeError: start (2) + length (3) exceeds dimension size (3).
        thrown(TesseraException.class, () -> A.narrow(1, 2, 3));
        // RuntimeError: element 0 of tensors does not require grad and does not have a grad_fn
        thrown(TesseraException.class, () -> A.sum().backward());
    }

    @Test void valueAndNotImplementedErrorsAreJavaStandardTypes() {
        // nn.Dropout(1.5) -> ValueError: dropout probability has to be between 0 and 1, but got 1.5
        assertEquals("dropout probability has to be between 0 and 1, but got 1.5", thrown(IllegalArgumentException.class, () -> new Dropout(1.5)));
        // torch.optim.SGD([p], lr=-1) -> ValueError: Invalid learning rate: -1
        thrown(IllegalArgumentException.class, () -> new SGD(List.of(Tensor.zeros(1).requiresGrad(true)), -1));
        // nn.Module()(a) -> NotImplementedError: Module [Module] is missing the required "forward" function
        assertEquals("Module [Plain] is missing the required \"forward\" function", thrown(UnsupportedOperationException.class, () -> new Plain().forward(A)));
    }

    static final class Plain extends Module {}
}
