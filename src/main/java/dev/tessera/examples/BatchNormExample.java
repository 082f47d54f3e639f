package dev.tessera.examples;

import dev.tessera.Tensor;
import dev.tessera.nn.BatchNorm2d;
import java.io.PrintStream;

/**
 * {@code nn.BatchNorm2d}: in training, each channel is normalised with the statistics of the
 * batch (over N, H and W), so every output channel has mean ≈ 0 and variance ≈ 1; the running
 * statistics are updated for use in eval.
 * <pre>
 * m = nn.BatchNorm2d(100)
 * input = torch.randn(20, 100, 35, 45)
 * output = m(input)
 * </pre>
 */
public final class BatchNormExample {
    private BatchNormExample() {}

    public static void main(String[] args) { run(System.out); }

    public static void run(PrintStream out) {
        Tensor.manualSeed(0);
        BatchNorm2d m = new BatchNorm2d(100);
        out.println(m);
        out.println(m.namedBuffers().keySet());

        // Shifted and scaled input, so that the normalisation visibly does something.
        Tensor input = Tensor.randn(20, 100, 35, 45).mul(3).add(5);
        Tensor output = m.forward(input);
        out.println(output.shape());

        int[] nhw = {0, 2, 3};   // statistics per channel: over every dim but 1
        Tensor mean = output.mean(nhw, false), var = output.var(nhw, false, false);
        out.printf("per-channel mean: max |mean| = %.4f%n", mean.abs().max().item());
        out.printf("per-channel var:  min %.4f, max %.4f%n", var.min().item(), var.max().item());
        out.println("num_batches_tracked: " + m.numBatchesTracked);
    }
}
