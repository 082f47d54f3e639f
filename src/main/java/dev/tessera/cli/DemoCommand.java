package dev.tessera.cli;

import dev.tessera.examples.TinyMlp;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Trains a tiny MLP on the CPU and prints its loss falling. */
@Command(name = "demo", description = "Train a tiny MLP on three point clouds and print the loss falling.")
final class DemoCommand implements Runnable {
    @Option(names = "--steps", defaultValue = "200", description = "SGD steps (default: ${DEFAULT-VALUE})") int steps;
    @Option(names = "--seed", defaultValue = "0", description = "random seed (default: ${DEFAULT-VALUE})") long seed;

    @Override public void run() {
        if (steps < 1) throw new IllegalArgumentException("--steps must be at least 1, got " + steps);
        TinyMlp.run(steps, seed, System.out);
    }
}
