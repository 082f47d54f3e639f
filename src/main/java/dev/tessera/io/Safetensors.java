package dev.tessera.io;

import dev.tessera.DType;
import dev.tessera.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Reads and writes state dicts in the <a href="https://github.com/huggingface/safetensors">safetensors</a>
 * format, the one {@code safetensors.torch.save_file}/{@code load_file} use, so files move both ways
 * between Tessera and PyTorch/Hugging Face tooling. Never Java serialization.
 *
 * <p>Layout: an 8-byte little-endian unsigned header length {@code N}; {@code N} bytes of UTF-8 JSON, an
 * object keyed by tensor name, each {@code {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}}
 * with offsets relative to the byte buffer that follows the header, plus an optional {@code "__metadata__"}
 * object of string to string; then the byte buffer: each tensor's elements in row-major (C) order,
 * little-endian, tensors packed back to back.
 *
 * <p>Supported dtypes: {@code F32} ({@link DType#FLOAT32}), {@code F64} ({@link DType#FLOAT64}),
 * {@code I64} ({@link DType#INT64}) and {@code BOOL} ({@link DType#BOOL}, one byte 0 or 1 per element).
 * A file holding any other dtype (F16, BF16, I32, ...) is rejected with an "unsupported dtype" error;
 * Tessera does not convert silently.
 *
 * <p><b>Writing</b> produces byte-for-byte what the reference implementation (safetensors 0.8, Rust core
 * behind the Python package) writes for the same tensors and metadata: tensors laid out sorted by dtype
 * (I64, F64, F32, BOOL: widest first, so every tensor is aligned to its element size) and then by name,
 * header keys in that same order with {@code __metadata__} first when given, compact JSON, and the header
 * padded with spaces so that the data starts at an offset that is a multiple of 8. (Readers accept any
 * order; this one is chosen for identical output and alignment.) Tensors on any device are copied to the
 * host; non-contiguous tensors (views, transposes) are written in row-major order of their logical shape.
 * Saving is atomic: the file is written to a temporary file in the target's directory, flushed to disk
 * ({@code fsync}), then renamed over the target with {@link StandardCopyOption#ATOMIC_MOVE}; on any
 * failure the temporary file ({@code .<name>.tessera-<pid>-<random>.tmp}, next to the target) is deleted
 * and an existing target is left untouched. (A target that is a symbolic link is replaced by the new
 * file, not written through.) A killed JVM can leave its temporary file behind; so the writer holds an
 * exclusive file lock on its temporary file for the whole save, and every save first deletes the
 * temporary files of the same target that nobody holds locked (the OS drops a dead process's locks), as
 * well as those of the older {@code .<name>.<random>.tmp} form. Temporary files of saves running now, in
 * this or another process, are left alone, so at most one stale temporary file per target can exist at
 * a time. (The locks are advisory OS file locks, reliable on local file systems; where a file system
 * does not support locking, stale files are left in place rather than risk deleting a live one.)
 *
 * <p><b>Reading</b> validates the whole header before reading any tensor data: the header length is at
 * most {@value #MAX_HEADER_BYTES} bytes (the reference limit) and fits in the file; the header is valid
 * UTF-8, strict JSON, an object, with no duplicate keys; every entry has a supported dtype, a shape of
 * non-negative integers, and {@code data_offsets [begin, end]} with {@code 0 <= begin <= end <= data
 * length} and {@code end - begin == numel * itemsize} (overflow-checked); the tensors, ordered by offset,
 * cover the data buffer exactly, with no overlap, no hole and no trailing bytes (as the reference
 * requires). Unknown fields inside a tensor entry are ignored, as the reference does. Memory used is
 * bounded by the file size, so a lying header cannot cause an {@link OutOfMemoryError}; any problem
 * throws a {@link SafetensorsException} (an {@link IOException}) naming the file and the problem, and
 * nothing is returned partially. Loaded tensors are on the CPU; move them with {@code to(device)} or
 * {@code Module.loadStateDict}.
 */
public final class Safetensors {
    /** The largest header accepted, in bytes: the limit the reference implementation enforces. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    private static final String METADATA_KEY = "__metadata__";
    /** I/O chunk size: a multiple of every element size. */
    private static final int CHUNK = 1 << 20;
    /** The largest Java array the JVMs allow. */
    private static final long MAX_ARRAY = Integer.MAX_VALUE - 8;
    private static final SecureRandom RANDOM = new SecureRandom();

    private Safetensors() {}

    // =================================================================== dtypes

    /** The safetensors dtype name of a Tessera dtype. */
    static String dtypeName(DType dtype) {
        return switch (dtype) {
            case FLOAT32 -> "F32";
            case FLOAT64 -> "F64";
            case INT64 -> "I64";
            case BOOL -> "BOOL";
        };
    }

    /** The Tessera dtype of a safetensors dtype name, or null when Tessera does not support it. */
    static DType dtypeOf(String name) {
        return switch (name) {
            case "F32" -> DType.FLOAT32;
            case "F64" -> DType.FLOAT64;
            case "I64" -> DType.INT64;
            case "BOOL" -> DType.BOOL;
            default -> null;
        };
    }

    /** Dtypes the format defines that Tessera cannot hold (for a clearer error message). */
    private static final Set<String> OTHER_FORMAT_DTYPES = Set.of("F4", "F6_E2M3", "F6_E3M2", "U8", "I8", "F8_E5M2",
            "F8_E4M3", "F8_E8M0", "I16", "U16", "F16", "BF16", "I32", "U32", "C64", "U64");

    /** The reference writer's layout rank: larger first (I64 > F64 > F32 > BOOL, its enum order). */
    private static int layoutRank(DType dtype) {
        return switch (dtype) {
            case INT64 -> 3;
            case FLOAT64 -> 2;
            case FLOAT32 -> 1;
            case BOOL -> 0;
        };
    }

    // =================================================================== save

    /** Saves {@code tensors} to {@code path} atomically, without metadata. See the class comment. */
    public static void save(Map<String, Tensor> tensors, Path path) throws IOException {
        save(tensors, path, null);
    }

    /**
     * Saves {@code tensors} to {@code path} atomically, with {@code metadata} as the header's
     * {@code __metadata__} object (omitted when null; written as {@code {}} when empty, as the reference
     * does). PyTorch's {@code save_file} conventionally passes {@code {"format": "pt"}}.
     *
     * @throws SafetensorsException (an IOException) naming the path when the file cannot be written, e.g.
     *     the directory does not exist or is not writable; the target is then untouched and no temporary
     *     file remains
     * @throws IllegalArgumentException for a null or reserved ({@code __metadata__}) name, or a null tensor
     */
    public static void save(Map<String, Tensor> tensors, Path path, Map<String, String> metadata) throws IOException {
        Objects.requireNonNull(tensors, "tensors");
        Objects.requireNonNull(path, "path");
        List<Map.Entry<String, Tensor>> order = new ArrayList<>(tensors.size());
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            if (e.getKey() == null) throw new IllegalArgumentException("Safetensors.save: null tensor name");
            if (e.getKey().equals(METADATA_KEY))
                throw new IllegalArgumentException("Safetensors.save: the tensor name \"" + METADATA_KEY + "\" is reserved");
            if (e.getValue() == null)
                throw new IllegalArgumentException("Safetensors.save: tensor \"" + e.getKey() + "\" is null");
            order.add(Map.entry(e.getKey(), e.getValue()));
        }
        if (metadata != null)
            for (Map.Entry<String, String> e : metadata.entrySet())
                if (e.getKey() == null || e.getValue() == null)
                    throw new IllegalArgumentException("Safetensors.save: null metadata key or value (" + e.getKey() + ")");
        order.sort(Comparator.<Map.Entry<String, Tensor>>comparingInt(e -> -layoutRank(e.getValue().dtype()))
                .thenComparing(Map.Entry::getKey, Safetensors::compareCodePoints));

        long[] begins = new long[order.size()];
        long[] ends = new long[order.size()];
        long offset = 0;
        for (int i = 0; i < order.size(); i++) {
            Tensor t = order.get(i).getValue();
            begins[i] = offset;
            offset = Math.addExact(offset, Math.multiplyExact(t.numel(), (long) t.dtype().byteSize()));
            ends[i] = offset;
        }
        byte[] header = headerBytes(order, begins, ends, metadata);

        Path target = path.toAbsolutePath();
        Path dir = target.getParent();
        if (dir == null) throw new SafetensorsException(path, "cannot write: the path has no parent directory");
        if (Files.isDirectory(target)) throw new SafetensorsException(path, "cannot write: the path is a directory");
        if (!Files.isDirectory(dir))
            throw new SafetensorsException(path, "cannot write: directory " + dir + " does not exist", new NoSuchFileException(dir.toString()));

        String base = target.getFileName().toString();
        removeStaleTemps(dir, base);
        Path tmp = null;
        boolean moved = false;
        FileChannel ch = null;
        try {
            // A fresh temp file, locked: a sweeper in another process that locked it between our create and
            // our lock deletes it, which we see as the file having gone; then try another name.
            for (int attempt = 0; ch == null; attempt++) {
                if (tmp != null) LIVE_TEMPS.remove(tmp);
                tmp = dir.resolve("." + base + ".tessera-" + PID + "-" + Long.toUnsignedString(RANDOM.nextLong(), 36) + ".tmp");
                LIVE_TEMPS.add(tmp);   // before the file exists: this JVM's sweepers must never open it (closing would drop our lock)
                FileChannel c = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                boolean usable;
                try {
                    usable = c.tryLock() != null;
                } catch (java.nio.channels.OverlappingFileLockException e) {
                    usable = false;
                } catch (IOException e) {
                    usable = true;   // a file system without locks: write unlocked (sweepers cannot lock it either)
                }
                if (usable && Files.exists(tmp, java.nio.file.LinkOption.NOFOLLOW_LINKS)) ch = c;
                else {
                    c.close();
                    if (attempt >= 4) throw new SafetensorsException(path, "cannot write: could not lock a temporary file next to it");
                }
            }
            long largest = 0;
            for (int i = 0; i < order.size(); i++) largest = Math.max(largest, ends[i] - begins[i]);
            ByteBuffer buf = chunkBuffer(largest);
            buf.putLong(header.length);
            buf.flip();
            writeFully(ch, buf);
            writeFully(ch, ByteBuffer.wrap(header));
            for (int i = 0; i < order.size(); i++)
                writeTensor(ch, buf, order.get(i).getKey(), order.get(i).getValue(), ends[i] - begins[i], path);
            long expected = 8L + header.length + offset;
            if (ch.position() != expected)
                throw new SafetensorsException(path, "internal error: wrote " + ch.position() + " bytes, expected " + expected);
            ch.force(true);
            try {
                // renamed while still open and locked, so no sweeper can take it between close and rename
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new SafetensorsException(path, "cannot replace the file atomically on this file system", e);
            }
            moved = true;
            syncDirectory(dir);
        } catch (SafetensorsException e) {
            throw e;
        } catch (IOException e) {
            throw new SafetensorsException(path, "cannot write: " + e, e);
        } finally {
            if (!moved && tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort: the original failure is what matters
                }
            }
            if (ch != null) {
                try {
                    ch.close();   // releases the lock
                } catch (IOException ignored) {
                    // the data was forced before the rename
                }
            }
            if (tmp != null) LIVE_TEMPS.remove(tmp);
        }
    }

    /** This JVM's process id, in temporary file names (for people; the lock is what counts). */
    private static final long PID = ProcessHandle.current().pid();

    /** Temporary files this JVM is writing: never opened by a sweeper here (closing any descriptor of a file drops this process's POSIX locks on it). */
    private static final Set<Path> LIVE_TEMPS = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * Deletes the temporary files of {@code base} in {@code dir} that no live save is writing: those this JVM
     * is not writing and on which an exclusive lock can be taken now (a killed writer's lock is gone).
     * Best effort: any I/O problem leaves the file where it is.
     */
    private static void removeStaleTemps(Path dir, String base) {
        java.util.regex.Pattern ours = java.util.regex.Pattern.compile(
                "\\." + java.util.regex.Pattern.quote(base) + "\\.(tessera-\\d+-[0-9a-z]+|[0-9a-z]{1,13})\\.tmp");
        try (java.nio.file.DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                if (!ours.matcher(f.getFileName().toString()).matches() || LIVE_TEMPS.contains(f)) continue;
                if (!Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)) continue;
                try (FileChannel c = FileChannel.open(f, StandardOpenOption.WRITE, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    java.nio.channels.FileLock lock = c.tryLock();
                    if (lock == null) continue;   // another process is writing it
                    try {
                        Files.deleteIfExists(f);
                    } finally {
                        lock.release();
                    }
                } catch (IOException | java.nio.channels.OverlappingFileLockException | UnsupportedOperationException ignored) {
                    // locked by this JVM after all, no locking on this file system, or gone: leave it
                }
            }
        } catch (IOException | java.nio.file.DirectoryIteratorException ignored) {
            // an unlistable directory: the save itself will report what is wrong
        }
    }

    /** Compact JSON header in layout order, padded with spaces to a multiple of 8 bytes. */
    private static byte[] headerBytes(List<Map.Entry<String, Tensor>> order, long[] begins, long[] ends,
            Map<String, String> metadata) throws IOException {
        StringBuilder w = new StringBuilder("{");
        if (metadata != null) {
            Json.quote(w, METADATA_KEY).append(":{");
            String sep = "";
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                Json.quote(w.append(sep), e.getKey()).append(':');
                Json.quote(w, e.getValue());
                sep = ",";
            }
            w.append('}');
        }
        for (int i = 0; i < order.size(); i++) {
            Tensor t = order.get(i).getValue();
            if (metadata != null || i > 0) w.append(',');
            Json.quote(w, order.get(i).getKey()).append(":{\"dtype\":");
            Json.quote(w, dtypeName(t.dtype())).append(",\"shape\":[");
            long[] shape = t.shape().toArray();
            for (int d = 0; d < shape.length; d++) w.append(d == 0 ? "" : ",").append(shape[d]);
            w.append("],\"data_offsets\":[").append(begins[i]).append(',').append(ends[i]).append("]}");
        }
        w.append('}');
        byte[] json = w.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        byte[] out = Arrays.copyOf(json, padded);
        Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }

    private static void writeTensor(FileChannel ch, ByteBuffer buf, String name, Tensor t, long byteLength, Path path)
            throws IOException {
        Object data = switch (t.dtype()) {
            case FLOAT32 -> t.toFloatArray();
            case FLOAT64 -> t.toDoubleArray();
            case INT64 -> t.toLongArray();
            case BOOL -> t.toBooleanArray();
        };
        int n = java.lang.reflect.Array.getLength(data);
        if ((long) n * t.dtype().byteSize() != byteLength)
            throw new SafetensorsException(path, "tensor \"" + name + "\" changed size while saving");
        int per = buf.capacity() / t.dtype().byteSize();
        for (int off = 0; off < n; off += per) {
            int len = Math.min(per, n - off);
            buf.clear();
            switch (t.dtype()) {
                case FLOAT32 -> buf.asFloatBuffer().put((float[]) data, off, len);
                case FLOAT64 -> buf.asDoubleBuffer().put((double[]) data, off, len);
                case INT64 -> buf.asLongBuffer().put((long[]) data, off, len);
                case BOOL -> {
                    boolean[] b = (boolean[]) data;
                    for (int i = 0; i < len; i++) buf.put(i, b[off + i] ? (byte) 1 : (byte) 0);
                }
            }
            buf.position(0).limit(len * t.dtype().byteSize());
            writeFully(ch, buf);
        }
    }

    /** An I/O buffer for tensors of up to {@code largest} bytes: at most CHUNK, a multiple of 8, at least 8. */
    private static ByteBuffer chunkBuffer(long largest) {
        int size = (int) Math.max(8, Math.min(CHUNK, (largest + 7) / 8 * 8));
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) ch.write(buf);
    }

    /** fsync the directory so the rename itself is durable; not possible on every platform. */
    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | RuntimeException ignored) {
            // e.g. Windows cannot open directories; the data itself was already forced
        }
    }

    /** Orders names by Unicode code point, the byte order of their UTF-8 (as the reference's Rust strings). */
    private static int compareCodePoints(String a, String b) {
        int i = 0, j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i), cb = b.codePointAt(j);
            if (ca != cb) return Integer.compare(ca, cb);
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }

    // =================================================================== load

    /** One validated header entry. */
    private record Entry(String name, DType dtype, long[] shape, long begin, long end, int headerIndex) {}

    /** A validated header. */
    private record Header(Map<String, String> metadata, List<Entry> entries, long dataStart) {}

    /**
     * Loads every tensor of a safetensors file, as CPU tensors, in the order of their data in the file
     * (which is the header order for files written by Tessera or the reference implementation). The whole
     * header is validated first; see the class comment.
     *
     * @return a mutable {@link LinkedHashMap}
     * @throws SafetensorsException naming the file and the problem for a missing, truncated, corrupted or
     *     unsupported file
     */
    public static Map<String, Tensor> load(Path path) throws IOException {
        Objects.requireNonNull(path, "path");
        try (FileChannel ch = open(path)) {
            Header h = readHeader(ch, path);
            Map<String, Tensor> out = new LinkedHashMap<>();
            long largest = 0;
            for (Entry e : h.entries()) largest = Math.max(largest, e.end() - e.begin());
            ByteBuffer buf = chunkBuffer(largest);
            for (Entry e : h.entries()) out.put(e.name(), readTensor(ch, buf, h.dataStart(), e, path));
            return out;
        } catch (SafetensorsException e) {
            throw e;
        } catch (IOException e) {
            throw new SafetensorsException(path, "cannot read: " + e, e);
        }
    }

    /**
     * The {@code __metadata__} of a safetensors file (empty when it has none), after validating the whole
     * header as {@link #load} does; tensor data is not read.
     */
    public static Map<String, String> loadMetadata(Path path) throws IOException {
        Objects.requireNonNull(path, "path");
        try (FileChannel ch = open(path)) {
            Map<String, String> m = readHeader(ch, path).metadata();
            return m == null ? new LinkedHashMap<>() : m;
        } catch (SafetensorsException e) {
            throw e;
        } catch (IOException e) {
            throw new SafetensorsException(path, "cannot read: " + e, e);
        }
    }

    private static FileChannel open(Path path) throws IOException {
        if (!Files.exists(path)) throw new SafetensorsException(path, "no such file", new NoSuchFileException(path.toString()));
        // A FIFO or device would block or never end: only regular files.
        if (!Files.isRegularFile(path)) throw new SafetensorsException(path, "not a regular file");
        return FileChannel.open(path, StandardOpenOption.READ);
    }

    private static Header readHeader(FileChannel ch, Path path) throws IOException {
        long size = ch.size();
        if (size < 8)
            throw new SafetensorsException(path, "truncated: the file is " + size
                    + " bytes, too short for the 8-byte header length");
        ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, lenBuf, 0, path);
        long n = lenBuf.flip().getLong();
        if (n < 0 || n > MAX_HEADER_BYTES)
            throw new SafetensorsException(path, "header length " + Long.toUnsignedString(n) + " exceeds the limit of "
                    + MAX_HEADER_BYTES + " bytes (corrupted file, or not a safetensors file)");
        if (n > size - 8)
            throw new SafetensorsException(path, "truncated: header length " + n + " but only " + (size - 8)
                    + " bytes follow the length field");
        if (n < 2) throw new SafetensorsException(path, "header length " + n + " is too small for a JSON object");
        ByteBuffer hb = ByteBuffer.allocate((int) n);
        readFully(ch, hb, 8, path);
        hb.flip();
        String json;
        try {
            json = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(hb).toString();
        } catch (CharacterCodingException e) {
            throw new SafetensorsException(path, "header is not valid UTF-8", e);
        }
        if (json.charAt(0) != '{')
            throw new SafetensorsException(path, "header does not start with '{' (corrupted file, or not a safetensors file)");
        long dataLength = size - 8 - n;
        Header parsed = parseHeader(json, path, 8 + n);
        validateLayout(parsed.entries(), dataLength, path);
        return parsed;
    }

    private static Header parseHeader(String json, Path path, long dataStart) throws SafetensorsException {
        Map<String, String> metadata = null;
        List<Entry> entries = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        try {
            Json.Reader r = new Json.Reader(json);
            if (r.peek() != Json.Token.BEGIN_OBJECT) throw new SafetensorsException(path, "header is not a JSON object");
            r.beginObject();
            while (r.hasNext()) {
                String name = r.nextName();
                if (!seen.add(name)) throw new SafetensorsException(path, "duplicate key \"" + name + "\" in the header");
                if (name.equals(METADATA_KEY)) {
                    metadata = parseMetadata(r, path);
                } else {
                    entries.add(parseEntry(r, name, entries.size(), path));
                }
            }
            r.endObject();
            if (r.peek() != Json.Token.END_DOCUMENT)
                throw new SafetensorsException(path, "unexpected content after the header's JSON object");
        } catch (SafetensorsException e) {
            throw e;
        } catch (IOException e) {
            throw new SafetensorsException(path, "malformed JSON header: " + e.getMessage(), e);
        }
        return new Header(metadata, entries, dataStart);
    }

    private static Map<String, String> parseMetadata(Json.Reader r, Path path) throws IOException {
        if (r.peek() == Json.Token.NULL) {
            r.nextNull();
            return null;
        }
        if (r.peek() != Json.Token.BEGIN_OBJECT)
            throw new SafetensorsException(path, "\"" + METADATA_KEY + "\" must be an object of strings, found " + r.peek());
        Map<String, String> m = new LinkedHashMap<>();
        r.beginObject();
        while (r.hasNext()) {
            String k = r.nextName();
            if (r.peek() != Json.Token.STRING)
                throw new SafetensorsException(path, "metadata value of \"" + k + "\" must be a string, found " + r.peek());
            if (m.put(k, r.nextString()) != null)
                throw new SafetensorsException(path, "duplicate metadata key \"" + k + "\"");
        }
        r.endObject();
        return m;
    }

    private static Entry parseEntry(Json.Reader r, String name, int index, Path path) throws IOException {
        String where = "tensor \"" + name + "\": ";
        if (r.peek() != Json.Token.BEGIN_OBJECT) throw new SafetensorsException(path, where + "entry must be an object, found " + r.peek());
        String dtypeName = null;
        long[] shape = null, offsets = null;
        r.beginObject();
        while (r.hasNext()) {
            String field = r.nextName();
            switch (field) {
                case "dtype" -> {
                    if (dtypeName != null) throw new SafetensorsException(path, where + "duplicate field \"dtype\"");
                    if (r.peek() != Json.Token.STRING) throw new SafetensorsException(path, where + "dtype must be a string, found " + r.peek());
                    dtypeName = r.nextString();
                }
                case "shape" -> {
                    if (shape != null) throw new SafetensorsException(path, where + "duplicate field \"shape\"");
                    shape = longArray(r, where + "shape", path);
                }
                case "data_offsets" -> {
                    if (offsets != null) throw new SafetensorsException(path, where + "duplicate field \"data_offsets\"");
                    offsets = longArray(r, where + "data_offsets", path);
                    if (offsets.length != 2)
                        throw new SafetensorsException(path, where + "data_offsets must be [begin, end], found " + offsets.length + " numbers");
                }
                default -> r.skipValue(); // the reference ignores unknown fields too
            }
        }
        r.endObject();
        if (dtypeName == null) throw new SafetensorsException(path, where + "missing \"dtype\"");
        if (shape == null) throw new SafetensorsException(path, where + "missing \"shape\"");
        if (offsets == null) throw new SafetensorsException(path, where + "missing \"data_offsets\"");
        DType dtype = dtypeOf(dtypeName);
        if (dtype == null)
            throw new SafetensorsException(path, where + (OTHER_FORMAT_DTYPES.contains(dtypeName) ? "unsupported dtype " : "unknown dtype ")
                    + "\"" + dtypeName + "\" (Tessera reads F32, F64, I64 and BOOL)");
        return new Entry(name, dtype, shape, offsets[0], offsets[1], index);
    }

    /** A JSON array of non-negative integers that fit in a long (no fractions, no exponents). */
    private static long[] longArray(Json.Reader r, String what, Path path) throws IOException {
        if (r.peek() != Json.Token.BEGIN_ARRAY) throw new SafetensorsException(path, what + " must be an array, found " + r.peek());
        long[] out = new long[4];
        int n = 0;
        r.beginArray();
        while (r.hasNext()) {
            if (r.peek() != Json.Token.NUMBER)
                throw new SafetensorsException(path, what + " must hold non-negative integers, found " + r.peek());
            String literal = r.nextString();
            long v;
            try {
                v = Long.parseLong(literal);
            } catch (NumberFormatException e) {
                throw new SafetensorsException(path, what + " must hold non-negative integers that fit in 64 bits, found " + literal);
            }
            if (v < 0) throw new SafetensorsException(path, what + " must hold non-negative integers, found " + literal);
            if (n == out.length) out = Arrays.copyOf(out, n * 2);
            out[n++] = v;
        }
        r.endArray();
        return Arrays.copyOf(out, n);
    }

    /** Per-entry sizes, then: ordered by offset, the entries tile [0, dataLength) exactly. Sorts entries. */
    private static void validateLayout(List<Entry> entries, long dataLength, Path path) throws SafetensorsException {
        for (Entry e : entries) {
            String where = "tensor \"" + e.name() + "\": ";
            if (e.begin() > e.end())
                throw new SafetensorsException(path, where + "data_offsets [" + e.begin() + ", " + e.end() + "] end before they begin");
            if (e.end() > dataLength)
                throw new SafetensorsException(path, where + "data_offsets [" + e.begin() + ", " + e.end()
                        + "] are out of range: the data buffer is " + dataLength + " bytes (truncated file?)");
            long bytes;
            try {
                long numel = 1;
                for (long d : e.shape()) numel = Math.multiplyExact(numel, d);
                bytes = Math.multiplyExact(numel, (long) e.dtype().byteSize());
            } catch (ArithmeticException ex) {
                throw new SafetensorsException(path, where + "shape " + Arrays.toString(e.shape()) + " overflows 64 bits");
            }
            if (bytes != e.end() - e.begin())
                throw new SafetensorsException(path, where + "dtype " + dtypeName(e.dtype()) + " and shape " + Arrays.toString(e.shape())
                        + " need " + bytes + " bytes but data_offsets [" + e.begin() + ", " + e.end() + "] span " + (e.end() - e.begin()));
            if (bytes / e.dtype().byteSize() > MAX_ARRAY)
                throw new SafetensorsException(path, where + "shape " + Arrays.toString(e.shape())
                        + " has more elements than a Java array can hold");
        }
        entries.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end).thenComparingInt(Entry::headerIndex));
        long expected = 0;
        Entry prev = null;
        for (Entry e : entries) {
            if (e.begin() < expected)
                throw new SafetensorsException(path, "tensor \"" + e.name() + "\": data_offsets [" + e.begin() + ", " + e.end()
                        + "] overlap tensor \"" + prev.name() + "\" [" + prev.begin() + ", " + prev.end() + "]");
            if (e.begin() > expected)
                throw new SafetensorsException(path, "tensor \"" + e.name() + "\": data_offsets [" + e.begin() + ", " + e.end()
                        + "] leave a hole of " + (e.begin() - expected) + " bytes at offset " + expected);
            expected = e.end();
            prev = e;
        }
        if (expected != dataLength)
            throw new SafetensorsException(path, "the data buffer is " + dataLength + " bytes but the tensors cover only "
                    + expected + " (" + (dataLength - expected) + " trailing bytes)");
    }

    private static Tensor readTensor(FileChannel ch, ByteBuffer buf, long dataStart, Entry e, Path path) throws IOException {
        int item = e.dtype().byteSize();
        int n = (int) ((e.end() - e.begin()) / item);
        Object data = switch (e.dtype()) {
            case FLOAT32 -> new float[n];
            case FLOAT64 -> new double[n];
            case INT64 -> new long[n];
            case BOOL -> new boolean[n];
        };
        int per = buf.capacity() / item;
        long pos = dataStart + e.begin();
        for (int off = 0; off < n; off += per) {
            int len = Math.min(per, n - off);
            buf.clear().limit(len * item);
            readFully(ch, buf, pos, path);
            pos += (long) len * item;
            buf.flip();
            switch (e.dtype()) {
                case FLOAT32 -> buf.asFloatBuffer().get((float[]) data, off, len);
                case FLOAT64 -> buf.asDoubleBuffer().get((double[]) data, off, len);
                case INT64 -> buf.asLongBuffer().get((long[]) data, off, len);
                case BOOL -> {
                    boolean[] b = (boolean[]) data;
                    for (int i = 0; i < len; i++) {
                        byte v = buf.get(i);
                        if (v != 0 && v != 1)
                            throw new SafetensorsException(path, "tensor \"" + e.name() + "\": BOOL element " + (off + i)
                                    + " is byte " + (v & 0xff) + ", not 0 or 1");
                        b[off + i] = v == 1;
                    }
                }
            }
        }
        long[] shape = e.shape();
        // Tensor.of needs a non-empty shape; a 0-dim tensor is a one-element tensor viewed as [].
        long[] ofShape = shape.length == 0 ? new long[] {1} : shape;
        Tensor t = switch (e.dtype()) {
            case FLOAT32 -> Tensor.of((float[]) data, ofShape);
            case FLOAT64 -> Tensor.of((double[]) data, ofShape);
            case INT64 -> Tensor.of((long[]) data, ofShape);
            case BOOL -> Tensor.of((boolean[]) data, ofShape);
        };
        return shape.length == 0 ? t.view() : t;
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos, Path path) throws IOException {
        while (buf.hasRemaining()) {
            int r = ch.read(buf, pos);
            if (r < 0)
                throw new SafetensorsException(path, "truncated: unexpected end of file at byte " + pos
                        + " (the file changed while it was read?)");
            pos += r;
        }
    }
}
