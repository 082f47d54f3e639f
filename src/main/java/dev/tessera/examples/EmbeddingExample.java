package dev.tessera.examples;

import dev.tessera.Tensor;
import dev.tessera.TesseraException;
import dev.tessera.nn.Embedding;
import java.io.PrintStream;
import java.util.Arrays;

/**
 * {@code nn.Embedding}: a lookup table from INT64 indices to rows of its weight [num, dim].
 * <pre>
 * embedding = nn.Embedding(10, 3)
 * input = torch.LongTensor([[1, 2, 4, 5], [4, 3, 2, 9]])
 * embedding(input)                      # shape [2, 4, 3]
 * embedding(torch.LongTensor([5]))      # the same numbers as embedding.weight[5]
 * embedding(torch.LongTensor([10]))     # IndexError: index out of range in self
 * </pre>
 */
public final class EmbeddingExample {
    private EmbeddingExample() {}

    public static void main(String[] args) { run(System.out); }

    public static void run(PrintStream out) {
        Tensor.manualSeed(0);
        Embedding embedding = new Embedding(10, 3);   // 10 words, 3 numbers each
        out.println(embedding);

        Tensor input = Tensor.of(new long[] {1, 2, 4, 5, 4, 3, 2, 9}, 2, 4);   // two "sentences" of 4 indices
        Tensor vectors = embedding.forward(input);
        out.println(vectors);
        out.println(vectors.shape());

        // A lookup is just row selection: embedding([5]) holds exactly weight[5].
        Tensor five = embedding.forward(Tensor.of(new long[] {5}, 1));
        Tensor row5 = embedding.weight.index(5);
        out.println(five);
        out.println(row5);
        out.println("embedding([5]) equals weight[5]: " + Arrays.equals(five.toFloatArray(), row5.toFloatArray()));

        // Only indices 0..9 exist; 10 is rejected before anything is computed.
        try {
            embedding.forward(Tensor.of(new long[] {10}, 1));
        } catch (TesseraException e) {
            out.println("embedding([10]) -> " + e.getMessage());
        }
    }
}
