package dev.tessera.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.backend.BinaryOp;
import dev.tessera.backend.ReduceOp;
import dev.tessera.backend.UnaryOp;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Runs without a GPU: checks that cuda-kernels/*.cu define every kernel the CUDA backend derives
 * from the op enums (names per cuda-kernels/README.md), so a new UnaryOp, BinaryOp or ReduceOp
 * cannot ship without its kernels; and, when the build had nvcc, that the PTX really has them.
 */
class KernelSourcesTest {
    private static final Path SOURCES = Paths.get("cuda-kernels");
    private static final Path MANIFEST = Paths.get("target", "classes", "dev", "tessera", "cuda", "kernels.txt");
    private static final Pattern ENTRY = Pattern.compile("extern\\s+\"C\"\\s+__global__\\s+void\\s+(\\w+)\\s*\\(");

    private static final List<String> FLOATS = List.of("f32", "f64");
    private static final List<String> ALL = List.of("f32", "f64", "i64", "b8");

    /** Every entry point of the README's table, the enum-driven families derived mechanically. */
    static Set<String> expectedKernels() {
        Set<String> names = new TreeSet<>();
        for (UnaryOp op : UnaryOp.values()) add(names, "unary_" + lower(op) + "_", FLOATS);
        for (BinaryOp op : BinaryOp.values()) add(names, "binary_" + lower(op) + "_", List.of("f32", "f64", "i64"));
        for (ReduceOp op : ReduceOp.values()) add(names, "reduce_" + lower(op) + "_", ALL);
        for (ReduceOp op : ReduceOp.values()) add(names, "reduce_cols_" + lower(op) + "_", ALL);
        add(names, "fill_", ALL);
        for (String src : ALL) add(names, "copy_" + src + "_", ALL);
        add(names, "where_", ALL);
        add(names, "transpose_", ALL);
        for (String family : List.of("softmax_", "log_softmax_", "layer_norm_", "softmax_warp_", "log_softmax_warp_", "layer_norm_warp_", "softmax_partial_", "softmax_split_", "log_softmax_split_", "nll_", "nll_backward_", "sgd_step_", "adam_step_", "im2col_", "col2im_", "maxpool2d_", "maxpool2d_backward_",
                "index_select_", "embedding_backward_", "uniform_", "normal_"))
            add(names, family, FLOATS);
        return names;
    }

    private static String lower(Enum<?> op) { return op.name().toLowerCase(Locale.ROOT); }

    private static void add(Set<String> names, String prefix, List<String> dtypes) {
        for (String dt : dtypes) names.add(prefix + dt);
    }

    private static List<Path> cuFiles() throws IOException {
        try (Stream<Path> files = Files.list(SOURCES)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".cu")).sorted().collect(Collectors.toList());
        }
    }

    private static Set<String> definedInSources() throws IOException {
        Set<String> names = new TreeSet<>();
        for (Path cu : cuFiles()) {
            Matcher m = ENTRY.matcher(Files.readString(cu));
            while (m.find()) names.add(m.group(1));
        }
        return names;
    }

    private static Set<String> missing(Set<String> expected, Set<String> present) {
        Set<String> out = new TreeSet<>(expected);
        out.removeAll(present);
        return out;
    }

    @Test
    void everyExpectedKernelIsDefinedInTheSources() throws IOException {
        Set<String> missing = missing(expectedKernels(), definedInSources());
        assertTrue(missing.isEmpty(), () -> missing.size() + " kernels have no extern \"C\" definition in " + SOURCES + ": " + missing);
    }

    @Test
    void theBackendLoadsEveryKernelFile() throws IOException {
        List<String> files = new ArrayList<>();
        for (Path cu : cuFiles()) files.add(cu.getFileName().toString().replaceFirst("\\.cu$", ""));
        assertEquals(new TreeSet<>(Kernels.FAMILIES), new TreeSet<>(files), "Kernels.FAMILIES vs " + SOURCES + "/*.cu");
    }

    /** Only when nvcc was there at build time: the PTX's .entry lines, as scripts/build-kernels.sh lists them. */
    @Test
    void theBuiltPtxHasEveryExpectedKernel() throws IOException {
        if (!Files.exists(MANIFEST)) return;   // built without nvcc: nothing was compiled to check
        Set<String> listed = new TreeSet<>();
        for (String line : Files.readAllLines(MANIFEST))
            if (!line.isBlank()) listed.add(line.trim().split("\\s+")[0]);
        Set<String> missing = missing(expectedKernels(), listed);
        assertTrue(missing.isEmpty(), () -> missing.size() + " kernels are missing from the PTX (" + MANIFEST + "): " + missing);
        assertEquals(definedInSources(), listed, "entry points in the PTX vs extern \"C\" definitions in the sources (stale PTX?)");
    }

    @Test
    void ptxIsaMapsToTheOldestDriverThatLoadsIt() {
        // NVIDIA's PTX ISA release history: the CUDA release that introduced each ISA
        assertEquals(10000, Kernels.driverFor("6.3"));
        assertEquals(11050, Kernels.driverFor("7.5"));
        assertEquals(12000, Kernels.driverFor("8.0"));
        assertEquals(12050, Kernels.driverFor("8.5"));
        assertEquals(12070, Kernels.driverFor("8.6"));
        assertEquals(12090, Kernels.driverFor("8.8"));
        assertEquals(13000, Kernels.driverFor("9.0"));
        assertEquals("12.2", Kernels.cudaVersion(12020));
    }

    /** Only when nvcc was there at build time: every PTX file declares an ISA that every CUDA 12.0+ driver loads (nvcc 13 writes 9.0). */
    @Test
    void theBuiltPtxLoadsOnEveryCuda12Driver() throws IOException {
        if (!Files.exists(MANIFEST)) return;   // built without nvcc: nothing was compiled to check
        for (String family : Kernels.FAMILIES) {
            String isa = Kernels.ptxIsa(Files.readAllBytes(MANIFEST.resolveSibling(family + ".ptx")), family);
            assertTrue(Kernels.driverFor(isa) <= 12000, family + ".ptx declares PTX ISA " + isa);
        }
    }
}
