package org.guestmem.bench.run;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.guestmem.bench.emulator.EmulatorBench;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatFactory;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.BenchmarkListEntry;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * {@code ./guestmem bench}: runs a suite through JMH's Runner API with a progress line per
 * benchmark, prints the table (score, error, ratio to the in-run baseline), writes JMH's JSON, the
 * table and the charts, and optionally runs the performance gate. Also checks an existing run
 * against the baseline, makes a new baseline from runs, and redraws the report of a run.
 * {@code bench/run} builds {@code benchmarks.jar} when needed and starts this class.
 */
public final class BenchMain {
    static final String USAGE = """
            usage: ./guestmem bench [--quick | --standard | --full | --peer | --mtree | --include REGEX] [--out DIR]
                                    [--check [--no-confirm]] [--baseline FILE] [--allow-missing] [-- JMH-OPTIONS...]
                   ./guestmem bench check RUN.json [--baseline FILE] [--allow-missing]
                   ./guestmem bench update-baseline RUN.json [RUN.json...] [--baseline FILE] [--tolerance 0.25]
                                                   [--max-tolerance 1.5]
                   ./guestmem bench report RUN.json [--out DIR]
                   ./guestmem bench list [--quick | --standard | --full | --peer | --mtree]
                   ./guestmem bench --emulator [--quick] [--runs N] [--scale N] [--programs A,B] [--no-qemu] [--out DIR]

              (no command)      run a suite: the standard one (about seven minutes) unless told otherwise;
                                writes DIR/results.json (JMH's JSON), table.txt, table.md, chart-*.png and
                                chart-*.svg, run.json (machine, load, settings) and jmh.log
              --quick           the same selection with short iterations, about two minutes (what CI runs)
              --full            every benchmark at every parameter value, the annotations' timings
              --peer            PeerWorkloads, the peer workloads W1-W5 (bench/README.md)
              --mtree           MtreeBench: importing and printing info mtree dumps of 1k-100k regions
              --emulator        the RV32 example end to end: guest MIPS per program for interpreter and JIT x
                                guestmem and raw memory, QEMU's wall time, the targets' ratios; writes
                                DIR/emulator/ (results.json, table.txt, chart-emulator.png/svg); not JMH
              --include REGEX   only the benchmarks whose name matches (quick timings with --quick)
              --out DIR         where to write (default: bench-results/ at the repository root)
              --check           run the performance gate on the fresh run; exit 1 if it fails. Regressed
                                ratios are measured once more first, and fail only if they regress again
              --no-confirm      with --check: fail on the first run's regressions
              --baseline FILE   the gate's baseline (default: bench/baseline.json)
              --allow-missing   let the gate pass when the run lacks ratios the baseline has
              -- JMH-OPTIONS    passed to JMH, e.g. -- -prof gc  or  -- -f 3 (they win over the suite's timings)
              check             the performance gate on an existing JMH JSON file
              update-baseline   write the baseline from one or more runs of the same suite (median ratio;
                                tolerance twice the runs' spread, within --tolerance and --max-tolerance)
              report            print the table and draw the charts of an existing JMH JSON file
            """;

    private BenchMain() {
    }

    /** Entry point; exits 0 on success, 1 when a benchmark or the gate failed, 2 on bad usage. */
    public static void main(String[] args) {
        int status;
        try {
            status = run(args, System.out);
        } catch (UsageException e) {
            System.err.println("guestmem bench: " + e.getMessage());
            USAGE.lines().takeWhile(l -> !l.isBlank()).forEach(System.err::println);
            System.err.println("(./guestmem bench help explains every option)");
            status = 2;
        } catch (RuntimeException | IOException e) {
            System.err.println("guestmem bench: " + e.getMessage());
            status = 1;
        }
        System.exit(status);
    }

