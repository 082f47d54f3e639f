package dev.tessera.nn;

import dev.tessera.Tensor;
import dev.tessera.TesseraException;

/**
 * Multi-head scaled dot-product attention, as {@code nn.MultiheadAttention} with its defaults
 * (batch_first=False: inputs [L, N, E]; dropout 0; bias). Parameters in_proj_weight [3E, E]
 * (xavier-uniform), in_proj_bias [3E] (zeros) and out_proj, a Linear(E, E) with zero bias.
 * forward(q, k, v) returns the attended output [L, N, E]; {@link #lastAttentionWeights()}
 * holds the head-averaged weights [N, L, S] of the last call, as need_weights=True returns.
 */
public class MultiheadAttention extends Module {
    public final long embedDim, numHeads, headDim;
    public final Parameter inProjWeight, inProjBias;
    public final Linear outProj;
    private Tensor lastWeights;

    public MultiheadAttention(long embedDim, long numHeads) {
        if (numHeads < 1 || embedDim % numHeads != 0) throw new IllegalArgumentException("embed_dim must be divisible by num_heads");
        this.embedDim = embedDim;
        this.numHeads = numHeads;
        this.headDim = embedDim / numHeads;
        this.inProjWeight = registerParameter("in_proj_weight", new Parameter(Tensor.empty(3 * embedDim, embedDim)));
        this.inProjBias = registerParameter("in_proj_bias", new Parameter(Tensor.zeros(3 * embedDim)));
        this.outProj = register("out_proj", new Linear(embedDim, embedDim) {
            @Override protected String reprName() { return "NonDynamicallyQuantizableLinear"; }
        });
        Init.xavierUniform_(inProjWeight);
        Init.zeros_(outProj.bias);
    }

    /** Self-attention: forward(x, x, x). */
    @Override public Tensor forward(Tensor x) { return forward(x, x, x); }

    public Tensor forward(Tensor query, Tensor key, Tensor value) {
        if (query.dim() != 3 || key.dim() != 3 || value.dim() != 3 || query.size(2) != embedDim)
            throw new TesseraException("MultiheadAttention: expected query, key, value of shape [L, N, " + embedDim + "], got "
                    + query.shape() + ", " + key.shape() + ", " + value.shape());
        long l = query.size(0), n = query.size(1), s = key.size(0), e = embedDim;
        Tensor q = project(query, 0), k = project(key, 1), v = project(value, 2);
        // [L, N, E] → [N·H, L, D]
        q = q.reshape(l, n * numHeads, headDim).transpose(0, 1).mul(1.0 / Math.sqrt(headDim));
        k = k.reshape(s, n * numHeads, headDim).transpose(0, 1);
        v = v.reshape(s, n * numHeads, headDim).transpose(0, 1);
        Tensor weights = q.bmm(k.transpose(1, 2)).softmax(-1);                       // [N·H, L, S]
        Tensor attended = weights.bmm(v).transpose(0, 1).reshape(l, n, e);           // [L, N, E]
        lastWeights = weights.detach().view(n, numHeads, l, s).mean(1);
        return outProj.forward(attended);
    }

    private Tensor project(Tensor x, int which) {
        return dev.tessera.nn.functional.F.linear(x, inProjWeight.narrow(0, which * embedDim, embedDim), inProjBias.narrow(0, which * embedDim, embedDim));
    }

    /** Head-averaged attention weights [N, L, S] of the last forward, or null. */
    public Tensor lastAttentionWeights() { return lastWeights; }
}
