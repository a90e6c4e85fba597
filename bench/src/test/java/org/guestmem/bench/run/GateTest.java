package org.guestmem.bench.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The performance gate itself: a run that regresses fails it, one within tolerance passes. */
class GateTest {
    private final Baselines baselines = new Baselines();

    /** The baseline made from the typical run, default tolerance 25%. */
    private BaselineFile baseline() {
        return BaselineFile.fromRuns(List.of(RunFixtures.typical(1).scores()), baselines, 0.25, 1.5, "test", "test");
    }

    @Test
    void shouldPassAFreshRunEqualToTheBaseline() {
        Gate.Report r = Gate.check(baseline(), RunFixtures.typical(1).scores(), baselines, false);
        assertTrue(r.passed(), () -> r.render("baseline.json"));
        assertEquals(r.rows().size(), r.count(Gate.Verdict.OK));
    }

    @Test
    void shouldPassARegressionWithinTheTolerance() {
        Gate.Report r = Gate.check(baseline(), RunFixtures.typical(1.2).scores(), baselines, false);
        assertTrue(r.passed(), () -> r.render("baseline.json"));
    }

    @Test
    void shouldFailARegressionBeyondTheToleranceAndSayWhich() {
        Gate.Report r = Gate.check(baseline(), RunFixtures.typical(1.3).scores(), baselines, false);
        assertFalse(r.passed());
        assertEquals(1, r.count(Gate.Verdict.REGRESSED));
        String text = r.render("baseline.json");
        assertTrue(text.contains("FAILED: 1 regressed"), text);
        assertTrue(text.contains("regressed: CommitBench.toggle map=flat regions=1024 is 130 x treeMapToggle, was 100 (+30%, allowed +25%)"), text);
    }

    @Test
    void shouldNotFailWhenTheWholeMachineIsSlower() {
        // every score doubles (group methods come back under their group:method keys): ratios stay
        RunFixtures slower = new RunFixtures();
        for (Score s : RunFixtures.typical(1).scores().all()) {
            slower.add(s.benchmark(), s.score() * 2, flat(s));
        }
        Gate.Report r = Gate.check(baseline(), slower.scores(), baselines, false);
        assertTrue(r.passed(), () -> r.render("baseline.json"));
        assertEquals(r.rows().size(), r.count(Gate.Verdict.OK));
    }

    @Test
    void shouldFailWhenAGatedRatioIsMissingUnlessAllowed() {
        RunFixtures partial = new RunFixtures()
                .add(RunFixtures.RAM + "read8", 5.0, "regions", "64", "stream", "hot")
                .add(RunFixtures.RAM + "treeMapRead8", 34.0, "regions", "64", "stream", "hot");
        Gate.Report strict = Gate.check(baseline(), partial.scores(), baselines, false);
        assertFalse(strict.passed());
        assertTrue(strict.render("b").contains("missing: CommitBench.toggle map=flat regions=1024"), strict.render("b"));
        assertTrue(Gate.check(baseline(), partial.scores(), baselines, true).passed());
    }

    @Test
    void shouldPassARegressionThatTheConfirmationRunDoesNotRepeat() {
        Gate.Report first = Gate.check(baseline(), RunFixtures.typical(1.3).scores(), baselines, false);
        assertFalse(first.passed());
        Gate.Report confirmed = Gate.confirm(first, RunFixtures.typical(1.05).scores());
        assertTrue(confirmed.passed(), () -> confirmed.render("b"));
        Gate.Row row = confirmed.rows().stream().filter(r -> !Double.isNaN(r.firstRun())).findFirst().orElseThrow();
        assertEquals(130, row.firstRun(), 1e-9);
        assertEquals(105, row.actual(), 1e-9);
        String text = confirmed.render("b");
        assertTrue(text.contains("noise: CommitBench.toggle map=flat regions=1024 regressed by +30% in the first run and +5.0% in the second"), text);
        assertTrue(text.contains("first run"), text);
    }

    @Test
    void shouldFailARegressionThatTheConfirmationRunRepeats() {
        Gate.Report first = Gate.check(baseline(), RunFixtures.typical(1.5).scores(), baselines, false);
        Gate.Report confirmed = Gate.confirm(first, RunFixtures.typical(1.4).scores());
        assertFalse(confirmed.passed());
        String text = confirmed.render("b");
        assertTrue(text.contains("regressed: CommitBench.toggle map=flat regions=1024 is 140 x treeMapToggle, was 100 (+40%, allowed +25%);"
                + " confirmed by a second run (first: +50%)"), text);
    }

