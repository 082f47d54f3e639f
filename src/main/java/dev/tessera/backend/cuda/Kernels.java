package dev.tessera.backend.cuda;

import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;

import dev.tessera.TesseraException;
import dev.tessera.backend.View;
import java.io.IOException;
import java.lang.ref.Reference;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;

/**
 * The PTX built from {@code cuda-kernels/} (resources {@code dev/tessera/cuda/<family>.ptx}),
 * loaded once per device, and a launcher. Function handles are cached by name, so a launch is a
 * map lookup plus cuLaunchKernel with a reused parameter block. Names follow cuda-kernels/README.md.
 */
final class Kernels {
    /** The .cu files, one per op family. */
    static final List<String> FAMILIES = List.of("fill_copy", "transpose", "unary", "binary", "where", "reduce", "softmax", "conv", "batch_norm", "index", "embedding", "random", "optim");
    static final int BLOCK = 256;
    static final int MAX_GRID = 65535 * 8;

    /**
     * The most blocks a launch gets; every kernel's blocks (or warps, or threads) stride over the
     * work beyond it. Package-private for tests, which set it small so that those loops — taken on
     * a GPU only by big tensors — run on small ones; {@link #MAX_GRID} otherwise.
     */
    static volatile int gridLimit = MAX_GRID;

    /** Bytes per argument slot: the largest argument is struct Strides (400 bytes). */
    private static final int SLOT = 512, MAX_ARGS = 16;

    private final CudaDevice device;
    private final List<CUmodule> modules = new ArrayList<>();
    private final Map<String, CUfunction> functions = new ConcurrentHashMap<>();
    private final ByteBuffer argBytes = ByteBuffer.allocateDirect(SLOT * MAX_ARGS).order(ByteOrder.nativeOrder());
    private final Pointer[] kernelParams = new Pointer[MAX_ARGS + 1];   // [n]: pointers to slots 0..n-1

    Kernels(CudaDevice device) {
        this.device = device;
        Pointer[] slots = new Pointer[MAX_ARGS];
        for (int i = 0; i < MAX_ARGS; i++) slots[i] = Pointer.to(argBytes).withByteOffset((long) i * SLOT);
        for (int n = 0; n <= MAX_ARGS; n++) kernelParams[n] = Pointer.to(Arrays.copyOf(slots, n));
        int[] driver = {0};
        jcuda.driver.JCudaDriver.cuDriverGetVersion(driver);
        for (String family : FAMILIES) {
            byte[] ptx = readPtx(family);
            String isa = ptxIsa(ptx, family);
            int needs = driverFor(isa);
            if (needs > driver[0])
                throw new TesseraException("the CUDA kernels (" + family + ".ptx, PTX ISA " + isa + ") need a CUDA " + cudaVersion(needs)
                        + " driver or newer, and this driver is CUDA " + cudaVersion(driver[0]) + ": update the NVIDIA driver, or build Tessera "
                        + "with -DTESSERA_PTX_ISA / an older nvcc (scripts/build-kernels.sh)");
            CUmodule module = new CUmodule();
            try {
                cuModuleLoadData(module, ptx);
            } catch (CudaException e) {
                throw new TesseraException("loading the CUDA kernels " + family + ".ptx (PTX ISA " + isa + ") failed on a CUDA "
                        + cudaVersion(driver[0]) + " driver: " + e.getMessage(), e);
            }
            modules.add(module);
        }
    }

    /** The PTX ISA a module declares (its ".version x.y" line). */
    static String ptxIsa(byte[] ptx, String family) {
        var m = java.util.regex.Pattern.compile("(?m)^\\.version (\\d+\\.\\d+)\\s*$").matcher(new String(ptx, java.nio.charset.StandardCharsets.US_ASCII));
        if (!m.find()) throw new TesseraException("CUDA kernel image " + family + ".ptx has no .version line");
        return m.group(1);
    }

    /**
     * The oldest driver (cuDriverGetVersion's 1000·major + 10·minor) that loads PTX of this ISA, from
     * NVIDIA's PTX ISA release history: 6.0-6.2 with CUDA 9.x, 6.3-6.5 with 10.0-10.2, 7.x with 11.x,
     * 8.0-8.5 with 12.0-12.5, 8.6-8.8 with 12.7-12.9, 9.0 with 13.0.
     */
    static int driverFor(String isa) {
        String[] p = isa.split("\\.");
        int major = Integer.parseInt(p[0]), minor = Integer.parseInt(p[1]);
        if (major < 6) return 8000;
        if (major == 6) return minor < 3 ? 9000 + 10 * minor : 10000 + 10 * (minor - 3);
        if (major == 7) return 11000 + 10 * minor;
        if (major == 8) return 12000 + 10 * (minor <= 5 ? minor : minor + 1);
        return 13000 + 10 * minor + 1000 * (major - 9);
    }

