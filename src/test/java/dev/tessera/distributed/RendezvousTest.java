package dev.tessera.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The env:// variables, and rendezvous of separate JVMs (RendezvousRank) and of threads. */
class RendezvousTest {
    private static Map<String, String> env(String... kv) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return m;
    }

    private static String error(Map<String, String> env) {
        return assertThrows(DistributedException.class, () -> Rendezvous.fromEnv(env)).getMessage();
    }

    @Test void readsTheLauncherVariables() {
        assertEquals(new Rendezvous("node0", 29500, 2, 4, 1),
                Rendezvous.fromEnv(env("MASTER_ADDR", "node0", "MASTER_PORT", "29500", "RANK", "2", "WORLD_SIZE", "4", "LOCAL_RANK", "1")));
        assertEquals(0, Rendezvous.fromEnv(env("MASTER_ADDR", "a", "MASTER_PORT", "1", "RANK", "3", "WORLD_SIZE", "4")).localRank(),
                "LOCAL_RANK unset (Kubeflow's one process per pod): 0");
    }

    @Test void namesEachBadVariableAndValue() {
        Map<String, String> ok = env("MASTER_ADDR", "node0", "MASTER_PORT", "29500", "RANK", "1", "WORLD_SIZE", "2", "LOCAL_RANK", "1");
        assertTrue(error(env()).startsWith("MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE are not set"), error(env()));
        Map<String, String> m = new HashMap<>(ok);
        m.remove("RANK");
        assertTrue(error(m).startsWith("RANK is not set"), error(m));
        m = new HashMap<>(ok);
        m.put("MASTER_PORT", "29500x");
        assertEquals("MASTER_PORT=29500x is not an integer", error(m));
        m.put("MASTER_PORT", "70000");
        assertEquals("MASTER_PORT must be a port number in 1..65535, got 70000", error(m));
        m = new HashMap<>(ok);
        m.put("RANK", "2");
        assertEquals("RANK must be in [0, WORLD_SIZE=2), got 2", error(m));
        m.put("RANK", "-1");
        assertEquals("RANK must be in [0, WORLD_SIZE=2), got -1", error(m));
        m = new HashMap<>(ok);
        m.put("WORLD_SIZE", "0");
        assertEquals("WORLD_SIZE must be at least 1, got 0", error(m));
        m = new HashMap<>(ok);
        m.put("LOCAL_RANK", "-3");
        assertEquals("LOCAL_RANK must be in [0, WORLD_SIZE=2), got -3", error(m));
        m = new HashMap<>(ok);
        m.put("MASTER_ADDR", " ");
        assertTrue(error(m).startsWith("MASTER_ADDR is not set"), error(m));
    }

    /** Starts RendezvousRank in a JVM per rank with the launcher variables; returns each one's exit code and output. */
    private static List<String> launch(int worldSize, int[] ranks, long timeoutMs) throws IOException, InterruptedException {
        int port = TCPStoreTest.freePort();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<Process> ps = new ArrayList<>();
        for (int rank : ranks) {
            ProcessBuilder pb = new ProcessBuilder(java, "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-cp", System.getProperty("java.class.path"),
                    RendezvousRank.class.getName(), Long.toString(timeoutMs)).redirectErrorStream(true);
            pb.environment().putAll(Map.of("MASTER_ADDR", "localhost", "MASTER_PORT", Integer.toString(port), "RANK", Integer.toString(rank),
                    "WORLD_SIZE", Integer.toString(worldSize), "LOCAL_RANK", Integer.toString(rank)));
            ps.add(pb.start());
        }
        List<String> out = new ArrayList<>();
        for (Process p : ps) {
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "a rank did not exit");
            out.add(p.exitValue() + " " + text);
        }
        return out;
    }

    @Test void threeJvmsMeetAndShareRankZerosId() throws Exception {
        List<String> out = launch(3, new int[] {0, 1, 2}, 20_000);
        String id = null;
        for (int r = 0; r < 3; r++) {
            String line = out.get(r);
            assertTrue(line.startsWith("0 rank " + r + " of 3 (local " + r + "): id="), line);
            String theirs = line.substring(line.indexOf("id=") + 3);
            if (id == null) id = theirs;
            assertEquals(id, theirs, "every rank read rank 0's id");
        }
    }

    @Test void jvmsWaitingForARankThatNeverStartsFailWithinTheTimeout() throws Exception {
        long t0 = System.nanoTime();
        List<String> out = launch(3, new int[] {0, 2}, 1500);   // rank 1 is never started
        for (String line : out) assertTrue(line.startsWith("3 failed: ") && line.contains("only 2 of 3 ranks"), line);
        assertTrue((System.nanoTime() - t0) / 1_000_000 < 30_000, "well before the 60 s guard");
    }

    @Test void aRankClaimedTwiceFailsEveryRank() throws Exception {
        int port = TCPStoreTest.freePort();
        ExecutorService pool = Executors.newCachedThreadPool();
        try {
            List<Future<TCPStore>> fs = new ArrayList<>();
            for (int rank : new int[] {0, 1, 1})
                fs.add(pool.submit(() -> new Rendezvous("localhost", port, rank, 3, 0).connect(Duration.ofSeconds(10))));
            long t0 = System.nanoTime();
            for (Future<TCPStore> f : fs) {
                ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(20, TimeUnit.SECONDS));
                assertTrue(e.getCause().getMessage().contains("RANK=1 was claimed by two processes"), e.getCause().getMessage());
            }
            assertTrue((System.nanoTime() - t0) / 1_000_000 < 5000, "not by the 10 s timeout");
        } finally {
            pool.shutdownNow();
        }
    }
}
