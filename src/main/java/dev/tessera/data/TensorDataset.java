package dev.tessera.data;

import dev.tessera.DType;
import dev.tessera.Tensor;
import java.util.Arrays;
import java.util.Objects;

/**
 * Examples held in memory as one FLOAT32 input array {@code [N, ...]} and one INT64 label array
 * {@code [N]}, as {@code torch.utils.data.TensorDataset(inputs, labels)}. The rows live in host
 * arrays so that {@link DataLoader} can gather a batch with {@link System#arraycopy} and no
 * per-example tensor; {@link #inputs()} and {@link #labels()} build tensors on demand.
 */
public final class TensorDataset implements Dataset {
    private final float[] inputs;      // N * rowSize values, row-major; never handed out
    private final long[] labels;       // N labels
    private final long[] exampleShape; // the shape of one input row, e.g. [1, 28, 28]
    private final int rowSize;

    /**
     * A dataset over copies of {@code inputs} (FLOAT32 {@code [N, ...]}, any device) and
     * {@code labels} (INT64 {@code [N]}).
     *
     * @throws IllegalArgumentException on a wrong dtype, a 0-dim input or a count mismatch
     */
    public TensorDataset(Tensor inputs, Tensor labels) {
        this(checked(inputs, labels).toFloatArray(), labels.toLongArray(),
                Arrays.copyOfRange(inputs.shape().toArray(), 1, inputs.dim()));
    }

    private static Tensor checked(Tensor inputs, Tensor labels) {
        Objects.requireNonNull(inputs, "inputs");
        Objects.requireNonNull(labels, "labels");
        if (inputs.dtype() != DType.FLOAT32) throw new IllegalArgumentException("TensorDataset: inputs must be FLOAT32, got " + inputs.dtype());
        if (labels.dtype() != DType.INT64) throw new IllegalArgumentException("TensorDataset: labels must be INT64, got " + labels.dtype());
        if (inputs.dim() < 1) throw new IllegalArgumentException("TensorDataset: inputs must have a leading example dimension, got a 0-dim tensor");
        if (labels.dim() != 1 || labels.size(0) != inputs.size(0))
            throw new IllegalArgumentException("TensorDataset: size mismatch between inputs " + inputs.shape() + " and labels " + labels.shape());
        return inputs;
    }

    /** Takes ownership of the arrays (no copy): the caller must not modify them afterwards. */
    TensorDataset(float[] inputs, long[] labels, long[] exampleShape) {
        long row = 1;
        for (long d : exampleShape) row *= d;
        if (row > Integer.MAX_VALUE || (long) labels.length * row != inputs.length)
            throw new IllegalArgumentException("TensorDataset: " + inputs.length + " input values do not make " + labels.length
                    + " examples of shape " + Arrays.toString(exampleShape));
        this.inputs = inputs;
        this.labels = labels;
        this.exampleShape = exampleShape.clone();
        this.rowSize = (int) row;
    }

    @Override public int size() { return labels.length; }

    @Override public Example get(int index) {
        Objects.checkIndex(index, labels.length);
        if (exampleShape.length == 0) return new Example(Tensor.scalar(inputs[index]), labels[index]);   // Tensor.of would make [1]
        return new Example(Tensor.of(Arrays.copyOfRange(inputs, index * rowSize, (index + 1) * rowSize), exampleShape), labels[index]);
    }

    /** The shape of one example's input, e.g. {@code [1, 28, 28]} (a copy). */
    public long[] exampleShape() { return exampleShape.clone(); }

    /** The label of example {@code index}, without building its input tensor. */
    public long label(int index) { return labels[Objects.checkIndex(index, labels.length)]; }

    /** All inputs as a new FLOAT32 tensor {@code [N, ...]} on the CPU. */
    public Tensor inputs() { return Tensor.of(inputs, shapeWithCount(labels.length)); }

    /** All labels as a new INT64 tensor {@code [N]} on the CPU. */
    public Tensor labels() { return Tensor.of(labels, labels.length); }

    /**
     * The examples {@code from <= i < to} as a new dataset (copied), e.g. to split off a
     * validation set.
     */
    public TensorDataset slice(int from, int to) {
        Objects.checkFromToIndex(from, to, labels.length);
        return new TensorDataset(Arrays.copyOfRange(inputs, from * rowSize, to * rowSize), Arrays.copyOfRange(labels, from, to), exampleShape);
    }

    /**
     * Copies the examples {@code indices[from .. from+count)} into {@code dstInputs} (row after
     * row) and {@code dstLabels}: the batch gather that {@link DataLoader} uses.
     */
    void gather(int[] indices, int from, int count, float[] dstInputs, long[] dstLabels) {
        for (int b = 0; b < count; b++) {
            int i = indices[from + b];
            System.arraycopy(inputs, i * rowSize, dstInputs, b * rowSize, rowSize);
            dstLabels[b] = labels[i];
        }
    }

    int rowSize() { return rowSize; }

    long[] shapeWithCount(long n) {
        long[] s = new long[exampleShape.length + 1];
        s[0] = n;
        System.arraycopy(exampleShape, 0, s, 1, exampleShape.length);
        return s;
    }
}
