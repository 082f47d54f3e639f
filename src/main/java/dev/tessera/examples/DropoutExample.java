package dev.tessera.examples;

import dev.tessera.Tensor;
import dev.tessera.nn.Dropout;
import java.io.PrintStream;

/**
 * {@code nn.Dropout}: in training, zeroes each element with probability p and scales the others by
 * 1/(1 − p), so the expected value is unchanged; in eval it is the identity.
 * <pre>
 * m = nn.Dropout(p=0.2)
 * input = torch.randn(20, 16)
 * output = m(input)
 * </pre>
 */
public final class DropoutExample {
    private DropoutExample() {}

    public static void main(String[] args) { run(System.out); }

    public static void run(PrintStream out) {
        Tensor.manualSeed(0);
        Dropout m = new Dropout(0.2);
        out.println(m);
        Tensor input = Tensor.randn(20, 16);

        // Each call draws a new mask: the number of zeros varies around p * 320 = 64.
        for (int trial = 0; trial < 5; trial++) {
            long zeros = (long) m.forward(input).eq(0).sum().item();
            out.printf("trial %d: %d of %d zeroed (%.3f)%n", trial, zeros, input.numel(), (double) zeros / input.numel());
        }

        // Survivors are scaled by 1 / (1 - p) = 1.25.
        Tensor output = m.forward(input);
        Tensor kept = output.ne(0);
        double maxErr = output.sub(input.mul(1.25)).mul(kept.to(input.dtype())).abs().max().item();
        out.println("survivors equal input * 1.25: " + (maxErr <= 1e-5));

        m.eval();
        Tensor evalOut = m.forward(input);
        out.println("eval is identity: " + (evalOut.sub(input).abs().max().item() == 0));
    }
}
