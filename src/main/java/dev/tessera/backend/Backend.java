package dev.tessera.backend;

import dev.tessera.DType;
import dev.tessera.Device;

/**
 * The kernels a device provides. Autograd, layers and optimizers are written once, above this
 * interface, out of these calls. Callers check arguments and allocate {@code out}; a backend
 * sees views, never Tensors. Unless a method says otherwise, {@code out} is contiguous and does
 * not overlap the inputs.
 */
public interface Backend {
    Device device();

    /** A new buffer; contents are zero on the CPU and unspecified elsewhere. */
    Storage allocate(DType dtype, long numel);

    /** A new buffer holding a copy of a host array (float[], double[], long[] or boolean[]). */
    Storage fromHost(Object array);

    /** The view's elements in row-major order, as a new host array of its dtype. */
    Object toHost(View src);

    /** dst = src elementwise, same shape, converting dtype; dst may be any strided view. */
    void copy(View src, View dst);

    /** Every element of dst (any strided view) set to value. */
    void fill(View dst, double value);

    /** out = op(x); x and out of one floating dtype and shape. */
    void unary(UnaryOp op, View x, View out);

    /** out = a op b; a and b share a dtype and out's shape (broadcast as stride 0). */
    void binary(BinaryOp op, View a, View b, View out);

    /** out = cond ? a : b; cond BOOL; a, b of out's dtype; all of out's shape. */
    void where(View cond, View a, View b, View out);

    /**
     * out[i] = op over j of x[i, j]; x is a 2-D strided view [outer, inner], out is [outer]. inner
     * may be 0: SUM then gives 0 (callers reject MAX/MIN/ARGMAX/ARGMIN over an empty dim).
     */
    void reduce(ReduceOp op, View x, View out);

    /**
     * Batched product: a [B, m, k] and b [B, k, n] with any strides (stride-0 batch allowed), out
     * [B, m, n] contiguous — or, when out's batch stride is 0, the B products summed into one
     * contiguous [m, n] matrix (a convolution's weight gradient over a batch).
     */
    void matmul(View a, View b, View out);

    /** Softmax (or log-softmax) along the last axis of contiguous [rows, n] views. */
    void softmax(View x, View out, boolean log);

    /**
     * Negative log-likelihood per row of contiguous log-probabilities logp [rows, C] against INT64
     * targets [rows]: loss[i] = 0 where target = ignoreIndex, else
     * −((1 − smoothing)·logp[i, t] + smoothing/C·Σ_c logp[i, c]). A target outside [0, C) that is
     * not ignoreIndex throws {@code TesseraIndexException("Target t is out of bounds.")} — on the CPU
     * at once, before writing; a device may report it at its next synchronisation point instead (a
     * host read, synchronize()), never reading such a row out of range.
     */
    void nll(View logp, View target, long ignoreIndex, double smoothing, View loss);

    /** The gradient of {@link #nll}: dlogp[i, c] = 0 where ignored, else −grad[i]·((1 − smoothing)·[c = t] + smoothing/C). */
    void nllBackward(View grad, View target, long ignoreIndex, double smoothing, View dlogp);

    /**
     * One SGD update, in place, as torch.optim.SGD: d = g + weightDecay·p; with momentum
     * buf = first ? d : momentum·buf + (1 − dampening)·d and d = nesterov ? d + momentum·buf : buf;
     * then p −= lr·d. p, g and buf (null without momentum) are contiguous, of one shape and dtype.
     */
    void sgdStep(View p, View g, View buf, double lr, double momentum, double dampening, double weightDecay, boolean nesterov, boolean first);

    /**
     * One Adam update (decoupled: AdamW's weight decay), in place, as torch.optim.Adam/AdamW
     * without amsgrad, for the given 1-based step: m = β1·m + (1 − β1)·g, v = β2·v + (1 − β2)·g²,
     * p −= lr/(1 − β1^step) · m / (√v / √(1 − β2^step) + eps). All views contiguous, one shape and dtype.
     */
    void adamStep(View p, View g, View m, View v, double lr, double beta1, double beta2, double eps, double weightDecay,
                  boolean decoupled, long step);

    /**
     * Layer normalisation of the rows of a contiguous x [rows, n]: out = (x − mean)·rstd·weight + bias,
     * rstd = 1/√(biased var + eps); weight and bias ([n], contiguous) may be null. Writes the row
     * statistics to mean and rstd ([rows]) for the backward pass.
     */
    void layerNorm(View x, View weight, View bias, double eps, View out, View mean, View rstd);

    /**
     * 2-D convolution (cross-correlation, as PyTorch and cuDNN's CROSS_CORRELATION mode), the
     * primitive aten dispatches as {@code cudnn_convolution} plus the bias: x [N, C, H, W] (any
     * strides), weight [OC, C/groups, kh, kw] contiguous, bias [OC] or null, out [N, OC, outH, outW]
     * contiguous, overwritten with out[n, o, i, j] = bias[o] + Σ over c &lt; C/groups, ki, kj of
     * weight[o, c, ki, kj]·x[n, (o / (OC/groups))·C/groups + c, i·sh − ph + ki·dh, j·sw − pw + kj·dw],
     * where x outside the image is 0. g gives N, C, H, W, the kernel, stride, padding and dilation
     * (its padValue is ignored); groups divides C and OC.
     */
    void conv2d(View x, View weight, View bias, ConvGeometry g, int groups, View out);

