package org.guestmem.bench.run;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds JMH JSON result files for tests, shaped like JMH 1.37's ({@code -rf json}). */
final class RunFixtures {
    static final String RAM = "org.guestmem.bench.access.RamAccessBench.";
    static final String COMMIT = "org.guestmem.bench.commit.CommitBench.";
    static final String STORM = "org.guestmem.bench.concurrency.CommitStormBench.";

    private final List<Object> results = new ArrayList<>();

    /** Adds a benchmark result; params as name, value, name, value... */
    RunFixtures add(String benchmark, double score, String... params) {
        results.add(result(benchmark, score, Map.of(), params));
        return this;
    }

    /** Adds a JMH group result with per-method secondary scores (method, score, method, score...). */
    RunFixtures group(String benchmark, Object[] methods, String... params) {
        Map<String, Object> sec = new LinkedHashMap<>();
        double sum = 0;
        for (int i = 0; i < methods.length; i += 2) {
            sec.put((String) methods[i], metric((Double) methods[i + 1]));
            sum += (Double) methods[i + 1];
        }
        sec.put("·gc.alloc.rate", Map.of("score", 1.0, "scoreError", "NaN", "scoreUnit", "MB/sec"));
        results.add(result(benchmark, sum / (methods.length / 2), sec, params));
        return this;
    }

    private static Map<String, Object> result(String benchmark, double score, Map<String, Object> secondary, String... params) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("jmhVersion", "1.37");
        r.put("benchmark", benchmark);
        r.put("mode", "avgt");
        Map<String, Object> p = new LinkedHashMap<>();
        for (int i = 0; i < params.length; i += 2) {
            p.put(params[i], params[i + 1]);
        }
        if (!p.isEmpty()) {
            r.put("params", p);
        }
        r.put("primaryMetric", metric(score));
        r.put("secondaryMetrics", secondary);
        return r;
    }

    private static Map<String, Object> metric(double score) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("score", score);
        m.put("scoreError", "NaN");
        m.put("scorePercentiles", Map.of("0.0", score, "50.0", score, "100.0", score));
        m.put("scoreUnit", "ns/op");
        m.put("rawData", List.of(List.of(score)));
        return m;
    }

    String json() {
        return Json.write(results);
    }

    Scores scores() {
        return Scores.parse(json());
    }

    /** A run of the commit and access suites; {@code slow} multiplies guestmem's toggle at 1024 flat regions. */
    static RunFixtures typical(double slow) {
        return new RunFixtures()
                .add(RAM + "read8", 5.0, "regions", "64", "stream", "hot")
                .add(RAM + "treeMapRead8", 34.0, "regions", "64", "stream", "hot")
                .add(RAM + "rawRead8", 0.5, "regions", "64", "stream", "hot")
                .add(COMMIT + "toggle", 1_200_000 * slow, "map", "flat", "regions", "1024")
                .add(COMMIT + "toggle", 2_300_000, "map", "pc", "regions", "1024")
                .add(COMMIT + "treeMapToggle", 12_000, "regions", "1024")
                .add(STORM + "quiet1", 20_000, "regions", "64")
                .add(STORM + "alone", 200_000, "regions", "64")
                .group(STORM + "storm1", new Object[] {"storm1Commit", 300_000.0, "storm1Read", 21_000.0}, "regions", "64");
    }
}
