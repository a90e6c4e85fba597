package org.guestmem.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.guestmem.bench.run.BaselineFile;
import org.guestmem.bench.run.Baselines;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The rules every benchmark here follows (bench/README.md, "Machine hygiene"): it returns or consumes its result, carries a
 * one-line Javadoc saying what it measures, never assigns a {@code @Param} field, and names an
 * in-run baseline that exists; and the committed {@code bench/baseline.json} names only
 * benchmarks and baselines that exist, so a rename cannot switch a check off unnoticed.
 */
class BenchmarkRulesTest {
    private static final Path SOURCES = Path.of("src/main/java");

    /** Every source file of the bench module that declares a benchmark. */
    private static List<Path> benchmarkSources() throws IOException {
        try (Stream<Path> s = Files.walk(SOURCES)) {
            return s.filter(p -> p.toString().endsWith(".java")).filter(p -> {
                try {
                    return Files.readString(p).contains("@Benchmark");
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).sorted().toList();
        }
    }

    private static Class<?> classOf(Path source) throws ClassNotFoundException {
        String rel = SOURCES.relativize(source).toString();
        return Class.forName(rel.substring(0, rel.length() - ".java".length()).replace('/', '.'));
    }

    @Test
    void shouldFindTheSuites() throws IOException {
        assertTrue(benchmarkSources().size() >= 7, benchmarkSources()::toString);
    }

    @Test
    void everyBenchmarkShouldReturnOrConsumeItsResult() throws Exception {
        List<String> bad = new ArrayList<>();
        for (Path p : benchmarkSources()) {
            for (Method m : classOf(p).getMethods()) {
                if (m.isAnnotationPresent(Benchmark.class) && m.getReturnType() == void.class
                        && !List.of(m.getParameterTypes()).contains(Blackhole.class)) {
                    bad.add(m.toString());
                }
            }
        }
        assertEquals(List.of(), bad, "benchmarks whose result the JIT may drop");
    }

    @Test
    void everyBenchmarkShouldCarryAOneLineJavadoc() throws IOException {
        List<String> bad = new ArrayList<>();
        for (Path p : benchmarkSources()) {
            List<String> lines = Files.readAllLines(p);
            for (int i = 0; i < lines.size(); i++) {
                if (!lines.get(i).strip().equals("@Benchmark")) {
                    continue;
                }
                int j = i - 1;
                while (j >= 0 && lines.get(j).strip().startsWith("@")) {
                    j--;
                }
                String doc = j >= 0 ? lines.get(j).strip() : "";
                if (!(doc.startsWith("/** ") && doc.endsWith(" */") && doc.length() > 20)) {
                    bad.add(p.getFileName() + ":" + (i + 1));
                }
            }
        }
        assertEquals(List.of(), bad, "benchmarks without a one-line /** ... */ right above their annotations");
    }

    @Test
    void noParamShouldBeAssignedInCode() throws Exception {
        List<String> bad = new ArrayList<>();
        List<Path> sources = benchmarkSources();
        for (Path p : sources) {
            Class<?> c = classOf(p);
            List<Class<?>> states = new ArrayList<>(List.of(c.getDeclaredClasses()));
            states.add(c);
            for (Class<?> s : states) {
                for (Field f : s.getDeclaredFields()) {
                    if (!f.isAnnotationPresent(Param.class)) {
                        continue;
                    }
                    Pattern local = Pattern.compile("(?<![\\w.])(this\\.)?" + f.getName() + "\\s*=(?!=)");
                    Pattern qualified = Pattern.compile("\\." + f.getName() + "\\s*=(?!=)");
                    for (Path q : sources) {
                        List<String> lines = Files.readAllLines(q);
                        for (int i = 0; i < lines.size(); i++) {
                            String l = lines.get(i);
                            String t = l.strip();
                            if (t.startsWith("*") || t.startsWith("/*") || t.startsWith("//")) {
                                continue; // comments, e.g. "{@code logging=off}" in Javadoc
                            }
                            if ((q.equals(p) && local.matcher(l).find()) || qualified.matcher(l).find()) {
                                bad.add(q.getFileName() + ":" + (i + 1) + " assigns @Param " + s.getSimpleName() + "." + f.getName());
                            }
                        }
                    }
                }
            }
        }
        assertEquals(List.of(), bad);
    }

    @Test
    void everyBaselineShouldNameABenchmarkOfItsClass() throws Exception {
        Baselines b = new Baselines();
        int found = 0;
        for (Path p : benchmarkSources()) {
            Class<?> c = classOf(p);
            for (Method m : c.getMethods()) {
                Baseline a = m.getAnnotation(Baseline.class);
                if (a != null) {
                    assertTrue(List.of(c.getMethods()).stream().anyMatch(x -> x.getName().equals(a.value())
                            && x.isAnnotationPresent(Benchmark.class)), c.getSimpleName() + "." + m.getName() + " -> " + a.value());
                    found++;
                }
            }
        }
        assertTrue(found >= 20, "found " + found);
        assertTrue(b.of("org.guestmem.bench.commit.CommitBench.toggle").isPresent());
    }

    @Test
    void theCommittedBaselineShouldNameExistingBenchmarksAndTheirDeclaredBaselines() {
        BaselineFile f = BaselineFile.read(Path.of("baseline.json"));
        assertTrue(f.entries().size() >= 20, "entries: " + f.entries().size());
        assertTrue(f.tolerance() > 0 && f.tolerance() < 1, "tolerance " + f.tolerance());
        Baselines b = new Baselines();
        for (BaselineFile.Entry e : f.entries()) {
            Baselines.Ref ref = b.of(e.benchmark()).orElseThrow(() -> new AssertionError(e.benchmark() + " declares no baseline"));
            assertEquals(ref.benchmark(), e.baseline(), e.benchmark());
            assertTrue(ref.gated(), e.benchmark() + " is not gated");
            assertTrue(e.ratio() > 0, e.benchmark());
        }
    }
}
