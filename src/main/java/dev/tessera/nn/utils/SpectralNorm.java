package dev.tessera.nn.utils;

import dev.tessera.Tensor;
import dev.tessera.nn.Module;
import dev.tessera.nn.Parameter;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Spectral normalisation, as {@code torch.nn.utils.spectral_norm}: the layer's weight W is used as
 * W / σ(W), σ estimated by power iteration on W reshaped to [out, −1]. The original weight becomes
 * parameter {@code weight_orig}; buffers {@code weight_u} [out] and {@code weight_v} [in·k...] hold
 * the power-iteration vectors. Each forward in training mode runs one iteration and updates u, v;
 * in eval mode the stored u, v are used as they are.
 */
public final class SpectralNorm {
    private SpectralNorm() {}

    public static <M extends Module> M spectralNorm(M module) { return spectralNorm(module, "weight", 1, 1e-12); }

    public static <M extends Module> M spectralNorm(M module, String name, int nPowerIterations, double eps) {
        if (nPowerIterations <= 0)
            throw new IllegalArgumentException("Expected n_power_iterations to be positive, but got n_power_iterations=" + nPowerIterations);
        Parameter weight = module.namedParameters().get(name);
        // Already applied: "weight" is now computed from weight_orig, so the lookup above finds nothing.
        if (weight == null && module.namedBuffers().containsKey(name + "_u"))
            throw new IllegalArgumentException("Cannot register two spectral_norm hooks on the same parameter " + name);
        if (weight == null) throw new IllegalArgumentException("Module '" + module.getClass().getSimpleName() + "' has no parameter named '" + name + "'");
        long h = weight.size(0), w = weight.numel() / h;
        Tensor u, v;
        try (var s = Tensor.noGrad()) {
            u = normalize(Tensor.randn(new long[] {h}, weight.dtype(), weight.device()), eps);
            v = normalize(Tensor.randn(new long[] {w}, weight.dtype(), weight.device()), eps);
        }
        Map<String, Tensor> buffers = new LinkedHashMap<>();
        buffers.put(name + "_u", u);
        buffers.put(name + "_v", v);
        module.reparametrize(name, name + "_orig", buffers, () -> {
            Tensor mat = weight.reshape(h, w);
            if (module.isTraining()) {
                try (var s = Tensor.noGrad()) {
                    for (int i = 0; i < nPowerIterations; i++) {
                        v.copy_(normalize(mat.t().matmul(u), eps));   // v = normalize(Wᵀu)
                        u.copy_(normalize(mat.matmul(v), eps));       // u = normalize(W v)
                    }
                }
            }
            // σ = uᵀ W v, with u and v treated as constants (as PyTorch clones them).
            Tensor sigma = u.detach().clone().matmul(mat.matmul(v.detach().clone()));
            return weight.div(sigma);
        });
        return module;
    }

    private static Tensor normalize(Tensor x, double eps) {
        double norm = Math.sqrt(x.mul(x).sum().item());
        return x.div(Math.max(norm, eps));
    }
}
