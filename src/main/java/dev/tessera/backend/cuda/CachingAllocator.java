package dev.tessera.backend.cuda;

import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemGetInfo;

import dev.tessera.CudaOutOfMemoryException;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.TreeMap;
import jcuda.CudaException;
import jcuda.driver.CUresult;

/**
 * A size-bucketed cache of device blocks for one device, like PyTorch's: requests are rounded up
 * (to 512 B below 1 MiB, to 2 MiB above) and served from the free list of that size before
 * cuMemAlloc is asked. On an allocation failure the cache is emptied, the GC runs once so
 * unreachable tensors give their blocks back, and the allocation is retried before
 * {@link CudaOutOfMemoryException} is thrown.
 */
final class CachingAllocator {
    record Block(DevicePointer ptr, long size, CachingAllocator owner) {}

    private final CudaDevice device;
    private final TreeMap<Long, ArrayDeque<DevicePointer>> free = new TreeMap<>();
    private long allocated, reserved;

    CachingAllocator(CudaDevice device) { this.device = device; }

    static long roundUp(long bytes) {
        long b = Math.max(bytes, 1);
        return b < (1 << 20) ? (b + 511) / 512 * 512 : (b + (2 << 20) - 1) / (2 << 20) * (2 << 20);
    }

    Block allocate(long bytes) {
        long size = roundUp(bytes);
        synchronized (this) {
            ArrayDeque<DevicePointer> list = free.get(size);
            if (list != null && !list.isEmpty()) {
                allocated += size;
                return new Block(list.pop(), size, this);
            }
        }
        DevicePointer ptr = tryAlloc(size);
        if (ptr == null) {
            emptyCache();
            System.gc();                       // unreachable tensors' Cleaners return their blocks
            try { Thread.sleep(50); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
            emptyCache();
            ptr = tryAlloc(size);
        }
        if (ptr == null) {
            long[] freeBytes = new long[1], total = new long[1];
            device.makeCurrent();
            cuMemGetInfo(freeBytes, total);
            throw new CudaOutOfMemoryException(String.format(
                    "CUDA out of memory. Tried to allocate %.2f MiB (%s; %.2f MiB total capacity; %.2f MiB free; %.2f MiB allocated by Tessera; %.2f MiB reserved by Tessera)",
                    size / 1048576.0, device.device(), total[0] / 1048576.0, freeBytes[0] / 1048576.0, allocated / 1048576.0, reserved / 1048576.0));
        }
        synchronized (this) {
            allocated += size;
            reserved += size;
        }
        return new Block(ptr, size, this);
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

    /** Called by a storage's Cleaner (any thread): the block becomes reusable; no CUDA call here. */
    synchronized void release(Block block) {
        free.computeIfAbsent(block.size(), k -> new ArrayDeque<>()).push(block.ptr());
        allocated -= block.size();
    }

    /** Frees every cached (unused) block, after the queued kernels that may still touch them have run. */
    void emptyCache() {
        synchronized (this) {
            device.synchronize();
            for (Map.Entry<Long, ArrayDeque<DevicePointer>> e : free.entrySet())
                for (DevicePointer p : e.getValue()) {
                    cuMemFree(p);
                    reserved -= e.getKey();
                }
            free.clear();
        }
    }

    synchronized long allocated() { return allocated; }
    synchronized long reserved() { return reserved; }
}
