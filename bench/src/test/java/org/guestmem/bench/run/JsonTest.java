package org.guestmem.bench.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void shouldParseEveryKindOfValue() {
        Object v = Json.parse(" {\"a\": [1, -2.5e3, true, false, null], \"b\": \"x\\\"\\\\\\n\\u00e9\", \"c\": {}} ");
        Map<String, Object> m = Json.object(v);
        assertEquals(List.of(1.0, -2500.0, true, false), Json.array(m.get("a")).subList(0, 4));
        assertEquals(null, Json.array(m.get("a")).get(4));
        assertEquals("x\"\\\né", m.get("b"));
        assertEquals(Map.of(), m.get("c"));
    }

    @Test
    void shouldReadJmhsNonFiniteNumbersWrittenAsStrings() {
        assertTrue(Double.isNaN(Json.number("NaN")));
        assertEquals(Double.POSITIVE_INFINITY, Json.number("Infinity"));
        assertEquals(3.0, Json.number(3.0));
    }

    @Test
    void shouldRejectMalformedTextWithItsPosition() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"a\": 1,}"));
        assertTrue(e.getMessage().contains("line 1 column"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Json.parse("[1] 2"));
        assertThrows(IllegalArgumentException.class, () -> Json.parse("\"open"));
        assertThrows(IllegalArgumentException.class, () -> Json.parse("-"));
    }

    @Test
    void shouldWriteWhatItReads() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", "tab\there \"quoted\"");
        m.put("list", List.of(1.5, Map.of("k", "v"), List.of()));
        m.put("nan", Double.NaN);
        m.put("flag", true);
        Object back = Json.parse(Json.write(m));
        Map<String, Object> b = Json.object(back);
        assertEquals(m.get("name"), b.get("name"));
        assertEquals(List.of(1.5, Map.of("k", "v"), List.of()), b.get("list"));
        assertTrue(Double.isNaN(Json.number(b.get("nan"))));
        assertEquals(true, b.get("flag"));
    }
}
