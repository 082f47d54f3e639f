package dev.tessera.backend.cuda;

import jcuda.driver.CUdeviceptr;

/**
 * A device allocation that can tell its address. JCuda keeps a pointer's address protected, but
 * kernel arguments are written as raw 8-byte addresses into one reused parameter block
 * ({@link Kernels}), so the allocator hands out this subclass (cuMemAlloc fills it like any
 * CUdeviceptr).
 */
final class DevicePointer extends CUdeviceptr {
    DevicePointer() {}

    /** A pointer {@code offset} bytes into base (a block split from a segment). */
    DevicePointer(DevicePointer base, long offset) { super(base, offset); }

    long address() { return getNativePointer() + getByteOffset(); }
}
