package org.guestmem.bench.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The baselines the runner and the gate find from {@code @Baseline}, on the real suites. */
class BaselinesTest {
    private final Baselines b = new Baselines();

    @Test
    void shouldFindAPlainBenchmarksBaseline() {
        assertEquals(Optional.of(new Baselines.Ref(RunFixtures.RAM + "treeMapRead8", true)), b.of(RunFixtures.RAM + "read8"));
        assertEquals(Optional.of(new Baselines.Ref(RunFixtures.RAM + "treeMapRead8", false)), b.of(RunFixtures.RAM + "rawRead8"));
        assertEquals(Optional.empty(), b.of(RunFixtures.RAM + "treeMapRead8"));
        assertEquals(Optional.empty(), b.of("org.example.Unknown.method"));
    }

    @Test
    void shouldUseJmhsKeysForGroups() {
        // storm1 has two methods: per-method keys; quiet1 and alone have one: the group's own key
        assertEquals(Optional.of(new Baselines.Ref(RunFixtures.STORM + "quiet1", true)), b.of(RunFixtures.STORM + "storm1:storm1Read"));
        assertEquals(Optional.of(new Baselines.Ref(RunFixtures.STORM + "alone", true)), b.of(RunFixtures.STORM + "storm1:storm1Commit"));
        assertEquals(Optional.of(new Baselines.Ref(RunFixtures.STORM + "quiet1", true)), b.of(RunFixtures.STORM + "quiet2"));
    }

    @Test
    void shouldMatchABaselineThatHasFewerParameters() {
        List<Baselines.Ratio> ratios = b.ratios(RunFixtures.typical(1).scores());
        Baselines.Ratio pc = ratios.stream().filter(r -> r.score().benchmark().endsWith(".toggle")
                && r.score().params().get("map").equals("pc")).findFirst().orElseThrow();
        assertEquals(RunFixtures.COMMIT + "treeMapToggle", pc.baseline().benchmark());
        assertEquals(2_300_000 / 12_000.0, pc.value(), 1e-9);
    }

    @Test
    void shouldCountBaselinesAsReferencesInCharts() {
        assertTrue(b.isReference(RunFixtures.RAM + "treeMapRead8"));
        assertTrue(b.isReference(RunFixtures.RAM + "rawRead8"));
        assertFalse(b.isReference(RunFixtures.RAM + "read8"));
    }
}
