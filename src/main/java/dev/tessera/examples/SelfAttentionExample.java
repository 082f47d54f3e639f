package dev.tessera.examples;

import static dev.tessera.nn.utils.SpectralNorm.spectralNorm;

import dev.tessera.Size;
import dev.tessera.Tensor;
import dev.tessera.nn.Conv1d;
import dev.tessera.nn.Module;
import dev.tessera.nn.Parameter;
import dev.tessera.nn.functional.F;
import java.io.PrintStream;
import java.util.Arrays;

/**
 * Self-attention over the pixels of a feature map (SAGAN, as in fastai's {@code SelfAttention}):
 * 1×1 convolutions with spectral norm give query f, key g and value h; β = softmax(fᵀg) over the
 * positions, o = γ·h·β + x. γ starts at 0, so the module starts as the identity and learns how much
 * attention to mix in.
 */
public final class SelfAttentionExample {
    private SelfAttentionExample() {}

    public static class SelfAttention extends Module {
        public final Conv1d query, key, value;
        public final Parameter gamma;

        public SelfAttention(long nChannels) {
            query = register("query", conv(nChannels, nChannels / 8));
            key = register("key", conv(nChannels, nChannels / 8));
            value = register("value", conv(nChannels, nChannels));
            gamma = registerParameter("gamma", new Parameter(Tensor.of(new float[] {0f}, 1)));
        }

        private static Conv1d conv(long nIn, long nOut) { return spectralNorm(new Conv1d(nIn, nOut, 1, 1, 0, 1, 1, false)); }

        /** x [N, C, *spatial] → same shape. */
        @Override public Tensor forward(Tensor x) {
            Size size = x.size();
            x = x.view(size.get(0), size.get(1), -1);                            // [N, C, P], P positions
            Tensor f = query.forward(x), g = key.forward(x), h = value.forward(x);
            Tensor beta = F.softmax(f.transpose(1, 2).bmm(g), 1);                // [N, P, P]
            Tensor o = gamma.mul(h.bmm(beta)).add(x);                            // [N, C, P]
            return o.view(size.toArray()).contiguous();
        }
    }

    public static void main(String[] args) { run(System.out); }

    public static void run(PrintStream out) {
        Tensor.manualSeed(0);
        SelfAttention sa = new SelfAttention(16);
        out.println(sa);
        sa.namedParameters().forEach((name, p) -> out.println(name + " " + p.shape()));
        sa.namedBuffers().forEach((name, b) -> out.println(name + " " + b.shape()));

        Tensor x = Tensor.randn(32, 16, 8, 8);
        Tensor y = sa.forward(x);
        out.println("in  " + x.shape());
        out.println("out " + y.shape());
        out.println("gamma = 0, so out equals in: " + Arrays.equals(y.toFloatArray(), x.toFloatArray()));
    }
}
