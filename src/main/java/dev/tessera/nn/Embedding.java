package dev.tessera.nn;

import dev.tessera.Tensor;
import dev.tessera.nn.functional.F;

/**
 * A lookup table: INT64 indices of any shape → their rows of weight [num, dim] (init N(0, 1); the
 * {@code paddingIdx} row zero and never updated). Out-of-range indices throw
 * {@code index out of range in self}.
 */
public class Embedding extends Module {
    public final long numEmbeddings, embeddingDim;
    /** -1 when there is none. */
    public final long paddingIdx;
    public final Parameter weight;

    public Embedding(long numEmbeddings, long embeddingDim) { this(numEmbeddings, embeddingDim, -1, true); }

    /** paddingIdx may be negative in PyTorch's sense (counted from the end). */
    public Embedding(long numEmbeddings, long embeddingDim, long paddingIdx) { this(numEmbeddings, embeddingDim, paddingIdx, false); }

    private Embedding(long numEmbeddings, long embeddingDim, long paddingIdx, boolean none) {
        if (!none && (paddingIdx >= numEmbeddings || paddingIdx < -numEmbeddings))
            throw new IllegalArgumentException("Padding_idx must be within num_embeddings");
        this.numEmbeddings = numEmbeddings;
        this.embeddingDim = embeddingDim;
        this.paddingIdx = none ? -1 : (paddingIdx < 0 ? paddingIdx + numEmbeddings : paddingIdx);
        this.weight = registerParameter("weight", new Parameter(Tensor.randn(numEmbeddings, embeddingDim)));
        if (this.paddingIdx >= 0) try (var s = Tensor.noGrad()) { weight.select(0, this.paddingIdx).zero_(); }
    }

    @Override public Tensor forward(Tensor indices) { return F.embedding(indices, param("weight"), paddingIdx); }

    @Override public String extraRepr() {
        return numEmbeddings + ", " + embeddingDim + (paddingIdx >= 0 ? ", padding_idx=" + paddingIdx : "");
    }
}
