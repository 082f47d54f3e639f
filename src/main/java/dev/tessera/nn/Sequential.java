package dev.tessera.nn;

import dev.tessera.Tensor;

/** Applies its children in order; they are named "0", "1", .... */
public class Sequential extends Module {
    public Sequential(Module... modules) { for (Module m : modules) add(m); }

    /** Appends a module (named by its position); returns this. */
    public Sequential add(Module m) {
        register(String.valueOf(children().size()), m);
        return this;
    }

    public Module get(int i) { return children().get(i); }

    public int size() { return children().size(); }

    @Override public Tensor forward(Tensor x) {
        for (Module m : children()) x = m.forward(x);
        return x;
    }
}
