package dev.tessera.examples;

import dev.tessera.Tensor;
import dev.tessera.examples.CustomModulesExample.M2;
import dev.tessera.examples.CustomModulesExample.M3;
import dev.tessera.nn.Module;
import dev.tessera.nn.Parameter;
import java.io.PrintStream;

/**
 * Counting parameters: {@code sum(p.numel() for p in model.parameters())}, and the trainable ones
 * only (those that require grad). Frozen parameters still count towards the total.
 */
public final class ParameterCountExample {
    private ParameterCountExample() {}

    public static void main(String[] args) { run(System.out); }

    public static void run(PrintStream out) {
        Tensor.manualSeed(0);
        M2 m2 = new M2();
        m2.namedParameters().forEach((name, p) -> out.println(name + " " + p.shape() + " " + p.numel()));
        report(out, "M2", m2);

        M3 m3 = new M3();
        report(out, "M3", m3);

        // Freezing the first layer: its 7850 parameters no longer count as trainable.
        m2.l0.weight.requiresGrad(false);
        m2.l0.bias.requiresGrad(false);
        report(out, "M2 with l0 frozen", m2);
    }

    private static void report(PrintStream out, String name, Module model) {
        long total = model.parameters().stream().mapToLong(Parameter::numel).sum();
        long trainable = model.parameters().stream().filter(Parameter::requiresGrad).mapToLong(Parameter::numel).sum();
        out.println(name + ": " + total + " parameters, " + trainable + " trainable");
    }
}
