package dev.tessera.nn;

import java.util.Iterator;
import java.util.List;

/** Holds modules under the names "0", "1", ... so they are registered; it has no forward of its own. */
public class ModuleList extends Module implements Iterable<Module> {
    public ModuleList(Module... modules) { for (Module m : modules) add(m); }

    public ModuleList(List<? extends Module> modules) { for (Module m : modules) add(m); }

    public ModuleList add(Module m) {
        register(String.valueOf(children().size()), m);
        return this;
    }

    public Module get(int i) { return children().get(i); }

    public int size() { return children().size(); }

    @Override public Iterator<Module> iterator() { return children().iterator(); }
}
