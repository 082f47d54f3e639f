package dev.tessera.examples;

import dev.tessera.Tensor;
import dev.tessera.nn.Linear;
import java.io.PrintStream;

/**
 * {@code nn.Linear} computes y = x·Wᵀ + b. Written by hand with the layer's own weight and bias,
 * the result is the same.
 * <pre>
 * m = nn.Linear(20, 30)
 * input = torch.randn(128, 20)
 * output = m(input)            # torch.Size([128, 30])
 * by_hand = input @ m.weight.t() + m.bias
 * </pre>
 */
public final class LinearExample {
    private LinearExample() {}

    public static void main(String[] args) { run(System.out); }

    public static void run(PrintStream out) {
        Tensor.manualSeed(0);
        Linear m = new Linear(20, 30);
        out.println(m);
        out.println("weight " + m.weight.shape() + ", bias " + m.bias.shape());

        Tensor input = Tensor.randn(128, 20);
        Tensor output = m.forward(input);
        out.println(output.shape());

        Tensor byHand = input.matmul(m.weight.t()).add(m.bias);
        double maxDiff = output.sub(byHand).abs().max().item();
        out.println("by hand " + byHand.shape());
        out.printf("max |nn.Linear - by hand| = %.2e%n", maxDiff);
        out.println("equal within 1e-6: " + (maxDiff <= 1e-6));
    }
}
