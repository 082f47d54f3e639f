package dev.tessera.data;

import static dev.tessera.TestUtil.assertThrowsWith;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessera.DType;
import dev.tessera.Size;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MnistTest {
    @TempDir Path dir;

    private static byte[] idx(int magic, int[] dims, byte[] data) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);   // big-endian, as IDX
        out.writeInt(magic);
        for (int d : dims) out.writeInt(d);
        out.write(data);
        return bytes.toByteArray();
    }

    private void write(String name, byte[] content, boolean gzip) throws IOException {
        if (!gzip) {
            Files.write(dir.resolve(name), content);
            return;
        }
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(dir.resolve(name + ".gz")))) {
            out.write(content);
        }
    }

    /** Writes a small split (n images of 28x28, labels i % 10) and returns the pixels. */
    private byte[] writeSplit(String prefix, int n, boolean gzip, long seed) throws IOException {
        byte[] pixels = new byte[n * 28 * 28];
        new Random(seed).nextBytes(pixels);
        pixels[0] = 0;
        pixels[1] = (byte) 255;
        byte[] labels = new byte[n];
        for (int i = 0; i < n; i++) labels[i] = (byte) (i % 10);
        write(prefix + "-images-idx3-ubyte", idx(Idx.IMAGES_MAGIC, new int[] {n, 28, 28}, pixels), gzip);
        write(prefix + "-labels-idx1-ubyte", idx(Idx.LABELS_MAGIC, new int[] {n}, labels), gzip);
        return pixels;
    }

    private static void assertLoaded(TensorDataset d, byte[] pixels, int n) {
        assertEquals(n, d.size());
        assertEquals(Size.of(n, 1, 28, 28), d.inputs().shape());
        assertEquals(DType.FLOAT32, d.inputs().dtype());
        assertEquals(DType.INT64, d.labels().dtype());
        float[] x = d.inputs().toFloatArray();
        for (int k = 0; k < pixels.length; k++) {
            double expected = ((pixels[k] & 0xFF) / 255.0 - 0.1307) / 0.3081;
            assertEquals(expected, x[k], 1e-5, "pixel " + k);   // float32 arithmetic on values up to ~2.8
        }
        assertEquals(-0.1307 / 0.3081, x[0], 1e-6);
        assertEquals((1 - 0.1307) / 0.3081, x[1], 1e-6);
        long[] expectedLabels = new long[n];
        for (int i = 0; i < n; i++) expectedLabels[i] = i % 10;
        assertArrayEquals(expectedLabels, d.labels().toLongArray());
    }

    @Test void readsPlainFiles() throws IOException {
        byte[] train = writeSplit("train", 12, false, 1), test = writeSplit("t10k", 5, false, 2);
        assertLoaded(Mnist.load(dir, true), train, 12);
        assertLoaded(Mnist.load(dir, false), test, 5);
    }

    @Test void readsGzippedFiles() throws IOException {
        byte[] train = writeSplit("train", 9, true, 3);
        assertLoaded(Mnist.load(dir, true), train, 9);
    }

    @Test void idxReaderKeepsDimensions() throws IOException {
        byte[] data = new byte[2 * 3 * 4];
        for (int i = 0; i < data.length; i++) data[i] = (byte) (i * 10);
        write("small", idx(Idx.IMAGES_MAGIC, new int[] {2, 3, 4}, data), false);
        Idx.Images images = Idx.readImages(dir.resolve("small"));
        assertEquals(2, images.count());
        assertEquals(3, images.rows());
        assertEquals(4, images.cols());
        assertEquals(230, images.pixel(1, 2, 3));   // the last byte, (1*12 + 2*4 + 3) * 10
        assertArrayEquals(data, images.pixels());
    }

    @Test void badMagicIsRejected() throws IOException {
        writeSplit("train", 3, false, 4);
        byte[] labels = idx(Idx.IMAGES_MAGIC, new int[] {3}, new byte[3]);   // image magic on a label file
        write("train-labels-idx1-ubyte", labels, false);
        assertThrowsWith(IOException.class, "magic number 0x00000803, expected 0x00000801", () -> Mnist.load(dir, true));
        assertThrowsWith(IOException.class, "train-labels-idx1-ubyte", () -> Mnist.load(dir, true));
    }

    @Test void truncatedFileIsRejected() throws IOException {
        byte[] pixels = new byte[4 * 28 * 28];
        byte[] full = idx(Idx.IMAGES_MAGIC, new int[] {4, 28, 28}, pixels);
        byte[] cut = Arrays.copyOf(full, full.length - 100);
        write("plain-images", cut, false);
        assertThrowsWith(IOException.class, "truncated", () -> Idx.readImages(dir.resolve("plain-images")));
        write("gz-images", cut, true);
        assertThrowsWith(IOException.class, "truncated", () -> Idx.readImages(dir.resolve("gz-images.gz")));
        write("whole", full, true);
        byte[] gz = Files.readAllBytes(dir.resolve("whole.gz"));
        Files.write(dir.resolve("cut.gz"), Arrays.copyOf(gz, gz.length / 2));   // the gzip stream itself cut short
        assertThrowsWith(IOException.class, "truncated", () -> Idx.readImages(dir.resolve("cut.gz")));
        write("tiny", new byte[] {0, 0, 8}, false);
        assertThrowsWith(IOException.class, "tiny", () -> Idx.readLabels(dir.resolve("tiny")));
        write("long-labels", Arrays.copyOf(idx(Idx.LABELS_MAGIC, new int[] {3}, new byte[3]), 20), false);
        assertThrowsWith(IOException.class, "need 3 data bytes but the file has 12", () -> Idx.readLabels(dir.resolve("long-labels")));
    }

    @Test void countMismatchIsRejected() throws IOException {
        writeSplit("train", 6, false, 5);
        write("train-labels-idx1-ubyte", idx(Idx.LABELS_MAGIC, new int[] {5}, new byte[5]), false);
        assertThrowsWith(IOException.class, "6 images but", () -> Mnist.load(dir, true));
    }

    @Test void missingDirectoryOrFileNamesThePath() throws IOException {
        Path missing = dir.resolve("no-such-dir");
        assertThrowsWith(FileNotFoundException.class, missing.toString(), () -> Mnist.load(missing, true));
        writeSplit("train", 2, false, 6);
        assertThrowsWith(FileNotFoundException.class, dir.resolve("t10k-images-idx3-ubyte").toString(), () -> Mnist.load(dir, false));
        Files.delete(dir.resolve("train-labels-idx1-ubyte"));
        assertThrowsWith(FileNotFoundException.class, dir.resolve("train-labels-idx1-ubyte").toString(), () -> Mnist.load(dir, true));
    }
}
