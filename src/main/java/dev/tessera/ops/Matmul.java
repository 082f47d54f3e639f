package dev.tessera.ops;

import dev.tessera.Tensor;
import dev.tessera.TesseraException;
import dev.tessera.autograd.Autograd;
import dev.tessera.backend.View;
import java.util.Arrays;

/**
 * mm, bmm and PyTorch's general matmul. All reach one backend call, a batched GEMM that takes
 * transposed views as they are (no copy); backward is two more products of the same kind.
 */
public final class Matmul {
    private Matmul() {}

    /** [n, k] @ [k, m] → [n, m]. */
    public static Tensor mm(Tensor a, Tensor b) {
        if (a.dim() != 2) throw new TesseraException("mm: self must be a matrix, got a " + a.dim() + "-D tensor");
        if (b.dim() != 2) throw new TesseraException("mm: mat2 must be a matrix, got a " + b.dim() + "-D tensor");
        if (a.size(1) != b.size(0))
            throw new TesseraException("mat1 and mat2 shapes cannot be multiplied (" + a.size(0) + "x" + a.size(1) + " and " + b.size(0) + "x" + b.size(1) + ")");
        checkOperands("mm", a, b);
        Tensor out = kernel(batchOf1(a.raw()), batchOf1(b.raw())).view(a.size(0), b.size(1));
        return Autograd.record(out, "MmBackward0", new Tensor[] {a, b},
                (g, saved) -> new Tensor[] {saved.needsInputGrad(0) ? mm(g, saved.get(1).t()) : null, saved.needsInputGrad(1) ? mm(saved.get(0).t(), g) : null}, a, b);
    }

    /** [B, n, k] @ [B, k, m] → [B, n, m]. */
    public static Tensor bmm(Tensor a, Tensor b) {
        if (a.dim() != 3) throw new TesseraException("bmm: batch1 must be a 3D tensor, got " + a.dim() + "-D");
        if (b.dim() != 3) throw new TesseraException("bmm: batch2 must be a 3D tensor, got " + b.dim() + "-D");
        if (a.size(0) != b.size(0)) throw new TesseraException("batch1 and batch2 must have same number of batches, got " + a.size(0) + " and " + b.size(0));
        if (a.size(2) != b.size(1))
            throw new TesseraException("Expected size for first two dimensions of batch2 tensor to be: [" + a.size(0) + ", " + a.size(2)
                    + "] but got: [" + b.size(0) + ", " + b.size(1) + "].");
        checkOperands("bmm", a, b);
        Tensor out = kernel(a.raw(), b.raw());
        return Autograd.record(out, "BmmBackward0", new Tensor[] {a, b},
                (g, saved) -> new Tensor[] {saved.needsInputGrad(0) ? bmm(g, saved.get(1).transpose(1, 2)) : null,
                        saved.needsInputGrad(1) ? bmm(saved.get(0).transpose(1, 2), g) : null}, a, b);
    }

    /**
     * PyTorch's matmul: 1-D·1-D is a dot product, 2-D·2-D is mm, a 1-D operand is treated as a
     * row (left) or column (right) and that axis removed afterwards, and higher ranks broadcast
     * their batch dimensions.
     */
    public static Tensor matmul(Tensor a, Tensor b) {
        if (a.dim() == 0 || b.dim() == 0)
            throw new TesseraException("both arguments to matmul need to be at least 1D, but they are " + a.dim() + "D and " + b.dim() + "D");
        if (a.dim() <= 2 && b.dim() <= 2) {
            Tensor a2 = a.dim() == 1 ? a.unsqueeze(0) : a, b2 = b.dim() == 1 ? b.unsqueeze(1) : b;
            if (a2.size(1) != b2.size(0)) throw shapeError(a, b);
            Tensor out = mm(a2, b2);
            if (b.dim() == 1) out = out.squeeze(1);
            if (a.dim() == 1) out = out.squeeze(0);
            // PyTorch dispatches these to dot / mv / a squeezed mm: its node names (1.13's SqueezeBackward3)
            if (a.dim() == 1 || b.dim() == 1)
                out = Autograd.relabel(out, a.dim() == 1 && b.dim() == 1 ? "DotBackward0" : b.dim() == 1 ? "MvBackward0" : "SqueezeBackward3");
            return out;
        }
        Tensor a3 = a.dim() == 1 ? a.unsqueeze(0) : a, b3 = b.dim() == 1 ? b.unsqueeze(1) : b;
        long m = a3.size(-2), k = a3.size(-1), n = b3.size(-1);
        if (b3.size(-2) != k) throw shapeError(a, b);
        long[] batchA = Arrays.copyOf(a3.shape().toArray(), a3.dim() - 2), batchB = Arrays.copyOf(b3.shape().toArray(), b3.dim() - 2);
        long[] batch = Elementwise.broadcastShapes(batchA, batchB);
        long count = 1;
        for (long d : batch) count *= d;
        Tensor aB = a3.expand(concat(batch, m, k)).reshape(count, m, k);
        Tensor bB = b3.expand(concat(batch, k, n)).reshape(count, k, n);
        // PyTorch folds the batch into one bmm and _unsafe_view's the result: UnsafeViewBackward0.
        Tensor out = Autograd.relabel(bmm(aB, bB).view(concat(batch, m, n)), "UnsafeViewBackward0");
        if (b.dim() == 1) out = out.squeeze(-1);
        if (a.dim() == 1) out = out.squeeze(-2);
        // [*, m, k] @ [k]: PyTorch folds it into one mv and _unsafe_view's the result
        if (b.dim() == 1 && a.dim() > 2) out = Autograd.relabel(out, "UnsafeViewBackward0");
        return out;
    }

    private static TesseraException shapeError(Tensor a, Tensor b) {
        return new TesseraException("matmul: shapes " + a.shape() + " and " + b.shape() + " cannot be multiplied ("
                + a.size(-1) + " != " + (b.dim() == 1 ? b.size(0) : b.size(-2)) + ")");
    }

    private static void checkOperands(String op, Tensor a, Tensor b) {
        Elementwise.checkSameDevice(a, b);
        if (a.dtype() != b.dtype())
            throw new TesseraException(op + ": expected m1 and m2 to have the same dtype, but got: " + a.dtype().torchName() + " != " + b.dtype().torchName());
        if (a.dtype() == dev.tessera.DType.BOOL) throw new TesseraException(op + ": \"addmm\" not implemented for 'Bool'");
    }

    private static View batchOf1(View v) {
        return new View(v.storage(), v.offset(), new long[] {1, v.shape()[0], v.shape()[1]}, new long[] {0, v.strides()[0], v.strides()[1]});
    }

    private static Tensor kernel(View a, View b) {
        long[] shape = {a.shape()[0], a.shape()[1], b.shape()[2]};
        Tensor out = Creation.empty(shape, a.dtype(), a.storage().device());
        out.backend().matmul(a, b, out.raw());
        return out;
    }

    static long[] concat(long[] prefix, long... rest) {
        long[] out = Arrays.copyOf(prefix, prefix.length + rest.length);
        System.arraycopy(rest, 0, out, prefix.length, rest.length);
        return out;
    }
}
