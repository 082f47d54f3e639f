package dev.tessera.backend.cuda;

import dev.tessera.TesseraException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongFunction;

/**
 * Error flags that kernels set on the device (a bad embedding index, a class target out of range),
 * checked at the device's next synchronisation point — a host read or {@code synchronize()} — rather
 * than by a sync per op, so the host keeps queuing ahead (PyTorch reports such errors asynchronously
 * too). {@code TESSERA_CUDA_SYNC_CHECKS=1} checks each flag at once, as {@code
 * CUDA_LAUNCH_BLOCKING=1} does for PyTorch. The error then comes from whatever call synchronised,
 * with the op's own message.
 */
final class DeviceErrors {
    static final boolean CHECK_AT_ONCE = "1".equals(System.getenv("TESSERA_CUDA_SYNC_CHECKS"));

    /** A flag (one INT64 on the device) that holds {@code ok} unless the kernel found an error; message from the value. */
    private record Pending(CudaStorage flag, long ok, LongFunction<TesseraException> error) {}

    private final CudaDevice device;
    private final List<Pending> pending = new ArrayList<>();

    DeviceErrors(CudaDevice device) { this.device = device; }

    /** Registers a flag the kernels just queued may set; checks it at once under TESSERA_CUDA_SYNC_CHECKS=1. */
    void add(CudaStorage flag, long ok, LongFunction<TesseraException> error) {
        int count;
        synchronized (this) {
            pending.add(new Pending(flag, ok, error));
            count = pending.size();
        }
        // A loop that never reads from the device would pile flags up: one sync per MAX_PENDING ops bounds them.
        if (CHECK_AT_ONCE || count >= MAX_PENDING) {
            device.synchronize();   // a real wait for the queued work (counted), then the check
        }
    }

    private static final int MAX_PENDING = 1024;

    /** Reads the pending flags (the stream has reached them: callers are at a sync point) and throws the first error. */
    void check() {
        List<Pending> due;
        synchronized (this) {
            if (pending.isEmpty()) return;
            due = new ArrayList<>(pending);
            pending.clear();
        }
        TesseraException first = null;
        for (Pending p : due) {
            long[] value = new long[1];
            device.staging.readBack(p.flag().ptr(), value);   // the stream was just drained: no further wait
            p.flag().close();
            if (value[0] != p.ok() && first == null) first = p.error().apply(value[0]);
        }
        if (first != null) throw first;
    }
}
