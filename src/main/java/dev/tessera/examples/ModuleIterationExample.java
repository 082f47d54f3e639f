package dev.tessera.examples;

import dev.tessera.Tensor;
import dev.tessera.nn.Linear;
import dev.tessera.nn.Module;
import dev.tessera.nn.ReLU;
import dev.tessera.nn.Sequential;
import dev.tessera.nn.Sigmoid;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;

/**
 * Walking a model: {@code modules()} / {@code namedModules()} visit the model itself (named "")
 * and everything below it in pre-order, with dotted names; {@code children()} /
 * {@code namedChildren()} only the direct children.
 * <pre>
 * model = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Sequential(nn.Sigmoid(), nn.ReLU()))
 * for idx, m in enumerate(model.named_modules()): print(idx, '->', m)
 * </pre>
 */
public final class ModuleIterationExample {
    private ModuleIterationExample() {}

    public static Sequential model() {
        return new Sequential(new Linear(2, 2), new ReLU(), new Sequential(new Sigmoid(), new ReLU()));
    }

    public static void main(String[] args) { run(System.out); }

    public static void run(PrintStream out) {
        Tensor.manualSeed(0);
        Sequential model = model();

        out.println("modules():");
        List<Module> modules = model.modules();
        for (int i = 0; i < modules.size(); i++) out.println(i + " -> " + modules.get(i));

        out.println("namedModules():");
        int i = 0;
        for (Map.Entry<String, Module> e : model.namedModules().entrySet())
            out.println(i++ + " -> ('" + e.getKey() + "', " + e.getValue() + ")");

        out.println("children():");
        List<Module> children = model.children();
        for (i = 0; i < children.size(); i++) out.println(i + " -> " + children.get(i));

        out.println("namedChildren():");
        i = 0;
        for (Map.Entry<String, Module> e : model.namedChildren().entrySet())
            out.println(i++ + " -> ('" + e.getKey() + "', " + e.getValue() + ")");

        out.println("namedModules keys: " + model.namedModules().keySet().stream().map(k -> "'" + k + "'").toList());
        out.println("children: " + children.size() + ", modules: " + modules.size());
    }
}
