package dev.tessera.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code tessera} command: {@code train}, {@code info}, {@code demo}, {@code examples}, {@code bench cpu}. */
@Command(name = "tessera", mixinStandardHelpOptions = true, version = "tessera 0.1.0",
        description = "A PyTorch-style module runtime for Java.",
        subcommands = {TrainCommand.class, InfoCommand.class, DemoCommand.class, ExamplesCommand.class, BenchCommand.class})
public final class Tessera implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public void run() { spec.commandLine().usage(System.out); }

    public static void main(String[] args) { System.exit(execute(args)); }

    /** Runs the command line; user errors end in one line on stderr and a non-zero exit code, no stack trace. */
    public static int execute(String... args) {
        CommandLine cl = new CommandLine(new Tessera());
        cl.setParameterExceptionHandler((ex, a) -> {
            ex.getCommandLine().getErr().println("tessera: " + ex.getMessage() + " (see --help)");
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            commandLine.getErr().println("tessera: " + ex.getMessage());
            return 1;
        });
        return cl.execute(args);
    }
}