    static String cudaVersion(int v) { return v / 1000 + "." + v % 1000 / 10; }

    /** The PTX text (NUL-terminated, as cuModuleLoadData wants it), or a clear reason when the build had no nvcc. */
    static byte[] readPtx(String family) {
        String resource = "/dev/tessera/cuda/" + family + ".ptx";
        try (InputStream in = Kernels.class.getResourceAsStream(resource)) {
            if (in == null)
                throw new TesseraException("CUDA kernel image " + resource + " is missing from the jar: this build of Tessera was made "
                        + "without nvcc (build on a machine with the CUDA toolkit to include cuda-kernels/)");
            byte[] text = in.readAllBytes();
            byte[] z = Arrays.copyOf(text, text.length + 1);
            return z;
        } catch (IOException e) {
            throw new TesseraException("could not read CUDA kernel image " + resource + ": " + e.getMessage(), e);
        }
    }

    CUfunction function(String name) {
        CUfunction f = functions.get(name);
        if (f != null) return f;
        for (CUmodule m : modules) {
            CUfunction candidate = new CUfunction();
            try {
                cuModuleGetFunction(candidate, m, name);
                functions.put(name, candidate);
                return candidate;
            } catch (CudaException notInThisModule) {
                // keep looking in the next family's module
            }
        }
        throw new UnsupportedOperationException(name + " has no CUDA implementation (add it to cuda-kernels/, see its README)");
    }

    /**
     * A grid-stride launch over n elements. Arguments: a View or CudaStorage (its device address,
     * kept reachable until the launch is queued), null (a NULL pointer), Long (a 64-bit integer),
     * Integer, Double, or byte[] (a struct by value).
     */
    void launch(String name, long n, Object... args) {
        int grid = (int) Math.max(1, Math.min((n + BLOCK - 1) / BLOCK, gridLimit));
        launchGrid(name, grid, BLOCK, args);
    }

    /** One block per row (reductions, softmax), up to the grid limit; the kernels' blocks stride over the rest. */
    void launchRows(String name, long rows, Object... args) {
        launchGrid(name, (int) Math.max(Math.min(rows, gridLimit), 1), BLOCK, args);
    }

    /** One block per work item (a tile), up to the grid limit; the kernel's blocks stride over the rest. */
    void launchBlocks(String name, long items, Object... args) {
        launchGrid(name, (int) Math.max(1, Math.min(items, gridLimit)), BLOCK, args);
    }

    /** One warp per row, {@value #BLOCK} / 32 rows per block (softmax, layer norm of short rows); warps stride over rows past the grid limit. */
    void launchWarpRows(String name, long rows, Object... args) {
        long perBlock = BLOCK / 32;
        launchGrid(name, (int) Math.max(1, Math.min((rows + perBlock - 1) / perBlock, gridLimit)), BLOCK, args);
    }

    /**
     * The arguments are written into one direct buffer, slot i at i·{@value #SLOT} bytes, and
     * cuLaunchKernel gets prebuilt pointers to the first n slots: no Java arrays for JCuda to pin or
     * copy, nothing allocated per launch. The driver copies the values during the call, so the
     * buffer is free again when it returns; launches on one device are serialised here.
     */
    private synchronized void launchGrid(String name, int grid, int block, Object[] args) {
        if (args.length > MAX_ARGS) throw new IllegalArgumentException(name + ": " + args.length + " kernel arguments, at most " + MAX_ARGS);
        device.makeCurrent();   // before the lookup too: cuModuleGetFunction needs the module's context current on this thread
        CUfunction f = function(name);
        for (int i = 0; i < args.length; i++) {
            int at = i * SLOT;
            Object a = args[i];
            if (a instanceof View v) argBytes.putLong(at, CudaBackend.at(v));
            else if (a instanceof CudaStorage st) argBytes.putLong(at, st.address());
            else if (a == null) argBytes.putLong(at, 0L);   // an absent optional operand: NULL
            else if (a instanceof Long l) argBytes.putLong(at, l);
            else if (a instanceof Integer v) argBytes.putInt(at, v);
            else if (a instanceof Double d) argBytes.putDouble(at, d);
            else if (a instanceof byte[] struct) {
                if (struct.length > SLOT) throw new IllegalArgumentException(name + ": struct argument " + i + " of " + struct.length + " bytes, at most " + SLOT);
                argBytes.put(at, struct);
            } else throw new IllegalArgumentException(name + ": kernel argument " + i + " of type " + a.getClass().getSimpleName());
        }
        cuLaunchKernel(f, grid, 1, 1, block, 1, 1, 0, device.stream, kernelParams[args.length], null);
        // The views and storages passed hold their blocks until the launch is queued: were one
        // collected earlier, another thread's allocation could take its block back and hand it out first.
        Reference.reachabilityFence(args);
    }
}
