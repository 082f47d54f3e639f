package dev.tessera.examples;

import dev.tessera.Tensor;
import dev.tessera.nn.Identity;
import dev.tessera.nn.Module;
import java.io.PrintStream;
import java.util.Arrays;

/**
 * {@code nn.Identity}: a placeholder layer that returns its input unchanged. Like PyTorch's, it
 * accepts and ignores any constructor arguments, so it can stand in for a layer that takes some.
 * <pre>
 * m = nn.Identity(54, unused_argument1=0.1, unused_argument2=False)
 * input = torch.randn(128, 20)
 * output = m(input)
 * print(output.size())   # torch.Size([128, 20])
 * </pre>
 */
public final class IdentityExample {
    private IdentityExample() {}

    public static void main(String[] args) { run(System.out); }

    public static void run(PrintStream out) {
        Tensor.manualSeed(0);
        Module m = new Identity(54, 0.1, false);   // the arguments are ignored
        Tensor input = Tensor.randn(128, 20);
        Tensor output = m.forward(input);
        out.println(output.shape());
        out.println("output is the input object: " + (output == input));
        out.println("values equal: " + Arrays.equals(output.toFloatArray(), input.toFloatArray()));
    }
}
