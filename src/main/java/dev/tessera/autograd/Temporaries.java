package dev.tessera.autograd;

import dev.tessera.Tensor;
import java.util.Arrays;

/**
 * Releases the tensors an internal computation made and did not hand on, when it is done, instead
 * of leaving their (device) memory to the garbage collector: {@code try (var t = Temporaries.open())
 * { ...; t.keep(result); }}. Every tensor created on this thread while the scope is open is
 * recorded; at close, those not kept are released (their storage is closed once no other tensor
 * object over it is left, see {@link Tensor#internalRelease()}), and the kept ones pass to the
 * enclosing scope, if any.
 *
 * <p>Only for code that knows no caller can see what it created: the backward engine, and ops'
 * own intermediates. A cache that must outlive the scope pins its tensors
 * ({@link Tensor#internalPin()}). One scope per thread at a time, nested scopes close innermost first.
 */
public final class Temporaries implements AutoCloseable {
    private static final ThreadLocal<Temporaries> CURRENT = new ThreadLocal<>();

    private final Temporaries outer;
    private Tensor[] created = new Tensor[32];
    private int count;
    private boolean closed;

    private Temporaries(Temporaries outer) { this.outer = outer; }

    public static Temporaries open() {
        Temporaries s = new Temporaries(CURRENT.get());
        CURRENT.set(s);
        return s;
    }

    /** Called by every Tensor constructor: records t in this thread's open scope, if any. */
    public static void created(Tensor t) {
        Temporaries s = CURRENT.get();
        if (s != null) s.add(t);
    }

    private void add(Tensor t) {
        if (count == created.length) created = Arrays.copyOf(created, count * 2);
        created[count++] = t;
    }

    /** Keeps t (and nothing else) past this scope: it moves to the enclosing scope. Null is ignored. */
    public void keep(Tensor t) {
        if (t == null) return;
        for (int i = 0; i < count; i++)
            if (created[i] == t) {
                created[i] = created[--count];
                created[count] = null;
                if (outer != null) outer.add(t);
                return;
            }
    }

    public void keep(Tensor... ts) { for (Tensor t : ts) keep(t); }

    /** Whether t was created in this scope (or kept by an inner one) and not kept past it. */
    public boolean owns(Tensor t) {
        for (int i = count - 1; i >= 0; i--) if (created[i] == t) return true;   // recent first: usually found at once
        return false;
    }

    @Override public void close() {
        if (closed) return;
        closed = true;
        if (CURRENT.get() != this) throw new IllegalStateException("Temporaries scopes must close innermost first");
        CURRENT.set(outer);
        for (int i = 0; i < count; i++) created[i].internalRelease();
        created = null;
    }
}
