package dev.tessera.backend.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import jcuda.CudaException;
import jcuda.driver.JCudaDriver;
import jcuda.jcublas.JCublas2;
import jcuda.jcudnn.JCudnn;
import jcuda.runtime.JCuda;

/**
 * Loads the CUDA driver, cuBLAS and cuDNN once per process and says what happened.
 *
 * <p>JCublas 12.6.0 links {@code libcublas.so.12} and JCudnn 11.7.0 links {@code libcudnn.so.8}.
 * On hosts that have only CUDA 13 ({@code libcublas.so.13}, cuDNN 9) the real library is
 * {@code System.load}ed by absolute path first, then Tessera's forwarding shim (built by
 * {@code scripts/build-shims.sh}, shipped in the jar): its soname satisfies the JNI library's
 * {@code NEEDED} entry, and its constructor's {@code dlopen("libcublas.so.13")} finds the library
 * already loaded. Every failure becomes a reason string; nothing here throws.
 */
public final class CudaLibraries {
    /**
     * What {@link #load()} found. {@code reason} is null when CUDA is usable (it never starts with
     * "CUDA unavailable:"; callers add that); {@code cudnnReason} is null when cuDNN is usable.
     * {@code details} are lines for {@code tessera info}; {@code loaded} the files loaded, in order.
     */
    public record Result(String reason, int deviceCount, String cudnnReason, List<String> details, List<Path> loaded) {
        public boolean ok() { return reason == null; }
        public boolean cudnnOk() { return ok() && cudnnReason == null; }
    }

    private static Result result;

    private CudaLibraries() {}

    /** Loads once (later calls return the same Result). Never throws. */
    public static synchronized Result load() {
        if (result == null) {
            try {
                result = new Loader(searchDirs(System.getenv())).run();
            } catch (Throwable t) {   // a bug here must not take the CPU path down with it
                result = new Result("loading the CUDA libraries failed: " + t, 0, "not loaded", List.of(), List.of());
            }
        }
        return result;
    }

    /**
     * Folders that may hold the CUDA libraries, in search order and existing only: {@code
     * TESSERA_CUDA_LIBS} and {@code LD_LIBRARY_PATH}, {@code CUDA_HOME}/{@code CUDA_PATH},
     * {@code /usr/local/cuda*}, the system folders (and {@code /etc/ld.so.conf.d}), and the
     * {@code nvidia/*}{@code /lib} folders of Python environments (pip wheels, e.g. PyTorch's).
     */
    static List<Path> searchDirs(Map<String, String> env) {
        Set<String> patterns = new LinkedHashSet<>();
        for (String var : List.of("TESSERA_CUDA_LIBS", "LD_LIBRARY_PATH"))
            for (String d : env.getOrDefault(var, "").split(":")) if (!d.isBlank()) patterns.add(d);
        for (String var : List.of("CUDA_HOME", "CUDA_PATH")) {
            String home = env.get(var);
            if (home != null && !home.isBlank()) { patterns.add(home + "/lib64"); patterns.add(home + "/lib"); }
        }
        patterns.add("/usr/local/cuda/lib64");
        patterns.add("/usr/local/cuda-*/lib64");
        patterns.addAll(List.of("/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib"));
        patterns.addAll(ldSoConfDirs());
        // Python environments: the active ones (VIRTUAL_ENV, CONDA_PREFIX, every PATH entry's
        // parent), then the usual install prefixes.
        Set<String> roots = new LinkedHashSet<>();
        for (String var : List.of("VIRTUAL_ENV", "CONDA_PREFIX")) if (env.get(var) != null) roots.add(env.get(var));
        for (String d : env.getOrDefault("PATH", "").split(":"))
            if (d.endsWith("/bin") && d.length() > 4) roots.add(d.substring(0, d.length() - 4));
        String home = env.getOrDefault("HOME", System.getProperty("user.home"));
        roots.addAll(List.of("/usr", "/usr/local", "/opt/conda", "/opt/*", home + "/.local", home + "/.pyenv/versions/*",
                home + "/miniconda3", home + "/anaconda3", home + "/*"));
        for (String r : roots)
            for (String lib : List.of("lib", "lib64"))
                for (String pkgs : List.of("site-packages", "dist-packages"))
                    patterns.add(r + "/" + lib + "/python3*/" + pkgs + "/nvidia/*/lib");
        Set<Path> dirs = new LinkedHashSet<>();
        for (String p : patterns) dirs.addAll(expand(p));
        return List.copyOf(dirs);
    }

