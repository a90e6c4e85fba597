package org.guestmem.bench.mtree;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.guestmem.FlatView;
import org.junit.jupiter.api.Test;

/**
 * One pass of {@link MtreeBench} outside JMH: the generated dump is what QEMU would print for its
 * machine (importing and printing it gives the same text back), every benchmark runs, and the
 * machine renders the BARs the dump describes.
 */
class MtreeBenchTest {

    @Test
    void theDumpShouldImportAndPrintBackAsItIs() {
        MtreeBench.Dump d = new MtreeBench.Dump();
        d.regions = 1000;
        d.setup();
        try {
            MtreeBench b = new MtreeBench();
            assertEquals(d.text, b.printTree(d));
            assertEquals(1, b.importDump(d));
            long starts = 0x100000000L; // pci; system, ram-low, ram and vram start at 0
            for (int i = 0; i < 1000; i++) {
                starts += 0x100000000L + 0x10000L * i;
            }
            assertEquals(starts, b.scan(d), "the sum of every region line's start address");
            FlatView v = d.machine.addressSpaces().getFirst().currentView();
            assertEquals(1 + 1000, v.rangeCount(), "RAM and one range per BAR");
        } finally {
            d.tearDown();
        }
    }
}
