package dev.tessera.autograd;

import dev.tessera.DType;
import dev.tessera.Tensor;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * Compares autograd's gradients with central finite differences, as {@code torch.autograd.gradcheck}
 * does for a tensor function: the output is turned into the scalar L = Σ f(x)·r with a fixed random
 * r, and for every element x_i of every input that requires grad,
 * (L(x_i + ε) − L(x_i − ε)) / 2ε must match ∂L/∂x_i within atol + rtol·|numeric|.
 * Then, as PyTorch does, backward with a zero upstream gradient must give zero gradients.
 * Inputs must be contiguous FLOAT64 tensors (the tolerances are designed for double precision);
 * they are perturbed in place and restored, and their {@code grad} is overwritten.
 */
public final class GradCheck {
    public static final double EPS = 1e-6, ATOL = 1e-5, RTOL = 1e-3;

    private GradCheck() {}

    /** Throws AssertionError naming the input, the worst element and both values. */
    public static void check(Function<Tensor[], Tensor> fn, Tensor... inputs) { check(fn, EPS, ATOL, RTOL, inputs); }

    public static void check(Function<Tensor[], Tensor> fn, double eps, double atol, double rtol, Tensor... inputs) {
        for (int i = 0; i < inputs.length; i++) {
            if (inputs[i].dtype() != DType.FLOAT64)
                throw new IllegalArgumentException("GradCheck: input " + i + " is " + inputs[i].dtype().torchName() + "; gradcheck needs torch.float64 inputs");
            if (!inputs[i].isContiguous()) throw new IllegalArgumentException("GradCheck: input " + i + " must be contiguous");
            inputs[i].setGrad(null);
        }
        Tensor out = fn.apply(inputs);
        Tensor projection = randomLike(out);
        if (!out.requiresGrad()) throw new AssertionError("GradCheck: the output does not require grad (no input reaches it)");
        out.mul(projection).sum().backward();

        for (int i = 0; i < inputs.length; i++) {
            Tensor input = inputs[i];
            if (!input.requiresGrad()) continue;
            double[] analytic = input.grad() == null ? new double[(int) input.numel()] : input.grad().toDoubleArray();
            double[] numeric = numericGradient(fn, inputs, input, projection, eps);
            int worst = -1;
            double worstExcess = 0;
            for (int j = 0; j < analytic.length; j++) {
                double excess = Math.abs(analytic[j] - numeric[j]) - (atol + rtol * Math.abs(numeric[j]));
                if (excess > worstExcess || Double.isNaN(excess)) { worstExcess = Double.isNaN(excess) ? Double.POSITIVE_INFINITY : excess; worst = j; }
            }
            if (worst >= 0)
                throw new AssertionError("GradCheck: Jacobian mismatch for input " + i + " " + input.shape() + " at index "
                        + Arrays.toString(unravel(worst, input.shape().toArray())) + ": analytic " + analytic[worst] + ", numeric "
                        + numeric[worst] + " (atol " + atol + ", rtol " + rtol + ")");
        }
        checkZeroUpstream(fn, inputs);
    }

    private static double[] numericGradient(Function<Tensor[], Tensor> fn, Tensor[] inputs, Tensor input, Tensor projection, double eps) {
        Tensor flat = input.detach().view(-1);
        double[] grad = new double[(int) input.numel()];
        try (var scope = GradMode.disabled()) {
            for (int j = 0; j < grad.length; j++) {
                Tensor element = flat.select(0, j);
                double original = element.item();
                element.fill_(original + eps);
                double plus = fn.apply(inputs).mul(projection).sum().item();
                element.fill_(original - eps);
                double minus = fn.apply(inputs).mul(projection).sum().item();
                element.fill_(original);
                grad[j] = (plus - minus) / (2 * eps);
            }
        }
        return grad;
    }

    private static void checkZeroUpstream(Function<Tensor[], Tensor> fn, Tensor[] inputs) {
        for (Tensor t : inputs) t.setGrad(null);
        Tensor out = fn.apply(inputs);
        out.backward(Tensor.zeros(out.shape().toArray(), out.dtype(), out.device()));
        for (int i = 0; i < inputs.length; i++) {
            Tensor g = inputs[i].grad();
            if (g == null) continue;
            for (double v : g.toDoubleArray())
                if (v != 0) throw new AssertionError("GradCheck: backward with a zero upstream gradient gave a nonzero gradient (" + v + ") for input " + i);
        }
    }

    private static Tensor randomLike(Tensor out) {
        SplittableRandom rng = new SplittableRandom(1234);
        double[] r = new double[(int) out.numel()];
        for (int i = 0; i < r.length; i++) r[i] = rng.nextDouble(-1, 1);
        return Tensor.of(r, out.shape().toArray()).to(out.device()).to(out.dtype());
    }

    private static long[] unravel(int flat, long[] shape) {
        long[] idx = new long[shape.length];
        long rem = flat;
        for (int d = shape.length - 1; d >= 0; d--) { idx[d] = rem % shape[d]; rem /= shape[d]; }
        return idx;
    }
}
