package dev.tessera.cli;

import dev.tessera.backend.cpu.Gemm;
import dev.tessera.backend.cpu.Parallel;
import dev.tessera.backend.cuda.CudaRuntime;
import picocli.CommandLine.Command;

/** What Tessera sees of this machine: Java, OS, CPU threads, the GEMM path, CUDA (or why not). */
@Command(name = "info", description = "Report the Java runtime, CPU and CUDA setup.")
final class InfoCommand implements Runnable {
    @Override public void run() {
        System.out.println("java:        " + System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        System.out.println("os:          " + System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        System.out.println("cpu threads: " + Runtime.getRuntime().availableProcessors() + " (kernels use " + Parallel.threads() + ")");
        System.out.println("cpu gemm:    " + (Gemm.vectorApiAvailable() ? "Vector API fast path (jdk.incubator.vector)"
                : "portable fallback (start java with --add-modules jdk.incubator.vector for the fast path)"));
        Gemm.vectorApiHint().ifPresent(hint -> System.out.println("hint:        " + hint));
        CudaRuntime.describe().forEach(System.out::println);
    }
}
