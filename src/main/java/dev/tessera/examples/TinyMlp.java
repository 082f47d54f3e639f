package dev.tessera.examples;

import dev.tessera.Tensor;
import java.io.PrintStream;
import java.util.List;

/**
 * The smallest end-to-end training run: a 2-16-3 MLP learns to tell three noisy point clouds
 * apart with softmax cross-entropy and plain SGD, written directly on Tensor ops and autograd.
 */
public final class TinyMlp {
    private TinyMlp() {}

    /** Trains for {@code steps} full-batch steps and prints the loss every {@code steps/10} steps; returns the final loss. */
    public static double run(int steps, long seed, PrintStream out) {
        Tensor.manualSeed(seed);
        int perClass = 100, classes = 3;
        // Three Gaussian blobs at the corners of a triangle.
        double[][] centers = {{0, 2}, {-1.8, -1}, {1.8, -1}};
        Tensor noise = Tensor.randn(perClass * classes, 2).mul(0.6);
        double[] xy = new double[perClass * classes * 2];
        long[] labels = new long[perClass * classes];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = i / perClass;
            xy[2 * i] = centers[(int) labels[i]][0];
            xy[2 * i + 1] = centers[(int) labels[i]][1];
        }
        Tensor x = Tensor.of(xy, labels.length, 2).to(dev.tessera.DType.FLOAT32).add(noise);
        Tensor oneHot = Tensor.arange(classes).view(1, classes).eq(Tensor.of(labels, labels.length, 1)).to(dev.tessera.DType.FLOAT32);

        Tensor w1 = Tensor.randn(2, 16).mul(Math.sqrt(1.0 / 2)).requiresGrad(true);
        Tensor b1 = Tensor.zeros(16).requiresGrad(true);
        Tensor w2 = Tensor.randn(16, classes).mul(Math.sqrt(1.0 / 16)).requiresGrad(true);
        Tensor b2 = Tensor.zeros(classes).requiresGrad(true);
        List<Tensor> params = List.of(w1, b1, w2, b2);
        double lr = 0.5, loss = Double.NaN;
        for (int step = 0; step <= steps; step++) {
            Tensor logits = x.matmul(w1).add(b1).relu().matmul(w2).add(b2);
            Tensor nll = logits.logSoftmax(1).mul(oneHot).sum(1).mean().neg();
            loss = nll.item();
            if (step % Math.max(1, steps / 10) == 0) {
                double accuracy = logits.argmax(1).eq(Tensor.of(labels, labels.length)).to(dev.tessera.DType.FLOAT32).mean().item();
                out.printf("step %4d  loss %.4f  accuracy %.3f%n", step, loss, accuracy);
            }
            if (step == steps) break;
            nll.backward();
            try (var noGrad = Tensor.noGrad()) {
                for (Tensor p : params) {
                    p.sub_(p.grad().mul(lr));
                    p.setGrad(null);
                }
            }
        }
        return loss;
    }
}
