package dev.tessera.cli;

import dev.tessera.DType;
import dev.tessera.Device;
import dev.tessera.Tensor;
import dev.tessera.data.DataLoader;
import dev.tessera.data.Mnist;
import dev.tessera.data.SyntheticDigits;
import dev.tessera.data.TensorDataset;
import dev.tessera.io.Safetensors;
import dev.tessera.nn.CrossEntropyLoss;
import dev.tessera.nn.Module;
import dev.tessera.optim.SGD;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tessera train}: trains an MLP or a CNN on 28×28 digits (built-in synthetic digits or
 * MNIST from a directory) with SGD + momentum and cross-entropy, shows progress per epoch,
 * validates after each epoch on a held-out part of the training data, tests at the end, and
 * optionally saves the weights (safetensors) with a PNG chart of loss and accuracy beside them.
 */
@Command(name = "train", description = "Train a digit classifier and report its test accuracy.")
final class TrainCommand implements Callable<Integer> {
    @Option(names = "--model", defaultValue = "cnn", description = "mlp or cnn (default: ${DEFAULT-VALUE})") String model;
    @Option(names = "--epochs", defaultValue = "3", description = "epochs (default: ${DEFAULT-VALUE})") int epochs;
    @Option(names = "--batch-size", defaultValue = "64", description = "batch size (default: ${DEFAULT-VALUE})") int batchSize;
    @Option(names = "--lr", defaultValue = "0.05", description = "SGD learning rate, momentum 0.9 (default: ${DEFAULT-VALUE})") double lr;
    @Option(names = "--device", defaultValue = "auto", description = "auto, cpu, cuda or cuda:N (default: ${DEFAULT-VALUE})") String device;
    @Option(names = "--data", defaultValue = "synthetic", description = "synthetic or mnist:<dir> (default: ${DEFAULT-VALUE})") String data;
    @Option(names = "--train-size", defaultValue = "20000", description = "synthetic training images (default: ${DEFAULT-VALUE})") int trainSize;
    @Option(names = "--save", description = "write the trained weights here (safetensors), and beside them a PNG chart and a CSV of the per-step training loss and per-epoch validation loss and accuracy") Path save;
    @Option(names = "--seed", defaultValue = "0", description = "random seed (default: ${DEFAULT-VALUE})") long seed;

