package dev.tessera.backend.cuda;

import static dev.tessera.TestUtil.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.Device;
import dev.tessera.Tensor;
import dev.tessera.TestUtil;
import dev.tessera.nn.functional.F;
import dev.tessera.ops.Conv;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A cuDNN 9 install without {@code libcudnn_cnn.so.9} (the surefire run cuda-emulator-13-no-cnn):
 * convolution runs on Tessera's kernels with a reason naming the missing sub-library, batch norm
 * (in libcudnn_ops.so.9) still on cuDNN, and nothing crashes.
 */
@Tag("cuda-no-cnn")
class CudnnMissingSubLibraryTest {
    @Test void convolutionFallsBackAndSaysWhy() {
        TestUtil.assumeCuda();
        Assumptions.assumeTrue(Boolean.getBoolean("tessera.cudnnMissingCnn"), "only in the cuda-emulator-13-no-cnn run");
        assertTrue(CudaRuntime.cudnnLoaded(0), CudaRuntime.cudnnPath(0));
        Tensor x = Tensor.randn(2, 3, 6, 6), w = Tensor.randn(4, 3, 3, 3);
        long[] before = CudaRuntime.cudnnCallCounts(0);
        Tensor out = Conv.conv2d(x.cuda(), w.cuda(), null, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, 1);
        long[] after = CudaRuntime.cudnnCallCounts(0);
        assertEquals(0, after[0] - before[0], "cuDNN served a convolution without libcudnn_cnn.so.9");
        assertEquals(1, after[1] - before[1]);
        assertClose(out.cpu(), Conv.conv2d(x, w, null, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, 1), 1e-4, 1e-5);
        String path = CudaRuntime.cudnnPath(0);
        assertTrue(path.contains("SUBLIBRARY") && path.contains("libcudnn_cnn.so.9"), path);

        Tensor y = F.batchNorm(x.cuda(), null, null, null, null, true, 0.1, 1e-5);
        assertEquals(after[0] + 1, CudaRuntime.cudnnCallCounts(0)[0], "batch norm (libcudnn_ops.so.9) should still run on cuDNN");
        assertClose(y.cpu(), F.batchNorm(x, null, null, null, null, true, 0.1, 1e-5), 1e-4, 1e-5);
        assertTrue(y.device().equals(Device.cuda()));
    }
}
