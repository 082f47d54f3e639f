package dev.tessera;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.nn.functional.F;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Every node name against {@code type(t.grad_fn).__name__} as PyTorch 1.13 printed it for the same
 * expression (the Python is in each key). Where 1.13 and PyTorch 2.x differ, Tessera follows 2.x,
 * DESIGN.md's reference: noted at the line.
 */
class GradFnNamesTest {
    @Test void namesMatchPyTorch() {
        Tensor.manualSeed(0);
        Tensor a = Tensor.randn(2, 3).requiresGrad(true), b = Tensor.randn(2, 3).requiresGrad(true);
        Tensor m = Tensor.randn(3, 4).requiresGrad(true), bias = Tensor.zeros(4).requiresGrad(true);
        Tensor x4 = Tensor.randn(1, 2, 4, 4).requiresGrad(true), w = Tensor.randn(3, 2, 3, 3).requiresGrad(true);
        Tensor pos = a.abs().add(0.5).detach().requiresGrad(true);
        Map<String, Supplier<Tensor>> c = new LinkedHashMap<>();
        Map<String, String> expected = new LinkedHashMap<>();
        // Python-number operands: PyTorch wraps them and dispatches the Tensor overload (…Backward0).
        put(c, expected, "a + 2", "AddBackward0", () -> a.add(2));
        put(c, expected, "a + b", "AddBackward0", () -> a.add(b));
        put(c, expected, "a.add(b, alpha=2)", "AddBackward0", () -> a.add(b, 2));
        put(c, expected, "a - 2", "SubBackward0", () -> a.sub(2));
        put(c, expected, "a - b", "SubBackward0", () -> a.sub(b));
        put(c, expected, "a * 2", "MulBackward0", () -> a.mul(2));
        put(c, expected, "a * b", "MulBackward0", () -> a.mul(b));
        put(c, expected, "a / 2", "DivBackward0", () -> a.div(2));
        put(c, expected, "a / b", "DivBackward0", () -> a.div(b));
        put(c, expected, "-a", "NegBackward0", a::neg);
        put(c, expected, "a ** 2", "PowBackward0", () -> a.pow(2));
        put(c, expected, "a.pow(2.5)", "PowBackward0", () -> pos.pow(2.5));
        put(c, expected, "a ** b", "PowBackward1", () -> pos.pow(b));
        put(c, expected, "a.square()", "PowBackward0", a::square);
        put(c, expected, "a.exp()", "ExpBackward0", a::exp);
        put(c, expected, "a.log()", "LogBackward0", pos::log);
        put(c, expected, "a.sqrt()", "SqrtBackward0", pos::sqrt);
        put(c, expected, "a.rsqrt()", "RsqrtBackward0", pos::rsqrt);
        put(c, expected, "a.abs()", "AbsBackward0", a::abs);
        put(c, expected, "a.relu()", "ReluBackward0", a::relu);
        put(c, expected, "a.sigmoid()", "SigmoidBackward0", a::sigmoid);
        put(c, expected, "a.tanh()", "TanhBackward0", a::tanh);
        put(c, expected, "F.gelu(a)", "GeluBackward0", a::gelu);
        put(c, expected, "a.erf()", "ErfBackward0", a::erf);
        put(c, expected, "torch.maximum(a, b)", "MaximumBackward0", () -> a.maximum(b));
        put(c, expected, "torch.minimum(a, b)", "MinimumBackward0", () -> a.minimum(b));
        put(c, expected, "a.clamp(-1, 1)", "ClampBackward1", () -> a.clamp(-1, 1));
        put(c, expected, "torch.where(a > 0, a, b)", "WhereBackward0", () -> Tensor.where(a.gt(0), a, b));
        put(c, expected, "a.masked_fill(a > 0, 0)", "MaskedFillBackward0", () -> a.maskedFill(a.gt(0), 0));
        put(c, expected, "a.t()", "TBackward0", a::t);
        put(c, expected, "a[0].t()", "TBackward0", () -> a.index(0).t());
        put(c, expected, "a.transpose(0, 1)", "TransposeBackward0", () -> a.transpose(0, 1));
        put(c, expected, "a.permute(1, 0)", "PermuteBackward0", () -> a.permute(1, 0));
        put(c, expected, "a.view(6)", "ViewBackward0", () -> a.view(6));
        // PyTorch 1.13: ReshapeAliasBackward0 for reshape/flatten of a contiguous tensor; PyTorch 2.x: ViewBackward0.
        put(c, expected, "a.reshape(6)", "ViewBackward0", () -> a.reshape(6));
        put(c, expected, "a.t().reshape(6)", "UnsafeViewBackward0", () -> a.t().reshape(6));
        put(c, expected, "a.unsqueeze(0).squeeze()", "SqueezeBackward0", () -> a.unsqueeze(0).squeeze());
        put(c, expected, "a.unsqueeze(0).squeeze(0)", "SqueezeBackward1", () -> a.unsqueeze(0).squeeze(0));
        put(c, expected, "a.unsqueeze(0)", "UnsqueezeBackward0", () -> a.unsqueeze(0));
        put(c, expected, "a.narrow(1, 0, 2)", "SliceBackward0", () -> a.narrow(1, 0, 2));
        put(c, expected, "a[:, 0:2]", "SliceBackward0", () -> a.slice(1, 0, 2));
        put(c, expected, "a.select(0, 1)", "SelectBackward0", () -> a.select(0, 1));
        put(c, expected, "a[0]", "SelectBackward0", () -> a.index(0));
        put(c, expected, "a[:1].expand(4, 3)", "ExpandBackward0", () -> a.slice(0, 0, 1).expand(4, 3));
        put(c, expected, "a.clone()", "CloneBackward0", a::clone);
        put(c, expected, "a.t().contiguous()", "CloneBackward0", () -> a.t().contiguous());
        put(c, expected, "torch.cat([a, b])", "CatBackward0", () -> Tensor.cat(List.of(a, b), 0));
        put(c, expected, "torch.stack([a, b])", "StackBackward0", () -> Tensor.stack(List.of(a, b), 0));
        put(c, expected, "a.sum()", "SumBackward0", a::sum);
        put(c, expected, "a.sum(1)", "SumBackward1", () -> a.sum(1));
        put(c, expected, "a.mean()", "MeanBackward0", a::mean);
        put(c, expected, "a.mean(1)", "MeanBackward1", () -> a.mean(1));
        put(c, expected, "a.max()", "MaxBackward1", a::max);
        put(c, expected, "a.max(1)[0]", "MaxBackward0", () -> a.max(1));
        put(c, expected, "a.min()", "MinBackward1", a::min);
        put(c, expected, "a.min(1)[0]", "MinBackward0", () -> a.min(1));
        put(c, expected, "a.var()", "VarBackward0", a::var);
        put(c, expected, "a.var(1)", "VarBackward0", () -> a.var(1));
        put(c, expected, "a.std()", "StdBackward0", a::std);
        put(c, expected, "a.std(1)", "StdBackward0", () -> a.std(1));
        put(c, expected, "a.mm(m)", "MmBackward0", () -> a.mm(m));
        put(c, expected, "a.matmul(m)", "MmBackward0", () -> a.matmul(m));
        put(c, expected, "a.unsqueeze(0).matmul(m.unsqueeze(0))", "UnsafeViewBackward0", () -> a.unsqueeze(0).matmul(m.unsqueeze(0)));
        put(c, expected, "a.unsqueeze(0).matmul(m)", "UnsafeViewBackward0", () -> a.unsqueeze(0).matmul(m));
        // 1-D operands (PyTorch 1.13: vec @ mat squeezes an mm; mat @ vec is mv; vec @ vec is dot; batched @ vec folds into mv + _unsafe_view)
        put(c, expected, "a[0] @ m", "SqueezeBackward3", () -> a.select(0, 0).matmul(m));
        put(c, expected, "m.t() @ a[0]", "MvBackward0", () -> m.t().matmul(a.select(0, 0)));
        put(c, expected, "a[0] @ b[0]", "DotBackward0", () -> a.select(0, 0).matmul(b.select(0, 0)));
        put(c, expected, "a.unsqueeze(0) @ b[0]", "UnsafeViewBackward0", () -> a.unsqueeze(0).matmul(b.select(0, 0)));
        put(c, expected, "a.unsqueeze(0).bmm(m.unsqueeze(0))", "BmmBackward0", () -> a.unsqueeze(0).bmm(m.unsqueeze(0)));
        put(c, expected, "F.linear(a, m.t())", "MmBackward0", () -> F.linear(a, m.t(), null));
        put(c, expected, "F.linear(a.unsqueeze(0), m.t())", "UnsafeViewBackward0", () -> F.linear(a.unsqueeze(0), m.t(), null));
        put(c, expected, "F.linear(a, m.t(), bias)", "AddmmBackward0", () -> F.linear(a, m.t(), bias));
        put(c, expected, "F.linear(a.unsqueeze(0), m.t(), bias)", "ViewBackward0", () -> F.linear(a.unsqueeze(0), m.t(), bias));
        put(c, expected, "F.linear(a[0], m.t(), bias)", "AddBackward0", () -> F.linear(a.index(0), m.t(), bias));
        put(c, expected, "a.softmax(1)", "SoftmaxBackward0", () -> a.softmax(1));
        put(c, expected, "a.log_softmax(1)", "LogSoftmaxBackward0", () -> a.logSoftmax(1));
        put(c, expected, "F.dropout(a, 0.5, True)  (CPU)", "MulBackward0", () -> F.dropout(a, 0.5, true));
        put(c, expected, "a.to(torch.float64)", "ToCopyBackward0", () -> a.to(DType.FLOAT64));
        put(c, expected, "F.embedding(torch.tensor([0, 1]), a)", "EmbeddingBackward0", () -> F.embedding(Tensor.of(new long[] {0, 1}, 2), a));
        put(c, expected, "F.mse_loss(a, b)", "MseLossBackward0", () -> F.mseLoss(a, b));
        put(c, expected, "F.cross_entropy(a, torch.tensor([0, 1]))", "NllLossBackward0", () -> F.crossEntropy(a, Tensor.of(new long[] {0, 1}, 2)));
        put(c, expected, "F.nll_loss(a, torch.tensor([0, 1]))", "NllLossBackward0", () -> F.nllLoss(a, Tensor.of(new long[] {0, 1}, 2)));
        put(c, expected, "F.binary_cross_entropy_with_logits(a, b.detach())", "BinaryCrossEntropyWithLogitsBackward0",
                () -> F.binaryCrossEntropyWithLogits(a, b.detach()));
        put(c, expected, "F.layer_norm(a, [3])", "NativeLayerNormBackward0", () -> F.layerNorm(a, new long[] {3}));
        put(c, expected, "F.conv2d(x4, w)", "ConvolutionBackward0", () -> F.conv2d(x4, w, null));
        put(c, expected, "F.max_pool2d(x4, 2)", "MaxPool2DWithIndicesBackward0", () -> F.maxPool2d(x4, 2));
        put(c, expected, "F.avg_pool2d(x4, 2)", "AvgPool2DBackward0", () -> F.avgPool2d(x4, 2));
        put(c, expected, "F.batch_norm(x4, None, None, training=True)", "NativeBatchNormBackward0",
                () -> F.batchNorm(x4, null, null, null, null, true, 0.1, 1e-5));
        // In place: the node of the op the in-place form stands for.
        put(c, expected, "c = a.clone(); c.add_(2)", "AddBackward0", () -> a.clone().add_(2));
        put(c, expected, "c.sub_(2)", "SubBackward0", () -> a.clone().sub_(2));
        put(c, expected, "c.mul_(2)", "MulBackward0", () -> a.clone().mul_(2));
        put(c, expected, "c.div_(2)", "DivBackward0", () -> a.clone().div_(2));
        put(c, expected, "c.mul_(b)", "MulBackward0", () -> a.clone().mul_(b));
        put(c, expected, "c.clamp_(-1, 1)", "ClampBackward1", () -> a.clone().clamp_(-1, 1));

        Map<String, String> actual = new LinkedHashMap<>();
        c.forEach((k, f) -> actual.put(k, f.get().gradFn().name()));
        assertEquals(expected, actual);
    }

    private static void put(Map<String, Supplier<Tensor>> c, Map<String, String> expected, String python, String name, Supplier<Tensor> f) {
        c.put(python, f);
        expected.put(python, name);
    }

    @Test void gradFnPrintsAsPyTorchsObjectRepr() {
        Tensor x = Tensor.randn(2, 3).requiresGrad(true);
        Tensor y = F.linear(x, Tensor.randn(4, 3).requiresGrad(true), Tensor.zeros(4).requiresGrad(true));
        // PyTorch 1.13: print(y.grad_fn) -> <AddmmBackward0 object at 0x7f136e5d7ac0>
        String s = y.gradFn().toString();
        assertTrue(s.matches("<AddmmBackward0 object at 0x[0-9a-f]+>"), s);
        assertEquals(s, y.gradFn().toString(), "stable for one node");
        assertSame(y.gradFn(), y.gradFn());
        Tensor z = y.sum();
        assertTrue(z.gradFn().toString().startsWith("<SumBackward0 object at 0x"), z.gradFn().toString());
        // and the tensor's own repr keeps PyTorch's grad_fn=<Name> form
        assertTrue(y.toString().endsWith("grad_fn=<AddmmBackward0>)"), y.toString());
    }
}
