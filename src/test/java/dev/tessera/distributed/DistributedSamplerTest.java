package dev.tessera.distributed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tessera.Tensor;
import dev.tessera.data.DataLoader;
import dev.tessera.data.Dataset;
import dev.tessera.data.TensorDataset;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class DistributedSamplerTest {
    /** n examples of one feature; example i has label i, so a batch's labels are its indices. */
    private static TensorDataset numbered(int n) {
        float[] x = new float[n];
        long[] y = new long[n];
        for (int i = 0; i < n; i++) { x[i] = i; y[i] = i; }
        return new TensorDataset(Tensor.of(x, n, 1), Tensor.of(y, n));
    }

    private static int[][] shards(int n, int replicas, boolean shuffle, long seed, boolean dropLast, int epoch) {
        int[][] s = new int[replicas][];
        for (int r = 0; r < replicas; r++) s[r] = new DistributedSampler(numbered(n), replicas, r, shuffle, seed, dropLast).indices(epoch);
        return s;
    }

    @Test void unshuffledShardsEqualPyTorchs() {
        // torch 1.13: [list(DistributedSampler(list(range(n)), num_replicas=r, rank=k, shuffle=False, drop_last=d)) for k in range(r)]
        assertEquals("[[0, 3, 6, 9], [1, 4, 7, 0], [2, 5, 8, 1]]", Arrays.deepToString(shards(10, 3, false, 0, false, 0)));
        assertEquals("[[0, 3, 6], [1, 4, 7], [2, 5, 8]]", Arrays.deepToString(shards(10, 3, false, 0, true, 0)));
        assertEquals("[[0], [1], [0], [1]]", Arrays.deepToString(shards(2, 4, false, 0, false, 0)));   // padding longer than the data
        assertEquals("[[], [], [], []]", Arrays.deepToString(shards(2, 4, false, 0, true, 0)));
        assertEquals("[[0, 4, 8], [1, 5, 9], [2, 6, 10], [3, 7, 11]]", Arrays.deepToString(shards(12, 4, false, 0, true, 0)));
        assertEquals("[[0, 1, 2, 3, 4, 5, 6]]", Arrays.deepToString(shards(7, 1, false, 0, false, 0)));
        assertEquals("[[0], [1], [2]]", Arrays.deepToString(shards(5, 3, false, 0, true, 0)));
        assertEquals("[[], []]", Arrays.deepToString(shards(0, 2, false, 0, false, 0)));
        // len(sampler), as torch 1.13 gives it for (10, 3, False), (10, 3, True), (2, 4, True)
        assertEquals(4, new DistributedSampler(numbered(10), 3, 0, false, 0, false).size());
        assertEquals(3, new DistributedSampler(numbered(10), 3, 0, false, 0, true).size());
        assertEquals(0, new DistributedSampler(numbered(2), 4, 3, false, 0, true).size());
    }

    @Test void shuffledShardsAreDisjointCoverTheDataAndPadFromTheStart() {
        int n = 103, replicas = 4;
        for (int epoch = 0; epoch < 3; epoch++) {
            int[][] s = shards(n, replicas, true, 7, false, epoch);
            // interleaved back (position i·replicas + r), the shards are one permutation of 0..n-1 padded
            // with its own first element: every rank used the same order
            int[] joined = new int[26 * replicas];
            for (int r = 0; r < replicas; r++) {
                assertEquals(26, s[r].length, "ceil(103 / 4)");
                for (int i = 0; i < 26; i++) joined[i * replicas + r] = s[r][i];
            }
            int[] perm = Arrays.copyOf(joined, n);
            int[] sorted = perm.clone();
            Arrays.sort(sorted);
            for (int i = 0; i < n; i++) assertEquals(i, sorted[i], "the first 103 positions are a permutation");
            assertEquals(perm[0], joined[n], "the padding repeats the permutation's start");
            assertFalse(Arrays.equals(perm, shards(n, replicas, false, 7, false, epoch)[0]), "shuffled");

            int[][] dropped = shards(n, replicas, true, 7, true, epoch);   // 4 · ceil(99 / 4) = 100: disjoint, no padding
            boolean[] seen = new boolean[n];
            for (int[] shard : dropped) {
                assertEquals(25, shard.length);
                for (int i : shard) {
                    assertFalse(seen[i], "index " + i + " in two shards");
                    seen[i] = true;
                }
            }
        }
        assertFalse(Arrays.equals(shards(n, replicas, true, 7, false, 0)[1], shards(n, replicas, true, 7, false, 1)[1]), "reshuffled per epoch");
        assertFalse(Arrays.equals(shards(n, replicas, true, 7, false, 0)[1], shards(n, replicas, true, 8, false, 0)[1]), "the seed matters");
        assertArrayEquals(shards(n, replicas, true, 7, false, 2)[3], shards(n, replicas, true, 7, false, 2)[3], "reproducible");
    }

    @Test void setEpochPicksThePermutation() {
        DistributedSampler s = new DistributedSampler(numbered(50), 3, 1);
        int[] first = s.indices();
        s.setEpoch(4);
        assertArrayEquals(s.indices(4), s.indices());
        assertFalse(Arrays.equals(first, s.indices()));
        assertThrows(IllegalArgumentException.class, () -> s.setEpoch(-1));
    }

    @Test void dataLoaderBatchesTheShardEpochByEpoch() {
        TensorDataset data = numbered(23);
        DistributedSampler sampler = new DistributedSampler(data, 2, 1, true, 3, false);   // 12 indices, one repeated
        DataLoader loader = new DataLoader(data, 5, sampler, false);
        assertEquals(3, loader.size(), "ceil(12 / 5)");
        for (int epoch = 0; epoch < 2; epoch++) {
            long[] labels = new long[0];
            for (DataLoader.Batch b : loader) {
                long[] l = b.labels().toLongArray();
                labels = Arrays.copyOf(labels, labels.length + l.length);
                System.arraycopy(l, 0, labels, labels.length - l.length, l.length);
            }
            assertArrayEquals(Arrays.stream(sampler.indices(epoch)).asLongStream().toArray(), labels, "epoch " + epoch);
        }
        assertEquals(2, new DataLoader(data, 5, sampler, true).size(), "dropLast: floor(12 / 5)");
    }

    @Test void badArgumentsAreRefusedWithPyTorchsMessage() {
        Dataset d = numbered(3);
        assertEquals("Invalid rank 2, rank should be in the interval [0, 1]",
                assertThrows(IllegalArgumentException.class, () -> new DistributedSampler(d, 2, 2)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new DistributedSampler(d, 2, -1));
        assertThrows(IllegalArgumentException.class, () -> new DistributedSampler(d, 0, 0));
    }
}
