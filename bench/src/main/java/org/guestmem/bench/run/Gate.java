package org.guestmem.bench.run;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The performance gate: compares the ratios of a fresh run (each benchmark's median iteration
 * divided by its in-run baseline's) with the committed {@link BaselineFile}. A ratio fails the gate when it
 * rose by more than its tolerance; a committed ratio the run did not measure fails it too (unless
 * allowed), so renaming or dropping a benchmark cannot silently switch its check off. Ratios that
 * fell by more than the tolerance pass, with a note to refresh the baseline; gated ratios the
 * baseline does not know are listed as new.
 *
 * <p>A regression can be confirmed ({@link #confirm}): the regressed ratios are measured again, and
 * only those that regress in both runs fail. A real regression repeats; a burst of load on a
 * shared runner rarely hits the same benchmark twice.
 */
public final class Gate {
    private Gate() {
    }

    /** What the gate says about one ratio. */
    public enum Verdict {
        /** Within tolerance. */
        OK,
        /** Fell by more than the tolerance: passes; the baseline could be refreshed. */
        FASTER,
        /** Rose by more than the tolerance: fails. */
        REGRESSED,
        /** Not measured by the run (the benchmark or its baseline): fails unless allowed. */
        MISSING,
        /** Measured and gated, but not in the baseline file: passes. */
        NEW
    }

    /**
     * One checked ratio.
     *
     * @param benchmark the benchmark's key
     * @param params    its parameters
     * @param baseline  its baseline's key
     * @param expected  the committed ratio, NaN for a new one
     * @param actual    the run's ratio, NaN when missing
     * @param tolerance the tolerance that applied
     * @param verdict   the verdict
     * @param firstRun  for a ratio measured again by {@link #confirm}: the first run's ratio; else NaN
     */
    public record Row(String benchmark, Map<String, String> params, String baseline, double expected, double actual,
                      double tolerance, Verdict verdict, double firstRun) {
        /** {@return how much the ratio changed: {@code actual / expected - 1}} */
        public double change() {
            return actual / expected - 1;
        }
    }

    /**
     * The gate's result.
     *
     * @param rows         one per checked or new ratio, in the baseline file's order, new ones last
     * @param tolerance    the baseline file's default tolerance
     * @param allowMissing whether missing ratios pass
     */
    public record Report(List<Row> rows, double tolerance, boolean allowMissing) {
        /** {@return whether the gate passes: nothing regressed, and nothing missing unless allowed} */
        public boolean passed() {
            return count(Verdict.REGRESSED) == 0 && (allowMissing || count(Verdict.MISSING) == 0);
        }

        /** {@return how many rows have verdict {@code v}} */
        public long count(Verdict v) {
            return rows.stream().filter(r -> r.verdict() == v).count();
        }

        /** {@return the report as text: the table, then the verdict and every failure spelled out} */
        public String render(String baselineName) {
            StringBuilder b = new StringBuilder();
            b.append("Performance gate: ").append(rows.size() - count(Verdict.NEW)).append(" ratios against ")
                    .append(baselineName).append(", tolerance ").append(Fmt.percent(tolerance)).append(" unless noted.\n")
                    .append("A ratio is a benchmark's median iteration divided by its in-run baseline's (both ns/op, same run);\n")
                    .append("it fails the gate when it rose by more than its tolerance.\n\n");
            boolean retried = rows.stream().anyMatch(r -> !Double.isNaN(r.firstRun()));
            List<String> head = new ArrayList<>(List.of("verdict", "benchmark", "params", "baseline", "committed", "now", "change", "allowed"));
            if (retried) {
                head.add(5, "first run");
            }
            boolean[] right = new boolean[head.size()];
            Arrays.fill(right, 4, right.length, true);
            Fmt.Table t = new Fmt.Table(head.toArray(new String[0]), right);
            for (Row r : rows) {
                boolean fails = r.verdict() == Verdict.REGRESSED || r.verdict() == Verdict.MISSING;
                List<String> cells = new ArrayList<>(List.of(fails ? r.verdict().name() : r.verdict().name().toLowerCase(Locale.ROOT),
                        Score.shortName(r.benchmark()), Score.paramText(r.params()), method(r.baseline()),
                        Fmt.num(r.expected()), Fmt.num(r.actual()),
                        Double.isNaN(r.expected()) || Double.isNaN(r.actual()) ? "" : Fmt.percent(r.change()),
                        Double.isNaN(r.expected()) ? "" : Fmt.percent(r.tolerance())));
                if (retried) {
                    cells.add(5, Double.isNaN(r.firstRun()) ? "" : Fmt.num(r.firstRun()));
                }
                t.add(cells.toArray(new String[0]));
            }
            b.append(t.text()).append('\n');
            long regressed = count(Verdict.REGRESSED);
            long missing = count(Verdict.MISSING);
            b.append(passed() ? "PASSED" : "FAILED").append(": ").append(regressed).append(" regressed, ").append(missing)
                    .append(" missing").append(allowMissing && missing > 0 ? " (allowed)" : "").append(", ")
                    .append(count(Verdict.FASTER)).append(" faster, ").append(count(Verdict.OK)).append(" within tolerance, ")
                    .append(count(Verdict.NEW)).append(" new.\n");
            for (Row r : rows) {
                String what = Score.shortName(r.benchmark()) + (r.params().isEmpty() ? "" : " " + Score.paramText(r.params()));
                switch (r.verdict()) {
                    case REGRESSED -> b.append("  regressed: ").append(what).append(" is ").append(Fmt.num(r.actual())).append(" x ")
                            .append(method(r.baseline())).append(", was ").append(Fmt.num(r.expected())).append(" (")
                            .append(Fmt.percent(r.change())).append(", allowed ").append(Fmt.percent(r.tolerance())).append(")")
                            .append(Double.isNaN(r.firstRun()) ? "" : "; confirmed by a second run (first: "
                                    + Fmt.percent(r.firstRun() / r.expected() - 1) + ")").append('\n');
                    case OK -> {
                        if (!Double.isNaN(r.firstRun())) {
                            b.append("  noise: ").append(what).append(" regressed by ").append(Fmt.percent(r.firstRun() / r.expected() - 1))
                                    .append(" in the first run and ").append(Fmt.percent(r.change())).append(" in the second\n");
                        }
                    }
                    case MISSING -> b.append("  missing: ").append(what).append(" or its baseline ").append(method(r.baseline()))
                            .append(" is not in this run (run the suite the baseline was made from, or update the baseline)\n");
                    default -> {
                    }
                }
            }
            if (count(Verdict.FASTER) > 0 || count(Verdict.NEW) > 0) {
                b.append("  Faster or new ratios: once the change is merged, refresh the baseline with"
                        + " ./guestmem bench update-baseline RUN.json...\n");
            }
            return b.toString();
        }

        private static String method(String benchmark) {
            String s = Score.shortName(benchmark);
            return s.substring(s.indexOf('.') + 1);
        }
    }

    /**
     * Checks {@code run} against {@code base}.
     *
     * @param baselines    finds the run's gated ratios that the file does not know (may be null: then none are listed)
     * @param allowMissing whether ratios the run did not measure pass
     */
    public static Report check(BaselineFile base, Scores run, Baselines baselines, boolean allowMissing) {
        List<Row> rows = new ArrayList<>();
        Set<String> known = new HashSet<>();
        for (BaselineFile.Entry e : base.entries()) {
            known.add(e.benchmark() + " " + Score.paramText(e.params()));
            double tol = e.toleranceOr(base.tolerance());
            Optional<Score> s = run.find(e.benchmark(), e.params());
            Optional<Score> b = s.flatMap(x -> run.findBaseline(e.baseline(), x.params()));
            if (s.isEmpty() || b.isEmpty()) {
                rows.add(new Row(e.benchmark(), e.params(), e.baseline(), e.ratio(), Double.NaN, tol, Verdict.MISSING, Double.NaN));
                continue;
            }
            double actual = s.get().robust() / b.get().robust();
            Verdict v;
            if (!(actual <= e.ratio() * (1 + tol))) { // NaN fails too
                v = Verdict.REGRESSED;
            } else if (actual * (1 + tol) < e.ratio()) {
                v = Verdict.FASTER;
            } else {
                v = Verdict.OK;
            }
            rows.add(new Row(e.benchmark(), e.params(), e.baseline(), e.ratio(), actual, tol, v, Double.NaN));
        }
        if (baselines != null) {
            for (Baselines.Ratio r : baselines.ratios(run)) {
                if (r.gated() && !known.contains(r.score().benchmark() + " " + r.score().paramText())) {
                    rows.add(new Row(r.score().benchmark(), r.score().params(), r.baseline().benchmark(), Double.NaN, r.value(),
                            base.tolerance(), Verdict.NEW, Double.NaN));
                }
            }
        }
        return new Report(rows, base.tolerance(), allowMissing);
    }

    /**
     * {@return {@code first} with every regressed ratio measured again in {@code retry}: it fails
     * only if it regressed there too (its ratio is then the smaller of the two), it passes if the
     * second run is within tolerance, and it stays regressed if the second run did not measure it}
     */
    public static Report confirm(Report first, Scores retry) {
        List<Row> rows = new ArrayList<>();
        for (Row r : first.rows()) {
            if (r.verdict() != Verdict.REGRESSED) {
                rows.add(r);
                continue;
            }
            Optional<Score> s = retry.find(r.benchmark(), r.params());
            Optional<Score> b = s.flatMap(x -> retry.findBaseline(r.baseline(), x.params()));
            if (s.isEmpty() || b.isEmpty()) {
                rows.add(r);
                continue;
            }
            double again = s.get().robust() / b.get().robust();
            boolean still = !(again <= r.expected() * (1 + r.tolerance()));
            rows.add(new Row(r.benchmark(), r.params(), r.baseline(), r.expected(), still ? Math.min(again, r.actual()) : again,
                    r.tolerance(), still ? Verdict.REGRESSED : Verdict.OK, r.actual()));
        }
        return new Report(rows, first.tolerance(), first.allowMissing());
    }
}
