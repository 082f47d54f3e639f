package dev.tessera.data;

/**
 * The dataset indices an epoch visits, in order, as {@code torch.utils.data.Sampler}; a {@link DataLoader}
 * built with one batches these indices instead of its own order. The loader passes its epoch (one per
 * {@code iterator()} call, or as set by {@link DataLoader#setEpoch}), so a sampler that reshuffles per
 * epoch needs no call of its own during training.
 */
public interface Sampler {
    /** The indices epoch {@code epoch} visits; each in {@code [0, dataset size)}. */
    int[] indices(int epoch);

    /** How many indices every epoch has ({@code len(sampler)}). */
    int size();

    /**
     * The seeded permutation of {@code 0 .. n-1} for {@code (seed, epoch)}: Fisher-Yates over a random
     * stream hashed from both, the order {@link DataLoader}'s shuffle uses. Not PyTorch's {@code randperm}
     * (Tessera's generator differs from torch's), but as reproducible: the same arguments give the same
     * permutation on every machine.
     */
    static int[] permutation(int n, long seed, int epoch) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        java.util.SplittableRandom rng = Seeds.stream(seed, epoch);
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = order[i]; order[i] = order[j]; order[j] = t;
        }
        return order;
    }
}
