package app;

import com.google.gson.Gson;
import dev.tessera.Device;
import dev.tessera.Tensor;
import dev.tessera.io.Safetensors;
import dev.tessera.nn.CrossEntropyLoss;
import dev.tessera.nn.Linear;
import dev.tessera.nn.ReLU;
import dev.tessera.nn.Sequential;
import dev.tessera.optim.SGD;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Trains a small MLP, saves and reloads it, and reports as JSON: Tessera next to the app's own picocli and Gson. */
@Command(name = "app")
public final class App implements Callable<Integer> {
    @Option(names = "--steps") int steps = 30;
    @Option(names = "--device") String device = "cpu";

    public static void main(String[] args) {
        System.exit(new CommandLine(new App()).execute(args));
    }

    @Override public Integer call() throws Exception {
        Tensor.manualSeed(0);
        var model = new Sequential(new Linear(4, 16), new ReLU(), new Linear(16, 3));
        model.to(device);
        var opt = new SGD(model.parameters(), 0.1, 0.9);
        var lossFn = new CrossEntropyLoss();
        Tensor x = Tensor.randn(64, 4);
        Tensor y = x.select(1, 0).gt(0).to(dev.tessera.DType.INT64).add(x.select(1, 1).gt(0).to(dev.tessera.DType.INT64));
        x = x.to(device);
        y = y.to(device);
        double first = Double.NaN, last = Double.NaN;
        for (int step = 0; step < steps; step++) {
            Tensor loss = lossFn.forward(model.forward(x), y);
            opt.zeroGrad();
            loss.backward();
            opt.step();
            last = loss.item();
            if (step == 0) first = last;
        }
        Path file = Files.createTempFile("tessera-app", ".safetensors");
        Safetensors.save(model.stateDict(), file);
        var reloaded = new Sequential(new Linear(4, 16), new ReLU(), new Linear(16, 3));
        reloaded.loadStateDict(Safetensors.load(file), true);
        reloaded.to(device);
        Files.delete(file);
        boolean same = reloaded.forward(x).sub(model.forward(x)).abs().max().item() == 0;

        Map<String, Object> report = new LinkedHashMap<>();
        report.put("loss0", first);
        report.put("loss", last);
        report.put("reloaded", same);
        report.put("device", model.parameters().get(0).device().toString());
        report.put("cuda", Device.isCudaAvailable() ? "available" : Device.cudaUnavailableReason().orElse("?"));
        System.out.println(new Gson().toJson(report));
        System.out.println("internals: " + internals());
        return last < first && same ? 0 : 1;
    }

    /** Tessera's backends are not exported: on the module path reflection must fail; on the class path nothing hides them. */
    private static String internals() {
        try {
            Object v = Class.forName("dev.tessera.backend.cpu.Gemm").getMethod("vectorApiAvailable").invoke(null);
            return "visible (vector=" + v + ")";
        } catch (IllegalAccessException e) {
            return "hidden";
        } catch (ReflectiveOperationException e) {
            return "error " + e;
        }
    }
}
