package dev.tessera.backend.cpu;

import dev.tessera.DType;
import dev.tessera.Device;
import dev.tessera.TesseraException;
import dev.tessera.backend.Storage;

/** A host array: float[] (FLOAT32), double[] (FLOAT64), long[] (INT64) or boolean[] (BOOL). */
final class CpuStorage extends Storage {
    final Object array;

    CpuStorage(DType dtype, Object array, long numel) {
        super(dtype, numel);
        this.array = array;
    }

    static CpuStorage allocate(DType dtype, long numel) {
        if (numel > Integer.MAX_VALUE - 8)
            throw new TesseraException("CPU tensors hold at most 2^31-9 elements; asked for " + numel);
        int n = (int) numel;
        Object array = switch (dtype) {
            case FLOAT32 -> new float[n];
            case FLOAT64 -> new double[n];
            case INT64 -> new long[n];
            case BOOL -> new boolean[n];
        };
        return new CpuStorage(dtype, array, n);
    }

    @Override public Device device() { return Device.CPU; }
}
