package org.guestmem.bench.mtree;

import java.util.concurrent.TimeUnit;
import org.guestmem.MemorySystem;
import org.guestmem.bench.Baseline;
import org.guestmem.mtree.ImportedMachine;
import org.guestmem.mtree.MtreeImporter;
import org.guestmem.mtree.MtreePrinter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The {@code info mtree} importer and printer on a machine of 1,000, 10,000 and 100,000 regions
 * ({@link PciDump}: that many BARs side by side in one PCI window). Both must grow linearly with
 * the region count, so ns per operation divided by the region count should stay flat from one
 * size to the next.
 *
 * <p>The in-run baseline is {@code scan}: reading the same text line by line, finding each
 * line's indentation and parsing its start address, building nothing. Its ratio says what the
 * import and the print cost over merely reading the dump.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class MtreeBench {

    /** The dump, and the machine imported from it once for the printing benchmark. */
    @State(Scope.Benchmark)
    public static class Dump {
        /** Number of BARs: the machine has this many regions and six more. */
        @Param({"1000", "10000", "100000"})
        public int regions;

        String text;
        ImportedMachine machine;

        /** Makes the dump and imports it once. */
        @Setup(Level.Trial)
        public void setup() {
            text = PciDump.of(regions);
            machine = MtreeImporter.importText(text, null, MemorySystem.builder());
        }

        /** Closes the imported machine. */
        @TearDown(Level.Trial)
        public void tearDown() {
            machine.close();
        }
    }

    /** Imports the dump into a new memory system (parse, plan, build, render) and closes it again. */
    @Benchmark
    @Baseline("scan")
    public int importDump(Dump d) {
        try (ImportedMachine m = MtreeImporter.importText(d.text, null, MemorySystem.builder())) {
            return m.addressSpaces().size();
        }
    }

    /** Prints the imported machine's tree as QEMU's {@code info mtree -D} does. */
    @Benchmark
    @Baseline("scan")
    public String printTree(Dump d) {
        return MtreePrinter.tree(d.machine.system(), true);
    }

    /** Baseline: reads the dump line by line, parsing each region line's start address; builds nothing. */
    @Benchmark
    public long scan(Dump d) {
        String t = d.text;
        long sum = 0;
        for (int at = 0; at < t.length(); ) {
            int nl = t.indexOf('\n', at);
            if (nl < 0) {
                nl = t.length();
            }
            int p = at;
            while (p < nl && t.charAt(p) == ' ') {
                p++;
            }
            if (p > at && p + 16 <= nl) {
                sum += Long.parseUnsignedLong(t, p, p + 16, 16);
            }
            at = nl + 1;
        }
        return sum;
    }
}
