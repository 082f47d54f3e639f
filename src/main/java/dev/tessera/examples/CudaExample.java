package dev.tessera.examples;

import dev.tessera.Device;
import dev.tessera.Tensor;
import dev.tessera.examples.CustomModulesExample.M2;
import java.io.PrintStream;

/**
 * "Is the model on CUDA?": {@code model.to("cuda")} moves every parameter and buffer in place,
 * so {@code next(model.parameters()).is_cuda} becomes true. Without a usable GPU this example says
 * so, and why, instead of failing.
 */
public final class CudaExample {
    private CudaExample() {}

    public static void main(String[] args) { run(System.out); }

    public static void run(PrintStream out) {
        Tensor.manualSeed(0);
        M2 model = new M2();
        out.println("before: parameters().get(0).isCuda() = " + model.parameters().get(0).isCuda());
        if (!Device.isCudaAvailable()) {
            out.println("CUDA is not available: " + Device.cudaUnavailableReason().orElse("no CUDA device found"));
            out.println("the model stays on the CPU: parameters().get(0).device() = " + model.parameters().get(0).device());
            return;
        }
        model.to("cuda");
        out.println("after model.to(\"cuda\"): parameters().get(0).isCuda() = " + model.parameters().get(0).isCuda());
        out.println("device: " + model.parameters().get(0).device());
        Tensor y = model.forward(Tensor.randn(4, 784).to("cuda"));
        out.println("output " + y.shape() + " on " + y.device());
    }
}
