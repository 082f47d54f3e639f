package dev.tessera.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The safetensors header's JSON reader: strict RFC 8259, Gson's token names. */
class JsonTest {
    /** Reads any value into a flat list of tokens and texts, so a test can compare one string. */
    private static String walk(String json) throws IOException {
        Json.Reader r = new Json.Reader(json);
        List<String> out = new ArrayList<>();
        walkValue(r, out);
        out.add(r.peek().toString());
        return String.join(" ", out);
    }

    private static void walkValue(Json.Reader r, List<String> out) throws IOException {
        switch (r.peek()) {
            case BEGIN_OBJECT -> {
                r.beginObject();
                out.add("{");
                while (r.hasNext()) { out.add(r.nextName() + ":"); walkValue(r, out); }
                r.endObject();
                out.add("}");
            }
            case BEGIN_ARRAY -> {
                r.beginArray();
                out.add("[");
                while (r.hasNext()) walkValue(r, out);
                r.endArray();
                out.add("]");
            }
            case STRING, NUMBER -> out.add(r.peek() + "=" + r.nextString());
            case NULL -> { r.nextNull(); out.add("null"); }
            default -> { out.add(r.peek().toString()); r.skipValue(); }
        }
    }

    @Test
    void readsNestedValuesNumbersAndEscapes() throws IOException {
        assertEquals("{ a: [ NUMBER=0 NUMBER=-12 NUMBER=1.5e+3 ] b: { } c: STRING=x\"\\/\n\u00e9 d: null e: BOOLEAN f: BOOLEAN } END_DOCUMENT",
                walk(" {\"a\" : [0, -12,1.5e+3], \"b\":{}, \"c\":\"x\\\"\\\\\\/\\n\\u00e9\", \"d\":null,\"e\":true,\"f\":false}   "));
        assertEquals("[ ] END_DOCUMENT", walk("[]"));
    }

    @Test
    void skipValueSkipsWholeContainers() throws IOException {
        Json.Reader r = new Json.Reader("{\"skip\":{\"x\":[1,{\"y\":[true,null]}]},\"keep\":\"v\"}");
        r.beginObject();
        assertEquals("skip", r.nextName());
        r.skipValue();
        assertEquals("keep", r.nextName());
        assertEquals("v", r.nextString());
        r.endObject();
        assertEquals(Json.Token.END_DOCUMENT, r.peek());
    }

    @Test
    void rejectsWhatStrictJsonRejects() {
        for (String bad : new String[] {
                "{a:1}", "{'a':1}", "{\"a\":1,}", "[1,]", "[01]", "[1.]", "[.5]", "[+1]", "[NaN]", "[1 2]",
                "{\"a\" 1}", "{\"a\":1} x", "/* c */ {}", "[\"tab\there\"]", "[\"\\x\"]", "[tru]", "{\"a\":1", "[1e]", "[1a]"}) {
            assertThrows(Json.MalformedJsonException.class, () -> walk(bad), bad);
        }
    }

    @Test
    void quoteEscapesOnlyWhatJsonRequires() {
        assertEquals("\"a\\\"b\\\\c\\n\\u0001é/\"", Json.quote(new StringBuilder(), "a\"b\\c\n\u0001é/").toString());
    }
}
