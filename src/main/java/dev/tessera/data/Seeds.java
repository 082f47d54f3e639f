package dev.tessera.data;

import java.util.SplittableRandom;

/** Independent random streams addressed by (seed, index), so results do not depend on call order or threads. */
final class Seeds {
    private Seeds() {}

    /**
     * The stream for {@code index} under {@code seed}. The start state is hashed from both so that
     * neighbouring indices do not share a shifted sequence, as {@code new SplittableRandom(seed +
     * index * gamma)} would with SplittableRandom's own gamma.
     */
    static SplittableRandom stream(long seed, long index) { return new SplittableRandom(mix(mix(seed) + index)); }

    /** Stafford's variant 13 of the MurmurHash3 finaliser (as SplittableRandom uses): a bijective 64-bit mix. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
