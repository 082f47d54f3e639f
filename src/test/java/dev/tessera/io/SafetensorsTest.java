package dev.tessera.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tessera.DType;
import dev.tessera.Device;
import dev.tessera.Size;
import dev.tessera.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
    @TempDir Path dir;

    /*
     * The exact bytes that the reference implementation (Python package safetensors 0.8.0, Rust core)
     * writes for REFERENCE_TENSORS below, produced with:
     *
     *   from safetensors.numpy import save
     *   import numpy as np
     *   b = save({'w': np.array([[1,-2],[0.5,3]], dtype=np.float32), 'b': np.array(3.25),
     *             'n': np.array([1,-1,2**40], dtype=np.int64), 'm': np.array([True,False]),
     *             'e': np.zeros((0,3), dtype=np.float32)}, metadata={'format':'pt'})
     *   print(b.hex())
     *
     * Header (312 bytes incl. two spaces of padding):
     * {"__metadata__":{"format":"pt"},"n":{"dtype":"I64","shape":[3],"data_offsets":[0,24]},
     *  "b":{"dtype":"F64","shape":[],"data_offsets":[24,32]},"e":{"dtype":"F32","shape":[0,3],"data_offsets":[32,32]},
     *  "w":{"dtype":"F32","shape":[2,2],"data_offsets":[32,48]},"m":{"dtype":"BOOL","shape":[2],"data_offsets":[48,50]}}
     */
    private static final String REFERENCE_HEX = ""
            + "38010000000000007b225f5f6d657461646174615f5f223a7b22666f726d6174223a227074227d2c226e223a7b226474"
            + "797065223a22493634222c227368617065223a5b335d2c22646174615f6f666673657473223a5b302c32345d7d2c2262"
            + "223a7b226474797065223a22463634222c227368617065223a5b5d2c22646174615f6f666673657473223a5b32342c33"
            + "325d7d2c2265223a7b226474797065223a22463332222c227368617065223a5b302c335d2c22646174615f6f66667365"
            + "7473223a5b33322c33325d7d2c2277223a7b226474797065223a22463332222c227368617065223a5b322c325d2c2264"
            + "6174615f6f666673657473223a5b33322c34385d7d2c226d223a7b226474797065223a22424f4f4c222c227368617065"
            + "223a5b325d2c22646174615f6f666673657473223a5b34382c35305d7d7d20200100000000000000ffffffffffffffff"
            + "00000000000100000000000000000a400000803f000000c00000003f000040400100";

    private static Map<String, Tensor> referenceTensors() {
        Map<String, Tensor> m = new LinkedHashMap<>(); // deliberately not in layout order
        m.put("w", Tensor.of(new float[] {1, -2, 0.5f, 3}, 2, 2));
        m.put("b", Tensor.full(3.25, new long[0], DType.FLOAT64, Device.CPU));
        m.put("n", Tensor.of(new long[] {1, -1, 1L << 40}, 3));
        m.put("m", Tensor.of(new boolean[] {true, false}, 2));
        m.put("e", Tensor.zeros(new long[] {0, 3}, DType.FLOAT32, Device.CPU));
        return m;
    }

    // ------------------------------------------------------------------ helpers

    /** Asserts same dtype, shape and bit-identical values. */
    private static void assertSameTensor(Tensor expected, Tensor actual, String name) {
        assertEquals(expected.dtype(), actual.dtype(), name + " dtype");
        assertEquals(expected.shape(), actual.shape(), name + " shape");
        assertEquals(Device.CPU, actual.device(), name + " device");
        switch (expected.dtype()) {
            case FLOAT32 -> {
                float[] e = expected.toFloatArray(), a = actual.toFloatArray();
                assertEquals(e.length, a.length, name);
                for (int i = 0; i < e.length; i++)
                    assertEquals(Float.floatToRawIntBits(e[i]), Float.floatToRawIntBits(a[i]), name + "[" + i + "]");
            }
            case FLOAT64 -> {
                double[] e = expected.toDoubleArray(), a = actual.toDoubleArray();
                assertEquals(e.length, a.length, name);
                for (int i = 0; i < e.length; i++)
                    assertEquals(Double.doubleToRawLongBits(e[i]), Double.doubleToRawLongBits(a[i]), name + "[" + i + "]");
            }
            case INT64 -> assertArrayEquals(expected.toLongArray(), actual.toLongArray(), name);
            case BOOL -> assertArrayEquals(expected.toBooleanArray(), actual.toBooleanArray(), name);
        }
    }

    private static void assertSameDict(Map<String, Tensor> expected, Map<String, Tensor> actual) {
        assertEquals(expected.keySet(), actual.keySet());
        for (String k : expected.keySet()) assertSameTensor(expected.get(k), actual.get(k), k);
    }

    /** A file made of the 8-byte length of {@code header} (unpadded), the header, then {@code data}. */
    private Path raw(String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        return write("raw.safetensors", b.array());
    }

    private Path write(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    /** Loading {@code p} fails with a SafetensorsException whose message names the file and contains {@code fragment}. */
    private static SafetensorsException assertLoadFails(Path p, String fragment) {
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> Safetensors.load(p));
        assertTrue(e.getMessage().contains(p.toString()), "message names the file: " + e.getMessage());
        assertTrue(e.getMessage().contains(fragment), "message '" + e.getMessage() + "' should contain '" + fragment + "'");
        return e;
    }

    private static byte[] f32(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) b.putFloat(x);
        return b.array();
    }

    private List<String> filesIn(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(x -> x.getFileName().toString()).sorted().toList();
        }
    }

    // ------------------------------------------------------------------ round trips

    @Test
    void roundTripsEveryDtypeBitExactly() throws IOException {
        Random rng = new Random(42);
        float[] f = new float[2 * 3 * 4];
        for (int i = 0; i < f.length; i++) f[i] = (float) rng.nextGaussian();
        f[0] = Float.NaN; f[1] = -0.0f; f[2] = Float.POSITIVE_INFINITY; f[3] = Float.MIN_VALUE;
        double[] d = new double[7];
        for (int i = 0; i < d.length; i++) d[i] = rng.nextGaussian();
        d[0] = Double.NEGATIVE_INFINITY; d[1] = Double.MAX_VALUE;
        Map<String, Tensor> sd = new LinkedHashMap<>();
        sd.put("layer.weight", Tensor.of(f, 2, 3, 4));
        sd.put("layer.bias", Tensor.of(d, 7));
        sd.put("bn.num_batches_tracked", Tensor.of(new long[] {Long.MIN_VALUE, -1, 0, Long.MAX_VALUE}, 2, 2));
        sd.put("mask", Tensor.of(new boolean[] {true, false, true}, 3));
        Path p = dir.resolve("model.safetensors");
        Safetensors.save(sd, p);
        assertSameDict(sd, Safetensors.load(p));
    }

    @Test
    void roundTripsZeroDimAndEmptyTensors() throws IOException {
        Map<String, Tensor> sd = new LinkedHashMap<>();
        sd.put("scalar", Tensor.scalar(2.5));
        sd.put("count", Tensor.full(7, new long[0], DType.INT64, Device.CPU));
        sd.put("d0", Tensor.full(-1.25, new long[0], DType.FLOAT64, Device.CPU));
        sd.put("empty", Tensor.zeros(new long[] {0}, DType.FLOAT32, Device.CPU));
        sd.put("empty3", Tensor.zeros(new long[] {2, 0, 3}, DType.INT64, Device.CPU));
        sd.put("emptyD", Tensor.zeros(new long[] {0, 5}, DType.FLOAT64, Device.CPU));
        Path p = dir.resolve("small.safetensors");
        Safetensors.save(sd, p);
        Map<String, Tensor> back = Safetensors.load(p);
        assertSameDict(sd, back);
        assertEquals(0, back.get("scalar").dim());
        assertEquals(Size.of(2, 0, 3), back.get("empty3").shape());
    }

    @Test
    void roundTripsEmptyStateDict() throws IOException {
        Path p = dir.resolve("nothing.safetensors");
        Safetensors.save(Map.of(), p);
        // "{}" padded to 8 bytes, no data
        assertArrayEquals(HexFormat.of().parseHex("0800000000000000" + "7b7d202020202020"), Files.readAllBytes(p));
        assertTrue(Safetensors.load(p).isEmpty());
    }

    @Test
    void savesNonContiguousTensorsInRowMajorOrder() throws IOException {
        Tensor base = Tensor.of(new float[] {0, 1, 2, 3, 4, 5}, 2, 3);
        Tensor t = base.t(); // [3,2]: [[0,3],[1,4],[2,5]]
        Tensor strided = Tensor.of(new long[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 10).slice(0, 1, 10, 3); // [1,4,7]
        Tensor col = Tensor.of(new double[] {0, 1, 2, 3, 4, 5}, 2, 3).select(1, 1); // [1,4]
        assertFalse(t.isContiguous());
        assertFalse(strided.isContiguous());
        Map<String, Tensor> sd = new LinkedHashMap<>(Map.of("t", t, "s", strided, "c", col));
        Path p = dir.resolve("views.safetensors");
        Safetensors.save(sd, p);
        Map<String, Tensor> back = Safetensors.load(p);
        assertEquals(Size.of(3, 2), back.get("t").shape());
        assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, back.get("t").toFloatArray());
        assertArrayEquals(new long[] {1, 4, 7}, back.get("s").toLongArray());
        assertArrayEquals(new double[] {1, 4}, back.get("c").toDoubleArray());
    }

    @Test
    void savesTensorsThatRequireGrad() throws IOException {
        Tensor w = Tensor.of(new float[] {1, 2}, 2).requiresGrad(true);
        Path p = dir.resolve("grad.safetensors");
        Safetensors.save(Map.of("w", w), p);
        Tensor back = Safetensors.load(p).get("w");
        assertArrayEquals(new float[] {1, 2}, back.toFloatArray());
        assertFalse(back.requiresGrad());
    }

    // ------------------------------------------------------------------ the format, byte for byte

    @Test
    void writesExactlyTheReferenceImplementationsBytes() throws IOException {
        Path p = dir.resolve("ours.safetensors");
        Safetensors.save(referenceTensors(), p, Map.of("format", "pt"));
        assertEquals(REFERENCE_HEX, HexFormat.of().formatHex(Files.readAllBytes(p)));
    }

    @Test
    void readsTheReferenceImplementationsFile() throws IOException {
        Path p = write("ref.safetensors", HexFormat.of().parseHex(REFERENCE_HEX));
        Map<String, Tensor> back = Safetensors.load(p);
        assertSameDict(referenceTensors(), back);
        // file (data offset) order: n, b, e, w, m
        assertEquals(List.of("n", "b", "e", "w", "m"), new ArrayList<>(back.keySet()));
        assertEquals(Map.of("format", "pt"), Safetensors.loadMetadata(p));
    }

    @Test
    void headerIsPaddedToAMultipleOfEightAndLayoutIsWidestDtypeThenName() throws IOException {
        Map<String, Tensor> sd = new LinkedHashMap<>();
        sd.put("z", Tensor.of(new boolean[] {true}, 1));
        sd.put("y", Tensor.of(new float[] {1}, 1));
        sd.put("x", Tensor.of(new double[] {1}, 1));
        sd.put("b", Tensor.of(new long[] {1}, 1));
        sd.put("a", Tensor.of(new float[] {2}, 1));
        Path p = dir.resolve("order.safetensors");
        Safetensors.save(sd, p);
        byte[] bytes = Files.readAllBytes(p);
        long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, n % 8);
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        assertEquals("{\"b\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]},"
                + "\"x\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[8,16]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[16,20]},"
                + "\"y\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[20,24]},"
                + "\"z\":{\"dtype\":\"BOOL\",\"shape\":[1],\"data_offsets\":[24,25]}}", header.stripTrailing());
        assertEquals(8 + n + 25, bytes.length);
        assertEquals(List.of("b", "x", "a", "y", "z"), new ArrayList<>(Safetensors.load(p).keySet()));
    }

    @Test
    void loadOrdersByDataOffsetsNotHeaderOrder() throws IOException {
        Path p = raw("{\"second\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]},"
                + "\"first\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"extra\":{\"dtype\":\"F32\",\"shape\":[0],"
                + "\"data_offsets\":[8,8],\"ignored_field\":[1,{\"x\":2}]}}", f32(1, 2));
        Map<String, Tensor> m = Safetensors.load(p);
        assertEquals(List.of("first", "second", "extra"), new ArrayList<>(m.keySet()));
        assertArrayEquals(new float[] {1}, m.get("first").toFloatArray());
        assertArrayEquals(new float[] {2}, m.get("second").toFloatArray());
    }

    @Test
    void metadataRoundTripsAndIsEmptyWhenAbsent() throws IOException {
        Path p = dir.resolve("meta.safetensors");
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("note", "ünïcödé \"quoted\"\n");
        Safetensors.save(Map.of("a", Tensor.ones(2)), p, meta);
        assertEquals(meta, Safetensors.loadMetadata(p));
        Safetensors.save(Map.of("a", Tensor.ones(2)), p);
        assertTrue(Safetensors.loadMetadata(p).isEmpty());
        assertEquals(Size.of(2), Safetensors.load(p).get("a").shape());
    }

    @Test
    void rejectsReservedAndNullNamesOnSave() {
        Path p = dir.resolve("x.safetensors");
        assertThrows(IllegalArgumentException.class, () -> Safetensors.save(Map.of("__metadata__", Tensor.ones(1)), p));
        Map<String, Tensor> withNull = new LinkedHashMap<>();
        withNull.put("a", null);
        assertThrows(IllegalArgumentException.class, () -> Safetensors.save(withNull, p));
        assertFalse(Files.exists(p));
    }

    // ------------------------------------------------------------------ corrupt and truncated files

    @Test
    void truncatedInsideTheLengthField() throws IOException {
        byte[] full = HexFormat.of().parseHex(REFERENCE_HEX);
        assertLoadFails(write("t.safetensors", java.util.Arrays.copyOf(full, 5)), "too short for the 8-byte header length");
        assertLoadFails(write("empty.safetensors", new byte[0]), "truncated");
    }

    @Test
    void truncatedInsideTheHeader() throws IOException {
        byte[] full = HexFormat.of().parseHex(REFERENCE_HEX);
        assertLoadFails(write("t.safetensors", java.util.Arrays.copyOf(full, 8 + 100)), "truncated: header length 312");
    }

    @Test
    void truncatedInsideTheData() throws IOException {
        byte[] full = HexFormat.of().parseHex(REFERENCE_HEX);
        assertLoadFails(write("t.safetensors", java.util.Arrays.copyOf(full, full.length - 1)), "out of range");
    }

    @Test
    void everyTruncationThrowsAClearException() throws IOException {
        byte[] full = HexFormat.of().parseHex(REFERENCE_HEX);
        Path p = write("t.safetensors", full);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            for (int len = full.length - 1; len >= 0; len--) {
                ch.truncate(len);
                assertThrows(SafetensorsException.class, () -> Safetensors.load(p), "prefix of " + len + " bytes");
            }
        }
    }

    @Test
    void corruptedBytesLoadOrThrowSafetensorsExceptionOnly() throws IOException {
        byte[] full = HexFormat.of().parseHex(REFERENCE_HEX);
        byte[] replacements = {0, (byte) 0xff, '9', '"', '}', '-'};
        Path p = write("c.safetensors", full);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            for (int pos = 0; pos < full.length; pos++) {
                for (byte r : replacements) {
                    ch.write(ByteBuffer.wrap(new byte[] {r}), pos);
                    try {
                        Safetensors.load(p);
                    } catch (SafetensorsException expected) {
                        // fine: a clear, checked failure
                    } catch (RuntimeException | Error e) {
                        fail("byte " + pos + " set to " + r + ": " + e);
                    }
                }
                ch.write(ByteBuffer.wrap(full, pos, 1), pos);
            }
        }
    }

    @Test
    void hugeHeaderLengthIsRejectedBeforeAllocating() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(1L << 62).put("{}".getBytes(StandardCharsets.US_ASCII));
        assertLoadFails(write("huge.safetensors", b.array()), "exceeds the limit of 100000000 bytes");
        b.putLong(0, -1L); // 2^64 - 1 as unsigned
        assertLoadFails(write("huge2.safetensors", b.array()), "18446744073709551615 exceeds the limit");
        b.putLong(0, 1000); // under the limit but past the end of the file
        assertLoadFails(write("huge3.safetensors", b.array()), "truncated: header length 1000 but only 56 bytes follow");
    }

    @Test
    void malformedJsonIsRejected() throws IOException {
        assertLoadFails(raw("{\"a\":{\"dtype\":\"F32\",", new byte[0]), "malformed JSON header");
        assertLoadFails(raw("{a:{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}", new byte[0]), "malformed JSON header");
        assertLoadFails(raw("{'a':{}}", new byte[0]), "malformed JSON header");
        assertLoadFails(raw("{} {}", new byte[0]), "JSON header");
        assertLoadFails(raw("[1, 2]   ", new byte[0]), "does not start with '{'");
        assertLoadFails(raw("{\"a\":7}", new byte[0]), "entry must be an object");
        assertLoadFails(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", f32(1)), "missing \"data_offsets\"");
        assertLoadFails(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.0],\"data_offsets\":[0,4]}}", f32(1)), "non-negative integers");
        assertLoadFails(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", f32(1)), "non-negative integers");
        assertLoadFails(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[\"1\"],\"data_offsets\":[0,4]}}", f32(1)), "non-negative integers");
        assertLoadFails(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", f32(1)), "[begin, end]");
        assertLoadFails(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,99999999999999999999]}}", f32(1)),
                "fit in 64 bits");
        assertLoadFails(raw("{\"__metadata__\":{\"k\":1},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", f32(1)),
                "must be a string");
        byte[] badUtf8 = {'{', '"', (byte) 0xc3, (byte) 0x28, '"', ':', '1', '}'};
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(8).put(badUtf8);
        assertLoadFails(write("utf8.safetensors", b.array()), "not valid UTF-8");
    }

    @Test
    void duplicateKeysAreRejected() throws IOException {
        assertLoadFails(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", f32(1, 2)), "duplicate key \"a\"");
        assertLoadFails(raw("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,4]}}", f32(1)),
                "duplicate field \"dtype\"");
    }

    @Test
    void overlappingOffsetsAreRejected() throws IOException {
        assertLoadFails(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", f32(1, 2, 3)), "overlap tensor \"a\"");
        // two tensors sharing the same bytes
        assertLoadFails(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", f32(1)), "overlap");
    }

    @Test
    void holesAndTrailingBytesAreRejected() throws IOException {
        assertLoadFails(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", f32(1, 2, 3)), "hole of 4 bytes");
        assertLoadFails(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", f32(1, 2)), "4 trailing bytes");
    }

    @Test
    void offsetsOutOfRangeAreRejected() throws IOException {
        assertLoadFails(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", f32(1)), "out of range");
        assertLoadFails(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,4]}}", f32(1, 2)), "end before they begin");
        assertLoadFails(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[9223372036854775800,9223372036854775804]}}",
                f32(1)), "out of range");
    }

    @Test
    void sizeShapeMismatchIsRejected() throws IOException {
        assertLoadFails(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", f32(1, 2)),
                "need 12 bytes but data_offsets [0, 8] span 8");
        assertLoadFails(raw("{\"a\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,4]}}", f32(1)), "need 8 bytes");
        // numel overflows 64 bits: must not wrap around to a "matching" size
        assertLoadFails(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4],\"data_offsets\":[0,0]}}", new byte[0]),
                "overflows 64 bits");
        assertLoadFails(raw("{\"a\":{\"dtype\":\"I64\",\"shape\":[2305843009213693952],\"data_offsets\":[0,0]}}", new byte[0]),
                "overflows 64 bits");
    }

    @Test
    void unknownAndUnsupportedDtypesAreRejected() throws IOException {
        assertLoadFails(raw("{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", f32(1)), "unsupported dtype \"F16\"");
        assertLoadFails(raw("{\"a\":{\"dtype\":\"Q9\",\"shape\":[1],\"data_offsets\":[0,4]}}", f32(1)), "unknown dtype \"Q9\"");
    }

    @Test
    void boolBytesOtherThanZeroOrOneAreRejected() throws IOException {
        assertLoadFails(raw("{\"m\":{\"dtype\":\"BOOL\",\"shape\":[2],\"data_offsets\":[0,2]}}", new byte[] {1, 2}), "not 0 or 1");
    }

    @Test
    void missingFileAndDirectoryAreClearErrors() throws IOException {
        assertLoadFails(dir.resolve("absent.safetensors"), "no such file");
        assertLoadFails(dir, "not a regular file");
    }

    // ------------------------------------------------------------------ atomic save

    @Test
    void saveIntoAMissingDirectoryThrowsAndLeavesNothing() throws IOException {
        Path missing = dir.resolve("no").resolve("such").resolve("m.safetensors");
        IOException e = assertThrows(IOException.class, () -> Safetensors.save(Map.of("a", Tensor.ones(2)), missing));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
        assertFalse(Files.exists(dir.resolve("no")));
        assertEquals(List.of(), filesIn(dir));
    }

    @Test
    void saveOverAnExistingFileReplacesItAndLeavesNoTempFiles() throws IOException {
        Path p = dir.resolve("m.safetensors");
        Files.writeString(p, "old contents");
        Safetensors.save(Map.of("a", Tensor.of(new float[] {4, 5}, 2)), p);
        assertEquals(List.of("m.safetensors"), filesIn(dir));
        assertArrayEquals(new float[] {4, 5}, Safetensors.load(p).get("a").toFloatArray());
        Safetensors.save(Map.of("b", Tensor.of(new long[] {6}, 1)), p);
        assertEquals(List.of("m.safetensors"), filesIn(dir));
        assertEquals(List.of("b"), new ArrayList<>(Safetensors.load(p).keySet()));
    }

    @Test
    void saveOntoADirectoryIsRejected() throws IOException {
        Path sub = Files.createDirectory(dir.resolve("sub.safetensors"));
        IOException e = assertThrows(IOException.class, () -> Safetensors.save(Map.of("a", Tensor.ones(1)), sub));
        assertTrue(e.getMessage().contains(sub.toString()), e.getMessage());
        assertTrue(Files.isDirectory(sub));
    }

    /** A tensor whose host copy fails, to make the save fail after part of the file was written. */
    private static final class FailingTensor extends Tensor {
        FailingTensor(Tensor data) { super(data); }
        @Override public float[] toFloatArray() { throw new IllegalStateException("simulated device failure"); }
    }

    @Test
    void aFailureMidWriteLeavesTheExistingFileUntouchedAndNoTempFile() throws IOException {
        Path p = dir.resolve("m.safetensors");
        Safetensors.save(Map.of("keep", Tensor.of(new float[] {1, 2, 3}, 3)), p);
        byte[] before = Files.readAllBytes(p);
        Map<String, Tensor> sd = new LinkedHashMap<>();
        sd.put("a", Tensor.of(new long[] {1, 2}, 2));               // written first (I64)
        sd.put("z", new FailingTensor(Tensor.of(new float[] {1}, 1))); // fails while writing data
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Safetensors.save(sd, p));
        assertEquals("simulated device failure", e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(p));
        assertEquals(List.of("m.safetensors"), filesIn(dir));
    }
}