    /** The first {@code dirs/name} that exists and is not one of Tessera's shims, as an absolute path. */
    static Optional<Path> find(String name, List<Path> dirs) {
        for (Path d : dirs) {
            Path f = d.resolve(name);
            if (Files.exists(f) && !isShim(f)) return Optional.of(f.toAbsolutePath());
        }
        return Optional.empty();
    }

    /** A shim left where a real libcublas.so.12 is searched for must not be taken for it (build-shims.sh marks them). */
    static boolean isShim(Path f) {
        try {
            if (Files.size(f) > (4 << 20)) return false;   // the real libraries are far larger
            return new String(Files.readAllBytes(f), java.nio.charset.StandardCharsets.ISO_8859_1).contains("tessera-forwarding-shim ");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Existing directories matching a path whose segments may hold '*' (no recursion). */
    static List<Path> expand(String pattern) {
        if (!pattern.startsWith("/")) return List.of();
        List<Path> current = List.of(Path.of("/"));
        for (String seg : pattern.substring(1).split("/")) {
            if (seg.isEmpty()) continue;
            List<Path> next = new ArrayList<>();
            for (Path base : current) {
                if (!seg.contains("*")) { next.add(base.resolve(seg)); continue; }
                try (DirectoryStream<Path> ds = Files.newDirectoryStream(base, seg)) {
                    List<Path> hits = new ArrayList<>();
                    ds.forEach(hits::add);
                    Collections.sort(hits);   // deterministic: cuda-12.4 before cuda-12.6
                    next.addAll(hits);
                } catch (IOException | RuntimeException e) {
                    // unreadable or absent: nothing matches here
                }
            }
            current = next;
        }
        return current.stream().filter(Files::isDirectory).toList();
    }

    private static List<String> ldSoConfDirs() {
        List<String> dirs = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of("/etc/ld.so.conf.d"), "*.conf")) {
            for (Path conf : ds)
                for (String line : Files.readAllLines(conf))
                    if (line.startsWith("/")) dirs.add(line.trim());
        } catch (IOException | RuntimeException e) {
            // no such folder: nothing to add
        }
        return dirs;
    }

    /** One attempt at loading; state for the Result it builds. */
    private static final class Loader {
        private final List<Path> dirs;
        private final List<Path> loaded = new ArrayList<>();
        private final List<String> details = new ArrayList<>();
        private final Set<String> shimmed = new LinkedHashSet<>();
        private final Set<String> notFound = new LinkedHashSet<>();

        Loader(List<Path> dirs) { this.dirs = dirs; }

        Result run() {
            try {
                return runSteps();
            } catch (CudaException e) {
                return fail("CUDA call failed while loading: " + e.getMessage());
            }
        }

