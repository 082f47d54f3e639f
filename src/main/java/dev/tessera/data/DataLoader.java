package dev.tessera.data;

import dev.tessera.Device;
import dev.tessera.Tensor;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Objects;

/**
 * Batches of a {@link Dataset}, as {@code torch.utils.data.DataLoader(dataset, batch_size,
 * shuffle, drop_last)} with a seeded generator and no worker processes.
 *
 * <p>Each call to {@link #iterator()} is one epoch. With {@code shuffle}, epoch {@code e}
 * (0, 1, 2, ... in the order iterators are created, or as set by {@link #setEpoch}) visits the
 * examples in a permutation drawn from a {@code SplittableRandom} seeded by a hash of
 * {@code (seed, e)} ({@link Sampler#permutation}): a different order every epoch, and the same sequence
 * of orders for every loader built with the same seed. Without {@code shuffle} the order is
 * {@code 0 .. size-1}; with a {@link Sampler} it is the sampler's indices for epoch {@code e}. The last
 * batch is smaller when the batch size does not divide the dataset size, unless {@code dropLast} drops it.
 *
 * <p>A batch's inputs are one FLOAT32 tensor {@code [B, ...]} filled by copying rows into a
 * single {@code float[]}; from a {@link TensorDataset} this is a plain array copy per example.
 * Batches are made on the CPU; move them with {@link Batch#to(Device)}.
 */
public final class DataLoader implements Iterable<DataLoader.Batch> {
    /** One batch: FLOAT32 inputs {@code [B, ...]} and INT64 labels {@code [B]}. */
    public record Batch(Tensor inputs, Tensor labels) {
        /** The batch size B. */
        public int size() { return (int) labels.size(0); }

        /** Both tensors moved to {@code device} (the same batch when already there). */
        public Batch to(Device device) { return new Batch(inputs.to(device), labels.to(device)); }
    }

    private final Dataset dataset;
    private final int batchSize;
    private final boolean shuffle;
    private final boolean dropLast;
    private final long seed;
    private final Sampler sampler;   // null: the loader's own order (shuffled or not)
    private int epoch;

    /** An unshuffled loader that keeps the last partial batch. */
    public DataLoader(Dataset dataset, int batchSize) { this(dataset, batchSize, false, false, 0); }

    /**
     * @param batchSize examples per batch, at least 1
     * @param shuffle   visit the examples in a fresh seeded permutation every epoch
     * @param dropLast  drop the last batch when it would be smaller than {@code batchSize}
     * @param seed      the shuffle seed (ignored without shuffle)
     * @throws IllegalArgumentException when batchSize is not positive
     */
    public DataLoader(Dataset dataset, int batchSize, boolean shuffle, boolean dropLast, long seed) {
        this.dataset = Objects.requireNonNull(dataset, "dataset");
        if (batchSize <= 0) throw new IllegalArgumentException("batch_size should be a positive integer value, but got batch_size=" + batchSize);
        this.batchSize = batchSize;
        this.shuffle = shuffle;
        this.dropLast = dropLast;
        this.seed = seed;
        this.sampler = null;
    }

    /**
     * A loader over the indices {@code sampler} gives each epoch (PyTorch's {@code sampler=} argument;
     * shuffling is then the sampler's), e.g. a {@code dev.tessera.distributed.DistributedSampler} for this
     * process's shard.
     *
     * @param dropLast drop the last batch when it would be smaller than {@code batchSize}
     * @throws IllegalArgumentException when batchSize is not positive
     */
    public DataLoader(Dataset dataset, int batchSize, Sampler sampler, boolean dropLast) {
        this.dataset = Objects.requireNonNull(dataset, "dataset");
        if (batchSize <= 0) throw new IllegalArgumentException("batch_size should be a positive integer value, but got batch_size=" + batchSize);
        this.batchSize = batchSize;
        this.shuffle = false;
        this.dropLast = dropLast;
        this.seed = 0;
        this.sampler = Objects.requireNonNull(sampler, "sampler");
    }

    /**
     * The number of batches per epoch: {@code floor(N / B)} with dropLast, else {@code ceil(N / B)}, where N
     * is the dataset's size, or the sampler's when there is one.
     */
    public int size() {
        int n = sampler != null ? sampler.size() : dataset.size();
        return dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
    }

    public Dataset dataset() { return dataset; }
    public int batchSize() { return batchSize; }

    /** The epoch the next {@link #iterator()} call will start (0 for a new loader). */
    public int epoch() { return epoch; }

    /** Sets the epoch the next {@link #iterator()} call starts, e.g. to resume a run. */
    public void setEpoch(int epoch) {
        if (epoch < 0) throw new IllegalArgumentException("epoch must be >= 0, got " + epoch);
        this.epoch = epoch;
    }

    /**
     * The order in which epoch {@code epoch} visits the dataset: a permutation of
     * {@code 0 .. size-1}, the identity without shuffle, or the sampler's indices for that epoch.
     * Does not advance the epoch.
     */
    public int[] order(int epoch) {
        int n = dataset.size();
        if (sampler != null) {
            int[] order = sampler.indices(epoch);
            if (order.length != sampler.size())
                throw new IllegalStateException("DataLoader: the sampler gave " + order.length + " indices but its size() is " + sampler.size());
            for (int i : order)
                if (i < 0 || i >= n) throw new IndexOutOfBoundsException("DataLoader: the sampler gave index " + i + " for a dataset of size " + n);
            return order;
        }
        if (shuffle) return Sampler.permutation(n, seed, epoch);
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        return order;
    }

    /** Starts the next epoch: its batches, in order. */
    @Override public Iterator<Batch> iterator() {
        int[] order = order(epoch++);
        int batches = size();
        return new Iterator<>() {
            private int next;
            @Override public boolean hasNext() { return next < batches; }
            @Override public Batch next() {
                if (!hasNext()) throw new NoSuchElementException();
                int from = next++ * batchSize;
                return assemble(order, from, Math.min(batchSize, order.length - from));
            }
        };
    }

    private Batch assemble(int[] order, int from, int count) {
        long[] labels = new long[count];
        if (dataset instanceof TensorDataset td) {
            long[] shape = td.shapeWithCount(count);
            float[] inputs = new float[(int) ((long) td.rowSize() * count)];
            td.gather(order, from, count, inputs, labels);
            return new Batch(Tensor.of(inputs, shape), Tensor.of(labels, count));
        }
        // Generic path: one get() per example, rows copied into one array.
        float[] inputs = null;
        long[] exampleShape = null;
        int row = 0;
        for (int b = 0; b < count; b++) {
            Dataset.Example ex = dataset.get(order[from + b]);
            long[] shape = ex.input().shape().toArray();
            if (inputs == null) {
                exampleShape = shape;
                row = (int) ex.input().numel();
                inputs = new float[row * count];
            } else if (!Arrays.equals(shape, exampleShape)) {
                throw new IllegalStateException("DataLoader: example " + order[from + b] + " has input shape " + ex.input().shape()
                        + " but earlier examples in the batch have " + Arrays.toString(exampleShape) + "; all examples must have one shape");
            }
            System.arraycopy(ex.input().toFloatArray(), 0, inputs, b * row, row);
            labels[b] = ex.label();
        }
        long[] shape = new long[exampleShape.length + 1];
        shape[0] = count;
        System.arraycopy(exampleShape, 0, shape, 1, exampleShape.length);
        return new Batch(Tensor.of(inputs, shape), Tensor.of(labels, count));
    }
}
