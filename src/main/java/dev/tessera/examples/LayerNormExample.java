package dev.tessera.examples;

import dev.tessera.Tensor;
import dev.tessera.nn.LayerNorm;
import java.io.PrintStream;

/**
 * {@code nn.LayerNorm}: normalises over the trailing {@code normalizedShape} dims of each sample,
 * independently of the batch; the same in training and in eval.
 * <pre>
 * # NLP: normalise each token's embedding
 * batch, sentence_length, embedding_dim = 20, 5, 10
 * embedding = torch.randn(batch, sentence_length, embedding_dim)
 * layer_norm = nn.LayerNorm(embedding_dim)
 * layer_norm(embedding)
 * # Image: normalise over C, H, W
 * N, C, H, W = 20, 5, 10, 10
 * input = torch.randn(N, C, H, W)
 * layer_norm = nn.LayerNorm([C, H, W])
 * output = layer_norm(input)
 * </pre>
 */
public final class LayerNormExample {
    private LayerNormExample() {}

    public static void main(String[] args) { run(System.out); }

    public static void run(PrintStream out) {
        Tensor.manualSeed(0);
        Tensor embedding = Tensor.randn(20, 5, 10).mul(2).add(1);
        LayerNorm layerNorm = new LayerNorm(10);
        out.println(layerNorm);
        Tensor normed = layerNorm.forward(embedding);
        out.println(normed.shape());
        out.printf("per-token mean: max |mean| = %.4f%n", normed.mean(-1).abs().max().item());
        Tensor var = normed.var(new int[] {-1}, false, false);   // biased, as LayerNorm itself uses
        out.printf("per-token var (biased): min %.4f, max %.4f%n", var.min().item(), var.max().item());

        Tensor image = Tensor.randn(20, 5, 10, 10);
        LayerNorm imageNorm = new LayerNorm(5, 10, 10);
        out.println(imageNorm);
        out.println("weight " + imageNorm.weight.shape());
        Tensor output = imageNorm.forward(image);
        out.println(output.shape());
        out.printf("per-sample mean: max |mean| = %.4f%n", output.mean(new int[] {1, 2, 3}, false).abs().max().item());
    }
}
