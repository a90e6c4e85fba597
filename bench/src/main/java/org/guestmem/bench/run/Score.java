package org.guestmem.bench.run;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * One measured score of a JMH run: a benchmark with its parameters. For a JMH group of several
 * methods, {@code benchmark} is {@code package.Class.group:method}; otherwise it is JMH's own
 * benchmark name ({@code package.Class.method}, or {@code package.Class.group} for a group of
 * one method).
 *
 * @param benchmark the benchmark's key
 * @param params    its parameters, sorted by name
 * @param score     JMH's score, the mean over the measured iterations (ns/op for every suite here)
 * @param error     JMH's 99.9% half-interval, NaN when there were too few iterations
 * @param median    the median iteration, NaN if the file does not give it
 * @param unit      the score's unit
 */
public record Score(String benchmark, Map<String, String> params, double score, double error, double median, String unit) {
    /** Copies {@code params} into a sorted, unmodifiable map. */
    public Score {
        params = Collections.unmodifiableSortedMap(new TreeMap<>(params));
    }

    /**
     * {@return the value ratios, the gate and the charts use: the median iteration when known,
     * else the mean} On a shared machine one iteration that lost its core to another process
     * moves the mean a long way and the median hardly at all.
     */
    public double robust() {
        return Double.isNaN(median) ? score : median;
    }

    /** {@return {@code Class.method} (the benchmark without its package)} */
    public String shortName() {
        return shortName(benchmark);
    }

    /** {@return {@code benchmark} without its package} */
    public static String shortName(String benchmark) {
        int colon = benchmark.indexOf(':');
        String head = colon < 0 ? benchmark : benchmark.substring(0, colon);
        int dot = head.lastIndexOf('.');
        int cls = dot < 0 ? -1 : head.lastIndexOf('.', dot - 1);
        return benchmark.substring(cls + 1);
    }

    /** {@return the parameters as {@code name=value name=value}, sorted by name} */
    public String paramText() {
        return paramText(params);
    }

    /** {@return {@code params} as {@code name=value name=value}} */
    public static String paramText(Map<String, String> params) {
        return params.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(" "));
    }

    /**
     * {@return whether this score can be the baseline of a benchmark with {@code of}: every
     * parameter this score has, {@code of} has with the same value}
     */
    public boolean matchesParamsOf(Map<String, String> of) {
        for (Map.Entry<String, String> e : params.entrySet()) {
            if (!e.getValue().equals(of.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }
}
