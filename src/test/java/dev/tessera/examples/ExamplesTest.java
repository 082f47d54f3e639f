package dev.tessera.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.Device;
import dev.tessera.Size;
import dev.tessera.Tensor;
import dev.tessera.examples.CustomModulesExample.M2;
import dev.tessera.examples.CustomModulesExample.M3;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Runs every tutorial example into a buffer and checks what it prints that does not depend on the
 * random numbers: shapes, reprs, names, counts and the true/false verdicts. Random values are
 * checked by property (tolerances stated at the call site), never by their digits.
 */
class ExamplesTest {

    private static List<String> lines(Consumer<PrintStream> example) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) { example.accept(out); }
        return List.of(bytes.toString(StandardCharsets.UTF_8).replace("\r\n", "\n").split("\n"));
    }

    private static String text(Consumer<PrintStream> example) { return String.join("\n", lines(example)) + "\n"; }

    private static void assertContainsLine(List<String> lines, String expected) {
        assertTrue(lines.contains(expected), () -> "missing line \"" + expected + "\" in:\n" + String.join("\n", lines));
    }

    private static double number(List<String> lines, String regex) {
        Pattern p = Pattern.compile(regex);
        for (String l : lines) {
            Matcher m = p.matcher(l);
            if (m.matches()) return Double.parseDouble(m.group(1));
        }
        throw new AssertionError("no line matches " + regex + " in:\n" + String.join("\n", lines));
    }

    @Test void identityPassesShapeAndValuesThrough() {
        assertEquals(List.of("torch.Size([128, 20])", "output is the input object: true", "values equal: true"), lines(IdentityExample::run));
    }

    @Test void embeddingLooksUpRowsAndRejectsOutOfRange() {
        List<String> out = lines(EmbeddingExample::run);
        assertEquals("Embedding(10, 3)", out.get(0));
        assertContainsLine(out, "torch.Size([2, 4, 3])");
        assertContainsLine(out, "embedding([5]) equals weight[5]: true");
        assertContainsLine(out, "embedding([10]) -> index out of range in self");
        // The printed lookup and the printed row hold the same three numbers.
        String lookup = out.stream().filter(l -> l.startsWith("tensor([[ ") || l.startsWith("tensor([[-")).filter(l -> l.endsWith("]], grad_fn=<EmbeddingBackward0>)"))
                .findFirst().orElseThrow();
        String row = out.stream().filter(l -> l.endsWith("], grad_fn=<SelectBackward0>)")).findFirst().orElseThrow();
        assertEquals(lookup.replace("tensor([[", "").replace("]], grad_fn=<EmbeddingBackward0>)", ""),
                row.replace("tensor([", "").replace("], grad_fn=<SelectBackward0>)", ""));
    }

    @Test void linearByHandEqualsNnLinear() {
        List<String> out = lines(LinearExample::run);
        assertEquals(List.of("Linear(in_features=20, out_features=30, bias=True)", "weight torch.Size([30, 20]), bias torch.Size([30])",
                "torch.Size([128, 30])", "by hand torch.Size([128, 30])"), out.subList(0, 4));
        assertTrue(number(out, "max \\|nn.Linear - by hand\\| = (\\S+)") <= 1e-6, "float32, same operations: within 1e-6");
        assertContainsLine(out, "equal within 1e-6: true");
    }

    @Test void conv2dShapes() {
        assertEquals("""
                Conv2d(16, 33, kernel_size=(3, 3), stride=(2, 2))
                weight torch.Size([33, 16, 3, 3]), bias torch.Size([33])
                torch.Size([20, 33, 24, 49])
                Conv2d(16, 33, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
                torch.Size([1, 33, 50, 100])
                """, text(Conv2dExample::run));
    }

    @Test void batchNormNormalisesEachChannel() {
        // Printed to 4 decimals: |mean| < 5e-5 and var within 5e-5 of 1 (the eps and the
        // unbiased-vs-biased difference over 31500 values are both far below that).
        assertEquals("""
                BatchNorm2d(100, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)
                [running_mean, running_var, num_batches_tracked]
                torch.Size([20, 100, 35, 45])
                per-channel mean: max |mean| = 0.0000
                per-channel var:  min 1.0000, max 1.0000
                num_batches_tracked: tensor(1)
                """, text(BatchNormExample::run));
    }

    @Test void layerNormNormalisesTrailingDims() {
        assertEquals("""
                LayerNorm((10,), eps=1e-05, elementwise_affine=True)
                torch.Size([20, 5, 10])
                per-token mean: max |mean| = 0.0000
                per-token var (biased): min 1.0000, max 1.0000
                LayerNorm((5, 10, 10), eps=1e-05, elementwise_affine=True)
                weight torch.Size([5, 10, 10])
                torch.Size([20, 5, 10, 10])
                per-sample mean: max |mean| = 0.0000
                """, text(LayerNormExample::run));
    }

    @Test void dropoutZeroesAboutPAndIsIdentityInEval() {
        List<String> out = lines(DropoutExample::run);
        assertEquals("Dropout(p=0.2, inplace=False)", out.get(0));
        Pattern trial = Pattern.compile("trial (\\d): (\\d+) of 320 zeroed \\((\\S+)\\)");
        java.util.Set<Long> counts = new java.util.HashSet<>();
        for (int i = 0; i < 5; i++) {
            Matcher m = trial.matcher(out.get(1 + i));
            assertTrue(m.matches(), out.get(1 + i));
            assertEquals(i, Integer.parseInt(m.group(1)));
            long zeros = Long.parseLong(m.group(2));
            // Binomial(320, 0.2): mean 64, sd √(320·0.2·0.8) ≈ 7.2; allow 5 sd.
            assertTrue(Math.abs(zeros - 64) <= 36, "zeros " + zeros);
            counts.add(zeros);
        }
        assertTrue(counts.size() > 1, "a new mask per call, so the count varies: " + counts);
        assertEquals(List.of("survivors equal input * 1.25: true", "eval is identity: true"), out.subList(6, 8));
    }

    @Test void customModules() {
        assertEquals("""
                M0()
                empty module:forward
                Module [M0] is missing the required "forward" function
                M1(
                  (l1): Linear(in_features=10, out_features=100, bias=True)
                )
                torch.Size([1, 100])
                M2(
                  (l0): Linear(in_features=784, out_features=10, bias=True)
                  (relu): ReLU()
                  (l1): Linear(in_features=10, out_features=10, bias=True)
                )
                M2 parameters: 7960
                torch.Size([64, 10])
                M3(
                  (conv1): Conv2d(1, 16, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))
                  (conv2): Conv2d(16, 16, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))
                  (conv3): Conv2d(16, 10, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))
                )
                M3 parameters: 3930
                torch.Size([64, 10])
                """, text(CustomModulesExample::run));
        assertEquals("M1(\n  (l1): Linear(in_features=10, out_features=100, bias=True)\n)", new CustomModulesExample.M1().toString());
    }

    @Test void reusableModelsHaveTheTutorialShapes() {
        Tensor.manualSeed(0);
        assertEquals(7960, CustomModulesExample.countParameters(new M2()));
        assertEquals(Size.of(64, 10), new M3().forward(Tensor.randn(64, 784)).shape());
        assertEquals(Size.of(64, 10), new M3().forward(Tensor.randn(64, 1, 28, 28)).shape());
    }

    @Test void selfAttentionStartsAsIdentity() {
        assertEquals("""
                SelfAttention(
                  (query): Conv1d(16, 2, kernel_size=(1,), stride=(1,), bias=False)
                  (key): Conv1d(16, 2, kernel_size=(1,), stride=(1,), bias=False)
                  (value): Conv1d(16, 16, kernel_size=(1,), stride=(1,), bias=False)
                )
                gamma torch.Size([1])
                query.weight_orig torch.Size([2, 16, 1])
                key.weight_orig torch.Size([2, 16, 1])
                value.weight_orig torch.Size([16, 16, 1])
                query.weight_u torch.Size([2])
                query.weight_v torch.Size([16])
                key.weight_u torch.Size([2])
                key.weight_v torch.Size([16])
                value.weight_u torch.Size([16])
                value.weight_v torch.Size([16])
                in  torch.Size([32, 16, 8, 8])
                out torch.Size([32, 16, 8, 8])
                gamma = 0, so out equals in: true
                """, text(SelfAttentionExample::run));
    }

    @Test void selfAttentionWithNonZeroGammaMixesAndKeepsShape() {
        Tensor.manualSeed(0);
        SelfAttentionExample.SelfAttention sa = new SelfAttentionExample.SelfAttention(16);
        try (var s = Tensor.noGrad()) { sa.gamma.fill_(1.0); }
        Tensor x = Tensor.randn(2, 16, 4, 4);
        Tensor y = sa.forward(x);
        assertEquals(Size.of(2, 16, 4, 4), y.shape());
        assertTrue(y.sub(x).abs().max().item() > 1e-3, "γ = 1 adds the attention term");
    }

    @Test void moduleIterationNamesAndOrder() {
        String seq = "Sequential(\n  (0): Sigmoid()\n  (1): ReLU()\n)";
        String model = "Sequential(\n  (0): Linear(in_features=2, out_features=2, bias=True)\n  (1): ReLU()\n  (2): Sequential(\n"
                + "    (0): Sigmoid()\n    (1): ReLU()\n  )\n)";
        String linear = "Linear(in_features=2, out_features=2, bias=True)";
        String expected = "modules():\n"
                + "0 -> " + model + "\n1 -> " + linear + "\n2 -> ReLU()\n3 -> " + seq + "\n4 -> Sigmoid()\n5 -> ReLU()\n"
                + "namedModules():\n"
                + "0 -> ('', " + model + ")\n1 -> ('0', " + linear + ")\n2 -> ('1', ReLU())\n3 -> ('2', " + seq + ")\n"
                + "4 -> ('2.0', Sigmoid())\n5 -> ('2.1', ReLU())\n"
                + "children():\n"
                + "0 -> " + linear + "\n1 -> ReLU()\n2 -> " + seq + "\n"
                + "namedChildren():\n"
                + "0 -> ('0', " + linear + ")\n1 -> ('1', ReLU())\n2 -> ('2', " + seq + ")\n"
                + "namedModules keys: ['', '0', '1', '2', '2.0', '2.1']\n"
                + "children: 3, modules: 6\n";
        assertEquals(expected, text(ModuleIterationExample::run));
    }

    @Test void parameterCounts() {
        assertEquals("""
                l0.weight torch.Size([10, 784]) 7840
                l0.bias torch.Size([10]) 10
                l1.weight torch.Size([10, 10]) 100
                l1.bias torch.Size([10]) 10
                M2: 7960 parameters, 7960 trainable
                M3: 3930 parameters, 3930 trainable
                M2 with l0 frozen: 7960 parameters, 110 trainable
                """, text(ParameterCountExample::run));
    }

    @Tag("cuda") @Test void cudaExampleSaysWhereTheModelIs() {
        List<String> out = lines(CudaExample::run);
        assertEquals("before: parameters().get(0).isCuda() = false", out.get(0));
        if (Device.isCudaAvailable()) {
            assertEquals("after model.to(\"cuda\"): parameters().get(0).isCuda() = true", out.get(1));
            assertEquals("device: cuda:0", out.get(2));
            assertEquals("output torch.Size([4, 10]) on cuda:0", out.get(3));
        } else {
            String reason = Device.cudaUnavailableReason().orElseThrow();
            assertEquals(List.of("CUDA is not available: " + reason, "the model stays on the CPU: parameters().get(0).device() = cpu"),
                    out.subList(1, 3));
        }
    }
}
