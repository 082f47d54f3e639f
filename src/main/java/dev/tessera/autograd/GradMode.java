package dev.tessera.autograd;

/** Whether ops record a graph on this thread. {@link #disabled()} opens a nesting no-grad scope. */
public final class GradMode {
    private static final ThreadLocal<int[]> DISABLED_DEPTH = ThreadLocal.withInitial(() -> new int[1]);

    private GradMode() {}

    public static boolean isEnabled() { return DISABLED_DEPTH.get()[0] == 0; }

    /** A scope inside which no graph is recorded; close it to restore the previous mode. */
    public static Scope disabled() {
        int[] depth = DISABLED_DEPTH.get();
        depth[0]++;
        return new Scope(depth);
    }

    /** The no-grad scope: {@code try (var s = Tensor.noGrad()) { ... }}. Closing twice is harmless. */
    public static final class Scope implements AutoCloseable {
        private final int[] depth;
        private boolean closed;

        private Scope(int[] depth) { this.depth = depth; }

        @Override public void close() {
            if (!closed) { closed = true; depth[0]--; }
        }
    }
}
