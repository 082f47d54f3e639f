package dev.tessera.nn;

import java.util.List;

/**
 * What {@link Module#loadStateDict(java.util.Map, boolean)} did not match, as PyTorch's
 * {@code _IncompatibleKeys}: {@code missingKeys} are the module's state-dict keys the given map
 * lacked (left unchanged), {@code unexpectedKeys} the map's keys the module does not have
 * (ignored); both in order (the module's state-dict order, the map's iteration order).
 * Prints as PyTorch: {@code <All keys matched successfully>} when both are empty, else
 * {@code _IncompatibleKeys(missing_keys=['0.bias'], unexpected_keys=['extra'])} (Python's list repr).
 */
public record IncompatibleKeys(List<String> missingKeys, List<String> unexpectedKeys) {
    public IncompatibleKeys {
        missingKeys = List.copyOf(missingKeys);
        unexpectedKeys = List.copyOf(unexpectedKeys);
    }

    /** True when every key matched (PyTorch's repr is then {@code <All keys matched successfully>}). */
    public boolean allMatched() { return missingKeys.isEmpty() && unexpectedKeys.isEmpty(); }

    @Override public String toString() {
        if (allMatched()) return "<All keys matched successfully>";
        return "_IncompatibleKeys(missing_keys=" + pyList(missingKeys) + ", unexpected_keys=" + pyList(unexpectedKeys) + ")";
    }

    private static String pyList(List<String> keys) {
        StringBuilder sb = new StringBuilder("[");
        for (String k : keys) sb.append(sb.length() == 1 ? "" : ", ").append(pyRepr(k));
        return sb.append(']').toString();
    }

    /** Python's repr of a str: single quotes unless the text has a ' and no ", then double; backslash escapes. */
    static String pyRepr(String s) {
        char q = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        StringBuilder sb = new StringBuilder().append(q);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c == q) sb.append('\\');
                    if (c < 0x20 || c == 0x7f) sb.append(String.format("\\x%02x", (int) c));
                    else sb.append(c);
                }
            }
        }
        return sb.append(q).toString();
    }
}
