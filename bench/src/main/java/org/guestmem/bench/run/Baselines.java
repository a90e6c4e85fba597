package org.guestmem.bench.run;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.guestmem.bench.Baseline;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Group;

/**
 * Finds each benchmark's in-run baseline from its {@link Baseline} annotation, and computes the
 * ratios of a run. Benchmark keys are those of {@link Score}.
 */
public final class Baselines {
    /**
     * A benchmark's declared baseline.
     *
     * @param benchmark the baseline's key
     * @param gated     whether the performance gate checks the ratio
     */
    public record Ref(String benchmark, boolean gated) {
    }

    /**
     * A score divided by its baseline's score, measured in the same run, both their
     * {@linkplain Score#robust() median iterations}.
     *
     * @param score    the benchmark's score
     * @param baseline the baseline's score
     * @param gated    whether the performance gate checks this ratio
     */
    public record Ratio(Score score, Score baseline, boolean gated) {
        /** {@return score / baseline score (median iterations)} */
        public double value() {
            return score.robust() / baseline.robust();
        }
    }

    private final Map<String, Optional<Ref>> cache = new ConcurrentHashMap<>();

    /** {@return the baseline {@code benchmark} declares, or empty (no annotation, or the class is unknown)} */
    public Optional<Ref> of(String benchmark) {
        return cache.computeIfAbsent(benchmark, Baselines::resolve);
    }

    /** {@return the ratio of every score of {@code scores} whose baseline was measured too} */
    public List<Ratio> ratios(Scores scores) {
        List<Ratio> out = new ArrayList<>();
        for (Score s : scores.all()) {
            of(s.benchmark()).ifPresent(ref -> scores.findBaseline(ref.benchmark(), s.params())
                    .ifPresent(b -> out.add(new Ratio(s, b, ref.gated()))));
        }
        return out;
    }

    /** {@return whether {@code benchmark} is itself some other benchmark's baseline or declares none} */
    public boolean isReference(String benchmark) {
        Optional<Ref> ref = of(benchmark);
        return ref.isEmpty() || !ref.get().gated();
    }

    private static Optional<Ref> resolve(String key) {
        int colon = key.indexOf(':');
        String head = colon < 0 ? key : key.substring(0, colon);
        int dot = head.lastIndexOf('.');
        if (dot < 0) {
            return Optional.empty();
        }
        Class<?> c;
        try {
            c = Class.forName(head.substring(0, dot), false, Baselines.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            return Optional.empty();
        }
        String name = colon < 0 ? head.substring(dot + 1) : key.substring(colon + 1);
        Method m = method(c, name);
        if (m == null && colon < 0) {
            m = loneGroupMethod(c, name);
        }
        if (m == null || m.getAnnotation(Baseline.class) == null) {
            return Optional.empty();
        }
        Baseline b = m.getAnnotation(Baseline.class);
        Method target = method(c, b.value());
        if (target == null) {
            throw new IllegalStateException(c.getName() + "." + m.getName() + ": @Baseline names no benchmark method '"
                    + b.value() + "'");
        }
        return Optional.of(new Ref(keyOf(c, target), b.gated()));
    }

    /** {@return the key JMH's results use for benchmark method {@code m} of {@code c}} */
    static String keyOf(Class<?> c, Method m) {
        Group g = m.getAnnotation(Group.class);
        if (g == null) {
            return c.getName() + "." + m.getName();
        }
        long members = benchmarks(c).stream().filter(x -> x.getAnnotation(Group.class) != null
                && x.getAnnotation(Group.class).value().equals(g.value())).count();
        return c.getName() + "." + g.value() + (members == 1 ? "" : ":" + m.getName());
    }

    private static Method method(Class<?> c, String name) {
        return benchmarks(c).stream().filter(m -> m.getName().equals(name)).findFirst().orElse(null);
    }

    private static Method loneGroupMethod(Class<?> c, String group) {
        List<Method> ms = benchmarks(c).stream().filter(m -> m.getAnnotation(Group.class) != null
                && m.getAnnotation(Group.class).value().equals(group)).toList();
        return ms.size() == 1 ? ms.getFirst() : null;
    }

    private static List<Method> benchmarks(Class<?> c) {
        List<Method> out = new ArrayList<>();
        for (Method m : c.getMethods()) {
            if (m.isAnnotationPresent(Benchmark.class)) {
                out.add(m);
            }
        }
        return out;
    }
}
