package org.guestmem.bench.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.junit.jupiter.api.Test;

/** The suites' timings as JMH receives them: a part's minimum warm-up and the user's options. */
class SuitesTest {
    private static Suites.Part storm(Suites.Suite suite) {
        return suite.parts().stream().filter(p -> p.include().contains("CommitStormBench")).findFirst().orElseThrow();
    }

    private static Suites.Part access(Suites.Suite suite) {
        return suite.parts().stream().filter(p -> p.include().contains("RamAccessBench")).findFirst().orElseThrow();
    }

    private static Options options(Suites.Suite suite, Suites.Part part, String... user) throws Exception {
        return BenchMain.options(part, Map.of(), suite.timing(), new CommandLineOptions(user), false);
    }

    @Test
    void theQuickStormShouldWarmUpForTwoSecondsAndTheRestAsTheSuiteSays() throws Exception {
        assertEquals(4, options(Suites.QUICK, storm(Suites.QUICK)).getWarmupIterations().get(), "4 x 500 ms");
        assertEquals(1, options(Suites.QUICK, access(Suites.QUICK)).getWarmupIterations().get());
        assertEquals(2, options(Suites.STANDARD, storm(Suites.STANDARD)).getWarmupIterations().get(), "2 x 1 s is enough");
    }

    @Test
    void theUsersWarmUpShouldWinOverAPartsMinimum() throws Exception {
        assertEquals(1, options(Suites.QUICK, storm(Suites.QUICK), "-wi", "1").getWarmupIterations().get());
        assertEquals(1, options(Suites.QUICK, storm(Suites.QUICK), "-w", "100ms").getWarmupIterations().get(),
                "a user who sets the iteration time keeps the suite's count");
    }

    @Test
    void theMtreeSuiteShouldRunMtreeBenchWhichNoOtherSuiteRuns() {
        String name = "org.guestmem.bench.mtree.MtreeBench.importDump";
        assertSame(Suites.MTREE, BenchMain.Args.parse(new String[] {"--mtree"}).suite);
        assertTrue(Suites.MTREE.parts().stream().anyMatch(p -> Pattern.compile(p.include()).matcher(name).find()));
        for (Suites.Suite other : List.of(Suites.QUICK, Suites.STANDARD, Suites.FULL, Suites.PEER)) {
            assertTrue(other.parts().stream().noneMatch(p -> Pattern.compile(p.include()).matcher(name).find()), other.name());
        }
    }

    @Test
    void aConfirmationRunShouldFindThePartsMinimumByBenchmarkName() {
        assertEquals(2000, Suites.minWarmupMs("org.guestmem.bench.concurrency.CommitStormBench.storm1"));
        assertEquals(0, Suites.minWarmupMs("org.guestmem.bench.access.RamAccessBench.read8"));
    }
}
