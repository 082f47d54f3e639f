package dev.tessera.backend.cuda;

import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemGetInfo;
import static jcuda.driver.JCudaDriver.cuMemsetD8Async;

import dev.tessera.CudaOutOfMemoryException;
import java.lang.ref.PhantomReference;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.util.ArrayList;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;
import jcuda.CudaException;
import jcuda.driver.CUresult;

/**
 * A caching allocator for one device in the manner of PyTorch's CUDACachingAllocator. Requests are
 * rounded up to 512 B and served best-fit (the smallest free block that fits, then the lowest
 * address) from one of two pools: small requests (≤ 1 MiB) come from 2 MiB segments, large ones
 * from 20 MiB segments (below 10 MiB) or segments of their own size rounded to 2 MiB. A block
 * larger than needed is split when the rest is worth keeping (≥ 512 B in the small pool, > 1 MiB in
 * the large one: the waste a split may leave is capped there); a freed block merges with its free
 * neighbours in the segment. So varying shapes reuse the same segments instead of growing the
 * cache by one bucket per size.
 *
 * <p>Before the cache grows past a soft limit (twice what was allocated after the last collection,
 * at least 1/16 of the device's memory and 64 MiB) the GC is run first, so that the blocks of tensors user code dropped come back
 * instead of new segments (the JVM's heap does not feel device memory); under
 * {@code -XX:+DisableExplicitGC} through the {@code GC.run} diagnostic command. Tensors the backward
 * pass and ops make for themselves do not wait for that: they are released when done.
 *
 * <p>On allocation failure: fully free segments are returned to the driver and the allocation is
 * retried; then the GC is asked to find unreachable tensors, and the allocation is retried each time
 * their blocks come back, for as long as they keep coming (a wait on the GC's reference queue, not
 * a fixed sleep), before {@link CudaOutOfMemoryException} is thrown with PyTorch's numbers.
 * Blocks are reused in stream order: every kernel runs on the device's one stream, so work queued
 * after a release runs after the work that still read the block.
 *
 * <p>{@code TESSERA_CUDA_POISON=1} (a debugging aid, off by default) fills every block handed out
 * with 0xFF bytes on the stream: NaN in FLOAT32 and FLOAT64, -1 in INT64. A kernel that reads what
 * its op never wrote then shows NaN, where a reused block would hand it a previous tensor's values
 * (often zeros) and a fresh one whatever the driver left. It costs one memset per allocation. PyTorch's
 * counterpart is {@code torch.utils.deterministic.fill_uninitialized_memory}, which fills the tensors of
 * {@code empty()} with NaN or the largest integer.
 */
final class CachingAllocator {
    /**
     * Storages that became unreachable, found by the GC. The allocating thread hands their blocks back
     * itself ({@link #drainUnreachable}) instead of a Cleaner thread: right after a collection the blocks
     * are there, however busy the machine, without waiting for another thread to be scheduled.
     */
    private static final ReferenceQueue<CudaStorage> UNREACHABLE = new ReferenceQueue<>();
    private static final Set<StorageRef> TRACKED = ConcurrentHashMap.newKeySet();   // a phantom reference must stay reachable itself

    /** The block of one storage; released once, by close() or when the storage is found unreachable. */
    static final class StorageRef extends PhantomReference<CudaStorage> {
        private final Block block;
        private final AtomicBoolean released = new AtomicBoolean();

        private StorageRef(CudaStorage storage, Block block) {
            super(storage, UNREACHABLE);
            this.block = block;
        }

        void releaseOnce() {
            if (!released.compareAndSet(false, true)) return;
            TRACKED.remove(this);
            clear();
            block.owner().release(block);
        }
    }

    static StorageRef track(CudaStorage storage, Block block) {
        StorageRef r = new StorageRef(storage, block);
        TRACKED.add(r);
        return r;
    }

    /** Hands back the blocks of every storage the GC found unreachable so far. Called holding no allocator's lock. */
    static void drainUnreachable() {
        for (Reference<? extends CudaStorage> r; (r = UNREACHABLE.poll()) != null; ) ((StorageRef) r).releaseOnce();
    }