    @Test
    void shouldKeepARegressionTheConfirmationRunDidNotMeasure() {
        Gate.Report first = Gate.check(baseline(), RunFixtures.typical(1.5).scores(), baselines, false);
        assertFalse(Gate.confirm(first, new RunFixtures().scores()).passed());
    }

    @Test
    void shouldPassAndReportARatioThatImproved() {
        Gate.Report r = Gate.check(baseline(), RunFixtures.typical(0.5).scores(), baselines, false);
        assertTrue(r.passed());
        assertEquals(1, r.count(Gate.Verdict.FASTER));
        assertTrue(r.render("b").contains("refresh the baseline"));
    }

    @Test
    void shouldApplyAnEntrysOwnTolerance() {
        BaselineFile b = baseline();
        List<BaselineFile.Entry> widened = b.entries().stream().map(e -> new BaselineFile.Entry(e.benchmark(), e.params(),
                e.baseline(), e.ratio(), e.benchmark().endsWith(".toggle") ? 0.5 : Double.NaN)).toList();
        BaselineFile wide = new BaselineFile(b.about(), b.measured(), b.tolerance(), widened);
        assertTrue(Gate.check(wide, RunFixtures.typical(1.4).scores(), baselines, false).passed());
        assertFalse(Gate.check(wide, RunFixtures.typical(1.6).scores(), baselines, false).passed());
    }

    @Test
    void shouldGateTheReaderOfACommitStormAgainstTheQuietReader() {
        BaselineFile b = baseline();
        assertTrue(b.entries().stream().anyMatch(e -> e.benchmark().equals(RunFixtures.STORM + "storm1:storm1Read")
                && e.baseline().equals(RunFixtures.STORM + "quiet1") && Math.abs(e.ratio() - 1.05) < 1e-9), b::toString);
        RunFixtures stormy = new RunFixtures()
                .add(RunFixtures.STORM + "quiet1", 20_000, "regions", "64")
                .add(RunFixtures.STORM + "alone", 200_000, "regions", "64")
                .group(RunFixtures.STORM + "storm1", new Object[] {"storm1Commit", 300_000.0, "storm1Read", 40_000.0}, "regions", "64");
        Gate.Report r = Gate.check(b, stormy.scores(), baselines, true);
        assertFalse(r.passed());
        assertTrue(r.render("b").contains("regressed: CommitStormBench.storm1:storm1Read regions=64"), r.render("b"));
    }

    @Test
    void shouldCompareMedianIterationsSoThatOnePreemptedIterationDoesNotFailTheGate() {
        // JMH's mean of toggle doubled because one iteration lost its core; its median did not move
        String json = RunFixtures.typical(1).json().replaceFirst("\"score\" : 1200000\\.0|\"score\": 1200000\\.0", "\"score\": 2400000.0");
        Scores s = Scores.parse(json);
        Score toggle = s.find(RunFixtures.COMMIT + "toggle", java.util.Map.of("map", "flat", "regions", "1024")).orElseThrow();
        assertEquals(2_400_000, toggle.score(), 1e-6);
        assertEquals(1_200_000, toggle.robust(), 1e-6);
        assertTrue(Gate.check(baseline(), s, baselines, false).passed());
    }

    @Test
    void shouldNotGateComparisonsThatMeasureNoGuestmemCode() {
        assertTrue(baseline().entries().stream().noneMatch(e -> e.benchmark().endsWith("rawRead8")));
    }

    @Test
    void shouldExitOneFromTheCommandLineWhenTheGateFails(@TempDir Path dir) throws IOException {
        Path base = dir.resolve("baseline.json");
        baseline().write(base);
        Path good = dir.resolve("good.json");
        Path bad = dir.resolve("bad.json");
        Files.writeString(good, RunFixtures.typical(1.1).json());
        Files.writeString(bad, RunFixtures.typical(2).json());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
        assertEquals(0, BenchMain.run(new String[] {"check", good.toString(), "--baseline", base.toString()}, ps));
        assertEquals(1, BenchMain.run(new String[] {"check", bad.toString(), "--baseline", base.toString()}, ps));
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("PASSED") && text.contains("FAILED"), text);
    }

    private static String[] flat(Score s) {
        return s.params().entrySet().stream().flatMap(e -> java.util.stream.Stream.of(e.getKey(), e.getValue())).toArray(String[]::new);
    }
}
