package org.guestmem.bench.run;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The run's table: every score (JMH's mean) with its error, its median iteration and its ratio to
 * its in-run baseline (medians, see {@link Score#robust()}), followed by
 * the concurrency targets' figures when the concurrency suite ran (reader throughput during a commit
 * storm as a fraction of the quiet throughput, commits per second with readers).
 */
public final class ResultTable {
    private final Scores scores;
    private final Map<Score, Baselines.Ratio> ratios = new HashMap<>();

    /** A table of {@code scores}, ratios found through {@code baselines}. */
    public ResultTable(Scores scores, Baselines baselines) {
        this.scores = scores;
        for (Baselines.Ratio r : baselines.ratios(scores)) {
            ratios.put(r.score(), r);
        }
    }

    private Fmt.Table table() {
        Fmt.Table t = new Fmt.Table(new String[] {"benchmark", "params", "ns/op", "error", "median", "ratio", "to baseline"},
                new boolean[] {false, false, true, true, true, true, false});
        for (Score s : scores.all()) {
            Baselines.Ratio r = ratios.get(s);
            t.add(s.shortName(), s.paramText(), Fmt.num(s.score()) + (s.unit().equals("ns/op") ? "" : " " + s.unit()),
                    Double.isNaN(s.error()) ? "" : "± " + Fmt.num(s.error()),
                    Fmt.num(s.robust()),
                    r == null ? "" : Fmt.num(r.value()),
                    r == null ? "" : method(r.baseline().benchmark()) + (r.gated() ? "" : " (not gated)"));
        }
        return t;
    }

    /** {@return the table as aligned text, then the notes} */
    public String text() {
        return table().text() + notes("");
    }

    /** {@return the table as GitHub markdown, then the notes} */
    public String markdown() {
        return table().markdown() + "\n" + notes("- ");
    }

    /** The concurrency figures (readers beside a committing writer), from the concurrency suite's scores, if it ran. */
    private String notes(String bullet) {
        StringBuilder b = new StringBuilder();
        String storm = "org.guestmem.bench.concurrency.CommitStormBench.";
        for (Score s : scores.all()) {
            if (s.benchmark().equals(storm + "storm1:storm1Read") || s.benchmark().equals(storm + "storm2:storm2Read")) {
                Baselines.Ratio r = ratios.get(s);
                if (r != null) {
                    double fraction = 1 / r.value();
                    b.append(bullet).append(s.shortName()).append(" ").append(s.paramText()).append(": reader throughput during the commit storm is ")
                            .append(Fmt.num(fraction)).append(" of the quiet one (target: at least 0.9) ")
                            .append(fraction >= 0.9 ? "- met" : "- NOT met").append('\n');
                }
            }
            if (s.benchmark().startsWith(storm) && s.benchmark().endsWith("Commit")) {
                Optional<Score> alone = scores.findBaseline(storm + "alone", s.params());
                b.append(bullet).append(s.shortName()).append(" ").append(s.paramText()).append(": ").append(Fmt.num(1e9 / s.robust()))
                        .append(" commits/s with readers running")
                        .append(alone.map(a -> " (" + Fmt.num(1e9 / a.robust()) + " commits/s with none)").orElse("")).append('\n');
            }
        }
        return b.isEmpty() ? "" : "\n" + b;
    }

    private static String method(String benchmark) {
        String s = Score.shortName(benchmark);
        return s.substring(s.indexOf('.') + 1);
    }
}
