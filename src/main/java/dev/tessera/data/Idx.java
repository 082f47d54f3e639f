package dev.tessera.data;

import java.io.BufferedInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;

/**
 * Reader for the IDX files MNIST is distributed in: a big-endian header
 * {@code 0x00 0x00 <type> <ndims>}, then {@code ndims} 32-bit sizes, then the data. Only unsigned
 * bytes (type {@code 0x08}) are read: images are {@code 0x00000803} (count, rows, cols), labels
 * {@code 0x00000801} (count). A file whose name ends in {@code .gz} is gunzipped on the fly.
 *
 * <p>The magic number, the sizes and the data length they imply are checked before the data is
 * read (for a plain file against its size on disk; for a gzipped one while reading, which must
 * end exactly where the header says). Failures are {@link IOException}s naming the file.
 */
public final class Idx {
    /** Magic number of an IDX file of unsigned bytes with 3 dimensions (images). */
    public static final int IMAGES_MAGIC = 0x00000803;
    /** Magic number of an IDX file of unsigned bytes with 1 dimension (labels). */
    public static final int LABELS_MAGIC = 0x00000801;

    private Idx() {}

    /** Images as stored: {@code count} images of {@code rows x cols} unsigned bytes, row-major. */
    public record Images(int count, int rows, int cols, byte[] pixels) {
        /** Pixel {@code (r, c)} of image {@code i}, 0..255. */
        public int pixel(int i, int r, int c) { return pixels[(i * rows + r) * cols + c] & 0xFF; }
    }

    /** Reads an IDX image file ({@code 0x00000803}, sizes count, rows, cols). */
    public static Images readImages(Path file) throws IOException {
        try (InputStream in = open(file)) {
            int[] dims = header(file, in, IMAGES_MAGIC, 3, "image");
            return new Images(dims[0], dims[1], dims[2], data(file, in, (long) dims[0] * dims[1] * dims[2]));
        }
    }

    /** Reads an IDX label file ({@code 0x00000801}); each label is an unsigned byte, 0..255. */
    public static int[] readLabels(Path file) throws IOException {
        try (InputStream in = open(file)) {
            int count = header(file, in, LABELS_MAGIC, 1, "label")[0];
            byte[] bytes = data(file, in, count);
            int[] labels = new int[count];
            for (int i = 0; i < count; i++) labels[i] = bytes[i] & 0xFF;
            return labels;
        }
    }

    private static InputStream open(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new FileNotFoundException("IDX file not found: " + file);
        InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        return gzipped(file) ? new GZIPInputStream(raw, 1 << 16) : raw;
    }

    private static boolean gzipped(Path file) { return file.getFileName().toString().endsWith(".gz"); }

    /** Reads and checks magic and sizes, and (for a plain file) that the file length matches them. */
    private static int[] header(Path file, InputStream in, int magic, int ndims, String what) throws IOException {
        byte[] head = readFully(file, in, 4 + 4 * ndims, "the IDX header");
        int found = readInt(head, 0);
        if (found != magic)
            throw new IOException("%s: not an IDX %s file: magic number 0x%08X, expected 0x%08X".formatted(file, what, found, magic));
        int[] dims = new int[ndims];
        long dataBytes = 1;
        for (int d = 0; d < ndims; d++) {
            dims[d] = readInt(head, 4 + 4 * d);
            if (dims[d] < 0 || (d > 0 && dims[d] == 0))
                throw new IOException("%s: invalid IDX size %d in dimension %d".formatted(file, dims[d], d));
            dataBytes *= dims[d];
        }
        if (dataBytes > Integer.MAX_VALUE - 16)
            throw new IOException("%s: IDX sizes %s are too large (%d bytes)".formatted(file, Arrays.toString(dims), dataBytes));
        if (!gzipped(file)) {
            long actual = Files.size(file) - head.length;
            if (actual != dataBytes)
                throw new IOException("%s: IDX sizes %s need %d data bytes but the file has %d (truncated or corrupt)"
                        .formatted(file, Arrays.toString(dims), dataBytes, actual));
        }
        return dims;
    }

    /** Reads exactly {@code n} data bytes, which must end the stream. */
    private static byte[] data(Path file, InputStream in, long n) throws IOException {
        byte[] bytes = readFully(file, in, (int) n, "the " + n + " data bytes the IDX header promises");
        if (in.read() != -1) throw new IOException(file + ": trailing bytes after the " + n + " data bytes the IDX header promises");
        return bytes;
    }

    private static byte[] readFully(Path file, InputStream in, int n, String what) throws IOException {
        byte[] b;
        try {
            b = in.readNBytes(n);
        } catch (java.util.zip.ZipException | java.io.EOFException e) {
            throw new IOException(file + ": corrupt or truncated gzip data (" + e.getMessage() + ")", e);
        }
        if (b.length != n) throw new IOException("%s: truncated: ended after %d of %s".formatted(file, b.length, what));
        return b;
    }

    private static int readInt(byte[] b, int at) {
        return (b[at] & 0xFF) << 24 | (b[at + 1] & 0xFF) << 16 | (b[at + 2] & 0xFF) << 8 | (b[at + 3] & 0xFF);
    }
}
