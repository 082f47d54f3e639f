package dev.tessera.cli;

import dev.tessera.nn.Conv2d;
import dev.tessera.nn.Flatten;
import dev.tessera.nn.Linear;
import dev.tessera.nn.MaxPool2d;
import dev.tessera.nn.Module;
import dev.tessera.nn.ReLU;
import dev.tessera.nn.Sequential;

/** The models {@code tessera train --model} builds, for 1×28×28 inputs and 10 classes. */
final class Models {
    private Models() {}

    static Module build(String name) {
        return switch (name) {
            case "mlp" -> mlp();
            case "cnn" -> cnn();
            default -> throw new IllegalArgumentException("unknown model '" + name + "' (choose mlp or cnn)");
        };
    }

    /** 784 → 256 → 10 with ReLU. */
    static Module mlp() {
        return new Sequential(new Flatten(), new Linear(784, 256), new ReLU(), new Linear(256, 10));
    }

    /** Two 3×3 conv + ReLU + 2×2 max-pool stages (16 and 32 channels), then a linear classifier. */
    static Module cnn() {
        return new Sequential(
                new Conv2d(1, 16, 3, 1, 1), new ReLU(), new MaxPool2d(2),
                new Conv2d(16, 32, 3, 1, 1), new ReLU(), new MaxPool2d(2),
                new Flatten(), new Linear(32 * 7 * 7, 10));
    }
}
