package dev.tessera.cli;

/**
 * Times the benchmark's ops in another library, so that {@code tessera bench cpu} can print
 * ratios measured in the same run. The libtorch implementation ({@code LibtorchTimer}) is compiled
 * only by the optional Maven profile {@code libtorch}; without it the bench prints Tessera's
 * numbers alone. Every method returns the median seconds of one call after a warm-up.
 */
public interface ReferenceTimer {
    /** e.g. "libtorch 2.10.0". */
    String name();

    /** Threads for the library's compute pools (all of them: e.g. ATen and OpenBLAS). */
    void setThreads(int threads);

    /** C = A·B with A, B, C n×n float32. */
    double gemmSeconds(int n);

    /** conv2d forward, x [n, c, h, w], weight [oc, c, k, k], stride 1, padding k/2, with bias. */
    double conv2dSeconds(int n, int c, int h, int w, int oc, int k);

    /**
     * conv2d forward, then backward with a fixed random upstream gradient, with x, weight and bias
     * requiring grad: x [n, c, h, w], weight [oc, c/groups, k, k], stride 1, padding k/2.
     */
    double conv2dTrainSeconds(int n, int c, int h, int w, int oc, int k, int groups);

    /**
     * linear (x·Wᵀ + b) forward, then backward with a fixed random upstream gradient, with x, weight
     * and bias requiring grad: x [batch, in], weight [out, in], bias [out].
     */
    double linearTrainSeconds(int batch, int in, int out);

    /**
     * BatchNorm2d(c) in training mode (affine, eps 1e-5, momentum 0.1, running statistics updated)
     * forward, then backward with a fixed random upstream gradient; x [n, c, h, w] requires grad.
     */
    double batchNormTrainSeconds(int n, int c, int h, int w);

    /** max_pool2d(k) (stride k) forward, then backward with a fixed random upstream gradient; x [n, c, h, w] requires grad. */
    double maxPoolTrainSeconds(int n, int c, int h, int w, int k);

    /** softmax over the last dim of a [rows, cols] float32 tensor. */
    double softmaxSeconds(int rows, int cols);

    /** layer norm over the last dim of [rows, cols] float32 (weight and bias of size cols, eps 1e-5). */
    double layerNormSeconds(int rows, int cols);

    /**
     * One training step — forward, cross-entropy against random class labels, zero grads,
     * backward, SGD update (lr 0.01, no momentum) — of a float32 model on a random batch:
     * {@code "m2"} Linear(784,10)·ReLU·Linear(10,10) on [batch, 784]; {@code "mlp512"}
     * Linear(784,512)·ReLU·Linear(512,512)·ReLU·Linear(512,10) on [batch, 784]; {@code "m3"} the
     * tutorial's CNN: view(-1,1,28,28), three Conv2d(k3, stride 2, padding 1) 1→16→16→10 each
     * followed by ReLU, avg_pool2d(4), view(-1,10), on [batch, 784]; {@code "cnn"} the CLI's CNN:
     * view(-1,1,28,28), Conv2d(1,16,3,padding 1)·ReLU·max_pool2d(2)·Conv2d(16,32,3,padding
     * 1)·ReLU·max_pool2d(2)·flatten·Linear(32·7·7,10).
     */
    double trainStepSeconds(String model, int batch);
}
