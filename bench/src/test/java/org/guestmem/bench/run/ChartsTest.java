package org.guestmem.bench.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The charts and the report: latency against regions, guestmem solid and its baselines dashed, as PNG and SVG. */
class ChartsTest {

    private static Scores growth() {
        RunFixtures f = new RunFixtures();
        for (String n : new String[] {"16", "1024", "16384"}) {
            double r = Double.parseDouble(n);
            f.add(RunFixtures.COMMIT + "toggle", 2000 * r, "map", "flat", "regions", n);
            f.add(RunFixtures.COMMIT + "toggle", 3000 * r, "map", "pc", "regions", n);
            f.add(RunFixtures.COMMIT + "treeMapToggle", 20 * r, "regions", n);
        }
        f.add(RunFixtures.STORM + "quiet1", 20_000, "regions", "64");
        return f.scores();
    }

    @Test
    void shouldPlanOneSeriesPerBenchmarkAndParameterSet() {
        List<Charts.Chart> charts = Charts.plan(growth(), new Baselines());
        assertEquals(1, charts.size(), "the storm suite ran at one region count: no chart");
        Charts.Chart c = charts.getFirst();
        assertEquals("chart-CommitBench", c.file());
        assertEquals(List.of("toggle map=flat", "toggle map=pc", "treeMapToggle (baseline)"), c.series().stream().map(Charts.Series::name).toList());
        assertArrayEquals(new double[] {16, 1024, 16384}, c.series().getFirst().regions());
        assertTrue(c.series().get(2).reference());
    }

    @Test
    void shouldWritePngAndSvg(@TempDir Path dir) throws IOException {
        List<Path> files = Charts.write(Charts.plan(growth(), new Baselines()), dir);
        assertEquals(List.of(dir.resolve("chart-CommitBench.png"), dir.resolve("chart-CommitBench.svg")), files);
        byte[] png = Files.readAllBytes(files.get(0));
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, Arrays.copyOf(png, 4));
        String svg = Files.readString(files.get(1));
        assertTrue(svg.contains("<svg") && svg.strip().endsWith("</svg>"), svg.substring(0, Math.min(200, svg.length())));
    }

    @Test
    void shouldWriteTheTableWithRatiosAndTheIssue4Figures(@TempDir Path dir) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        BenchMain.report(RunFixtures.typical(1).scores(), new Baselines(), dir, new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8));
        String table = Files.readString(dir.resolve("table.txt"));
        assertTrue(table.contains("CommitBench.toggle") && table.contains("treeMapToggle"), table);
        assertTrue(table.matches("(?s).*RamAccessBench\\.rawRead8 +regions=64 stream=hot +0\\.500 +0\\.500 +0\\.0147 +treeMapRead8 \\(not gated\\).*"), table);
        assertTrue(table.contains("reader throughput during the commit storm is 0.952 of the quiet one (target: at least 0.9) - met"), table);
        assertTrue(table.contains("3,333 commits/s with readers running (5,000 commits/s with none)"), table);
        assertTrue(Files.readString(dir.resolve("table.md")).startsWith("| benchmark | params | ns/op |"));
    }
}