    /** Bad command line. */
    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }

    /** The parsed command line. */
    static final class Args {
        String command = "run";
        Suites.Suite suite = Suites.STANDARD;
        String include;
        boolean quickTiming;
        Path out = Path.of(System.getProperty("guestmem.bench.out", "bench-results"));
        Path baseline = Path.of(System.getProperty("guestmem.bench.baseline", "bench/baseline.json"));
        boolean check;
        boolean confirm = true;
        boolean allowMissing;
        double tolerance = 0.25;
        double maxTolerance = 1.5;
        final List<Path> files = new ArrayList<>();
        String[] jmh = new String[0];

        static Args parse(String[] argv) {
            Args a = new Args();
            List<String> args = new ArrayList<>(Arrays.asList(argv));
            int dashes = args.indexOf("--");
            if (dashes >= 0) {
                a.jmh = args.subList(dashes + 1, args.size()).toArray(new String[0]);
                args = new ArrayList<>(args.subList(0, dashes));
            }
            if (!args.isEmpty() && !args.getFirst().startsWith("-")) {
                a.command = args.removeFirst();
                if (!List.of("run", "check", "update-baseline", "report", "list", "help").contains(a.command)) {
                    throw new UsageException("unknown command '" + a.command + "'");
                }
            }
            for (int i = 0; i < args.size(); i++) {
                String s = args.get(i);
                switch (s) {
                    case "--quick" -> {
                        a.suite = Suites.QUICK;
                        a.quickTiming = true;
                    }
                    case "--standard" -> a.suite = Suites.STANDARD;
                    case "--full" -> a.suite = Suites.FULL;
                    case "--peer" -> a.suite = Suites.PEER;
                    case "--mtree" -> a.suite = Suites.MTREE;
                    case "--include" -> a.include = value(args, ++i, s);
                    case "--out" -> a.out = Path.of(value(args, ++i, s));
                    case "--baseline" -> a.baseline = Path.of(value(args, ++i, s));
                    case "--check" -> a.check = true;
                    case "--allow-missing" -> a.allowMissing = true;
                    case "--no-confirm" -> a.confirm = false;
                    case "--tolerance" -> {
                        String v = value(args, ++i, s);
                        try {
                            a.tolerance = Double.parseDouble(v);
                        } catch (NumberFormatException e) {
                            throw new UsageException("--tolerance needs a number such as 0.25, got '" + v + "'");
                        }
                    }
                    case "--max-tolerance" -> {
                        String v = value(args, ++i, s);
                        try {
                            a.maxTolerance = Double.parseDouble(v);
                        } catch (NumberFormatException e) {
                            throw new UsageException("--max-tolerance needs a number such as 1.5, got '" + v + "'");
                        }
                    }
                    case "-h", "--help" -> a.command = "help";
                    default -> {
                        if (s.startsWith("-")) {
                            throw new UsageException("unknown option '" + s + "'");
                        }
                        a.files.add(Path.of(s));
                    }
                }
            }
            if (a.include != null) {
                a.suite = Suites.custom(a.include, a.quickTiming ? Suites.QUICK.timing() : Suites.STANDARD.timing());
            }
            boolean needsFiles = List.of("check", "update-baseline", "report").contains(a.command);
            if (needsFiles && a.files.isEmpty()) {
                throw new UsageException(a.command + " needs a JMH JSON result file");
            }
            if (!needsFiles && !a.files.isEmpty()) {
                throw new UsageException("unexpected argument '" + a.files.getFirst() + "'");
            }
            return a;
        }

        private static String value(List<String> args, int i, String option) {
            if (i >= args.size()) {
                throw new UsageException(option + " needs a value");
            }
            return args.get(i);
        }
    }

    static int run(String[] argv, PrintStream out) throws IOException {
        if (argv.length > 0 && argv[0].equals("--emulator")) {
            return emulator(Arrays.copyOfRange(argv, 1, argv.length), out);
        }
        Args a = Args.parse(argv);
        Baselines baselines = new Baselines();
        switch (a.command) {
            case "help" -> {
                out.print(USAGE);
                return 0;
            }
            case "list" -> {
                list(a.suite, out);
                return 0;
            }
            case "check" -> {
                return gate(a, Scores.read(a.files.getFirst()), baselines, out, null);
            }
            case "report" -> {
                Files.createDirectories(a.out);
                report(Scores.read(a.files.getFirst()), baselines, a.out, out);
                return 0;
            }
            case "update-baseline" -> {
                List<Scores> runs = a.files.stream().map(Scores::read).toList();
                BaselineFile b = BaselineFile.fromRuns(runs, baselines, a.tolerance, a.maxTolerance, ABOUT,
                        "update-baseline on " + DateTimeFormatter.ISO_LOCAL_DATE.format(ZonedDateTime.now()) + " from "
                                + a.files.stream().map(BenchMain::describeRun).toList() + "; " + machine());
                if (a.baseline.getParent() != null) {
                    Files.createDirectories(a.baseline.getParent());
                }
                b.write(a.baseline);
                out.println("wrote " + a.baseline + ": " + b.entries().size() + " ratios from " + runs.size() + " run(s), default tolerance "
                        + Fmt.percent(a.tolerance) + ", " + b.entries().stream().filter(e -> !Double.isNaN(e.tolerance())).count()
                        + " with a wider one from the runs' spread (at most " + Fmt.percent(a.maxTolerance) + ")");
                return 0;
            }
            default -> {
                return runSuite(a, baselines, out);
            }
        }
    }

    private static int emulator(String[] argv, PrintStream out) throws IOException {
        try {
            return EmulatorBench.run(argv, out);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    static final String ABOUT = "The performance gate's baseline (bench/README.md): for each gated benchmark and parameter set, its "
            + "median iteration divided by its in-run baseline's (both ns/op, same run of ./guestmem bench --quick). "
            + "./guestmem bench --quick --check fails when a fresh ratio exceeds ratio * (1 + tolerance). "
            + "Remake with ./guestmem bench update-baseline RUN.json...";

    private static int runSuite(Args a, Baselines baselines, PrintStream out) throws IOException {
        Options user;
        try {
            user = new CommandLineOptions(a.jmh);
        } catch (CommandLineOptionException e) {
            throw new UsageException("JMH options after --: " + e.getMessage());
        }
        Files.createDirectories(a.out);
        Path json = a.out.resolve("results.json");
        Path logFile = a.out.resolve("jmh.log");
        int total = count(a.suite, user, false);
        String loadBefore = loadAverage();
        out.println("guestmem bench: suite " + a.suite.name() + " (" + a.suite.description() + ")");
        out.println("  " + total + " benchmarks, " + a.suite.timing().describe() + (a.jmh.length > 0 ? " + JMH options " + String.join(" ", a.jmh) : ""));
        out.println("  " + machine() + ", load average " + loadBefore);
        out.println("  JMH's own output goes to " + logFile);
        long t0 = System.nanoTime();
        List<RunResult> results = runParts(a.suite, user, out, logFile, false, false);
        if (results == null) {
            return 1;
        }
        if (results.isEmpty()) {
            out.println("guestmem bench: no benchmark matched");
            return 1;
        }
        ResultFormatFactory.getInstance(ResultFormatType.JSON, json.toString()).writeOut(results);
        double minutes = (System.nanoTime() - t0) / 60e9;
        writeMeta(a, total, loadBefore, minutes);
        out.println();
        Scores scores = Scores.read(json);
        report(scores, baselines, a.out, out);
        out.println(String.format(Locale.ROOT, "ran %d benchmarks in %.1f min; load average before %s, after %s",
                results.size(), minutes, loadBefore, loadAverage()));
        out.println("wrote " + json + " (JMH's JSON) and " + a.out.resolve("run.json") + " (machine, load, settings)");
        if (!a.check) {
            return 0;
        }
        BaselineFile base = BaselineFile.read(a.baseline);
        Gate.Report r = Gate.check(base, scores, baselines, a.allowMissing);
        if (r.count(Gate.Verdict.REGRESSED) > 0 && a.confirm) {
            List<Suites.Part> again = new ArrayList<>();
            for (Gate.Row row : r.rows()) {
                if (row.verdict() == Gate.Verdict.REGRESSED) {
                    Map<String, String[]> params = new LinkedHashMap<>();
                    row.params().forEach((k, v) -> params.put(k, new String[] {v}));
                    again.add(new Suites.Part("^(" + Pattern.quote(jmhName(row.benchmark())) + "|" + Pattern.quote(jmhName(row.baseline()))
                            + ")$", params, Suites.minWarmupMs(jmhName(row.benchmark()))));
                }
            }
            out.println();
            out.println("guestmem bench: " + again.size() + " ratio(s) regressed; measuring them and their baselines again"
                    + " to tell a regression from noise (--no-confirm to skip)");
            Suites.Suite confirmation = new Suites.Suite("confirmation", "the regressed ratios again", again, a.suite.timing());
            List<RunResult> second = runParts(confirmation, user, out, logFile, true, true);
            if (second == null) {
                return 1;
            }
            Path json2 = a.out.resolve("results-confirmation.json");
            ResultFormatFactory.getInstance(ResultFormatType.JSON, json2.toString()).writeOut(second);
            r = Gate.confirm(r, Scores.read(json2));
        }
        return gateReport(r, a, out, a.out.resolve("gate.txt"));
    }

    /** {@return JMH's name for the benchmark behind a score key: a group's method key names the group} */
    static String jmhName(String benchmark) {
        int colon = benchmark.indexOf(':');
        return colon < 0 ? benchmark : benchmark.substring(0, colon);
    }

    /**
     * Runs every part of {@code suite}, one JMH run per parameter set, progress on {@code out}
     * and JMH's output in {@code logFile}; with {@code exact}, the parts' parameters win over
     * {@code -p} options given after {@code --} (the confirmation run measures exactly the
     * regressed parameter sets). {@return the results, or null after a benchmark failed (the end
     * of the log is printed)}
     */
    private static List<RunResult> runParts(Suites.Suite suite, Options user, PrintStream out, Path logFile, boolean append,
                                            boolean exact) throws IOException {
        List<RunResult> results = new ArrayList<>();
        try (PrintStream log = new PrintStream(new FileOutputStream(logFile.toFile(), append), true, StandardCharsets.UTF_8)) {
            ProgressFormat progress = new ProgressFormat(out, log, count(suite, user, exact));
            for (Suites.Part part : suite.parts()) {
                for (Map<String, String[]> params : interleaved(part, user, exact)) {
                    results.addAll(new Runner(options(part, params, suite.timing(), user, exact), progress).run());
                }
            }
        } catch (RunnerException e) {
            out.println();
            out.println("guestmem bench: a benchmark failed: " + e.getMessage());
            out.println("---- the end of " + logFile + " ----");
            List<String> lines = Files.readAllLines(logFile);
            lines.subList(Math.max(0, lines.size() - 40), lines.size()).forEach(out::println);
            return null;
        }
        return results;
    }

    /**
     * {@return the part's parameter sets, one JMH run each, so that a benchmark and its baseline
     * run within seconds of each other instead of minutes apart} The part is split over the
     * values of every parameter that all its benchmarks have (a machine whose load changes during
     * the run then changes both sides of a ratio); parameters only some of them have stay whole,
     * or the others would run once per value.
     */
    static List<Map<String, String[]>> interleaved(Suites.Part part, Options user, boolean exact) {
        Set<String> shared = null;
        for (BenchmarkListEntry e : entries(part)) {
            Set<String> keys = e.getParams().hasValue() ? e.getParams().get().keySet() : Set.of();
            if (shared == null) {
                shared = new HashSet<>(keys);
            } else {
                shared.retainAll(keys);
            }
        }
        List<Map<String, String[]>> sets = new ArrayList<>();
        sets.add(new LinkedHashMap<>());
        for (Map.Entry<String, String[]> p : part.params().entrySet()) {
            if (!exact && user.getParameter(p.getKey()).hasValue()) {
                continue;
            }
            List<Map<String, String[]>> next = new ArrayList<>();
            for (Map<String, String[]> set : sets) {
                if (shared != null && shared.contains(p.getKey())) {
                    for (String v : p.getValue()) {
                        Map<String, String[]> m = new LinkedHashMap<>(set);
                        m.put(p.getKey(), new String[] {v});
                        next.add(m);
                    }
                } else {
                    Map<String, String[]> m = new LinkedHashMap<>(set);
                    m.put(p.getKey(), p.getValue());
                    next.add(m);
                }
            }
            sets = next;
        }
        return sets;
    }

    static Options options(Suites.Part part, Map<String, String[]> params, Suites.Timing t, Options user, boolean exact) {
        ChainedOptionsBuilder b = new OptionsBuilder().parent(user).include(part.include()).shouldFailOnError(true);
        params.forEach((k, v) -> {
            if (!exact && user.getParameter(k).hasValue()) {
                return;
            }
            b.param(k, v);
        });
        if (t.forks() != null && !user.getForkCount().hasValue()) {
            b.forks(t.forks());
        }
        if (t.warmupIterations() != null && !user.getWarmupIterations().hasValue()) {
            int wi = t.warmupIterations();
            long each = t.warmupTime() == null ? 0 : t.warmupTime().convertTo(TimeUnit.MILLISECONDS);
            if (part.minWarmupMs() > 0 && each > 0 && !user.getWarmupTime().hasValue()) {
                wi = (int) Math.max(wi, (part.minWarmupMs() + each - 1) / each);
            }
            b.warmupIterations(wi);
        }
        if (t.warmupTime() != null && !user.getWarmupTime().hasValue()) {
            b.warmupTime(t.warmupTime());
        }
        if (t.measurementIterations() != null && !user.getMeasurementIterations().hasValue()) {
            b.measurementIterations(t.measurementIterations());
        }
        if (t.measurementTime() != null && !user.getMeasurementTime().hasValue()) {
            b.measurementTime(t.measurementTime());
        }
        return b.build();
    }

    /** {@return how many benchmark runs (benchmark x parameter combination) the suite makes} */
    static int count(Suites.Suite suite, Options user, boolean exact) {
        int n = 0;
        for (Suites.Part part : suite.parts()) {
            for (BenchmarkListEntry e : entries(part)) {
                int combos = 1;
                if (e.getParams().hasValue()) {
                    for (Map.Entry<String, String[]> p : e.getParams().get().entrySet()) {
                        if (part.params().containsKey(p.getKey()) && (exact || !user.getParameter(p.getKey()).hasValue())) {
                            combos *= part.params().get(p.getKey()).length;
                        } else if (user.getParameter(p.getKey()).hasValue()) {
                            combos *= user.getParameter(p.getKey()).get().size();
                        } else {
                            combos *= p.getValue().length;
                        }
                    }
                }
                n += combos;
            }
        }
        return n;
    }

    private static SortedSet<BenchmarkListEntry> entries(Suites.Part part) {
        return BenchmarkList.defaultList().find(new ProgressFormat(new PrintStream(PrintStream.nullOutputStream()),
                new PrintStream(PrintStream.nullOutputStream()), 0), List.of(part.include()), List.of());
    }

    private static void list(Suites.Suite suite, PrintStream out) {
        Options none = new OptionsBuilder().build();
        out.println("suite " + suite.name() + ": " + suite.description());
        out.println("timing: " + suite.timing().describe() + "; " + count(suite, none, false) + " benchmark runs");
        for (Suites.Part part : suite.parts()) {
            StringBuilder p = new StringBuilder();
            part.params().forEach((k, v) -> p.append(" ").append(k).append("=").append(String.join(",", v)));
            out.println("  " + part.include() + p);
            for (BenchmarkListEntry e : entries(part)) {
                out.println("      " + Score.shortName(e.getUsername()));
            }
        }
    }

    static void report(Scores scores, Baselines baselines, Path dir, PrintStream out) throws IOException {
        ResultTable table = new ResultTable(scores, baselines);
        String text = table.text();
        out.print(text);
        Files.writeString(dir.resolve("table.txt"), text);
        Files.writeString(dir.resolve("table.md"), table.markdown());
        List<Charts.Chart> charts = Charts.plan(scores, baselines);
        List<Path> files = Charts.write(charts, dir);
        out.println();
        out.println("wrote " + dir.resolve("table.txt") + ", " + dir.resolve("table.md")
                + (files.isEmpty() ? " (no chart: no benchmark ran at two region counts)" : " and " + files.size() + " chart files:"));
        for (Path f : files) {
            out.println("  " + f);
        }
    }

    private static int gate(Args a, Scores scores, Baselines baselines, PrintStream out, Path report) throws IOException {
        return gateReport(Gate.check(BaselineFile.read(a.baseline), scores, baselines, a.allowMissing), a, out, report);
    }

    private static int gateReport(Gate.Report r, Args a, PrintStream out, Path report) throws IOException {
        String text = r.render(a.baseline.toString());
        out.println();
        out.print(text);
        if (report != null) {
            Files.writeString(report, text);
        }
        return r.passed() ? 0 : 1;
    }

    private static void writeMeta(Args a, int total, String loadBefore, double minutes) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("date", ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
        m.put("suite", a.suite.name());
        m.put("timing", a.suite.timing().describe());
        m.put("jmhOptions", String.join(" ", a.jmh));
        m.put("benchmarks", (double) total);
        m.put("minutes", Math.round(minutes * 10) / 10.0);
        m.put("machine", machine());
        m.put("loadAverageBefore", loadBefore);
        m.put("loadAverageAfter", loadAverage());
        m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.vm.version"));
        try {
            Files.writeString(a.out.resolve("run.json"), Json.write(m));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@return the run file's name, with its suite, date and load average from the run.json beside it, when there is one} */
    static String describeRun(Path results) {
        Path meta = results.resolveSibling("run.json");
        String what = results.toString();
        try {
            Map<String, Object> m = Json.object(Json.parse(Files.readString(meta)));
            return what + " (" + m.get("suite") + ", " + m.get("date") + ", load average " + m.get("loadAverageBefore") + ")";
        } catch (IOException | RuntimeException e) {
            return what;
        }
    }

    /** {@return the CPU model, core count and OS, as far as /proc tells} */
    public static String machine() {
        String cpu = "unknown CPU";
        try {
            for (String l : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (l.startsWith("model name")) {
                    cpu = l.substring(l.indexOf(':') + 1).strip();
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: keep "unknown CPU"
        }
        return Runtime.getRuntime().availableProcessors() + " cores, " + cpu + ", " + System.getProperty("os.name") + " "
                + System.getProperty("os.version");
    }

    /** {@return the 1, 5 and 15 minute load averages, or "unknown"} */
    public static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).strip().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

}
