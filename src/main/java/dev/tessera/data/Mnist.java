package dev.tessera.data;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The MNIST handwritten digits from a directory holding the four standard IDX files
 * {@code train-images-idx3-ubyte}, {@code train-labels-idx1-ubyte}, {@code t10k-images-idx3-ubyte}
 * and {@code t10k-labels-idx1-ubyte}, each plain or gzipped ({@code .gz} appended); nothing is
 * downloaded. See {@link Idx} for the checks made on each file.
 */
public final class Mnist {
    /** MNIST's training-set pixel mean after scaling to [0, 1], as in the PyTorch MNIST example. */
    public static final float MEAN = 0.1307f;
    /** MNIST's training-set pixel standard deviation after scaling to [0, 1]. */
    public static final float STD = 0.3081f;

    private Mnist() {}

    /**
     * Loads the training (60,000) or test (10,000) split.
     *
     * <p>Images become FLOAT32 {@code [N, 1, rows, cols]} ({@code [N, 1, 28, 28]} for MNIST): each
     * byte {@code p} is scaled to {@code p / 255} and then normalised to
     * {@code (p / 255 - 0.1307) / 0.3081} with MNIST's mean and standard deviation
     * ({@code transforms.Normalize((0.1307,), (0.3081,))} in PyTorch). Labels are INT64 {@code [N]}.
     *
     * @param dir   the directory with the IDX files
     * @param train the training split ({@code train-*}) or the test split ({@code t10k-*})
     * @throws FileNotFoundException when the directory or one of the two files is missing (the message names the path)
     * @throws IOException           when a file is not valid IDX, or the image and label counts differ
     */
    public static TensorDataset load(Path dir, boolean train) throws IOException {
        if (!Files.isDirectory(dir)) throw new FileNotFoundException("MNIST directory not found: " + dir);
        String prefix = train ? "train" : "t10k";
        Path imagesFile = find(dir, prefix + "-images-idx3-ubyte");
        Path labelsFile = find(dir, prefix + "-labels-idx1-ubyte");
        Idx.Images images = Idx.readImages(imagesFile);
        int[] labels = Idx.readLabels(labelsFile);
        if (images.count() != labels.length)
            throw new IOException("MNIST: %s holds %d images but %s holds %d labels".formatted(imagesFile, images.count(), labelsFile, labels.length));
        return fromBytes(images.pixels(), labels, images.rows(), images.cols());
    }

    /** The file {@code name} in dir, or {@code name.gz}; plain wins when both exist. */
    private static Path find(Path dir, String name) throws FileNotFoundException {
        Path plain = dir.resolve(name), gz = dir.resolve(name + ".gz");
        if (Files.isRegularFile(plain)) return plain;
        if (Files.isRegularFile(gz)) return gz;
        throw new FileNotFoundException("MNIST file not found: " + plain + " (nor " + gz + ")");
    }

    /** Bytes 0..255 to normalised floats, as {@link #load} documents. */
    static TensorDataset fromBytes(byte[] pixels, int[] labels, int rows, int cols) {
        float[] lut = new float[256];
        for (int p = 0; p < 256; p++) lut[p] = (p / 255f - MEAN) / STD;
        float[] x = new float[pixels.length];
        for (int i = 0; i < x.length; i++) x[i] = lut[pixels[i] & 0xFF];
        long[] y = new long[labels.length];
        for (int i = 0; i < y.length; i++) y[i] = labels[i];
        return new TensorDataset(x, y, new long[] {1, rows, cols});
    }
}
