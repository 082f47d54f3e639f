/**
 * Tessera: a PyTorch-style tensor and module runtime.
 *
 * <p>Exported: the API applications compile against ({@code dev.tessera}, {@code autograd}, {@code nn},
 * {@code nn.functional}, {@code nn.utils}, {@code optim}, {@code data}, {@code distributed}, {@code io}). Not exported: the
 * kernels ({@code ops}, {@code backend} and its {@code cpu}/{@code cuda} implementations), the
 * {@code tessera} command ({@code cli}) and the tutorial examples.
 *
 * <p>Optional at run time: {@code jdk.incubator.vector} (add it with {@code --add-modules
 * jdk.incubator.vector} for the fast float32 GEMM; without it a portable kernel runs and Tessera says so
 * once on standard error), {@code info.picocli}, {@code org.knowm.xchart} and {@code java.desktop} (the
 * command line and its training chart, which the executable jar carries). JCuda's jars are automatic modules ({@code jcuda},
 * {@code jcublas}, {@code jcudnn}); their natives jars belong on the class path, not the module path
 * (each holds a resource folder {@code lib}, which would be a split package between automatic modules).
 */
module dev.tessera {
    requires jcuda;
    requires jcublas;
    requires jcudnn;
    requires java.management;   // GC.run under -XX:+DisableExplicitGC (backend.cuda.GarbageCollection)
    requires static jdk.incubator.vector;
    requires static info.picocli;
    requires static java.desktop;
    requires static org.knowm.xchart;

    exports dev.tessera;
    exports dev.tessera.autograd;
    exports dev.tessera.nn;
    exports dev.tessera.nn.functional;
    exports dev.tessera.nn.utils;
    exports dev.tessera.optim;
    exports dev.tessera.data;
    exports dev.tessera.distributed;
    exports dev.tessera.io;

    // picocli reads the command classes' annotated fields reflectively.
    opens dev.tessera.cli to info.picocli;
}
