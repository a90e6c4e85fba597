package org.guestmem.bench.run;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import com.google.gson.JsonPrimitive;
import com.google.gson.JsonSerializer;
import com.google.gson.Strictness;
import com.google.gson.ToNumberPolicy;
import java.util.List;
import java.util.Map;

/**
 * The runner's JSON, read and written with Gson: objects become insertion-ordered
 * {@code Map<String, Object>}, arrays {@code List<Object>}, numbers {@code Double}, plus
 * {@code String}, {@code Boolean} and {@code null}. JMH writes non-finite numbers as strings
 * ({@code "NaN"}); {@link #number} reads those back, and {@link #write} writes them the same way.
 */
public final class Json {
    private static final Gson READER = new GsonBuilder()
            .setStrictness(Strictness.STRICT)
            .setObjectToNumberStrategy(ToNumberPolicy.DOUBLE)
            .create();
    private static final Gson WRITER = new GsonBuilder()
            .setPrettyPrinting()
            .serializeNulls()
            .disableHtmlEscaping()
            .registerTypeAdapter(Double.class, (JsonSerializer<Double>) (d, type, ctx) ->
                    Double.isFinite(d) ? new JsonPrimitive(d) : new JsonPrimitive(d.toString()))
            .create();

    private Json() {
    }

    /**
     * {@return the value {@code text} holds}
     *
     * @throws IllegalArgumentException if it is not exactly one strict JSON value, with Gson's
     *                                  line and column
     */
    public static Object parse(String text) {
        try {
            return READER.fromJson(text, Object.class);
        } catch (JsonParseException e) {
            throw new IllegalArgumentException("malformed JSON: " + e.getMessage(), e);
        }
    }

    /** {@return {@code v} as a number: a JSON number, or a string such as "NaN" or "Infinity"} */
    public static double number(Object v) {
        return switch (v) {
            case Double d -> d;
            case String str -> Double.parseDouble(str);
            case null -> Double.NaN;
            default -> throw new IllegalArgumentException("not a number: " + v);
        };
    }

    /** {@return {@code v} as an object} @throws IllegalArgumentException if it is not one */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> object(Object v) {
        if (v instanceof Map<?, ?> m) {
            return (Map<String, Object>) m;
        }
        throw new IllegalArgumentException("expected a JSON object, got " + describe(v));
    }

    /** {@return {@code v} as an array} @throws IllegalArgumentException if it is not one */
    @SuppressWarnings("unchecked")
    public static List<Object> array(Object v) {
        if (v instanceof List<?> l) {
            return (List<Object>) l;
        }
        throw new IllegalArgumentException("expected a JSON array, got " + describe(v));
    }

    /** {@return {@code v} (maps, lists, strings, numbers, booleans, null) as indented JSON} */
    public static String write(Object v) {
        return WRITER.toJson(v) + "\n";
    }

    private static String describe(Object v) {
        return v == null ? "null" : v.getClass().getSimpleName();
    }
}
