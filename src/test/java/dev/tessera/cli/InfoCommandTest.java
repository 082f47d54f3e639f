package dev.tessera.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.TestUtil;
import dev.tessera.backend.cuda.CudaLibraries;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** {@code tessera info} on a CUDA host names the cuDNN version it loaded and the path conv2d and batch norm take. */
@Tag("cuda")
class InfoCommandTest {
    @Test void namesTheCudnnVersionAndThePath() {
        TestUtil.assumeCuda();
        TestUtil.assumeCudnn();
        String text = Captured.stdout(new InfoCommand());
        String cudnnLine = CudaLibraries.load().details().stream().filter(l -> l.startsWith("cudnn:")).findFirst().orElseThrow();
        String version = cudnnLine.replaceFirst("^cudnn: +", "").split(" ")[0];
        assertTrue(version.matches("[89]\\.\\d+\\.\\d+"), cudnnLine);
        assertTrue(text.contains("\n" + cudnnLine + "\n"), text);
        assertTrue(text.matches("(?s).*\\nconv/bn: +cuDNN " + version.replace(".", "\\.") + " for conv2d and batch norm.*"), text);
    }
}
