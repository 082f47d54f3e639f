package dev.tessera;

import java.util.SplittableRandom;

/**
 * The global random generator. Each random op takes one 64-bit seed from here and generates its
 * values from a fresh {@link SplittableRandom} with that seed, so results do not depend on thread
 * scheduling and a future device backend can use the same seed in a counter-based kernel.
 */
public final class Generator {
    private static SplittableRandom root = new SplittableRandom(0x7e55e4aL);

    private Generator() {}

    /** Reseeds the global generator (as {@code torch.manual_seed}). */
    public static synchronized void manualSeed(long seed) { root = new SplittableRandom(seed); }

    /** The seed for the next random op. */
    public static synchronized long nextSeed() { return root.nextLong(); }
}
