package dev.tessera.examples;

import dev.tessera.Tensor;
import dev.tessera.nn.Conv2d;
import dev.tessera.nn.Linear;
import dev.tessera.nn.Module;
import dev.tessera.nn.Parameter;
import dev.tessera.nn.ReLU;
import dev.tessera.nn.functional.F;
import java.io.PrintStream;

/**
 * Custom modules: subclass {@link Module}, register the layers in the constructor, override
 * {@code forward}. M0 has only a no-argument method, as the tutorial's {@code def forward(self)}
 * that prints "empty module:forward", so the tensor {@code forward} is missing; M1 wraps one
 * Linear; M2 is a 784→10→10 MLP; M3 is the MNIST CNN of "What is torch.nn really?".
 * <pre>
 * class M0(nn.Module):
 *     def forward(self) -&gt; None:
 *         print("empty module:forward")
 * m0 = M0()
 * m0()        # empty module:forward
 * </pre>
 */
public final class CustomModulesExample {
    private CustomModulesExample() {}

    /**
     * A module whose only method takes no argument (the tutorial's {@code forward(self)}); its
     * tensor {@code forward(x)} is not defined, so calling that fails naming the class.
     */
    public static class M0 extends Module {
        private final PrintStream out;

        public M0() { this(System.out); }

        /** Prints to {@code out} instead of System.out (what the tutorial's print writes to). */
        public M0(PrintStream out) { this.out = out; }

        /** The tutorial's {@code M0.forward(self)}: prints "empty module:forward". */
        public void forward() { out.println("empty module:forward"); }
    }

    public static class M1 extends Module {
        public final Linear l1 = register("l1", new Linear(10, 100));
        @Override public Tensor forward(Tensor x) { return l1.forward(x); }
    }

    public static class M2 extends Module {
        public final Linear l0 = register("l0", new Linear(784, 10));
        public final ReLU relu = register("relu", new ReLU());
        public final Linear l1 = register("l1", new Linear(10, 10));
        @Override public Tensor forward(Tensor x) { return l1.forward(relu.forward(l0.forward(x))); }
    }

    /** [N, 784] → [N, 10]: three stride-2 convolutions (28 → 14 → 7 → 4), then a 4×4 average pool. */
    public static class M3 extends Module {
        public final Conv2d conv1 = register("conv1", new Conv2d(1, 16, 3, 2, 1));
        public final Conv2d conv2 = register("conv2", new Conv2d(16, 16, 3, 2, 1));
        public final Conv2d conv3 = register("conv3", new Conv2d(16, 10, 3, 2, 1));
        @Override public Tensor forward(Tensor x) {
            x = x.view(-1, 1, 28, 28);
            x = F.relu(conv1.forward(x));
            x = F.relu(conv2.forward(x));
            x = F.relu(conv3.forward(x));
            x = F.avgPool2d(x, 4);
            return x.view(-1, 10);
        }
    }

    /** Trainable parameters, as {@code sum(p.numel() for p in model.parameters() if p.requires_grad)}. */
    public static long countParameters(Module model) {
        return model.parameters().stream().filter(Parameter::requiresGrad).mapToLong(Parameter::numel).sum();
    }

    public static void main(String[] args) { run(System.out); }

    public static void run(PrintStream out) {
        Tensor.manualSeed(0);
        M0 m0 = new M0(out);
        out.println(m0);
        m0.forward();
        try {
            m0.forward(Tensor.randn(1, 10));
        } catch (UnsupportedOperationException e) {
            out.println(e.getMessage());
        }

        M1 m1 = new M1();
        out.println(m1);
        out.println(m1.forward(Tensor.randn(1, 10)).shape());

        M2 m2 = new M2();
        out.println(m2);
        out.println("M2 parameters: " + countParameters(m2));
        out.println(m2.forward(Tensor.randn(64, 784)).shape());

        M3 m3 = new M3();
        out.println(m3);
        out.println("M3 parameters: " + countParameters(m3));
        out.println(m3.forward(Tensor.randn(64, 784)).shape());
    }
}
