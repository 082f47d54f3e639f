package dev.tessera.backend;

import dev.tessera.DType;
import dev.tessera.Device;

/**
 * A flat buffer of {@code numel} elements of one dtype on one device. Views of a tensor share
 * one Storage, and with it the version counter that autograd uses to detect in-place changes
 * to saved tensors.
 */
public abstract class Storage {
    private static final java.util.concurrent.atomic.AtomicLong CREATED = new java.util.concurrent.atomic.AtomicLong();
    /** 1, 2, 3, … in order of creation. */
    private final long serial = CREATED.incrementAndGet();
    private final DType dtype;
    private final long numel;
    private int version;
    private volatile boolean closed;
    private int holders;   // tensor objects made over this storage and not yet released (Tensor.internalRelease)

    protected Storage(DType dtype, long numel) { this.dtype = dtype; this.numel = numel; }

    public final DType dtype() { return dtype; }
    /** This storage's place in creation order: a storage made after {@link #created()} returned s has a serial above s. */
    public final long serial() { return serial; }
    /** How many storages have been created so far. */
    public static long created() { return CREATED.get(); }
    public final long numel() { return numel; }
    public abstract Device device();

    /** How many in-place writes this storage has seen. */
    public final int version() { return version; }
    public final void bumpVersion() { version++; }

    /**
     * Releases the memory now instead of when the storage becomes unreachable. The base class only
     * records it: host memory stays the GC's. Device storages override this to give their block
     * back, and must be idempotent and refuse use afterwards.
     */
    public void close() { closed = true; }

    public final boolean isClosed() { return closed; }

    /** A tensor object now refers to this storage. */
    public final synchronized void addHolder() { holders++; }

    /** A tensor object gave up this storage for good; returns how many still hold it. */
    public final synchronized int removeHolder() { return --holders; }
}
