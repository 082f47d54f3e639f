package dev.tessera.cli;

import java.util.Arrays;

/** Median-of-runs timing with warm-up, shared by the benchmarks. */
final class Timing {
    private Timing() {}

    private static volatile Object sink;

    /** Warms up for ≥ 1 s, then returns the median seconds per call of 7 timed batches (each ≥ 5 ms). */
    static double medianSeconds(java.util.function.Supplier<?> op) {
        return medianSeconds(() -> { sink = op.get(); });
    }

    static double medianSeconds(Runnable op) { return medianSeconds(op, 1.0); }

    /**
     * As {@link #medianSeconds(Runnable)} with a warm-up of {@code warmupSeconds}: a training step
     * runs dozens of kernels, and the JIT needs a few seconds of them before its code settles
     * (a training job runs thousands of steps).
     */
    static double medianSeconds(Runnable op, double warmupSeconds) {
        long warmEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
        int reps = 1;
        while (System.nanoTime() < warmEnd) {
            long t0 = System.nanoTime();
            for (int i = 0; i < reps; i++) op.run();
            if (System.nanoTime() - t0 < 5_000_000L) reps *= 2;
        }
        double[] samples = new double[7];
        for (int s = 0; s < samples.length; s++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < reps; i++) op.run();
            samples[s] = (System.nanoTime() - t0) / 1e9 / reps;
        }
        Arrays.sort(samples);
        return samples[samples.length / 2];
    }

    /**
     * Core clock in GHz from a chain of dependent 1-cycle integer ops (add, then xor with a
     * shift of the old value that runs in parallel): 2 cycles per iteration on any modern x86 core.
     */
    static double measureClockGhz() {
        long x = 1;
        double best = 0;
        for (int round = 0; round < 12; round++) {
            long iters = 50_000_000L, t0 = System.nanoTime();
            for (long i = 0; i < iters; i++) x = (x + 0x9E3779B9L) ^ (x >>> 7);
            double seconds = (System.nanoTime() - t0) / 1e9;
            best = Math.max(best, 2 * iters / seconds / 1e9);
        }
        sink = x;
        return best;
    }
}