        private Result runSteps() {
            // (a) The driver: JCudaDriver's JNI library NEEDs only libcuda.so.1.
            int count;
            try {
                JCudaDriver.setExceptionsEnabled(true);
                JCudaDriver.cuInit(0);
                int[] n = {0};
                JCudaDriver.cuDeviceGetCount(n);
                count = n[0];
            } catch (LinkageError e) {
                String m = String.valueOf(e.getMessage());
                return fail(m.contains("libcuda.so.1") ? "no NVIDIA driver (libcuda.so.1 not found)"
                        : "cannot load JCuda's driver binding: " + brief(e));
            } catch (CudaException e) {
                String m = String.valueOf(e.getMessage());
                return fail(m.contains("CUDA_ERROR_NO_DEVICE") ? "no CUDA device found" : "cuInit failed: " + m);
            }
            if (count == 0) return fail("no CUDA device found");
            int[] v = {0};
            JCudaDriver.cuDriverGetVersion(v);
            int driver = v[0];
            JCuda.cudaRuntimeGetVersion(v);   // JCuda 12.6.0 links cudart statically; it reports 12.0
            details.add("cuda driver: " + version(driver) + " (CUDA runtime " + version(v[0]) + ", linked into JCuda)");

            // (b) cuBLAS: required.
            String cublas = loadFamily("libcublas", "12", "13", List.of("libcublasLt"));
            if (cublas != null) return fail("cuBLAS: " + cublas);
            try {
                JCublas2.initialize();
                JCublas2.setExceptionsEnabled(true);   // else a failing cuBLAS call only returns a status nobody reads
            } catch (LinkageError e) {
                return fail("cuBLAS: " + missing("libcublas", "12", "13") + "cannot load JCublas2's native library: " + brief(e));
            }
            int[] maj = {0}, min = {0}, patch = {0};
            JCublas2.cublasGetProperty(0, maj);   // libraryPropertyType MAJOR_VERSION, MINOR_VERSION, PATCH_LEVEL
            JCublas2.cublasGetProperty(1, min);
            JCublas2.cublasGetProperty(2, patch);
            details.add("cublas:      " + maj[0] + "." + min[0] + "." + patch[0] + via("libcublas"));

            // (c) cuDNN: optional; conv2d and batch norm fall back to Tessera's own kernels.
            String cudnnReason = loadFamily("libcudnn", "8", "9", List.of());
            if (cudnnReason == null) {
                try {
                    JCudnn.initialize();
                    details.add("cudnn:       " + cudnnVersion(JCudnn.cudnnGetVersion()) + via("libcudnn"));
                } catch (LinkageError e) {
                    cudnnReason = missing("libcudnn", "8", "9") + "cannot load JCudnn's native library: " + brief(e);
                }
            }
            if (cudnnReason != null) details.add("cudnn:       unavailable: " + cudnnReason + " (conv2d and batch norm use Tessera's kernels)");
            for (Path p : loaded) details.add("loaded:      " + p);
            return new Result(null, count, cudnnReason, List.copyOf(details), List.copyOf(loaded));
        }

        private String via(String base) {
            return shimmed.contains(base) ? " (CUDA 13 library through Tessera's forwarding shim)" : "";
        }

        /**
         * Loads base.so.OLD if found, else base.so.NEW plus Tessera's base.so.OLD shim; first the
         * companions (cublasLt; cuDNN's sub-libraries) from the same folder. Returns null on
         * success, else the reason. When neither file is found, nothing is loaded here and the
         * JNI library gets its chance with the system's own search (e.g. ld.so.cache).
         */
        private String loadFamily(String base, String old, String neu, List<String> companions) {
            Optional<Path> oldLib = find(base + ".so." + old, dirs);
            Optional<Path> newLib = oldLib.isPresent() ? Optional.empty() : find(base + ".so." + neu, dirs);
            Path lib = oldLib.or(() -> newLib).orElse(null);
            if (lib == null) {
                notFound.add(base);
                return null;
            }
            String ver = oldLib.isPresent() ? old : neu;
            loadCompanions(lib.getParent(), base, ver, companions);
            String err = systemLoad(lib);
            if (err != null) return "cannot load " + lib + ": " + err;
            if (oldLib.isPresent()) return null;
            String shim = "/dev/tessera/cuda/native/" + base + ".so." + old;
            try (InputStream in = CudaLibraries.class.getResourceAsStream(shim)) {
                if (in == null) return "found " + lib + " but this Tessera build has no " + base + ".so." + old
                        + " shim for it (it was built without gcc; see scripts/build-shims.sh)";
                Path f = shimDir().resolve(base + ".so." + old);
                Files.copy(in, f, StandardCopyOption.REPLACE_EXISTING);
                f.toFile().deleteOnExit();
                err = systemLoad(f);
                if (err != null) return "cannot load the shim " + f + ": " + err;
                shimmed.add(base);
                return null;
            } catch (IOException e) {
                return "cannot extract the " + base + ".so." + old + " shim: " + e.getMessage();
            }
        }

