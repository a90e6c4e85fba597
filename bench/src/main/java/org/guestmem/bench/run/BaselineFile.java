package org.guestmem.bench.run;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The committed performance baseline, {@code bench/baseline.json}: for each gated benchmark and
 * parameter set, its ratio to its in-run baseline, and how far a fresh ratio may rise before the
 * gate fails ({@link #tolerance} unless the entry says otherwise).
 *
 * @param about     what the file is, for people who open it
 * @param measured  where and when the ratios were measured
 * @param tolerance the default tolerance: a fresh ratio may be up to {@code ratio * (1 + tolerance)}
 * @param entries   the ratios
 */
public record BaselineFile(String about, String measured, double tolerance, List<Entry> entries) {
    /** Format marker written to the file. */
    public static final String FORMAT = "guestmem-bench-baseline/1";

    /**
     * One ratio.
     *
     * @param benchmark the benchmark's key
     * @param params    its parameters
     * @param baseline  its baseline's key
     * @param ratio     score / baseline score when the file was made
     * @param tolerance this entry's tolerance, or NaN for the file's default
     */
    public record Entry(String benchmark, Map<String, String> params, String baseline, double ratio, double tolerance) {
        /** {@return the tolerance that applies, given the file's default} */
        public double toleranceOr(double fallback) {
            return Double.isNaN(tolerance) ? fallback : tolerance;
        }
    }

    /** Copies the entries. */
    public BaselineFile {
        entries = List.copyOf(entries);
    }

    /**
     * {@return the baseline in {@code file}}
     *
     * @throws UncheckedIOException     if it cannot be read
     * @throws IllegalArgumentException if it is not a baseline file
     */
    public static BaselineFile read(Path file) {
        try {
            return parse(Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        } catch (IllegalArgumentException | ClassCastException | NullPointerException e) {
            throw new IllegalArgumentException(file + " is not a " + FORMAT + " file: " + e.getMessage(), e);
        }
    }

    /** {@return the baseline in {@code json}} */
    public static BaselineFile parse(String json) {
        Map<String, Object> root = Json.object(Json.parse(json));
        if (!FORMAT.equals(root.get("format"))) {
            throw new IllegalArgumentException("\"format\" is " + root.get("format") + ", expected " + FORMAT);
        }
        List<Entry> entries = new ArrayList<>();
        for (Object o : Json.array(root.get("entries"))) {
            Map<String, Object> e = Json.object(o);
            Map<String, String> params = new LinkedHashMap<>();
            Json.object(e.get("params")).forEach((k, v) -> params.put(k, String.valueOf(v)));
            entries.add(new Entry((String) e.get("benchmark"), params, (String) e.get("baseline"), Json.number(e.get("ratio")),
                    e.containsKey("tolerance") ? Json.number(e.get("tolerance")) : Double.NaN));
        }
        return new BaselineFile((String) root.get("about"), (String) root.get("measured"), Json.number(root.get("tolerance")), entries);
    }

    /** {@return this baseline as JSON} */
    public String toJson() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("format", FORMAT);
        root.put("about", about);
        root.put("measured", measured);
        root.put("tolerance", tolerance);
        List<Object> list = new ArrayList<>();
        for (Entry e : entries) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("benchmark", e.benchmark());
            m.put("params", new TreeMap<>(e.params()));
            m.put("baseline", e.baseline());
            m.put("ratio", round(e.ratio(), 4));
            if (!Double.isNaN(e.tolerance())) {
                m.put("tolerance", e.tolerance());
            }
            list.add(m);
        }
        root.put("entries", list);
        return Json.write(root);
    }

    /** Writes {@link #toJson()} to {@code file}. */
    public void write(Path file) throws IOException {
        Files.writeString(file, toJson());
    }

    /**
     * {@return a baseline made from one or more runs of the same suite} Each gated ratio of the
     * first run becomes an entry: its ratio is the median over the runs that measured it, and its
     * tolerance is twice the spread the runs showed ({@code max / min - 1}), rounded up to 5% and
     * capped at {@code maxTolerance}, when that is more than {@code tolerance}; a ratio that only
     * one run measured gets the default. The cap keeps a gate made on a disturbed machine useful:
     * a ratio that doubles still fails; an entry at the cap says its runs were that noisy.
     */
    public static BaselineFile fromRuns(List<Scores> runs, Baselines baselines, double tolerance, double maxTolerance,
                                        String about, String measured) {
        if (runs.isEmpty()) {
            throw new IllegalArgumentException("no runs");
        }
        List<Entry> entries = new ArrayList<>();
        for (Baselines.Ratio r : baselines.ratios(runs.getFirst())) {
            if (!r.gated()) {
                continue;
            }
            List<Double> values = new ArrayList<>();
            for (Scores run : runs) {
                run.find(r.score().benchmark(), r.score().params()).ifPresent(s -> run.findBaseline(r.baseline().benchmark(), s.params())
                        .ifPresent(b -> values.add(s.robust() / b.robust())));
            }
            double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            double median = v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
            double spread = v[v.length - 1] / v[0] - 1;
            double tol = Math.min(maxTolerance, Math.ceil(2 * spread * 20 - 1e-9) / 20);
            entries.add(new Entry(r.score().benchmark(), r.score().params(), r.baseline().benchmark(), median,
                    v.length > 1 && tol > tolerance ? round(tol, 2) : Double.NaN));
        }
        return new BaselineFile(about, measured, tolerance, entries);
    }

    private static double round(double v, int significant) {
        if (v == 0 || Double.isNaN(v) || Double.isInfinite(v)) {
            return v;
        }
        return new BigDecimal(v).round(new MathContext(significant)).doubleValue();
    }

    @Override
    public String toString() {
        return "BaselineFile[" + entries.size() + " entries, tolerance " + tolerance + "] " + Arrays.toString(entries.toArray());
    }
}
