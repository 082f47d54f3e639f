package dev.tessera.distributed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Several store clients in threads of one JVM (RendezvousTest starts separate JVMs). */
class TCPStoreTest {
    private final ExecutorService pool = Executors.newCachedThreadPool();

    @AfterEach void stop() { pool.shutdownNow(); }

    /** A port that was free a moment ago. */
    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) { return s.getLocalPort(); }
    }

    /**
     * Runs body for ranks 0..n-1 in threads (rank 0 is the master) and returns each one's result or
     * exception. The master closes the store only after every other rank's last call.
     */
    private List<Object> ranks(int n, int worldSize, int port, Duration timeout, Function<TCPStore, Object> body) throws InterruptedException {
        List<Future<Object>> fs = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            int rank = r;
            fs.add(pool.submit(() -> {
                try (TCPStore store = new TCPStore("localhost", port, worldSize, rank == 0, timeout)) {
                    Object result = body.apply(store);
                    if (rank > 0) store.set("bye/" + rank, new byte[0]);
                    for (int other = 1; rank == 0 && other < n; other++) store.waitFor("bye/" + other);
                    return result;
                }
            }));
        }
        List<Object> results = new ArrayList<>();
        for (Future<Object> f : fs) {
            try {
                results.add(f.get(20, TimeUnit.SECONDS));
            } catch (ExecutionException e) {
                results.add(e.getCause());
            } catch (java.util.concurrent.TimeoutException e) {
                throw new AssertionError("a rank did not finish", e);
            }
        }
        return results;
    }

    @Test void setGetAddWaitAndCheckAcrossThreeClients() throws Exception {
        int port = freePort();
        List<Object> out = ranks(3, 3, port, Duration.ofSeconds(10), store -> {
            long ticket = store.add("ticket", 1);                      // 1, 2, 3 in some order
            store.set("from/" + ticket, ("hello " + ticket).getBytes(StandardCharsets.UTF_8));
            store.waitFor("from/1", "from/2", "from/3");
            assertTrue(store.check("from/1", "from/3"));
            assertFalse(store.check("from/1", "nobody"));
            String next = new String(store.get("from/" + (ticket % 3 + 1)), StandardCharsets.UTF_8);
            assertEquals(3, store.add("ticket", 0), "add(0) reads the counter (every rank added before waiting)");
            assertArrayEquals("3".getBytes(StandardCharsets.US_ASCII), store.get("ticket"), "a counter is a decimal string, as PyTorch's");
            return ticket + ":" + next;
        });
        List<String> sorted = out.stream().map(Object::toString).sorted().toList();
        assertEquals(List.of("1:hello 2", "2:hello 3", "3:hello 1"), sorted);
    }

    @Test void getWaitsForALaterSet() throws Exception {
        int port = freePort();
        List<Object> out = ranks(2, 2, port, Duration.ofSeconds(10), store -> {
            if (store.add("who", 1) == 1) {
                byte[] v = store.get("late");                              // blocks until the other rank sets it
                store.set("ack", new byte[0]);
                return new String(v, StandardCharsets.UTF_8);
            }
            try { Thread.sleep(300); } catch (InterruptedException e) { throw new RuntimeException(e); }
            store.set("late", "value".getBytes(StandardCharsets.UTF_8));
            store.get("ack");
            return "setter";
        });
        assertTrue(out.contains("value") && out.contains("setter"), out.toString());
    }

    @Test void aKeyNeverSetTimesOut() throws Exception {
        int port = freePort();
        try (TCPStore store = new TCPStore("localhost", port, 1, true, Duration.ofMillis(400))) {
            long t0 = System.nanoTime();
            DistributedException e = assertThrows(DistributedException.class, () -> store.get("never"));
            assertTrue(e.getMessage().contains("key 'never' was not set within 400 ms"), e.getMessage());
            assertTrue((System.nanoTime() - t0) / 1_000_000 >= 390, "waited the timeout");
            e = assertThrows(DistributedException.class, () -> store.waitFor(List.of("a", "b"), Duration.ofMillis(100)));
            assertTrue(e.getMessage().contains("keys [a, b] were not set within 100 ms"), e.getMessage());
        }
    }

    @Test void aRankThatNeverArrivesFailsTheOthersWithinTheTimeout() throws Exception {
        int port = freePort();
        long t0 = System.nanoTime();
        List<Object> out = ranks(2, 3, port, Duration.ofMillis(800), store -> "connected");
        for (Object o : out) {
            assertTrue(o instanceof DistributedException, String.valueOf(o));
            assertTrue(((Exception) o).getMessage().contains("only 2 of 3 ranks"), ((Exception) o).getMessage());
        }
        assertTrue((System.nanoTime() - t0) / 1_000_000 < 5000, "failed within the timeout");
    }

    @Test void worldSizesThatDifferFailEveryRankAtOnce() throws Exception {
        int port = freePort();
        Future<Object> master = pool.submit(() -> { try (TCPStore s = new TCPStore("localhost", port, 2, true, Duration.ofSeconds(10))) { return "ok"; } });
        long t0 = System.nanoTime();
        DistributedException e = assertThrows(DistributedException.class, () -> new TCPStore("localhost", port, 3, false, Duration.ofSeconds(10)));
        assertTrue(e.getMessage().contains("world size mismatch: a rank has world size 3, rank 0 (the store's host) has 2"), e.getMessage());
        ExecutionException m = assertThrows(ExecutionException.class, () -> master.get(10, TimeUnit.SECONDS));
        assertTrue(m.getCause().getMessage().contains("world size mismatch"), m.getCause().getMessage());
        assertTrue((System.nanoTime() - t0) / 1_000_000 < 5000, "not by the 10 s timeout");
    }

    @Test void aTakenPortIsNamed() throws Exception {
        try (ServerSocket taken = new ServerSocket(0)) {
            int port = taken.getLocalPort();
            DistributedException e = assertThrows(DistributedException.class, () -> new TCPStore("localhost", port, 1, true, Duration.ofSeconds(1)));
            assertTrue(e.getMessage().contains("cannot listen on port " + port + " (MASTER_PORT)"), e.getMessage());
            assertTrue(e.getMessage().contains("another process holds it"), e.getMessage());
        }
    }

    @Test void nobodyListeningIsReportedAfterRetrying() throws Exception {
        int port = freePort();
        long t0 = System.nanoTime();
        DistributedException e = assertThrows(DistributedException.class, () -> new TCPStore("localhost", port, 2, false, Duration.ofMillis(500)));
        assertTrue(e.getMessage().contains("could not connect to localhost:" + port + " within 500 ms"), e.getMessage());
        assertTrue(e.getMessage().contains("Connection refused"), e.getMessage());
        assertTrue((System.nanoTime() - t0) / 1_000_000 >= 450, "it retried until the timeout");
    }

    @Test void aClientStartedBeforeTheMasterWaitsForIt() throws Exception {
        int port = freePort();
        Future<Object> worker = pool.submit(() -> { try (TCPStore s = new TCPStore("localhost", port, 2, false, Duration.ofSeconds(10))) { return new String(s.get("k"), StandardCharsets.UTF_8); } });
        Thread.sleep(300);
        try (TCPStore master = new TCPStore("localhost", port, 2, true, Duration.ofSeconds(10))) {
            master.set("k", "v".getBytes(StandardCharsets.UTF_8));
            assertEquals("v", worker.get(10, TimeUnit.SECONDS));
        }
    }

    @Test void badArguments() {
        assertThrows(IllegalArgumentException.class, () -> new TCPStore("localhost", 0, 1, true, Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class, () -> new TCPStore("localhost", 29500, 0, true, Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class, () -> new TCPStore("localhost", 29500, 1, true, Duration.ZERO));
    }
}
