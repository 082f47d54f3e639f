package dev.tessera.backend.cuda;

import dev.tessera.Cuda;
import dev.tessera.DType;
import dev.tessera.Device;
import dev.tessera.Tensor;
import dev.tessera.nn.Conv2d;
import dev.tessera.nn.Flatten;
import dev.tessera.nn.Linear;
import dev.tessera.nn.MaxPool2d;
import dev.tessera.nn.Module;
import dev.tessera.nn.ReLU;
import dev.tessera.nn.Sequential;
import dev.tessera.nn.functional.F;
import dev.tessera.optim.SGD;

/**
 * Run by {@link CudaMemoryPressureTest} in a JVM of its own (so that the emulator can skip kernel
 * bodies, and so that -XX:+DisableExplicitGC can be set): a long training run and a stream of dropped
 * 64 MiB tensors, with no System.gc() and no close() anywhere. Prints one line of results:
 * {@code steps=... warmPeak=... maxAfterWarmup=... collections=... dropped=... seconds=...}.
 */
public final class MemoryPressureMain {
    private MemoryPressureMain() {}

    public static void main(String[] args) {
        int steps = Integer.parseInt(args[0]), warmup = Integer.parseInt(args[1]);
        long start = System.nanoTime();
        Device cuda = Device.cuda();
        Tensor.manualSeed(0);
        Module net = new Sequential(   // the CLI's CNN (tessera train --model cnn)
                new Conv2d(1, 16, 3, 1, 1), new ReLU(), new MaxPool2d(2),
                new Conv2d(16, 32, 3, 1, 1), new ReLU(), new MaxPool2d(2),
                new Flatten(), new Linear(32 * 7 * 7, 10)).to(cuda);
        SGD opt = new SGD(net.parameters(), 0.01);
        long[] batches = {64, 48, 17, 33};
        long warmPeak = 0, maxAfter = 0;
        for (int step = 0; step < steps; step++) {
            long b = batches[step % batches.length];
            // made on the host and copied, as a data loader's batches are (copies run even when kernels are skipped)
            Tensor x = Tensor.randn(b, 1, 28, 28).to(cuda), y = Tensor.randint(10, new long[] {b}).to(cuda);
            Tensor loss = F.crossEntropy(net.forward(x), y);
            opt.zeroGrad();
            loss.backward();
            opt.step();
            long reserved = Cuda.memoryReserved();
            if (step < warmup) warmPeak = Math.max(warmPeak, reserved);
            else maxAfter = Math.max(maxAfter, reserved);
        }
        long total = (long) CudaRuntime.backend(0).cudaDevice().totalMemory(), passed = 0, dropped = 0;
        while (passed < 3 * total) {   // 64 MiB each, dropped at once: three times the device's memory in all
            Tensor t = Tensor.empty(new long[] {16L << 20}, DType.FLOAT32, cuda);
            if (t.numel() != 16L << 20) throw new AssertionError("wrong size");
            passed += 64L << 20;
            dropped++;
        }
        System.out.printf("steps=%d warmPeak=%d maxAfterWarmup=%d collections=%d retries=%d dropped=%d seconds=%.1f%n", steps, warmPeak,
                maxAfter, CudaRuntime.gcCollections(0), CudaRuntime.allocationRetries(0), dropped, (System.nanoTime() - start) / 1e9);
    }
}
