package dev.tessera.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CudaLibrariesTest {
    @Test
    void loadNeverThrowsAndIsMemoized() {
        CudaLibraries.Result r = assertDoesNotThrow(CudaLibraries::load);
        assertSame(r, CudaLibraries.load());
    }

    @Test
    void loadGivesAReasonOrTheLoadedLibraries() {
        CudaLibraries.Result r = CudaLibraries.load();
        if (r.ok()) {   // a GPU machine: the driver, a device and cuBLAS are there
            assertNull(r.reason());
            assertTrue(r.deviceCount() > 0);
            assertTrue(r.details().stream().anyMatch(l -> l.startsWith("cublas:")), r.details()::toString);
        } else {        // this CPU-only machine: why, in words a user can act on
            String why = r.reason();
            assertTrue(why.contains("libcuda.so.1") || why.contains("no NVIDIA driver") || why.contains("no CUDA device"), why);
            assertFalse(why.startsWith("CUDA unavailable"), "callers add the prefix: " + why);
            assertEquals(0, r.deviceCount());
            assertFalse(r.cudnnOk());
        }
    }

    @Test
    void searchFindsLibrariesInEnvironmentFolders(@TempDir Path tmp) throws IOException {
        Path ld = touch(tmp.resolve("ld/libcublas.so.13"));
        Path cuda = touch(tmp.resolve("cuda/lib64/libcudnn.so.9"));
        Path wheel = touch(tmp.resolve("venv/lib/python3.12/site-packages/nvidia/cu13/lib/libcublasLt.so.13"));
        touch(tmp.resolve("venv/lib/python3.12/site-packages/nvidia/cu13/lib/libcublas.so.13"));   // later in the order
        Map<String, String> env = Map.of("LD_LIBRARY_PATH", tmp.resolve("ld") + "::/nonexistent",
                "CUDA_HOME", tmp.resolve("cuda").toString(), "VIRTUAL_ENV", tmp.resolve("venv").toString(), "HOME", tmp.toString());
        List<Path> dirs = CudaLibraries.searchDirs(env);
        assertEquals(Optional.of(ld), CudaLibraries.find("libcublas.so.13", dirs), "LD_LIBRARY_PATH comes first");
        assertEquals(Optional.of(cuda), CudaLibraries.find("libcudnn.so.9", dirs));
        assertEquals(Optional.of(wheel), CudaLibraries.find("libcublasLt.so.13", dirs));
        assertEquals(Optional.empty(), CudaLibraries.find("libtessera-absent.so.1", dirs));
        assertTrue(dirs.stream().allMatch(Files::isDirectory));
    }

    @Test
    void searchFindsPythonEnvironmentsOnThePathAndUnderHome(@TempDir Path tmp) throws IOException {
        Path onPath = touch(tmp.resolve("conda/lib/python3.11/site-packages/nvidia/cudnn/lib/libcudnn.so.9"));
        Path inHome = touch(tmp.resolve("home/.venv/lib/python3.10/dist-packages/nvidia/cublas/lib/libcublas.so.12"));
        Map<String, String> env = Map.of("PATH", "/usr/bin:" + tmp.resolve("conda/bin"), "HOME", tmp.resolve("home").toString());
        List<Path> dirs = CudaLibraries.searchDirs(env);
        assertEquals(Optional.of(onPath), CudaLibraries.find("libcudnn.so.9", dirs));
        assertEquals(Optional.of(inHome), CudaLibraries.find("libcublas.so.12", dirs));
    }

    @Test
    void searchSkipsTesseraShims(@TempDir Path tmp) throws IOException {
        Path shim = tmp.resolve("a/libcublas.so.12"), real = tmp.resolve("b/libcublas.so.12");
        Files.createDirectories(shim.getParent());
        Files.write(shim, "\177ELF...tessera-forwarding-shim libcublas.so.12 -> libcublas.so.13\0".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        touch(real);
        assertEquals(Optional.of(real), CudaLibraries.find("libcublas.so.12", List.of(tmp.resolve("a"), tmp.resolve("b"))));
    }

    @Test
    void expandMatchesOneLevelPerStarInOrder(@TempDir Path tmp) throws IOException {
        Files.createDirectories(tmp.resolve("cuda-12.6/lib64"));
        Files.createDirectories(tmp.resolve("cuda-12.4/lib64"));
        Files.createDirectories(tmp.resolve("cuda-13.0/bin"));
        assertEquals(List.of(tmp.resolve("cuda-12.4/lib64"), tmp.resolve("cuda-12.6/lib64")), CudaLibraries.expand(tmp + "/cuda-*/lib64"));
        assertEquals(List.of(), CudaLibraries.expand(tmp + "/nothing-*/lib64"));
        assertEquals(List.of(), CudaLibraries.expand("relative/path"));
    }

    private static Path touch(Path f) throws IOException {
        Files.createDirectories(f.getParent());
        return Files.write(f, new byte[0]);
    }
}
