package dev.tessera.backend.cuda;

import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemGetInfo;
import static jcuda.driver.JCudaDriver.cuMemsetD8Async;

import dev.tessera.CudaOutOfMemoryException;
import java.util.ArrayList;
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
 * <p>On allocation failure: fully free segments are returned to the driver and the allocation is
 * retried; then the GC is asked to run the Cleaners of unreachable tensors, and the allocation is
 * retried each time blocks come back, for as long as they keep coming (a wait on released bytes,
 * not a fixed sleep), before {@link CudaOutOfMemoryException} is thrown with PyTorch's numbers.
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
    private long allocated, reserved, peakAllocated, releasedBytes, retries;

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
        long segment = segmentSize(size);
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
     * Empties the cache and retries; then asks the GC for unreachable tensors' blocks and retries
     * each time released bytes arrive (Cleaners run on their own thread), up to ~2 s without any.
     */
    private DevicePointer recover(long size, boolean small, long segment) {
        retries++;
        emptyCache();
        DevicePointer ptr = tryAlloc(segment);
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (ptr == null && System.nanoTime() < deadline) {
            long before;
            synchronized (this) {
                before = releasedBytes;
                System.gc();
                try { wait(100); } catch (InterruptedException e) { Thread.currentThread().interrupt(); return null; }
                if (releasedBytes == before) continue;   // nothing came back yet: keep waiting until the deadline
                if (takeCachedPeek(size, small)) return null;   // a released block fits: the caller takes it from the cache
            }
            emptyCache();
            ptr = tryAlloc(segment);
            deadline = System.nanoTime() + 2_000_000_000L;   // bytes are still arriving: give them time
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

    /** Called by a storage's Cleaner or close() (any thread): the block becomes reusable, merged with free neighbours; no CUDA call. */
    synchronized void release(Block block) {
        Chunk c = block.chunk();
        allocated -= c.size;
        releasedBytes += c.size;
        TreeSet<Chunk> pool = c.small ? smallFree : largeFree;
        c.free = true;
        if (c.next != null && c.next.free) {
            Chunk n = c.next;
            pool.remove(n);
            c.size += n.size;
            c.next = n.next;
            if (n.next != null) n.next.prev = c;
        }
        if (c.prev != null && c.prev.free) {
            Chunk p = c.prev;
            pool.remove(p);
            p.size += c.size;
            p.next = c.next;
            if (c.next != null) c.next.prev = p;
            c = p;
        }
        pool.add(c);
        notifyAll();
    }

    /** Returns every fully free segment to the driver, after the queued kernels that may still touch them have run. */
    void emptyCache() {
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

    synchronized long allocated() { return allocated; }
    synchronized long reserved() { return reserved; }
    synchronized long peakAllocated() { return peakAllocated; }
    synchronized void resetPeak() { peakAllocated = allocated; }
    synchronized long retries() { return retries; }

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
                |===========================================================|
                """, device.device(), allocated / 1048576.0, peakAllocated / 1048576.0, reserved / 1048576.0, freeCached / 1048576.0,
                smallSegs, segments.size() - smallSegs, retries);
    }
}
