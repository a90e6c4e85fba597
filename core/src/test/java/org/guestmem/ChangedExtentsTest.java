package org.guestmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a commit renders ({@link ChangedExtents}): a view no change reaches is kept (the same
 * object, nothing published, readers' caches untouched) and still gives QEMU's no-ops to a listener
 * that wants them; a change shown only through an alias chain with an unmapped alias in the middle,
 * which the region's list of mapped aliases does not name, is rendered in full rather than missed.
 */
class ChangedExtentsTest {
    private static final MemoryRegionOps OPS = MemoryRegionOps.builder().read((a, s) -> 0).write((a, v, s) -> { }).build();

    MemorySystem sys;
    ContainerRegion system;
    ContainerRegion io;
    AddressSpace memory;
    AddressSpace ioSpace;

    @BeforeEach
    void build() {
        sys = MemorySystem.create();
        system = sys.container("system", MemoryRegion.SIZE_2_64);
        io = sys.container("io", 0x10000);
        system.addSubregion(sys.ram("ram", 0x10000), 0);
        system.addSubregion(sys.mmio("dev", 0x1000, OPS), 0x20000);
        io.addSubregion(sys.mmio("port", 4, OPS), 0x60);
        memory = sys.addressSpace("memory", system);
        ioSpace = sys.addressSpace("I/O", io);
    }

    @AfterEach
    void close() {
        sys.close();
    }

    @Test
    void aViewNoChangeReachesIsKeptAndNotPublishedAgain() {
        FlatView before = memory.currentView();
        long generation = memory.generation();
        long[] counts = sys.renderCounts();
        io.addSubregion(sys.mmio("port2", 4, OPS), 0x70);
        assertSame(before, memory.currentView());
        assertEquals(generation, memory.generation(), "nothing published for the memory space");
        assertEquals(2, ioSpace.currentView().rangeCount());
        long[] after = sys.renderCounts();
        assertEquals(counts[0] + 1, after[0], "one view kept");
        assertEquals(counts[1] + 1, after[1], "one view spliced");
        assertEquals(counts[2], after[2], "none rendered in full");
    }

    @Test
    void aKeptViewStillGivesNoOpsToAListenerThatWantsThem() {
        List<String> log = new ArrayList<>();
        memory.registerListener(new RecordingListener("m", log), 0);
        log.clear();
        io.addSubregion(sys.mmio("port2", 4, OPS), 0x70);
        assertEquals(List.of("m:begin", "m:nop ram [0x0..0xffff] @0x0", "m:nop dev [0x20000..0x20fff] @0x0", "m:commit"), log);
    }

    @Test
    void aChangeSeenThroughAnUnmappedAliasInAChainRendersInFull() {
        RamRegion target = sys.ram("target", 0x4000);
        AliasRegion middle = sys.alias("middle", target, 0x1000, 0x2000); // never mapped itself
        AliasRegion outer = sys.alias("outer", middle, 0, 0x2000);
        system.addSubregion(outer, 0x40000);
        assertEquals(List.of("ram", "dev", "outer→target@0x1000"), describe(memory.currentView()));
        long[] counts = sys.renderCounts();
        target.setNonvolatile(true);
        FlatRange shown = memory.currentView().lookup(0x40000);
        assertTrue(shown.nonvolatile(), shown.toString());
        assertEquals(counts[2] + 2, sys.renderCounts()[2], "both views rendered in full: the walk cannot see past 'middle'");
    }

    private static List<String> describe(FlatView v) {
        List<String> out = new ArrayList<>();
        for (FlatRange r : v.ranges()) {
            out.add(r.start() == 0x40000 ? "outer→" + r.region().name() + "@0x" + Long.toHexString(r.offsetInRegion())
                    : r.region().name());
        }
        return out;
    }
}
