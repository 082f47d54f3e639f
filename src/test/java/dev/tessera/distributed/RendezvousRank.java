package dev.tessera.distributed;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;

/**
 * One rank of RendezvousTest's multi-process runs, in its own JVM: reads the env:// variables, meets the
 * others, and has rank 0 publish an id that every rank reads back (the NCCL unique id's path). Prints
 * {@code rank R of W: id=...}; on a failure prints the message and exits 3.
 */
public final class RendezvousRank {
    public static void main(String[] args) {
        try {
            Rendezvous r = Rendezvous.fromEnv();
            try (TCPStore store = r.connect(Duration.ofMillis(Long.parseLong(args[0])))) {
                if (r.rank() == 0) store.set("id", UUID.randomUUID().toString().getBytes(StandardCharsets.UTF_8));
                String id = new String(store.get("id"), StandardCharsets.UTF_8);
                System.out.println("rank " + r.rank() + " of " + r.worldSize() + " (local " + r.localRank() + "): id=" + id);
                store.add("done", 1);
                if (r.rank() == 0) {   // the host leaves last: the others still use its store until they are done
                    long deadline = System.nanoTime() + 10_000_000_000L;
                    while (store.add("done", 0) < r.worldSize() && System.nanoTime() < deadline) Thread.sleep(10);
                }
            }
        } catch (DistributedException | InterruptedException e) {
            System.out.println("failed: " + e.getMessage());
            System.exit(3);
        }
    }
}