        /**
         * cublasLt, or cuDNN's sub-libraries (libcudnn_ops.so.9, ...), which NEED each other by
         * soname: retry until no more load, so the order need not be known. A companion that
         * will not load is reported but not fatal (the main library may never need it).
         */
        private void loadCompanions(Path dir, String base, String ver, List<String> names) {
            List<Path> todo = new ArrayList<>();
            for (String n : names) if (Files.exists(dir.resolve(n + ".so." + ver))) todo.add(dir.resolve(n + ".so." + ver));
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, base + "_*.so." + ver)) {
                for (Path p : ds) todo.add(p);
            } catch (IOException e) {
                // unreadable folder: load the main library alone
            }
            Collections.sort(todo);
            List<String> errors = new ArrayList<>();
            boolean progress = true;
            while (!todo.isEmpty() && progress) {
                progress = false;
                errors.clear();
                for (var it = todo.iterator(); it.hasNext(); ) {
                    Path p = it.next();
                    String err = systemLoad(p);
                    if (err == null) { it.remove(); progress = true; } else errors.add(p.getFileName() + ": " + err);
                }
            }
            for (String e : errors) details.add("not loaded:  " + e);
        }

        private String systemLoad(Path p) {
            try {
                System.load(p.toString());
                loaded.add(p);
                return null;
            } catch (LinkageError | SecurityException e) {
                return e.getMessage();
            }
        }

        private Path shimDir;

        private Path shimDir() throws IOException {
            if (shimDir == null) {
                shimDir = Files.createTempDirectory("tessera-cuda");
                shimDir.toFile().deleteOnExit();
            }
            return shimDir;
        }

        /** "libcudnn.so.8 not found (nor libcudnn.so.9) in N folders ...; " when the search found neither. */
        private String missing(String base, String old, String neu) {
            return !notFound.contains(base) ? "" : base + ".so." + old + " not found (nor " + base + ".so." + neu + ") in " + dirs.size()
                    + " folders (TESSERA_CUDA_LIBS, LD_LIBRARY_PATH, CUDA_HOME, /usr/local/cuda*, system, Python nvidia/*/lib); ";
        }

        /** cuDNN 8 encodes 8.4.1 as 8401, cuDNN 9 encodes 9.10.2 as 91002. */
        private static String cudnnVersion(long v) {
            return v >= 90000 ? (v / 10000) + "." + (v % 10000 / 100) + "." + (v % 100)
                    : (v / 1000) + "." + (v % 1000 / 100) + "." + (v % 100);
        }

        private Result fail(String reason) {
            for (Path p : loaded) details.add("loaded:      " + p);
            return new Result(reason, 0, "CUDA unavailable", List.copyOf(details), List.copyOf(loaded));
        }

        /** JCuda's LinkageError holds nested stack traces; the dynamic linker's last word is the useful part. */
        private static String brief(Throwable e) {
            String m = String.valueOf(e.getMessage()), last = null;
            for (String line : m.split("\n")) {
                int i = line.indexOf("UnsatisfiedLinkError: ");
                if (i >= 0) last = line.substring(i + "UnsatisfiedLinkError: ".length());
            }
            return last != null ? last : m.lines().findFirst().orElse(m);
        }

        private static String version(int v) {
            return String.format(Locale.ROOT, "%d.%d", v / 1000, v % 1000 / 10);
        }
    }
}
