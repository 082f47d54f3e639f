package dev.tessera.cli;

import dev.tessera.examples.BatchNormExample;
import dev.tessera.examples.Conv2dExample;
import dev.tessera.examples.CudaExample;
import dev.tessera.examples.CustomModulesExample;
import dev.tessera.examples.DropoutExample;
import dev.tessera.examples.EmbeddingExample;
import dev.tessera.examples.IdentityExample;
import dev.tessera.examples.LayerNormExample;
import dev.tessera.examples.LinearExample;
import dev.tessera.examples.ModuleIterationExample;
import dev.tessera.examples.ParameterCountExample;
import dev.tessera.examples.SelfAttentionExample;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code tessera examples [NAME]}: lists the tutorial examples, or runs one (or {@code all}) and prints its output. */
@Command(name = "examples", description = "List the tutorial examples, or run one by name (or all).")
final class ExamplesCommand implements Runnable {
    record Example(String description, Consumer<PrintStream> run) {}

    /** Name → example, in the tutorial's order. */
    static final Map<String, Example> EXAMPLES = new LinkedHashMap<>();
    static {
        EXAMPLES.put("identity", new Example("nn.Identity passes its input through", IdentityExample::run));
        EXAMPLES.put("embedding", new Example("nn.Embedding looks up rows; an index out of range fails", EmbeddingExample::run));
        EXAMPLES.put("linear", new Example("nn.Linear, and the same computed by hand", LinearExample::run));
        EXAMPLES.put("conv2d", new Example("nn.Conv2d output shapes", Conv2dExample::run));
        EXAMPLES.put("batchnorm", new Example("nn.BatchNorm2d normalises each channel", BatchNormExample::run));
        EXAMPLES.put("layernorm", new Example("nn.LayerNorm over the last dims", LayerNormExample::run));
        EXAMPLES.put("dropout", new Example("nn.Dropout in training and eval", DropoutExample::run));
        EXAMPLES.put("custom-modules", new Example("custom modules M0-M3", CustomModulesExample::run));
        EXAMPLES.put("self-attention", new Example("self-attention with spectral norm", SelfAttentionExample::run));
        EXAMPLES.put("module-iteration", new Example("modules(), namedModules(), children(), namedChildren()", ModuleIterationExample::run));
        EXAMPLES.put("parameter-count", new Example("counting (trainable) parameters", ParameterCountExample::run));
        EXAMPLES.put("cuda", new Example("is the model on CUDA?", CudaExample::run));
    }

    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "an example's name, or all; none lists them")
    String name;

    @Override public void run() {
        PrintStream out = System.out;
        if (name == null) {
            out.println("Tutorial examples (run one with: tessera examples NAME, or all of them with: tessera examples all):");
            EXAMPLES.forEach((n, e) -> out.printf("  %-17s %s%n", n, e.description()));
            return;
        }
        if (name.equals("all")) {
            EXAMPLES.forEach((n, e) -> {
                out.println("== " + n);
                e.run().accept(out);
            });
            return;
        }
        Example e = EXAMPLES.get(name);
        if (e == null) throw new IllegalArgumentException("no example named '" + name + "'; choose one of " + String.join(", ", EXAMPLES.keySet()) + " or all");
        e.run().accept(out);
    }
}
