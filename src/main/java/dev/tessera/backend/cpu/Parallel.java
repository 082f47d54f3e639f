package dev.tessera.backend.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;

/**
 * The CPU backend's one parallel loop. Work is split into at most {@link #threads()} contiguous
 * chunks, and only when the caller says the whole loop is big enough to pay for the hand-off
 * (a few microseconds); small ops run on the calling thread.
 */
public final class Parallel {
    /** Below this many scalar operations a loop runs on the calling thread. */
    public static final long MIN_PARALLEL_WORK = 1L << 16;

    private static volatile int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
    private static final ForkJoinPool POOL = new ForkJoinPool(Math.max(1, Runtime.getRuntime().availableProcessors()));
    /**
     * Set while the calling thread runs its own chunk: a loop nested in a body (a GEMM inside a
     * convolution's task) then runs inline there too, as it already does on the pool's workers,
     * instead of queueing behind the busy workers and waiting.
     */
    private static final ThreadLocal<boolean[]> IN_BODY = ThreadLocal.withInitial(() -> new boolean[1]);

    private Parallel() {}

    /** A body over the half-open index range [from, to). */
    @FunctionalInterface
    public interface RangeBody { void run(int from, int to); }

    /** Threads used by CPU kernels (default: available processors). */
    public static int threads() { return threads; }

    /** Sets the number of threads CPU kernels use (like {@code torch.set_num_threads}). */
    public static void setThreads(int n) {
        if (n < 1) throw new IllegalArgumentException("setThreads: thread count must be >= 1, got " + n);
        threads = Math.min(n, POOL.getParallelism());
    }

    /**
     * Runs body over [0, n), split into chunks when {@code totalWork} (scalar operations for the
     * whole loop) is at least {@link #MIN_PARALLEL_WORK} and more than one thread is allowed.
     */
    public static void forRange(int n, long totalWork, RangeBody body) {
        int t = threads;
        boolean[] inBody = IN_BODY.get();
        if (t <= 1 || n <= 1 || totalWork < MIN_PARALLEL_WORK || inBody[0] || java.util.concurrent.ForkJoinTask.inForkJoinPool()) {
            body.run(0, n);
            return;
        }
        int chunks = Math.min(t, n);
        RecursiveAction[] tasks = new RecursiveAction[chunks - 1];
        for (int c = 1; c < chunks; c++) {
            int from = (int) ((long) n * c / chunks), to = (int) ((long) n * (c + 1) / chunks);
            tasks[c - 1] = new RecursiveAction() { @Override protected void compute() { body.run(from, to); } };
            POOL.execute(tasks[c - 1]);
        }
        inBody[0] = true;
        try {
            body.run(0, (int) ((long) n / chunks));
        } finally {
            inBody[0] = false;
        }
        for (RecursiveAction task : tasks) task.join();
    }
}
