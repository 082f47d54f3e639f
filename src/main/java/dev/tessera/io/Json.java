package dev.tessera.io;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The strict JSON (RFC 8259) that a safetensors header needs: a pull reader and a compact writer.
 *
 * <p>Why not a JSON library: Tessera is a dependency of other applications, which may pin another
 * version of the same library (Gson 2.10 lacks the {@code Strictness} API 2.11 added, for example);
 * a header parser of this size is cheaper than that conflict. The reader's surface mirrors Gson's
 * {@code JsonReader} (tokens named as Gson names them, so error messages read the same).
 */
final class Json {
    private Json() {}

    enum Token { BEGIN_ARRAY, END_ARRAY, BEGIN_OBJECT, END_OBJECT, NAME, STRING, NUMBER, BOOLEAN, NULL, END_DOCUMENT }

    /** Thrown for text that is not strict JSON; the message names the problem and its offset. */
    static final class MalformedJsonException extends IOException {
        MalformedJsonException(String message) { super(message); }
    }

    /** A pull reader over one JSON text; rejects comments, single quotes, unquoted names, NaN, trailing commas. */
    static final class Reader {
        private enum Scope { OBJECT, ARRAY }

        private final String s;
        private int pos;
        private final Deque<Scope> scopes = new ArrayDeque<>();
        // Per open scope: whether a value (object: a name-value pair) was read, so a ',' is due next.
        private final Deque<Boolean> hasElement = new ArrayDeque<>();
        private boolean expectValueAfterName;
        private boolean topValueRead;
        private Token peeked;

        Reader(String text) { this.s = text; }

        Token peek() throws IOException {
            if (peeked == null) peeked = next();
            return peeked;
        }

        boolean hasNext() throws IOException {
            Token t = peek();
            return t != Token.END_OBJECT && t != Token.END_ARRAY && t != Token.END_DOCUMENT;
        }

        void beginObject() throws IOException { expect(Token.BEGIN_OBJECT); open(Scope.OBJECT); }
        void endObject() throws IOException { expect(Token.END_OBJECT); close(); }
        void beginArray() throws IOException { expect(Token.BEGIN_ARRAY); open(Scope.ARRAY); }
        void endArray() throws IOException { expect(Token.END_ARRAY); close(); }

        String nextName() throws IOException {
            expect(Token.NAME);
            String name = string();
            skipWhitespace();
            if (pos >= s.length() || s.charAt(pos) != ':') throw error("expected ':' after the name \"" + name + "\"");
            pos++;
            expectValueAfterName = true;
            return name;
        }

        /** A string's value, or a number's literal text (as Gson's {@code nextString} gives). */
        String nextString() throws IOException {
            Token t = peek();
            if (t == Token.STRING) { consume(); valueDone(); return string(); }
            if (t == Token.NUMBER) { consume(); valueDone(); return number(); }
            throw error("expected a string but was " + t);
        }

        void nextNull() throws IOException { expect(Token.NULL); valueDone(); pos += 4; }

        /** Skips one complete value (an object or array with everything inside it). */
        void skipValue() throws IOException {
            switch (peek()) {
                case BEGIN_OBJECT -> { beginObject(); while (hasNext()) { nextName(); skipValue(); } endObject(); }
                case BEGIN_ARRAY -> { beginArray(); while (hasNext()) skipValue(); endArray(); }
                case STRING, NUMBER -> nextString();
                case NULL -> nextNull();
                case BOOLEAN -> { consume(); valueDone(); pos += s.startsWith("true", pos) ? 4 : 5; }
                default -> throw error("expected a value but was " + peek());
            }
        }

        // --- the scanner: decides the next token and checks the separators before it ---

        private Token next() throws IOException {
            skipWhitespace();
            if (scopes.isEmpty()) {
                if (topValueRead) {
                    if (pos < s.length()) throw error("unexpected content after the top-level value");
                    return Token.END_DOCUMENT;
                }
                return valueToken();
            }
            boolean object = scopes.peek() == Scope.OBJECT;
            if (object && expectValueAfterName) return valueToken();
            char c = at();
            if (c == (object ? '}' : ']')) return object ? Token.END_OBJECT : Token.END_ARRAY;
            if (Boolean.TRUE.equals(hasElement.peek())) {
                if (c != ',') throw error("expected ',' or '" + (object ? '}' : ']') + "'");
                pos++;
                skipWhitespace();
                c = at();
                if (c == '}' || c == ']') throw error("trailing comma");
            }
            if (object) {
                if (c != '"') throw error("expected a name in double quotes");
                return Token.NAME;
            }
            return valueToken();
        }

