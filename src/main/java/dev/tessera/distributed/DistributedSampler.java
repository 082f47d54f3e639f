package dev.tessera.distributed;

import dev.tessera.data.Dataset;
import dev.tessera.data.Sampler;

/**
 * This process's shard of a dataset, as PyTorch's {@code torch.utils.data.distributed.DistributedSampler(
 * dataset, num_replicas, rank, shuffle=True, seed=0, drop_last=False)}; give it to
 * {@code new DataLoader(dataset, batchSize, sampler, dropLast)}.
 *
 * <p>Each epoch: the indices {@code 0 .. N-1}, shuffled when {@code shuffle} by a permutation seeded with
 * {@code (seed, epoch)} — the same on every rank, different each epoch; then without {@code dropLast}
 * padded to {@code numReplicas · ceil(N / numReplicas)} by repeating indices from the start (as often as
 * needed when the data set is smaller than the padding), with {@code dropLast} cut to
 * {@code numReplicas · ceil((N - numReplicas) / numReplicas)} when N is not a multiple; rank {@code r}
 * takes every {@code numReplicas}-th index from position {@code r}. The shards are disjoint (except for
 * the padding's repeats) and together cover the data set.
 *
 * <p>The permutation is Tessera's ({@link Sampler#permutation}), not {@code torch.randperm}'s: the
 * unshuffled shards equal PyTorch's exactly, the shuffled ones have the same properties.
 * A {@code DataLoader} passes its own epoch to {@link #indices(int)}; {@link #setEpoch} and
 * {@link #indices()} are for using the sampler directly, as PyTorch's {@code set_epoch} and iteration.
 */
public final class DistributedSampler implements Sampler {
    private final int datasetSize, numReplicas, rank, numSamples;
    private final boolean shuffle, dropLast;
    private final long seed;
    private int epoch;

    /** A shuffled shard (seed 0) that keeps every example, padding as needed. */
    public DistributedSampler(Dataset dataset, int numReplicas, int rank) { this(dataset, numReplicas, rank, true, 0, false); }

    /**
     * @param numReplicas the number of processes (the world size), at least 1
     * @param rank        this process's rank, in {@code [0, numReplicas)}
     * @throws IllegalArgumentException for a rank outside {@code [0, numReplicas - 1]} (PyTorch's message) or numReplicas below 1
     */
    public DistributedSampler(Dataset dataset, int numReplicas, int rank, boolean shuffle, long seed, boolean dropLast) {
        if (numReplicas < 1) throw new IllegalArgumentException("DistributedSampler: num_replicas must be at least 1, got " + numReplicas);
        if (rank < 0 || rank >= numReplicas)
            throw new IllegalArgumentException("Invalid rank " + rank + ", rank should be in the interval [0, " + (numReplicas - 1) + "]");
        this.datasetSize = dataset.size();
        this.numReplicas = numReplicas;
        this.rank = rank;
        this.shuffle = shuffle;
        this.seed = seed;
        this.dropLast = dropLast;
        int n = datasetSize;
        this.numSamples = dropLast && n % numReplicas != 0 ? Math.max(0, ceilDiv(n - numReplicas, numReplicas)) : ceilDiv(n, numReplicas);
    }

    private static int ceilDiv(int a, int b) { return -Math.floorDiv(-a, b); }

    /** The epoch {@link #indices()} uses (PyTorch's {@code set_epoch}); a {@code DataLoader} passes its own instead. */
    public void setEpoch(int epoch) {
        if (epoch < 0) throw new IllegalArgumentException("epoch must be >= 0, got " + epoch);
        this.epoch = epoch;
    }

    public int epoch() { return epoch; }

    /** This rank's indices for the epoch set by {@link #setEpoch} (iterating PyTorch's sampler). */
    public int[] indices() { return indices(epoch); }

    /** This rank's indices for {@code epoch}. */
    @Override public int[] indices(int epoch) {
        int n = datasetSize, total = numSamples * numReplicas;
        int[] all = shuffle ? Sampler.permutation(n, seed, epoch) : identity(n);
        int[] padded = new int[total];   // padding repeats from the start; dropLast cuts the tail
        for (int i = 0; i < total; i++) padded[i] = all[i % n];
        int[] mine = new int[numSamples];
        for (int i = 0; i < numSamples; i++) mine[i] = padded[rank + i * numReplicas];
        return mine;
    }

    private static int[] identity(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = i;
        return a;
    }

    /** The number of indices per epoch on every rank: {@code ceil(N / numReplicas)}, or with dropLast {@code ceil((N - numReplicas) / numReplicas)} when N is not a multiple. */
    @Override public int size() { return numSamples; }

    public int numReplicas() { return numReplicas; }
    public int rank() { return rank; }
}
