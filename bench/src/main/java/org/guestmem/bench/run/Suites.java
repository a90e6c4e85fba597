package org.guestmem.bench.run;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * The suites {@code ./guestmem bench} runs. {@code standard} and {@code quick} are the same chosen
 * selection (the benchmarks and parameters the chart, the table and the CI gate need), with
 * trustworthy and with short iterations; {@code full} is every benchmark of the three suites at
 * every parameter value, with the timings of their annotations; {@code peer} is
 * {@code PeerWorkloads}, the peer comparison; {@code mtree} is {@code MtreeBench}, the importer
 * and printer of QEMU's dumps.
 */
public final class Suites {
    private Suites() {
    }

    /**
     * One JMH selection.
     *
     * @param include      a JMH include pattern (a regular expression found in the benchmark's name)
     * @param params       parameter values replacing the annotations' ({@code -p name=v1,v2})
     * @param minWarmupMs  the least total warm-up, in ms, whatever the suite's timing: the part gets
     *                     more warm-up iterations if the suite's are shorter (0: the suite's timing)
     */
    public record Part(String include, Map<String, String[]> params, long minWarmupMs) {
        /** A part with the suite's warm-up. */
        public Part(String include, Map<String, String[]> params) {
            this(include, params, 0);
        }

        /** {@return this part with at least {@code ms} of warm-up} */
        Part withMinWarmup(long ms) {
            return new Part(include, params, ms);
        }
    }

    /**
     * {@return the warm-up that {@link #chosen()} asks for the benchmark named {@code jmhName}
     * (0 if none), for runs that measure it again outside its part}
     */
    public static long minWarmupMs(String jmhName) {
        for (Part p : chosen()) {
            if (p.minWarmupMs() > 0 && Pattern.compile(p.include()).matcher(jmhName).find()) {
                return p.minWarmupMs();
            }
        }
        return 0;
    }

    /**
     * JMH timings; a null field keeps the benchmark's annotation.
     *
     * @param forks                 forks per benchmark
     * @param warmupIterations      warm-up iterations
     * @param warmupTime            warm-up iteration time
     * @param measurementIterations measured iterations
     * @param measurementTime       measured iteration time
     */
    public record Timing(Integer forks, Integer warmupIterations, TimeValue warmupTime, Integer measurementIterations,
                         TimeValue measurementTime) {
        /** {@return the timing as JMH options, e.g. {@code -f 1 -wi 1 -w 200ms -i 3 -r 150ms}} */
        public String describe() {
            if (forks == null) {
                return "the annotations' timings (-f 1 -wi 3 -w 1s -i 5 -r 1s)";
            }
            return "-f " + forks + " -wi " + warmupIterations + " -w " + warmupTime + " -i " + measurementIterations
                    + " -r " + measurementTime;
        }
    }

    /**
     * A suite.
     *
     * @param name        its name
     * @param description what it is for
     * @param parts       its selections, run in order
     * @param timing      its timings
     */
    public record Suite(String name, String description, List<Part> parts, Timing timing) {
    }

    private static final String P = "^org\\.guestmem\\.bench\\.";
    private static final String[] ACCESS_REGIONS = {"1", "64", "1024", "16384"};
    private static final String[] COMMIT_REGIONS = {"16", "1024", "16384"};

    /** The chosen selection shared by {@code standard} and {@code quick}. */
    static List<Part> chosen() {
        return List.of(
                part("access\\.RamAccessBench\\.(read8|treeMapRead8|rawRead8|translate|treeMapLookup)$",
                        "regions", ACCESS_REGIONS, "stream", new String[] {"hot"}),
                part("access\\.MmioAccessBench\\.(read4|treeMapRead4)$", "regions", new String[] {"1", "1024"}),
                part("commit\\.CommitBench\\.(toggle|treeMapToggle)$", "regions", COMMIT_REGIONS, "map", new String[] {"flat", "pc"}),
                part("commit\\.CommitBench\\.(batch100|treeMapBatch100)$", "regions", COMMIT_REGIONS, "map", new String[] {"flat"}),
                part("concurrency\\.ReadSectionBench\\.(enterExit|quiescentState|fence)$"),
                // the storm's writer runs the whole commit path, which C2 compiles slowly while the
                // reader and the writer keep both cores busy: 500 ms left it half-compiled
                part("concurrency\\.CommitStormBench\\.(quiet1|storm1|alone)$", "regions", new String[] {"64"})
                        .withMinWarmup(2000),
                part("concurrency\\.GracePeriodBench\\.(synchronize|handshake|deferToCallback|executorHandoff)$",
                        "reader", new String[] {"quiescent"}));
    }

    private static Part part(String include, Object... params) {
        Map<String, String[]> m = new LinkedHashMap<>();
        for (int i = 0; i < params.length; i += 2) {
            m.put((String) params[i], (String[]) params[i + 1]);
        }
        return new Part(P + include, m);
    }

    /** The chosen selection with short iterations: about two minutes on a 2-core machine. */
    public static final Suite QUICK = new Suite("quick",
            "the chosen selection with short iterations (about two minutes); what CI and the gate run",
            chosen(), new Timing(1, 1, TimeValue.milliseconds(500), 5, TimeValue.milliseconds(100)));

    /** The chosen selection with iterations long enough to trust (about seven minutes). */
    public static final Suite STANDARD = new Suite("standard",
            "the chosen selection with trustworthy iterations (about seven minutes)",
            chosen(), new Timing(1, 2, TimeValue.seconds(1), 5, TimeValue.seconds(1)));

    /** Every benchmark of the access, commit and concurrency suites at every parameter value. */
    public static final Suite FULL = new Suite("full",
            "every benchmark of the access, commit and concurrency suites at every parameter value (about half an hour)",
            List.of(new Part(P + "(access|commit|concurrency)\\.", Map.of())), new Timing(null, null, null, null, null));

    /** The peer workloads W1 to W5 ({@code bench/README.md}). */
    public static final Suite PEER = new Suite("peer",
            "PeerWorkloads: W1-W5 of the peer comparison, to sit beside Unicorn's and vm-memory's numbers",
            List.of(new Part(P + "PeerWorkloads\\.", Map.of())), new Timing(null, null, null, null, null));

    /**
     * {@code MtreeBench}: importing and printing QEMU dumps of 1,000, 10,000 and 100,000 regions.
     * A suite of its own: it checks that both grow linearly, which the quick suite need not re-measure.
     */
    public static final Suite MTREE = new Suite("mtree",
            "MtreeBench: importing and printing info mtree dumps of 1k, 10k and 100k regions (about two minutes)",
            List.of(new Part(P + "mtree\\.MtreeBench\\.", Map.of())), new Timing(1, 2, TimeValue.seconds(1), 5, TimeValue.seconds(1)));

    /** {@return a one-part suite for a user's include pattern, with {@code timing}} */
    public static Suite custom(String include, Timing timing) {
        return new Suite("custom", "benchmarks matching " + include, List.of(new Part(include, Map.of())), timing);
    }
}