    /**
     * The gradient of {@link #conv2d} with respect to its input (aten's
     * {@code cudnn_convolution_backward_input}): grad [N, OC, outH, outW] contiguous, weight as in
     * conv2d; dx [N, C, H, W] contiguous is overwritten.
     */
    void conv2dBackwardData(View grad, View weight, ConvGeometry g, int groups, View dx);

    /**
     * The gradients of {@link #conv2d} with respect to weight and bias: grad [N, OC, outH, outW]
     * contiguous, x as in conv2d; dweight [OC, C/groups, kh, kw] contiguous is overwritten with
     * Σ over n, i, j of grad[n, o, i, j]·x[...] (the same window as the forward), and dbias [OC] with
     * Σ over n, i, j of grad[n, o, i, j]. Either output may be null (not wanted).
     */
    void conv2dBackwardWeight(View grad, View x, ConvGeometry g, int groups, View dweight, View dbias);

    /**
     * Batch normalisation in training mode (aten's {@code cudnn_batch_norm} with training = true)
     * over contiguous x [N, C, S] (S = H·W for images, L or 1 for BatchNorm1d): per channel c, over
     * its M = N·S values, mean_c and the biased variance var_c; out [N, C, S] contiguous =
     * (x − mean_c)·invstd_c·weight[c] + bias[c] with invstd_c = 1/√(var_c + eps); weight and bias
     * [C] may be null (1 and 0). saveMean and saveInvStd [C] receive mean_c and invstd_c for
     * {@link #batchNormBackward}. runningMean and runningVar [C] (both or neither) are updated in
     * place: r = (1 − factor)·r + factor·s, with s = mean_c and the unbiased var_c·M/(M − 1) (the
     * convention of PyTorch and of cuDNN's running variance). The caller ensures M &gt; 1.
     */
    void batchNorm(View x, View weight, View bias, View runningMean, View runningVar, double factor, double eps,
                   View out, View saveMean, View saveInvStd);

    /**
     * Batch normalisation in evaluation mode: out = (x − runningMean[c])/√(runningVar[c] + eps)·weight[c]
     * + bias[c], shapes as {@link #batchNorm}; nothing else is written.
     */
    void batchNormInference(View x, View weight, View bias, View runningMean, View runningVar, double eps, View out);

    /**
     * The backward of training-mode {@link #batchNorm} from its saved statistics (aten's
     * {@code cudnn_batch_norm_backward}): with x̂ = (x − saveMean[c])·saveInvStd[c] and sums over a
     * channel's M values, dx = weight[c]·invstd_c·(grad − Σgrad/M − x̂·Σ(grad·x̂)/M), dweight[c] =
     * Σ grad·x̂, dbias[c] = Σ grad. grad and x [N, C, S] contiguous; weight may be null (1); eps is
     * the forward's (cuDNN wants it); any of dx, dweight, dbias may be null (not wanted); those given
     * are overwritten.
     */
    void batchNormBackward(View grad, View x, View weight, View saveMean, View saveInvStd, double eps, View dx, View dweight, View dbias);

    /**
     * x [N, C, H, W] (any strides) to columns [N, C*kh*kw, outH*outW], rows ordered (c, ki, kj);
     * cols may have any strides with a unit last stride (a convolution lays it out as
     * [C*kh*kw, N, outH*outW] so that one GEMM covers the batch).
     */
    void im2col(View x, ConvGeometry g, View cols);

    /** The adjoint of im2col: sums columns (strided as in im2col) back into a contiguous out [N, C, H, W]. */
    void col2im(View cols, ConvGeometry g, View out);

    /**
     * Max over each window of x [N, C, H, W] (any strides) into out [N, C, outH, outW]; indices
     * (INT64, out's shape) get the winner's position h·W + w within its plane (the first on ties,
     * NaN wins), as PyTorch's max_pool2d_with_indices.
     */
    void maxPool2d(View x, ConvGeometry g, View out, View indices);

    /** The adjoint of maxPool2d: dx [N, C, H, W] is zeroed, then dx[plane][indices] += grad. */
    void maxPool2dBackward(View grad, View indices, ConvGeometry g, View dx);

    /**
     * out[i, :] = table[index[i], :]; table [rows, d] contiguous, index INT64 [m] contiguous. An index
     * outside [0, rows) throws {@code TesseraIndexException("index out of range in self")}: on the CPU
     * before writing; a device may report it at its next synchronisation point instead.
     */
    void indexSelect(View table, View index, View out);

    /**
     * The gradient of {@link #indexSelect} (an embedding's weight gradient): dw [rows, d] contiguous is
     * overwritten with dw[r, :] = Σ grad[i, :] over the i with index[i] = r, summed in increasing i,
     * and dw[paddingIdx, :] = 0 when paddingIdx ≥ 0 (PyTorch's padding_idx gets no gradient). grad
     * [m, d] and index INT64 [m] contiguous; an index outside [0, rows) (reported by the forward)
     * contributes nothing.
     */
    void embeddingBackward(View grad, View index, long paddingIdx, View dw);

    /** Fills out with U[lo, hi) (floating dtypes), from a generator seeded with {@code seed}. */
    void uniform(View out, double lo, double hi, long seed);

    /** Fills out with N(mean, std²), from a generator seeded with {@code seed}. */
    void normal(View out, double mean, double std, long seed);
}
