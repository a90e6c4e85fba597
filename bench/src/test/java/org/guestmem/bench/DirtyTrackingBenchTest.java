package org.guestmem.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** One pass of each {@link DirtyTrackingBench} configuration, outside JMH: it runs and its checks hold. */
class DirtyTrackingBenchTest {

    @ParameterizedTest
    @ValueSource(strings = {"off", "vga", "migration", "migration-clear", "code"})
    void everyConfigurationRunsAndLogsWhatItShould(String logging) {
        DirtyTrackingBench b = new DirtyTrackingBench();
        b.regions = 64;
        b.logging = logging;
        b.setup();
        b.clearBits();
        assertEquals(0, b.ramWrite8Hot());
        b.clearBits();
        assertEquals(0, b.ramWrite8Hot());
        b.tearDown(); // throws if a logged region shows no dirty page
    }
}
