package dev.tessera;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.backend.Storage;
import org.junit.jupiter.api.Test;

/** Tensor.close() on the CPU: it marks the shared storage closed, once. The CUDA side is CudaMemoryTest. */
class TensorCloseTest {

    @Test void closeMarksTheStorageOfEveryViewAndIsIdempotent() {
        Tensor t = Tensor.ones(2, 3);
        Tensor v = t.transpose(0, 1);
        Storage s = t.raw().storage();
        assertSame(s, v.raw().storage());
        assertFalse(s.isClosed());
        v.close();
        assertTrue(s.isClosed(), "closing a view closes the storage it shares");
        t.close();
        v.close();
        assertTrue(s.isClosed());
    }

    @Test void tryWithResourcesClosesAtTheEndOfTheBlock() {
        Storage s;
        try (Tensor t = Tensor.zeros(4)) {
            s = t.raw().storage();
            assertFalse(s.isClosed());
        }
        assertTrue(s.isClosed());
    }
}