    @Override public Integer call() throws Exception {
        checkArguments();
        Device dev = device.equals("auto") ? Device.auto() : Device.of(device);
        if (dev.isCuda() && !Device.isCudaAvailable())
            throw new IllegalArgumentException("--device " + device + ": CUDA unavailable: " + Device.cudaUnavailableReason().orElse("unknown"));
        PrintStream out = System.out;
        long start = System.nanoTime();
        Tensor.manualSeed(seed);

        TensorDataset[] split = loadData();
        TensorDataset train = split[0], validation = split[1], test = split[2];
        Module net = Models.build(model).to(dev);
        out.println(net);
        out.printf(Locale.ROOT, "parameters: %d   train %d, validation %d, test %d images   device %s%n",
                net.parameters().stream().mapToLong(Tensor::numel).sum(), train.size(), validation.size(), test.size(), dev);

        SGD optimizer = new SGD(net.parameters(), lr, 0.9);
        CrossEntropyLoss lossFn = new CrossEntropyLoss();
        DataLoader loader = new DataLoader(train, batchSize, true, false, seed);
        TrainingChart.History history = new TrainingChart.History();
        Progress progress = new Progress(out);
        for (int epoch = 1; epoch <= epochs; epoch++) {
            net.train();
            double lossSum = 0;
            long seen = 0, epochStart = System.nanoTime();
            int batches = 0;
            for (DataLoader.Batch batch : loader) {
                Tensor x = batch.inputs().to(dev), y = batch.labels().to(dev);
                Tensor loss = lossFn.forward(net.forward(x), y);
                optimizer.zeroGrad();
                loss.backward();
                optimizer.step();
                double stepLoss = loss.item();
                history.step(epoch, stepLoss);
                lossSum += stepLoss * x.size(0);
                seen += x.size(0);
                batches++;
                progress.update(epoch, epochs, batches, loader.size(), seen / ((System.nanoTime() - epochStart) / 1e9), lossSum / seen);
            }
            double[] val = evaluate(net, validation, dev);
            progress.finish(String.format(Locale.ROOT, "  validation accuracy %.4f  loss %.4f", val[0], val[1]));
            history.epoch(batches, val[1], val[0]);
        }
        double[] result = evaluate(net, test, dev);
        if (save != null) {
            Safetensors.save(net.stateDict(), save);
            Path chart = siblingWithExtension(save, ".png"), csv = siblingWithExtension(save, ".csv");
            TrainingChart.writeCsv(csv, history);
            try {
                TrainingChart.writePng(chart, history);
                out.println("saved " + save + ", " + chart + " and " + csv);
            } catch (LinkageError e) {   // a jlink'd runtime without java.desktop (the GPU bundle) has no image I/O
                out.println("saved " + save + " and " + csv + " (no chart: this Java runtime lacks java.desktop)");
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        out.printf(Locale.ROOT, "final: test_accuracy=%.4f test_loss=%.4f epochs=%d seconds=%.1f device=%s%n",
                result[0], result[1], epochs, seconds, dev);
        return 0;
    }

    private void checkArguments() {
        if (epochs < 1) throw new IllegalArgumentException("--epochs must be at least 1, got " + epochs);
        if (batchSize < 1) throw new IllegalArgumentException("--batch-size must be at least 1, got " + batchSize);
        if (!(lr > 0)) throw new IllegalArgumentException("--lr must be positive, got " + lr);
        if (trainSize < 100) throw new IllegalArgumentException("--train-size must be at least 100, got " + trainSize);
        Models.build(model);   // rejects unknown names before any work
        if (save != null) {
            Path dir = save.toAbsolutePath().getParent();
            if (dir == null || !Files.isDirectory(dir)) throw new IllegalArgumentException("--save " + save + ": directory " + dir + " does not exist");
            if (!Files.isWritable(dir)) throw new IllegalArgumentException("--save " + save + ": directory " + dir + " is not writable");
        }
    }

    /** train, validation (the last 10% of the training images), test. */
    private TensorDataset[] loadData() throws java.io.IOException {
        TensorDataset full, test;
        if (data.equals("synthetic")) {
            full = SyntheticDigits.generate(trainSize, seed);
            test = SyntheticDigits.generate(Math.max(1000, trainSize / 10), seed + 0x5eed);
        } else if (data.startsWith("mnist:")) {
            Path dir = Path.of(data.substring("mnist:".length()));
            full = Mnist.load(dir, true);
            test = Mnist.load(dir, false);
        } else {
            throw new IllegalArgumentException("--data must be synthetic or mnist:<dir>, got '" + data + "'");
        }
        int validation = full.size() / 10;
        return new TensorDataset[] {full.slice(0, full.size() - validation), full.slice(full.size() - validation, full.size()), test};
    }

    /** {accuracy, mean cross-entropy} over a dataset, in eval mode without a graph. */
    private double[] evaluate(Module net, TensorDataset set, Device dev) {
        net.eval();
        double correct = 0, lossSum = 0;
        try (var noGrad = Tensor.noGrad()) {
            for (DataLoader.Batch batch : new DataLoader(set, 500, false, false, 0)) {
                Tensor logits = net.forward(batch.inputs().to(dev)), y = batch.labels().to(dev);
                lossSum += new CrossEntropyLoss().forward(logits, y).item() * y.size(0);
                correct += logits.argmax(1).eq(y).to(DType.FLOAT32).sum().item();
            }
        }
        return new double[] {correct / set.size(), lossSum / set.size()};
    }

    /** model.safetensors → model.png / model.csv, beside it. */
    private static Path siblingWithExtension(Path model, String extension) {
        String name = model.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return model.resolveSibling((dot > 0 ? name.substring(0, dot) : name) + extension);
    }

    /** A one-line progress bar, redrawn in place on a terminal and printed every 10% otherwise. */
    private static final class Progress {
        private final PrintStream out;
        private final boolean terminal = System.console() != null;
        private int lastDecile = -1;

        Progress(PrintStream out) { this.out = out; }

        void update(int epoch, int epochs, int done, int total, double samplesPerSecond, double loss) {
            int decile = done * 10 / total;
            if (!terminal && decile == lastDecile) return;
            lastDecile = decile;
            int width = 30, filled = done * width / total;
            String bar = "=".repeat(filled) + (filled < width ? ">" : "") + " ".repeat(Math.max(0, width - filled - 1));
            String line = String.format(Locale.ROOT, "epoch %d/%d [%s] %d/%d batches  %.0f samples/s  loss %.4f",
                    epoch, epochs, bar, done, total, samplesPerSecond, loss);
            if (terminal) out.print("\r" + line);
            else out.println(line);
        }

        void finish(String suffix) {
            out.println(terminal ? suffix : suffix.trim());
            lastDecile = -1;
        }
    }
}
