package dev.tessera.ops;

import dev.tessera.Tensor;
import dev.tessera.TesseraException;
import dev.tessera.autograd.Autograd;

/** softmax and log-softmax along any dim: one fused kernel over the last axis. */
public final class Softmax {
    private Softmax() {}

    /**
     * y = exp(x − max) / Σ exp(x − max) (or its log) along dim. Backward: softmax
     * g' = y·(g − Σ g·y); log-softmax g' = g − exp(y)·Σ g.
     */
    public static Tensor softmax(Tensor x, int dim, boolean log) {
        String name = log ? "LogSoftmaxBackward0" : "SoftmaxBackward0";
        if (!x.dtype().isFloatingPoint())
            throw new TesseraException((log ? "log_softmax" : "softmax") + ": expected a floating point tensor, got " + x.dtype().torchName());
        int d = Views.normalizeDim(dim, x.dim(), log ? "log_softmax" : "softmax");
        Tensor out;
        if (x.dim() == 0) out = log ? Creation.full(0, new long[0], x.dtype(), x.device()) : Creation.full(1, new long[0], x.dtype(), x.device());
        else {
            int last = x.dim() - 1;
            try (var s = Tensor.noGrad()) {
                Tensor moved = (d == last ? x : x.transpose(d, last)).contiguous();
                long n = moved.size(-1), rows = moved.numel() / Math.max(n, 1);
                Tensor y = Creation.empty(moved.shape().toArray(), x.dtype(), x.device());
                if (moved.numel() > 0) x.backend().softmax(moved.reshape(rows, n).raw(), y.view(rows, n).raw(), log);
                out = d == last ? y : y.transpose(d, last).contiguous();
            }
        }
        Tensor result = out;
        return Autograd.record(result, name, new Tensor[] {x}, (g, saved) -> {
            Tensor y = saved.get(0);
            return new Tensor[] {log ? g.sub(y.exp().mul(g.sum(d, true))) : y.mul(g.sub(g.mul(y).sum(d, true)))};
        }, result);
    }
}
