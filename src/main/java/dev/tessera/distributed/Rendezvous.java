package dev.tessera.distributed;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The env:// contract that torchrun, Slurm scripts, Kubernetes Indexed Jobs and the Kubeflow training
 * operator set for each process: {@code MASTER_ADDR}, {@code MASTER_PORT}, {@code RANK}, {@code WORLD_SIZE}
 * and {@code LOCAL_RANK}, read and checked by {@link #fromEnv()}; {@link #connect} then meets the other
 * ranks through a {@link TCPStore} that rank 0 hosts on {@code MASTER_ADDR:MASTER_PORT}.
 *
 * <p>{@code LOCAL_RANK} (the process's index on its node, which picks its GPU) may be unset: Kubeflow's
 * PyTorchJob runs one process per pod and does not set it; it is then 0.
 *
 * @param masterAddr the host of rank 0's store
 * @param masterPort its port, 1..65535
 * @param rank       this process, in {@code [0, worldSize)}
 * @param worldSize  the number of processes, at least 1
 * @param localRank  this process's index on its node, in {@code [0, worldSize)}
 */
public record Rendezvous(String masterAddr, int masterPort, int rank, int worldSize, int localRank) {
    public Rendezvous {
        if (masterAddr == null || masterAddr.isBlank()) throw new DistributedException("MASTER_ADDR must name rank 0's host, got '" + masterAddr + "'");
        if (masterPort < 1 || masterPort > 65535) throw new DistributedException("MASTER_PORT must be a port number in 1..65535, got " + masterPort);
        if (worldSize < 1) throw new DistributedException("WORLD_SIZE must be at least 1, got " + worldSize);
        if (rank < 0 || rank >= worldSize) throw new DistributedException("RANK must be in [0, WORLD_SIZE=" + worldSize + "), got " + rank);
        if (localRank < 0 || localRank >= worldSize)
            throw new DistributedException("LOCAL_RANK must be in [0, WORLD_SIZE=" + worldSize + "), got " + localRank);
    }

    /** The contract from this process's environment. */
    public static Rendezvous fromEnv() { return fromEnv(System.getenv()); }

    /**
     * The contract from {@code env}; each missing or malformed variable is named with its value.
     *
     * @throws DistributedException e.g. {@code RANK is not set} or {@code MASTER_PORT=29500x is not an integer}
     */
    public static Rendezvous fromEnv(Map<String, String> env) {
        List<String> missing = new ArrayList<>();
        for (String v : List.of("MASTER_ADDR", "MASTER_PORT", "RANK", "WORLD_SIZE"))
            if (env.get(v) == null || env.get(v).isBlank()) missing.add(v);
        if (!missing.isEmpty())
            throw new DistributedException(String.join(", ", missing) + (missing.size() == 1 ? " is" : " are") + " not set: the env:// rendezvous needs "
                    + "MASTER_ADDR, MASTER_PORT, RANK and WORLD_SIZE (and LOCAL_RANK on nodes with several processes), as torchrun sets them");
        int rank = integer(env, "RANK");
        return new Rendezvous(env.get("MASTER_ADDR").trim(), integer(env, "MASTER_PORT"), rank, integer(env, "WORLD_SIZE"),
                env.get("LOCAL_RANK") == null ? 0 : integer(env, "LOCAL_RANK"));
    }

    private static int integer(Map<String, String> env, String name) {
        String v = env.get(name);
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new DistributedException(name + "=" + v + " is not an integer");
        }
    }

    /**
     * Meets the other ranks: rank 0 serves the store, every rank connects, and all return together once
     * each rank has been claimed exactly once. The store stays open for publishing, e.g., the NCCL unique id.
     *
     * @param timeout for connecting, for the other ranks to arrive, and for each later store wait
     * @throws DistributedException when the port is taken, a rank does not arrive in time, the world sizes
     *         differ, or two processes claim one rank
     */
    public TCPStore connect(Duration timeout) {
        TCPStore store = new TCPStore(masterAddr, masterPort, worldSize, rank == 0, timeout);
        try {
            if (store.add("rendezvous/rank/" + rank, 1) > 1) {
                String reason = "RANK=" + rank + " was claimed by two processes (each process needs its own RANK)";
                store.poison(reason);
                throw new DistributedException("rendezvous at " + masterAddr + ":" + masterPort + ": " + reason);
            }
            List<String> ranks = new ArrayList<>();
            for (int r = 0; r < worldSize; r++) ranks.add("rendezvous/rank/" + r);
            store.waitFor(ranks, timeout);
            return store;
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }
}
