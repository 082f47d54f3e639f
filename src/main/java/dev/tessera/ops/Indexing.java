package dev.tessera.ops;

import dev.tessera.DType;
import dev.tessera.Tensor;
import dev.tessera.TesseraException;
import dev.tessera.autograd.Autograd;

/** Row lookup (embedding) and its scatter-add backward. */
public final class Indexing {
    private Indexing() {}

    /**
     * out[..., :] = weight[indices[...], :]; weight [numEmbeddings, dim], indices INT64 of any shape.
     * An index outside [0, numEmbeddings) throws {@code index out of range in self} (a
     * {@link dev.tessera.TesseraIndexException}, PyTorch's IndexError): on the CPU before any output is
     * written, on CUDA at the device's next synchronisation point (a host read, e.g. {@code item()}), as
     * PyTorch's CUDA kernels report it; {@code TESSERA_CUDA_SYNC_CHECKS=1} reports it at once. Rows at {@code paddingIdx} (if ≥ 0) get no gradient.
     */
    public static Tensor embedding(Tensor indices, Tensor weight, long paddingIdx) {
        if (indices.dtype() != DType.INT64)
            throw new TesseraException("Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got "
                    + indices.dtype().torchName() + " instead (while checking arguments for embedding)");
        if (weight.dim() != 2) throw new TesseraException("'weight' must be 2-D, got " + weight.dim() + "-D");
        Elementwise.checkSameDevice(weight, indices);
        long rows = weight.size(0), dim = weight.size(1);
        Tensor flat = indices.contiguous().reshape(-1);
        Tensor table = weight.contiguous();
        Tensor out = Creation.empty(new long[] {flat.numel(), dim}, weight.dtype(), weight.device());
        weight.backend().indexSelect(table.raw(), flat.raw(), out.raw());   // TesseraIndexException for a bad index (CUDA: at the next sync)
        long[] outShape = Matmul.concat(indices.shape().toArray(), dim);
        Tensor result = out.view(outShape);
        long count = flat.numel();
        return Autograd.record(result, "EmbeddingBackward0", new Tensor[] {weight}, (g, saved) -> {
            Tensor idx = saved.get(0);   // indices, flattened (a view of them when they were contiguous)
            Tensor rowsGrad = g.contiguous().reshape(count, dim);
            Tensor dw = Creation.empty(new long[] {rows, dim}, g.dtype(), g.device());
            g.backend().embeddingBackward(rowsGrad.raw(), idx.raw(), paddingIdx, dw.raw());
            return new Tensor[] {dw};
        }, flat);
    }
}