    /** Waits up to {@code nanos} for the first unreachable storage the GC reports, then hands back all there are. */
    private static boolean awaitUnreachable(long nanos) {
        try {
            Reference<? extends CudaStorage> r = UNREACHABLE.remove(Math.max(1, nanos / 1_000_000));
            if (r == null) return false;
            ((StorageRef) r).releaseOnce();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        drainUnreachable();
        return true;
    }

    /** What a storage holds: its pointer and size; released through {@link #release}. */
    record Block(DevicePointer ptr, long size, CachingAllocator owner, Chunk chunk) {}

    static final long MIN_BLOCK = 512, SMALL_SIZE = 1 << 20, SMALL_SEGMENT = 2 << 20, LARGE_SEGMENT = 20 << 20,
            MIN_LARGE_ALLOC = 10 << 20, ROUND_LARGE = 2 << 20;

    /** A piece of a segment: allocated or free, linked to its neighbours in the segment. */
    static final class Chunk {
        final DevicePointer segment;   // the cuMemAlloc'd base
        final long offset;
        long size;
        boolean free;
        Chunk prev, next;
        final boolean small;

        Chunk(DevicePointer segment, long offset, long size, boolean small) {
            this.segment = segment; this.offset = offset; this.size = size; this.small = small;
        }

        /** The device address; a search probe (no segment) sorts before every chunk of its size. */
        long address() { return segment == null ? Long.MIN_VALUE : segment.address() + offset; }
    }

    private static final Comparator<Chunk> BEST_FIT = Comparator.<Chunk>comparingLong(c -> c.size).thenComparingLong(Chunk::address);

    private final CudaDevice device;
    private final TreeSet<Chunk> smallFree = new TreeSet<>(BEST_FIT), largeFree = new TreeSet<>(BEST_FIT);
    private final List<Chunk> segments = new ArrayList<>();
    /** Soft-limit collections: the least headroom, and how long to wait for what a GC found unreachable. */
    static final long MIN_SOFT_LIMIT = 64L << 20, FIRST_RELEASE_NANOS = 100_000_000L, QUIET_NANOS = 2_000_000L, MAX_WAIT_NANOS = 200_000_000L;

    private long allocated, reserved, peakAllocated, retries, collections;
    private long lowAllocated, minSoftLimit = -1;   // see softLimit()

    /** {@code TESSERA_CUDA_POISON=1}; tests of the poison itself switch it. */
    static volatile boolean poison = "1".equals(System.getenv("TESSERA_CUDA_POISON"));

    CachingAllocator(CudaDevice device) { this.device = device; }

    /** The size a request of {@code bytes} occupies: a multiple of 512 B, at least 512. */
    static long roundUp(long bytes) {
        long b = Math.max(bytes, 1);
        return (b + MIN_BLOCK - 1) / MIN_BLOCK * MIN_BLOCK;
    }

    /** The segment size cuMemAlloc is asked for when no cached block fits (PyTorch's get_allocation_size). */
    static long segmentSize(long size) {
        if (size <= SMALL_SIZE) return SMALL_SEGMENT;
        if (size < MIN_LARGE_ALLOC) return LARGE_SEGMENT;
        return (size + ROUND_LARGE - 1) / ROUND_LARGE * ROUND_LARGE;
    }

    Block allocate(long bytes) {
        Block b = take(bytes);
        if (poison) {
            device.makeCurrent();
            cuMemsetD8Async(b.ptr(), (byte) 0xFF, b.size(), device.stream);
        }
        return b;
    }

    private Block take(long bytes) {
        long size = roundUp(bytes);
        boolean small = size <= SMALL_SIZE;
        synchronized (this) {
            Chunk c = takeCached(size, small);
            if (c != null) return handOut(c, size);
        }
        drainUnreachable();   // blocks the GC already found come back before anything bigger is tried
        synchronized (this) {
            Chunk c = takeCached(size, small);
            if (c != null) return handOut(c, size);
        }
        long segment = segmentSize(size);
        if (overSoftLimit(segment)) {   // before growing: let the GC hand back what unreachable tensors hold
            Block b = collectAndTake(size, small);
            if (b != null) return b;
        }
        DevicePointer ptr = tryAlloc(segment);
        if (ptr == null) ptr = recover(size, small, segment);
        if (ptr == null) {
            synchronized (this) {   // a release during recovery may have made room in the cache
                Chunk c = takeCached(size, small);
                if (c != null) return handOut(c, size);
            }
            long[] freeBytes = new long[1], total = new long[1];
            device.makeCurrent();
            cuMemGetInfo(freeBytes, total);
            throw new CudaOutOfMemoryException(String.format(
                    "CUDA out of memory. Tried to allocate %.2f MiB (%s; %.2f MiB total capacity; %.2f MiB free; %.2f MiB allocated by Tessera; %.2f MiB reserved by Tessera)",
                    size / 1048576.0, device.device(), total[0] / 1048576.0, freeBytes[0] / 1048576.0, allocated() / 1048576.0, reserved() / 1048576.0));
        }
        synchronized (this) {
            Chunk c = new Chunk(ptr, 0, segment, small);
            segments.add(c);
            reserved += segment;
            return handOut(c, size);
        }
    }

    /**
     * Whether growing the cache by {@code segment} would pass the soft limit: twice what was still
     * allocated after the last collection (at least {@link #minSoftLimit()}). Tensors that user code
     * dropped hold their blocks until the GC finds them, and the JVM's heap does not feel device
     * memory, so without this a long run grows the cache by the garbage of every step until the
     * driver runs out. Above the limit a collection comes first; cuMemAlloc only if it freed too little.
     */
    private synchronized boolean overSoftLimit(long segment) { return reserved + segment > softLimit(); }

    /**
     * Twice the least allocated since the last collection began: what a collection frees may come back
     * a little after the collecting allocation has moved on, and the least value seen since is what was
     * really live. At least {@link #minSoftLimit()}.
     */
    private long softLimit() { return Math.max(minSoftLimit(), 2 * lowAllocated); }

    /** The least headroom: 1/16 of the device's memory, at least 64 MiB (fewer collections on a big card). */
    private long minSoftLimit() {
        if (minSoftLimit < 0) minSoftLimit = Math.max(MIN_SOFT_LIMIT, device.totalMemory() / 16);
        return minSoftLimit;
    }

    /**
     * A full GC, then the blocks of the storages it found unreachable are handed back here until none
     * came for {@link #QUIET_NANOS} ({@link #FIRST_RELEASE_NANOS} before the first while no block of
     * {@code size} fits; at most {@link #MAX_WAIT_NANOS} in all). Takes the block if one fits.
     */
    private Block collectAndTake(long size, boolean small) {
        synchronized (this) {
            collections++;
            lowAllocated = allocated;
        }
        GarbageCollection.collect();
        long start = System.nanoTime();
        boolean arrived = false;
        // Until nothing more comes, not just until a block fits: the soft limit needs what is really live.
        while (System.nanoTime() - start < MAX_WAIT_NANOS) {
            if (!awaitUnreachable(arrived || fits(size, small) ? QUIET_NANOS : FIRST_RELEASE_NANOS)) break;
            arrived = true;
        }
        synchronized (this) {
            Chunk c = takeCached(size, small);
            return c == null ? null : handOut(c, size);
        }
    }

    private synchronized boolean fits(long size, boolean small) { return takeCachedPeek(size, small); }

    /** The best-fit free chunk of the pool, removed from it; null when none fits. */
    private Chunk takeCached(long size, boolean small) {
        TreeSet<Chunk> pool = small ? smallFree : largeFree;
        Chunk probe = new Chunk(null, 0, size, small);
        Chunk c = pool.ceiling(probe);
        if (c == null) return null;
        pool.remove(c);
        return c;
    }

    /** Splits c when the rest is worth keeping, marks the front allocated, and wraps it. */
    private Block handOut(Chunk c, long size) {
        long rest = c.size - size;
        if (c.small ? rest >= MIN_BLOCK : rest > SMALL_SIZE) {
            Chunk tail = new Chunk(c.segment, c.offset + size, rest, c.small);
            tail.free = true;
            tail.prev = c;
            tail.next = c.next;
            if (c.next != null) c.next.prev = tail;
            c.next = tail;
            c.size = size;
            (c.small ? smallFree : largeFree).add(tail);
        }
        c.free = false;
        allocated += c.size;
        peakAllocated = Math.max(peakAllocated, allocated);
        DevicePointer p = c.offset == 0 ? c.segment : new DevicePointer(c.segment, c.offset);
        return new Block(p, c.size, this, c);
    }

    /**
     * Empties the cache and retries; then runs the GC and retries each time the blocks of unreachable
     * storages come back, for as long as they keep coming (up to ~2 s without any). Called holding no lock.
     */
    private DevicePointer recover(long size, boolean small, long segment) {
        synchronized (this) { retries++; }
        emptyCache();
        DevicePointer ptr = tryAlloc(segment);
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (ptr == null && System.nanoTime() < deadline) {
            GarbageCollection.collect();
            if (!awaitUnreachable(100_000_000L)) continue;   // nothing came back yet: collect again until the deadline
            if (fits(size, small)) return null;   // a released block fits: the caller takes it from the cache
            emptyCache();
            ptr = tryAlloc(segment);
            deadline = System.nanoTime() + 2_000_000_000L;   // blocks are still arriving: give them time
        }
        return ptr;
    }

    private boolean takeCachedPeek(long size, boolean small) {
        return (small ? smallFree : largeFree).ceiling(new Chunk(null, 0, size, small)) != null;
    }

    private DevicePointer tryAlloc(long size) {
        device.makeCurrent();
        DevicePointer ptr = new DevicePointer();
        try {
            cuMemAlloc(ptr, size);
            return ptr;
        } catch (CudaException e) {
            if (e.getMessage() != null && e.getMessage().contains(CUresult.stringFor(CUresult.CUDA_ERROR_OUT_OF_MEMORY))) return null;
            throw e;
        }
    }

    /** Called by close() (any thread) or when the storage was found unreachable: the block becomes reusable, merged with free neighbours; no CUDA call. */
    synchronized void release(Block block) {
        Chunk c = block.chunk();
        allocated -= c.size;
        lowAllocated = Math.min(lowAllocated, allocated);
        TreeSet<Chunk> pool = c.small ? smallFree : largeFree;
        c.free = true;
        if (c.next != null && c.next.free) {
            pool.remove(c.next);
            absorbNext(c);
        }
        if (c.prev != null && c.prev.free) {
            c = c.prev;
            pool.remove(c);
            absorbNext(c);
        }
        pool.add(c);
    }

    /** c takes in its right-hand neighbour in the segment (both free; neither in a pool). */
    private static void absorbNext(Chunk c) {
        Chunk n = c.next;
        c.size += n.size;
        c.next = n.next;
        if (n.next != null) n.next.prev = c;
    }

    /** Returns every fully free segment to the driver, after the queued kernels that may still touch them have run. */
    void emptyCache() {
        drainUnreachable();
        synchronized (this) {
            device.synchronize();
            for (var it = segments.iterator(); it.hasNext(); ) {
                Chunk s = it.next();
                if (s.free && s.prev == null && s.next == null) {   // one free chunk spanning the segment
                    (s.small ? smallFree : largeFree).remove(s);
                    cuMemFree(s.segment);
                    reserved -= s.size;
                    it.remove();
                }
            }
        }
    }

    long allocated() {
        drainUnreachable();   // what the GC found counts as freed, as PyTorch's counters drop when the last reference goes
        synchronized (this) { return allocated; }
    }
    synchronized long reserved() { return reserved; }
    synchronized long peakAllocated() { return peakAllocated; }
    synchronized void resetPeak() { peakAllocated = allocated; }
    synchronized long retries() { return retries; }
    synchronized long collections() { return collections; }

    /** torch.cuda.memory_summary's gist: a small table of the counters and the segments. */
    synchronized String summary() {
        long smallSegs = segments.stream().filter(s -> s.small).count();
        long freeCached = 0;
        for (Chunk c : smallFree) freeCached += c.size;
        for (Chunk c : largeFree) freeCached += c.size;
        return String.format("""
                |===========================================================|
                |                  Tessera CUDA memory summary, %-12s|
                |-----------------------------------------------------------|
                | allocated memory (current)     | %14.2f MiB          |
                | allocated memory (peak)        | %14.2f MiB          |
                | reserved memory                | %14.2f MiB          |
                | free in cached blocks          | %14.2f MiB          |
                | segments (small / large)       | %8d / %-8d         |
                | allocation retries (OOM path)  | %14d              |
                | GC collections (soft limit)    | %14d              |
                | soft limit                     | %14.2f MiB          |
                |===========================================================|
                """, device.device(), allocated / 1048576.0, peakAllocated / 1048576.0, reserved / 1048576.0, freeCached / 1048576.0,
                smallSegs, segments.size() - smallSegs, retries, collections, softLimit() / 1048576.0);
    }
}
