package org.guestmem.bench.run;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The scores of a JMH run, read from JMH's JSON result file ({@code -rf json}). A benchmark that
 * is a JMH group of several methods contributes one score per method (its secondary results
 * labelled with the method names), not the group's aggregate, which mixes readers and writers.
 */
public final class Scores {
    private final List<Score> all;

    /** Wraps {@code all}. */
    public Scores(List<Score> all) {
        this.all = List.copyOf(all);
    }

    /** {@return every score, in the file's order} */
    public List<Score> all() {
        return all;
    }

    /**
     * {@return the scores in JMH's JSON file {@code file}}
     *
     * @throws UncheckedIOException     if it cannot be read
     * @throws IllegalArgumentException if it is not a JMH result file
     */
    public static Scores read(Path file) {
        try {
            return parse(Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /** {@return the scores in the text of a JMH JSON result file} */
    public static Scores parse(String json) {
        List<Score> out = new ArrayList<>();
        for (Object o : Json.array(Json.parse(json))) {
            Map<String, Object> b = Json.object(o);
            String name = (String) b.get("benchmark");
            if (name == null) {
                throw new IllegalArgumentException("a result without \"benchmark\": is this JMH's JSON?");
            }
            Map<String, String> params = new LinkedHashMap<>();
            if (b.get("params") != null) {
                Json.object(b.get("params")).forEach((k, v) -> params.put(k, String.valueOf(v)));
            }
            Map<String, Object> primary = Json.object(b.get("primaryMetric"));
            String unit = (String) primary.get("scoreUnit");
            List<Score> methods = new ArrayList<>();
            if (b.get("secondaryMetrics") instanceof Map<?, ?> sec) {
                for (Map.Entry<?, ?> e : sec.entrySet()) {
                    String label = String.valueOf(e.getKey());
                    Map<String, Object> m = Json.object(e.getValue());
                    if (isIdentifier(label) && unit.equals(m.get("scoreUnit"))) {
                        methods.add(score(name + ":" + label, params, m));
                    }
                }
            }
            if (methods.isEmpty()) {
                out.add(score(name, params, primary));
            } else {
                out.addAll(methods);
            }
        }
        return new Scores(out);
    }

    private static Score score(String name, Map<String, String> params, Map<String, Object> metric) {
        double median = Double.NaN;
        if (metric.get("scorePercentiles") instanceof Map<?, ?> pct && pct.get("50.0") != null) {
            median = Json.number(pct.get("50.0"));
        }
        return new Score(name, params, Json.number(metric.get("score")), Json.number(metric.get("scoreError")), median,
                (String) metric.get("scoreUnit"));
    }

    /** Group method labels are Java identifiers; profiler metrics start with a dot ({@code ·gc.alloc.rate}). */
    private static boolean isIdentifier(String s) {
        if (s.isEmpty() || !Character.isJavaIdentifierStart(s.charAt(0))) {
            return false;
        }
        return s.chars().allMatch(Character::isJavaIdentifierPart);
    }

    /** {@return the score of {@code benchmark} with exactly {@code params}} */
    public Optional<Score> find(String benchmark, Map<String, String> params) {
        return all.stream().filter(s -> s.benchmark().equals(benchmark) && s.params().equals(params)).findFirst();
    }

    /**
     * {@return the score of {@code benchmark} that can be the baseline of a benchmark with
     * {@code params} (see {@link Score#matchesParamsOf})}
     */
    public Optional<Score> findBaseline(String benchmark, Map<String, String> params) {
        return all.stream().filter(s -> s.benchmark().equals(benchmark) && s.matchesParamsOf(params)).findFirst();
    }
}
