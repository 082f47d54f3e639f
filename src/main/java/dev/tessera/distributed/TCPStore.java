package dev.tessera.distributed;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A small key-value store for rendezvous, as PyTorch's {@code TCPStore(host_name, port, world_size,
 * is_master, timeout)}: the master process (rank 0) serves it on {@code port}, and every process, the
 * master included, is a client. Keys are strings, values bytes; {@link #get} and {@link #waitFor} block
 * until the keys are set or the timeout passes; {@link #add} is an atomic counter.
 *
 * <p>The constructor returns once {@code worldSize} clients have connected, each with the same world size
 * (PyTorch's master alone waits for the workers; here every rank does, so that a rank that never arrives
 * fails every other rank within the timeout, with the count that did arrive). A client whose world size
 * differs from the master's fails at once, and so do the ranks waiting with it.
 *
 * <p>Errors ({@link DistributedException}): the port is taken (master), nothing listens at
 * {@code host:port} within the timeout (connection refused, retried until then), an unknown host, world
 * sizes that differ, too few ranks within the timeout, a key not set within the timeout, the master's
 * process gone. The wire format is Tessera's own (not PyTorch's), for Tessera processes only; the store
 * trusts its network, as PyTorch's does.
 */
public final class TCPStore implements AutoCloseable {
    // requests
    private static final byte HELLO = 1, JOIN = 2, SET = 3, GET = 4, ADD = 5, WAIT = 6, CHECK = 7, POISON = 8;
    // replies
    private static final byte OK = 0, TIMEOUT = 1, ERROR = 2;

    private final String host;
    private final int port;
    private final int worldSize;
    private final Duration timeout;
    private final Server server;     // on the master only
    private final Socket socket;
    private final DataInputStream in;
    private final DataOutputStream out;

    /**
     * Connects to (and on the master, first serves) the store at {@code host:port}, then waits until all
     * {@code worldSize} ranks have connected.
     *
     * @param host      the master's address (MASTER_ADDR); the master itself listens on every interface
     * @param port      the master's port (MASTER_PORT), 1..65535
     * @param worldSize the number of processes, at least 1, the same on every rank
     * @param isMaster  true on exactly one process (rank 0)
     * @param timeout   how long connecting, the wait for the other ranks, and each later get/wait may take
     */
    public TCPStore(String host, int port, int worldSize, boolean isMaster, Duration timeout) {
        this.host = Objects.requireNonNull(host, "host");
        if (port < 1 || port > 65535) throw new IllegalArgumentException("TCPStore: port must be in 1..65535, got " + port);
        if (worldSize < 1) throw new IllegalArgumentException("TCPStore: world_size must be at least 1, got " + worldSize);
        if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("TCPStore: timeout must be positive, got " + timeout);
        this.port = port;
        this.worldSize = worldSize;
        this.timeout = timeout;
        this.server = isMaster ? new Server(port, worldSize) : null;
        long deadline = System.nanoTime() + timeout.toNanos();
        Socket s = null;
        try {
            s = connect(isMaster ? InetAddress.getLoopbackAddress().getHostAddress() : host, deadline);
            this.socket = s;
            this.in = new DataInputStream(new BufferedInputStream(s.getInputStream()));
            this.out = new DataOutputStream(new BufferedOutputStream(s.getOutputStream()));
            out.writeByte(HELLO);
            out.writeInt(worldSize);
            reply("connect");
            out.writeByte(JOIN);
            out.writeLong(remainingMs(deadline));
            out.writeLong(timeout.toMillis());
            reply("connect");
        } catch (IOException e) {
            closeQuietly(s);
            if (server != null) server.close();
            throw lost(e);
        } catch (RuntimeException e) {
            closeQuietly(s);
            if (server != null) server.close();
            throw e;
        }
    }

    public int worldSize() { return worldSize; }
    public Duration timeout() { return timeout; }

    /** Sets {@code key} to {@code value}, waking the ranks waiting for it. */
    public synchronized void set(String key, byte[] value) {
        try {
            out.writeByte(SET);
            out.writeUTF(key);
            out.writeInt(value.length);
            out.write(value);
            reply("set");
        } catch (IOException e) {
            throw lost(e);
        }
    }

    /** The value of {@code key}, waiting up to the store's timeout for some rank to set it. */
    public synchronized byte[] get(String key) {
        try {
            out.writeByte(GET);
            out.writeUTF(key);
            out.writeLong(timeout.toMillis());
            if (reply("get") == TIMEOUT)
                throw new DistributedException("TCPStore at " + where() + ": key '" + key + "' was not set within " + timeout.toMillis() + " ms");
            byte[] value = new byte[in.readInt()];
            in.readFully(value);
            return value;
        } catch (IOException e) {
            throw lost(e);
        }
    }

    /** Adds {@code delta} to the counter {@code key} (0 when unset) and returns the new value. */
    public synchronized long add(String key, long delta) {
        try {
            out.writeByte(ADD);
            out.writeUTF(key);
            out.writeLong(delta);
            reply("add");
            return in.readLong();
        } catch (IOException e) {
            throw lost(e);
        }
    }

    /** Waits up to the store's timeout until every key is set (PyTorch's {@code store.wait(keys)}). */
    public void waitFor(String... keys) { waitFor(List.of(keys), timeout); }

    /** Waits up to {@code timeout} until every key is set; the exception names the keys still missing. */
    public synchronized void waitFor(List<String> keys, Duration timeout) {
        try {
            out.writeByte(WAIT);
            writeKeys(keys);
            out.writeLong(timeout.toMillis());
            if (reply("wait") == TIMEOUT) {
                List<String> missing = readKeys();
                throw new DistributedException("TCPStore at " + where() + ": keys " + missing + " were not set within " + timeout.toMillis() + " ms");
            }
        } catch (IOException e) {
            throw lost(e);
        }
    }

    /** Whether every key is set, without waiting. */
    public synchronized boolean check(String... keys) {
        try {
            out.writeByte(CHECK);
            writeKeys(List.of(keys));
            reply("check");
            return in.readBoolean();
        } catch (IOException e) {
            throw lost(e);
        }
    }

    /**
     * Marks the store failed with {@code reason}: every wait in progress and every later call on any rank
     * throws it. For a rank that finds the job broken (a rank claimed twice), so the others stop at once.
     */
    synchronized void poison(String reason) {
        try {
            out.writeByte(POISON);
            out.writeUTF(reason);
            reply("poison");
        } catch (IOException | DistributedException e) {
            // the store is gone or already failed: the other ranks learn of it anyway
        }
    }

    /** Disconnects; on the master also stops serving (do this last: the other ranks lose the store). */
    @Override public void close() {
        closeQuietly(socket);
        if (server != null) server.close();
    }

    private String where() { return host + ":" + port; }

    private byte reply(String op) throws IOException {
        out.flush();
        byte status = in.readByte();
        if (status == ERROR) throw new DistributedException("TCPStore at " + where() + ": " + in.readUTF());
        return status;
    }

    private void writeKeys(List<String> keys) throws IOException {
        out.writeInt(keys.size());
        for (String k : keys) out.writeUTF(k);
    }

    private List<String> readKeys() throws IOException {
        int n = in.readInt();
        List<String> keys = new ArrayList<>(n);
        for (int i = 0; i < n; i++) keys.add(in.readUTF());
        return keys;
    }

    private DistributedException lost(IOException e) {
        String why = e instanceof EOFException || e instanceof SocketException ? "the connection was closed (did rank 0, which hosts the store, exit?)"
                : e instanceof SocketTimeoutException ? "the store did not answer in time" : e.toString();
        return new DistributedException("TCPStore at " + where() + ": " + why, e);
    }

    private static long remainingMs(long deadline) { return Math.max(1, (deadline - System.nanoTime()) / 1_000_000); }

    /** Connects to the store, retrying while nothing listens yet (the master may start later), until the deadline. */
    private Socket connect(String address, long deadline) {
        IOException last = null;
        do {
            Socket s = new Socket();
            try {
                s.connect(new InetSocketAddress(InetAddress.getByName(address), port), (int) Math.min(Integer.MAX_VALUE, remainingMs(deadline)));
                s.setTcpNoDelay(true);
                return s;
            } catch (UnknownHostException e) {
                closeQuietly(s);
                throw new DistributedException("TCPStore: unknown host '" + address + "' (MASTER_ADDR)", e);
            } catch (ConnectException | SocketTimeoutException e) {
                closeQuietly(s);
                last = e;
                try {
                    Thread.sleep(50);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new DistributedException("TCPStore: interrupted while connecting to " + address + ":" + port, ie);
                }
            } catch (IOException e) {
                closeQuietly(s);
                throw new DistributedException("TCPStore: cannot connect to " + address + ":" + port + ": " + e.getMessage(), e);
            }
        } while (System.nanoTime() < deadline);
        throw new DistributedException("TCPStore: could not connect to " + address + ":" + port + " within " + timeout.toMillis() + " ms: "
                + last.getMessage() + " (is rank 0 running, with the same MASTER_ADDR and MASTER_PORT?)", last);
    }

    private static void closeQuietly(Socket s) {
        try {
            if (s != null) s.close();
        } catch (IOException ignored) {
            // closing: nothing left to do
        }
    }

    /** The master's side: one daemon thread accepts, one per client serves its requests in order. */
    private static final class Server {
        private final ServerSocket listener;
        private final int worldSize;
        private final Map<String, byte[]> values = new HashMap<>();
        private final List<Socket> clients = new ArrayList<>();
        private int joined;
        private int serving;      // connections whose thread still runs
        private String failure;   // set by a world-size mismatch or poison(): every wait ends with it

        Server(int port, int worldSize) {
            this.worldSize = worldSize;
            try {
                listener = new ServerSocket();
                listener.setReuseAddress(true);   // a port left in TIME_WAIT by an earlier run is free; one in use is not
                listener.bind(new InetSocketAddress(port));
            } catch (BindException e) {
                throw new DistributedException("TCPStore: cannot listen on port " + port + " (MASTER_PORT): " + e.getMessage()
                        + "; another process holds it, so choose another MASTER_PORT or stop that process", e);
            } catch (IOException e) {
                throw new DistributedException("TCPStore: cannot listen on port " + port + ": " + e.getMessage(), e);
            }
            Thread t = new Thread(this::accept, "tessera-tcpstore-accept");
            t.setDaemon(true);
            t.start();
        }

        private void accept() {
            while (!listener.isClosed()) {
                try {
                    Socket s = listener.accept();
                    s.setTcpNoDelay(true);
                    synchronized (this) { clients.add(s); serving++; }
                    Thread t = new Thread(() -> serve(s), "tessera-tcpstore-client");
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    return;   // closed
                }
            }
        }

        private void serve(Socket s) {
            try (s; DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream()));
                 DataOutputStream out = new DataOutputStream(new BufferedOutputStream(s.getOutputStream()))) {
                while (true) {
                    handle(in.readByte(), in, out);
                    out.flush();
                }
            } catch (IOException e) {
                // the client went away
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                synchronized (this) { serving--; notifyAll(); }
            }
        }

        private void handle(byte op, DataInputStream in, DataOutputStream out) throws IOException, InterruptedException {
            switch (op) {
                case HELLO -> {
                    int theirs = in.readInt();
                    synchronized (this) {
                        if (theirs != worldSize) fail("world size mismatch: a rank has world size " + theirs + ", rank 0 (the store's host) has " + worldSize);
                        if (!errorReply(out)) out.writeByte(OK);
                    }
                }
                case JOIN -> {
                    long deadline = System.nanoTime() + in.readLong() * 1_000_000, timeoutMs = in.readLong();
                    synchronized (this) {
                        joined++;
                        notifyAll();
                        while (failure == null && joined < worldSize && waitUntil(deadline)) { }
                        if (failure == null && joined < worldSize)   // the first rank to give up tells all the others
                            fail("only " + joined + " of " + worldSize + " ranks (world size " + worldSize + ") connected within " + timeoutMs
                                    + " ms; the others never arrived");
                        if (!errorReply(out)) out.writeByte(OK);
                    }
                }
                case SET -> {
                    String key = in.readUTF();
                    byte[] v = new byte[in.readInt()];
                    in.readFully(v);
                    synchronized (this) {
                        values.put(key, v);
                        notifyAll();
                        out.writeByte(OK);
                    }
                }
                case GET -> {
                    String key = in.readUTF();
                    long deadline = System.nanoTime() + in.readLong() * 1_000_000;
                    synchronized (this) {
                        while (failure == null && !values.containsKey(key) && waitUntil(deadline)) { }
                        if (errorReply(out)) return;
                        byte[] v = values.get(key);
                        if (v == null) { out.writeByte(TIMEOUT); return; }
                        out.writeByte(OK);
                        out.writeInt(v.length);
                        out.write(v);
                    }
                }
                case ADD -> {
                    String key = in.readUTF();
                    long delta = in.readLong();
                    synchronized (this) {
                        if (errorReply(out)) return;
                        byte[] old = values.get(key);
                        long sum = (old == null ? 0 : Long.parseLong(new String(old, StandardCharsets.US_ASCII))) + delta;
                        values.put(key, Long.toString(sum).getBytes(StandardCharsets.US_ASCII));   // a decimal string, as PyTorch's add
                        notifyAll();
                        out.writeByte(OK);
                        out.writeLong(sum);
                    }
                }
                case WAIT, CHECK -> {
                    int n = in.readInt();
                    List<String> keys = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) keys.add(in.readUTF());
                    long deadline = op == WAIT ? System.nanoTime() + in.readLong() * 1_000_000 : System.nanoTime();
                    synchronized (this) {
                        while (failure == null && !values.keySet().containsAll(keys) && waitUntil(deadline)) { }
                        if (errorReply(out)) return;
                        List<String> missing = keys.stream().filter(k -> !values.containsKey(k)).toList();
                        if (op == CHECK) { out.writeByte(OK); out.writeBoolean(missing.isEmpty()); return; }
                        out.writeByte(missing.isEmpty() ? OK : TIMEOUT);
                        if (!missing.isEmpty()) {
                            out.writeInt(missing.size());
                            for (String k : missing) out.writeUTF(k);
                        }
                    }
                }
                case POISON -> {
                    String reason = in.readUTF();
                    synchronized (this) {
                        fail(reason);
                        out.writeByte(OK);
                    }
                }
                default -> throw new IOException("unknown request " + op);
            }
        }

        private void fail(String reason) {
            if (failure == null) failure = reason;
            notifyAll();
        }

        private boolean errorReply(DataOutputStream out) throws IOException {
            if (failure == null) return false;
            out.writeByte(ERROR);
            out.writeUTF(failure);
            return true;
        }

        /** Waits on this monitor until notified or the deadline; false once the deadline has passed. */
        private boolean waitUntil(long deadline) throws InterruptedException {
            long ms = (deadline - System.nanoTime()) / 1_000_000;
            if (ms <= 0) return false;
            wait(ms);
            return true;
        }

        /**
         * Stops accepting and hangs up on the clients; after a failure it first waits (up to 2 s) for them to
         * hang up, so that each has read the failure as its answer before the master's process may exit.
         */
        synchronized void close() {
            try {
                listener.close();
            } catch (IOException ignored) {
                // closing
            }
            long deadline = System.nanoTime() + 2_000_000_000L;
            try {
                while (failure != null && serving > 0 && waitUntil(deadline)) { }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            for (Socket s : clients) closeQuietly(s);
        }
    }
}
