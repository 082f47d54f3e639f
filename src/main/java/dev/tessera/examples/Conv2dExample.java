package dev.tessera.examples;

import dev.tessera.Tensor;
import dev.tessera.nn.Conv2d;
import java.io.PrintStream;

/**
 * {@code nn.Conv2d}: 2-D convolution over [N, C, H, W]. The output side is
 * floor((in + 2·padding − kernel) / stride) + 1.
 * <pre>
 * m = nn.Conv2d(16, 33, 3, stride=2)
 * input = torch.randn(20, 16, 50, 100)
 * output = m(input)      # torch.Size([20, 33, 24, 49])
 * </pre>
 */
public final class Conv2dExample {
    private Conv2dExample() {}

    public static void main(String[] args) { run(System.out); }

    public static void run(PrintStream out) {
        Tensor.manualSeed(0);
        Conv2d m = new Conv2d(16, 33, 3, 2);
        out.println(m);
        out.println("weight " + m.weight.shape() + ", bias " + m.bias.shape());

        Tensor input = Tensor.randn(20, 16, 50, 100);
        Tensor output = m.forward(input);
        out.println(output.shape());   // (50 - 3) / 2 + 1 = 24, (100 - 3) / 2 + 1 = 49

        // Padding 1 keeps the size at stride 1: the usual "same" 3x3 convolution.
        Conv2d same = new Conv2d(16, 33, 3, 1, 1);
        out.println(same);
        out.println(same.forward(input.narrow(0, 0, 1)).shape());
    }
}
