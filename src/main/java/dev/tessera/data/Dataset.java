package dev.tessera.data;

import dev.tessera.Tensor;

/**
 * A map-style classification dataset, as {@code torch.utils.data.Dataset}: {@link #size()}
 * examples, each an input tensor and an integer class label. Every example of one dataset has
 * the same input shape and is FLOAT32, which is what {@link DataLoader} batches.
 */
public interface Dataset {
    /** One example: an input tensor (FLOAT32, the same shape for every example) and its class label. */
    record Example(Tensor input, long label) {}

    /** The number of examples ({@code len(dataset)}). */
    int size();

    /**
     * The example at {@code index}, {@code 0 <= index < size()}.
     *
     * @throws IndexOutOfBoundsException when index is out of range
     */
    Example get(int index);
}
