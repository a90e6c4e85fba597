package org.guestmem.bench.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class BaselineFileTest {
    private final Baselines baselines = new Baselines();

    @Test
    void shouldTakeTheMedianRatioAndWidenTheToleranceToTwiceTheRunsSpread() {
        List<Scores> runs = List.of(RunFixtures.typical(1).scores(), RunFixtures.typical(1.2).scores(), RunFixtures.typical(0.9).scores());
        BaselineFile f = BaselineFile.fromRuns(runs, baselines, 0.25, 1.5, "a", "m");
        BaselineFile.Entry flat = f.entries().stream().filter(e -> e.benchmark().endsWith(".toggle") && e.params().get("map").equals("flat"))
                .findFirst().orElseThrow();
        assertEquals(100, flat.ratio(), 1e-9);
        // spread 1.2 / 0.9 - 1 = 33%, twice that rounded up to 5%: 70%
        assertEquals(0.7, flat.tolerance(), 1e-9);
        BaselineFile.Entry pc = f.entries().stream().filter(e -> e.benchmark().endsWith(".toggle") && e.params().get("map").equals("pc"))
                .findFirst().orElseThrow();
        assertTrue(Double.isNaN(pc.tolerance()), "no spread: the default applies");
        assertEquals(0.25, pc.toleranceOr(f.tolerance()));
    }

    @Test
    void shouldCapTheToleranceSoThatADoublingStillFails() {
        List<Scores> runs = List.of(RunFixtures.typical(1).scores(), RunFixtures.typical(3).scores());
        BaselineFile f = BaselineFile.fromRuns(runs, baselines, 0.25, 0.8, "a", "m");
        BaselineFile.Entry flat = f.entries().stream().filter(e -> e.benchmark().endsWith(".toggle") && e.params().get("map").equals("flat"))
                .findFirst().orElseThrow();
        assertEquals(0.8, flat.tolerance(), 1e-9);
    }

    @Test
    void shouldRoundTripThroughItsJson() {
        BaselineFile f = BaselineFile.fromRuns(List.of(RunFixtures.typical(1).scores(), RunFixtures.typical(1.5).scores()), baselines,
                0.25, 1.5, "about", "measured");
        BaselineFile back = BaselineFile.parse(f.toJson());
        assertEquals(f.entries().size(), back.entries().size());
        assertEquals("about", back.about());
        for (int i = 0; i < f.entries().size(); i++) {
            BaselineFile.Entry a = f.entries().get(i);
            BaselineFile.Entry b = back.entries().get(i);
            assertEquals(a.benchmark(), b.benchmark());
            assertEquals(a.params(), b.params());
            assertEquals(a.ratio(), b.ratio(), Math.abs(a.ratio()) * 1e-3);
            assertEquals(a.tolerance(), b.tolerance());
        }
    }

    @Test
    void shouldRejectAFileOfAnotherFormat() {
        assertThrows(IllegalArgumentException.class, () -> BaselineFile.parse("{\"format\": \"other\", \"entries\": []}"));
    }
}