        private Token valueToken() throws IOException {
            char c = at();
            return switch (c) {
                case '{' -> Token.BEGIN_OBJECT;
                case '[' -> Token.BEGIN_ARRAY;
                case '"' -> Token.STRING;
                case 'n' -> literal("null", Token.NULL);
                case 't' -> literal("true", Token.BOOLEAN);
                case 'f' -> literal("false", Token.BOOLEAN);
                default -> {
                    if (c == '-' || (c >= '0' && c <= '9')) yield Token.NUMBER;
                    throw error("unexpected character '" + c + "'");
                }
            };
        }

        private Token literal(String word, Token t) throws IOException {
            if (!s.startsWith(word, pos)) throw error("unexpected character '" + s.charAt(pos) + "'");
            return t;
        }

        private void expect(Token t) throws IOException {
            Token actual = peek();
            if (actual != t) throw error("expected " + t + " but was " + actual);
            consume();
        }

        private void consume() { peeked = null; }

        private void open(Scope scope) {
            pos++;                                    // '{' or '['
            scopes.push(scope);
            hasElement.push(false);
            expectValueAfterName = false;
        }

        private void close() {
            pos++;                                    // '}' or ']'
            scopes.pop();
            hasElement.pop();
            valueDone();
        }

        /** A value ended: the enclosing scope now needs a ',' before the next one. */
        private void valueDone() {
            expectValueAfterName = false;
            if (scopes.isEmpty()) topValueRead = true;
            else { hasElement.pop(); hasElement.push(true); }
        }

        private String string() throws IOException {
            pos++;                                    // opening quote
            StringBuilder b = new StringBuilder();
            while (true) {
                if (pos >= s.length()) throw error("unterminated string");
                char c = s.charAt(pos++);
                if (c == '"') return b.toString();
                if (c < 0x20) throw error("unescaped control character in a string");
                if (c != '\\') { b.append(c); continue; }
                if (pos >= s.length()) throw error("unterminated escape");
                char e = s.charAt(pos++);
                switch (e) {
                    case '"', '\\', '/' -> b.append(e);
                    case 'b' -> b.append('\b');
                    case 'f' -> b.append('\f');
                    case 'n' -> b.append('\n');
                    case 'r' -> b.append('\r');
                    case 't' -> b.append('\t');
                    case 'u' -> {
                        if (pos + 4 > s.length()) throw error("short \\u escape");
                        int v = 0;
                        for (int i = 0; i < 4; i++) {
                            int d = Character.digit(s.charAt(pos++), 16);
                            if (d < 0) throw error("bad \\u escape");
                            v = v * 16 + d;
                        }
                        b.append((char) v);
                    }
                    default -> throw error("bad escape \\" + e);
                }
            }
        }

        /** RFC 8259's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
        private String number() throws IOException {
            int start = pos;
            if (at() == '-') pos++;
            if (pos < s.length() && s.charAt(pos) == '0') pos++;
            else if (!digits()) throw error("malformed number");
            if (pos < s.length() && s.charAt(pos) == '.') { pos++; if (!digits()) throw error("malformed number"); }
            if (pos < s.length() && (s.charAt(pos) == 'e' || s.charAt(pos) == 'E')) {
                pos++;
                if (pos < s.length() && (s.charAt(pos) == '+' || s.charAt(pos) == '-')) pos++;
                if (!digits()) throw error("malformed number");
            }
            if (pos < s.length() && " \t\n\r,]}".indexOf(s.charAt(pos)) < 0) throw error("malformed number");
            return s.substring(start, pos);
        }

        private boolean digits() {
            int start = pos;
            while (pos < s.length() && s.charAt(pos) >= '0' && s.charAt(pos) <= '9') pos++;
            return pos > start;
        }

        private char at() throws IOException {
            if (pos >= s.length()) throw error("end of input");
            return s.charAt(pos);
        }

        private void skipWhitespace() {
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
                pos++;
            }
        }

        private MalformedJsonException error(String what) {
            return new MalformedJsonException(what + " at offset " + pos);
        }
    }

    /** Appends {@code v} as a JSON string: quotes, backslashes and control characters escaped, nothing else. */
    static StringBuilder quote(StringBuilder b, String v) {
        b.append('"');
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20 || c == '\u2028' || c == '\u2029') b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        return b.append('"');
    }
}
