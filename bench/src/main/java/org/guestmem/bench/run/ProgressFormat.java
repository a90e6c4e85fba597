package org.guestmem.bench.run;

import java.io.PrintStream;
import java.util.Collection;
import java.util.Locale;
import java.util.Map;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.format.OutputFormat;

/**
 * JMH's output, split: one progress line per benchmark on the console (its number, name,
 * parameters, score and how long it took, with the time left), everything JMH prints (including
 * the forked JVMs' output and any failure) into a log file.
 */
final class ProgressFormat implements OutputFormat {
    private final PrintStream console;
    private final PrintStream log;
    private final int total;
    private final long started = System.nanoTime();
    private int done;
    private long benchStart;

    ProgressFormat(PrintStream console, PrintStream log, int total) {
        this.console = console;
        this.log = log;
        this.total = total;
    }

    @Override
    public void startBenchmark(BenchmarkParams p) {
        benchStart = System.nanoTime();
        StringBuilder params = new StringBuilder();
        for (String k : p.getParamsKeys()) {
            params.append(params.isEmpty() ? "" : " ").append(k).append('=').append(p.getParam(k));
        }
        String line = String.format(Locale.ROOT, "[%" + String.valueOf(total).length() + "d/%d] %-44s %-28s ",
                done + 1, total, Score.shortName(p.getBenchmark()), params);
        console.print(line);
        console.flush();
        log.println("# " + line.strip());
    }

    @Override
    public void endBenchmark(BenchmarkResult result) {
        done++;
        double secs = (System.nanoTime() - benchStart) / 1e9;
        StringBuilder b = new StringBuilder();
        if (result == null) {
            b.append("FAILED (see the log)");
        } else {
            Map<String, Result> secondary = result.getSecondaryResults();
            boolean group = result.getParams().getThreadGroupLabels().size() > 1;
            if (group) {
                for (String label : result.getParams().getThreadGroupLabels()) {
                    Result r = secondary.get(label);
                    if (r != null) {
                        b.append(label).append(' ').append(Fmt.num(r.getScore())).append("  ");
                    }
                }
                b.append(result.getPrimaryResult().getScoreUnit());
            } else {
                Result r = result.getPrimaryResult();
                b.append(String.format(Locale.ROOT, "%12s", Fmt.num(r.getScore())))
                        .append(Double.isNaN(r.getScoreError()) ? "" : " ± " + Fmt.num(r.getScoreError()))
                        .append(' ').append(r.getScoreUnit());
            }
        }
        double elapsed = (System.nanoTime() - started) / 1e9;
        String eta = done < total ? String.format(Locale.ROOT, ", ~%.0f s left", elapsed / done * (total - done)) : "";
        console.println(b + String.format(Locale.ROOT, "  (%.1f s%s)", secs, eta));
        console.flush();
    }

    @Override
    public void iteration(BenchmarkParams benchParams, IterationParams params, int iteration) {
    }

    @Override
    public void iterationResult(BenchmarkParams benchParams, IterationParams params, int iteration, IterationResult data) {
        log.println("  iteration " + iteration + " (" + params.getType() + "): " + data.getPrimaryResult());
    }

    @Override
    public void startRun() {
    }

    @Override
    public void endRun(Collection<RunResult> result) {
        log.flush();
    }

    @Override
    public void print(String s) {
        log.print(s);
    }

    @Override
    public void println(String s) {
        log.println(s);
    }

    @Override
    public void flush() {
        log.flush();
        console.flush();
    }

    @Override
    public void close() {
        log.flush();
    }

    @Override
    public void verbosePrintln(String s) {
        log.println(s);
    }

    @Override
    public void write(int b) {
        log.write(b);
    }

    @Override
    public void write(byte[] b) {
        log.write(b, 0, b.length);
    }
}
