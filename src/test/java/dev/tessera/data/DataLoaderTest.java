package dev.tessera.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tessera.DType;
import dev.tessera.Size;
import dev.tessera.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class DataLoaderTest {
    /** N examples of shape [2, 3] whose values encode the index (row i holds i*100 + k), label = i * 7. */
    private static TensorDataset numbered(int n) {
        float[] x = new float[n * 6];
        long[] y = new long[n];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < 6; k++) x[i * 6 + k] = i * 100 + k;
            y[i] = i * 7L;
        }
        return new TensorDataset(Tensor.of(x, n, 2, 3), Tensor.of(y, n));
    }

    /** The same data seen only through the Dataset interface, to exercise the generic batch path. */
    private static Dataset generic(TensorDataset d) {
        return new Dataset() {
            @Override public int size() { return d.size(); }
            @Override public Example get(int i) { return d.get(i); }
        };
    }

    private static List<Integer> indicesOf(DataLoader.Batch b) {
        List<Integer> out = new ArrayList<>();
        for (long label : b.labels().toLongArray()) out.add((int) (label / 7));
        return out;
    }

    @Test void batchCountsWithAndWithoutDropLast() {
        TensorDataset d = numbered(10);
        assertEquals(4, new DataLoader(d, 3, false, false, 0).size());
        assertEquals(3, new DataLoader(d, 3, false, true, 0).size());
        assertEquals(2, new DataLoader(d, 5, true, true, 0).size());
        assertEquals(1, new DataLoader(d, 64, false, false, 0).size());
        assertEquals(0, new DataLoader(d, 64, false, true, 0).size());

        List<Integer> sizes = new ArrayList<>();
        for (DataLoader.Batch b : new DataLoader(d, 3, true, false, 1)) sizes.add(b.size());
        assertEquals(List.of(3, 3, 3, 1), sizes);
        sizes.clear();
        for (DataLoader.Batch b : new DataLoader(d, 3, true, true, 1)) sizes.add(b.size());
        assertEquals(List.of(3, 3, 3), sizes);
        assertThrows(IllegalArgumentException.class, () -> new DataLoader(d, 0, false, false, 0));
    }

    @Test void unshuffledBatchesAreTheRowsInOrder() {
        TensorDataset d = numbered(7);
        for (Dataset ds : List.of(d, generic(d))) {
            int next = 0;
            for (DataLoader.Batch b : new DataLoader(ds, 3)) {
                assertEquals(DType.FLOAT32, b.inputs().dtype());
                assertEquals(DType.INT64, b.labels().dtype());
                assertEquals(Size.of(b.size(), 2, 3), b.inputs().shape());
                assertEquals(Size.of(b.size()), b.labels().shape());
                for (int i : indicesOf(b)) assertEquals(next++, i);
            }
            assertEquals(7, next);
        }
    }

    @Test void batchContentsEqualTheDatasetRows() {
        TensorDataset d = numbered(23);
        for (Dataset ds : List.of(d, generic(d))) {
            for (DataLoader.Batch b : new DataLoader(ds, 5, true, false, 42)) {
                float[] x = b.inputs().toFloatArray();
                long[] y = b.labels().toLongArray();
                for (int r = 0; r < b.size(); r++) {
                    int i = (int) (y[r] / 7);
                    Dataset.Example ex = d.get(i);
                    assertEquals(ex.label(), y[r]);
                    assertArrayEquals(ex.input().toFloatArray(), Arrays.copyOfRange(x, r * 6, r * 6 + 6));
                    assertEquals(i * 100f, x[r * 6]);            // independent of get(): the row encodes its index
                }
            }
        }
    }

    @Test void everyIndexSeenOncePerEpoch() {
        TensorDataset d = numbered(50);
        DataLoader loader = new DataLoader(d, 8, true, false, 3);
        for (int epoch = 0; epoch < 3; epoch++) {
            boolean[] seen = new boolean[50];
            for (DataLoader.Batch b : loader)
                for (int i : indicesOf(b)) {
                    assertFalse(seen[i], "index " + i + " seen twice in epoch " + epoch);
                    seen[i] = true;
                }
            for (int i = 0; i < 50; i++) assertEquals(true, seen[i], "index " + i + " not seen in epoch " + epoch);
        }
    }

    @Test void shuffleIsReproducibleForASeedAndDiffersAcrossEpochs() {
        TensorDataset d = numbered(40);
        List<List<Integer>> a = epochs(new DataLoader(d, 6, true, false, 11), 3);
        List<List<Integer>> b = epochs(new DataLoader(d, 6, true, false, 11), 3);
        assertEquals(a, b);
        assertNotEquals(a.get(0), a.get(1));
        assertNotEquals(a.get(1), a.get(2));
        assertNotEquals(a.get(0), epochs(new DataLoader(d, 6, true, false, 12), 1).get(0));
        List<Integer> identity = new ArrayList<>();
        for (int i = 0; i < 40; i++) identity.add(i);
        assertNotEquals(identity, a.get(0));
        assertEquals(identity, epochs(new DataLoader(d, 6, false, false, 11), 1).get(0));

        DataLoader resumed = new DataLoader(d, 6, true, false, 11);
        resumed.setEpoch(2);
        assertEquals(a.get(2), epochs(resumed, 1).get(0));
        assertEquals(3, resumed.epoch());
    }

    private static List<List<Integer>> epochs(DataLoader loader, int n) {
        List<List<Integer>> out = new ArrayList<>();
        for (int e = 0; e < n; e++) {
            List<Integer> order = new ArrayList<>();
            for (DataLoader.Batch b : loader) order.addAll(indicesOf(b));
            out.add(order);
        }
        return out;
    }

    @Test void tensorDatasetChecksAndSlices() {
        assertThrows(IllegalArgumentException.class, () -> new TensorDataset(Tensor.zeros(3, 2), Tensor.of(new long[] {1, 2}, 2)));
        assertThrows(IllegalArgumentException.class, () -> new TensorDataset(Tensor.zeros(3, 2), Tensor.zeros(3)));
        TensorDataset d = numbered(10);
        TensorDataset s = d.slice(4, 7);
        assertEquals(3, s.size());
        assertEquals(4 * 7L, s.get(0).label());
        assertArrayEquals(d.get(6).input().toFloatArray(), s.get(2).input().toFloatArray());
        assertEquals(Size.of(10, 2, 3), d.inputs().shape());
        assertArrayEquals(new long[] {2, 3}, d.exampleShape());
        assertThrows(IndexOutOfBoundsException.class, () -> d.get(10));
    }
}
