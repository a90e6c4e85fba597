package org.guestmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.guestmem.dirty.DirtyLogClient;
import org.guestmem.dirty.DirtySnapshot;
import org.guestmem.dirty.GlobalDirtyReason;
import org.guestmem.listener.MemoryListener;
import org.guestmem.listener.MemoryListenerException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Scripted listener scenarios with the exact event sequences QEMU 7.2 produces (spec §3.4, §3.5,
 * §7.3), worked out by hand from the views before and after each step.
 *
 * <p>The machine: "system" holds RAM "ram" (64 KiB at 0), MMIO "dev" (4 KiB at 0x20000) and ROM
 * "rom" (4 KiB at 0x30000); address space "memory" shows it; "io" is a second space over MMIO
 * region "ports" (256 bytes).
 */
class ListenerScenarioTest {
    private static final MemoryRegionOps OPS = MemoryRegionOps.builder().read((a, s) -> 0).write((a, v, s) -> { }).build();

    MemorySystem sys;
    ContainerRegion system;
    RamRegion ram;
    MmioRegion dev;
    RamRegion rom;
    AddressSpace memory;
    AddressSpace io;
    final List<String> log = new ArrayList<>();

    static final String RAM = "ram [0x0..0xffff] @0x0";
    static final String DEV = "dev [0x20000..0x20fff] @0x0";
    static final String ROM = "rom [0x30000..0x30fff] @0x0 ro";
    static final String PORTS = "ports [0x0..0xff] @0x0";

    @BeforeEach
    void build() {
        sys = MemorySystem.create();
        system = sys.container("system", MemoryRegion.SIZE_2_64);
        ram = sys.ram("ram", 0x10000);
        dev = sys.mmio("dev", 0x1000, OPS);
        rom = sys.rom("rom", 0x1000);
        system.addSubregion(ram, 0);
        system.addSubregion(dev, 0x20000);
        system.addSubregion(rom, 0x30000);
        memory = sys.addressSpace("memory", system);
        io = sys.addressSpace("io", sys.mmio("ports", 0x100, OPS));
    }

    @AfterEach
    void close() {
        sys.close();
    }

    @Test
    void registrationReplaysTheViewAndGlobalLoggingToTheNewListenerOnly() {
        RecordingListener first = new RecordingListener("first", log);
        memory.registerListener(first, 0);
        assertEquals(List.of("first:begin", "first:add " + RAM, "first:add " + DEV, "first:add " + ROM, "first:commit"), log);
        log.clear();

        ram.setLog(true, DirtyLogClient.VGA);
        sys.startGlobalDirtyLog(Set.of(GlobalDirtyReason.MIGRATION));
        log.clear();
        memory.registerListener(new RecordingListener("second", log), 5);
        // VGA (1) | MIGRATION (4) on RAM and ROM (RAM-backed), nothing on MMIO
        assertEquals(List.of("second:begin", "second:logGlobalStart",
                "second:add " + RAM, "second:logStart " + RAM + " 0->5",
                "second:add " + DEV,
                "second:add " + ROM, "second:logStart " + ROM + " 0->4",
                "second:commit"), log);
        assertEquals(List.of(first, memory.listeners().get(1)), memory.listeners());
        assertThrows(IllegalArgumentException.class, () -> io.registerListener(first, 1));
    }

    @Test
    void unregistrationSendsTheDeletionsAndThenSilence() {
        RecordingListener l = new RecordingListener("L", log);
        memory.registerListener(l, 0);
        ram.setLog(true, DirtyLogClient.VGA);
        log.clear();
        memory.unregisterListener(l);
        assertEquals(List.of("L:begin", "L:logStop " + RAM + " 1->0", "L:del " + RAM, "L:del " + DEV, "L:del " + ROM,
                "L:commit"), log);
        log.clear();
        dev.setEnabled(false);
        memory.unregisterListener(l); // not registered: nothing
        assertEquals(List.of(), log);
        assertEquals(List.of(), memory.listeners());
    }

    @Test
    void twoPrioritiesOrderAddsForwardAndDeletesInReverseAcrossSpaces() {
        memory.registerListener(new RecordingListener("hi", log), 20);
        memory.registerListener(new RecordingListener("lo", log), 10);
        memory.registerListener(new RecordingListener("lo2", log), 10); // equal priority: after lo
        io.registerListener(new RecordingListener("io", log), 15);
        log.clear();

        try (MemoryTransaction tx = sys.begin()) {
            dev.setAddress(0x28000); // memory: dev moves (del + add)
            system.removeSubregion(rom); // memory: rom disappears
        }
        // begin/commit go to every listener by priority; region callbacks only to the space's own
        assertEquals(List.of(
                "lo:begin", "lo2:begin", "io:begin", "hi:begin",
                "hi:del " + DEV, "lo2:del " + DEV, "lo:del " + DEV,
                "hi:del " + ROM, "lo2:del " + ROM, "lo:del " + ROM,
                "lo:nop " + RAM, "lo2:nop " + RAM, "hi:nop " + RAM,
                "lo:add dev [0x28000..0x28fff] @0x0", "lo2:add dev [0x28000..0x28fff] @0x0", "hi:add dev [0x28000..0x28fff] @0x0",
                "io:nop " + PORTS, // every commit re-renders every space
                "lo:commit", "lo2:commit", "io:commit", "hi:commit"), log);
    }

    @Test
    void logStartAndStopFollowARegionsLogMask() {
        memory.registerListener(new RecordingListener("B", log), 2);
        memory.registerListener(new RecordingListener("A", log), 1);
        log.clear();

        ram.setLog(true, DirtyLogClient.VGA);
        assertEquals(List.of("A:begin", "B:begin",
                "A:nop " + RAM, "B:nop " + RAM, "A:logStart " + RAM + " 0->1", "B:logStart " + RAM + " 0->1",
                "A:nop " + DEV, "B:nop " + DEV, "A:nop " + ROM, "B:nop " + ROM,
                "A:commit", "B:commit"), log);
        log.clear();
        ram.setLog(true, DirtyLogClient.VGA); // counted: no change, no commit
        assertEquals(List.of(), log);
        ram.setLog(false, DirtyLogClient.VGA);
        assertEquals(List.of(), log);
        ram.setLog(false, DirtyLogClient.VGA);
        assertEquals(List.of("A:begin", "B:begin",
                "A:nop " + RAM, "B:nop " + RAM, "B:logStop " + RAM + " 1->0", "A:logStop " + RAM + " 1->0",
                "A:nop " + DEV, "B:nop " + DEV, "A:nop " + ROM, "B:nop " + ROM,
                "A:commit", "B:commit"), log);
        log.clear();

        // global tracking: logGlobalStart first, then the re-render; stop: re-render, then logGlobalStop
        sys.startGlobalDirtyLog(EnumSet.of(GlobalDirtyReason.MIGRATION, GlobalDirtyReason.DIRTY_RATE));
        assertEquals(List.of("A:logGlobalStart", "B:logGlobalStart", "A:begin", "B:begin",
                "A:nop " + RAM, "B:nop " + RAM, "A:logStart " + RAM + " 0->4", "B:logStart " + RAM + " 0->4",
                "A:nop " + DEV, "B:nop " + DEV,
                "A:nop " + ROM, "B:nop " + ROM, "A:logStart " + ROM + " 0->4", "B:logStart " + ROM + " 0->4",
                "A:commit", "B:commit"), log);
        log.clear();
        sys.stopGlobalDirtyLog(Set.of(GlobalDirtyReason.MIGRATION)); // a flag is left: nothing
        assertEquals(List.of(), log);
        sys.stopGlobalDirtyLog(Set.of(GlobalDirtyReason.DIRTY_RATE));
        assertEquals(List.of("A:begin", "B:begin",
                "A:nop " + RAM, "B:nop " + RAM, "B:logStop " + RAM + " 4->0", "A:logStop " + RAM + " 4->0",
                "A:nop " + DEV, "B:nop " + DEV,
                "A:nop " + ROM, "B:nop " + ROM, "B:logStop " + ROM + " 4->0", "A:logStop " + ROM + " 4->0",
                "A:commit", "B:commit", "B:logGlobalStop", "A:logGlobalStop"), log);
    }

    @Test
    void aThrowingListenerDoesNotStopTheCommit() {
        RuntimeException boom = new IllegalStateException("boom");
        boolean[] armed = {false};
        MemoryListener bad = new MemoryListener() {
            @Override
            public void regionAdd(MemoryRegionSection section) {
                log.add("bad:add " + RecordingListener.sec(section));
                if (armed[0]) {
                    throw boom;
                }
            }

            @Override
            public void commit() {
                if (armed[0]) {
                    throw new IllegalStateException("boom again");
                }
            }

            @Override
            public String name() {
                return "bad";
            }
        };
        memory.registerListener(new RecordingListener("A", log), 1);
        memory.registerListener(bad, 2);
        memory.registerListener(new RecordingListener("C", log), 3);
        log.clear();
        FlatView before = memory.currentView();
        armed[0] = true;

        MemoryListenerException e = assertThrows(MemoryListenerException.class, () -> dev.setAddress(0x40000));
        assertSame(boom, e.getCause());
        assertEquals(1, e.getSuppressed().length); // commit's failure
        assertTrue(e.getMessage().contains("fully committed"), e.getMessage());
        assertEquals(List.of("A:begin", "C:begin", "C:del " + DEV, "A:del " + DEV,
                "A:nop " + RAM, "C:nop " + RAM, "A:nop " + ROM, "C:nop " + ROM,
                "A:add dev [0x40000..0x40fff] @0x0", "bad:add dev [0x40000..0x40fff] @0x0",
                "C:add dev [0x40000..0x40fff] @0x0", "A:commit", "C:commit"), log);
        // the commit completed: the new view is published and the old one released
        assertSame(dev, memory.currentView().lookup(0x40000).region());
        assertTrue(before.isReleased());
        assertEquals(MemTxResult.DECODE_ERROR, memory.st8(0x20000, 1));
        log.clear();
        assertThrows(MemoryListenerException.class, () -> dev.setAddress(0x20000)); // still registered, still throwing
        assertTrue(log.contains("C:add " + DEV));
        armed[0] = false;
        memory.unregisterListener(bad);
    }

    @Test
    void testAndClearClearsFirstThenTellsListenersAboutWholePages() {
        ram.setLog(true, DirtyLogClient.VGA);
        List<Boolean> dirtyWhenCleared = new ArrayList<>();
        memory.registerListener(new RecordingListener("L", log) {
            @Override
            public void logClear(MemoryRegionSection section) {
                super.logClear(section);
                dirtyWhenCleared.add(ram.getDirty(0x1800, 0x100, DirtyLogClient.VGA));
            }
        }, 0);
        log.clear();
        assertTrue(ram.testAndClearDirty(0x1800, 0x100, DirtyLogClient.VGA));
        // QEMU's cpu_physical_memory_test_and_clear_dirty: bits first, then
        // memory_region_clear_dirty_bitmap over the range widened to target pages
        assertEquals(List.of("L:logClear ram [0x1000..0x1fff] @0x1000"), log);
        assertEquals(List.of(false), dirtyWhenCleared);
    }

    @Test
    void snapshotAndClearSyncsClearsTheExactRangeAndEndsWithAfterSync() {
        ram.setLog(true, DirtyLogClient.VGA);
        system.addSubregion(sys.alias("ram-mirror", ram, 0x8000, 0x1000), 0x50000);
        memory.registerListener(new RecordingListener("L", log), 0);
        io.registerListener(new RecordingListener("io", log), 1);
        log.clear();
        DirtySnapshot snap = ram.snapshotAndClearDirty(0x8800, 0x100, DirtyLogClient.VGA);
        assertTrue(snap.isDirty(0x8800, 1));
        // memory_region_snapshot_and_clear_dirty: log_sync for the region's logging ranges,
        // copy-and-clear (64-page words), memory_region_clear_dirty_bitmap(mr, offset, length),
        // then memory_global_after_dirty_log_sync
        assertEquals(List.of(
                "L:logSync " + RAM, "L:logSync ram [0x50000..0x50fff] @0x8000",
                "L:logClear ram [0x8800..0x88ff] @0x8800", "L:logClear ram [0x50800..0x508ff] @0x8800",
                "L:logGlobalAfterSync", "io:logGlobalAfterSync"), log);
    }

    @Test
    void afterLogSyncReachesEveryListenerForwardAndReasonsAreReported() {
        try (MemorySystem sys = MemorySystem.create()) {
            ContainerRegion root = sys.container("system", MemoryRegion.SIZE_2_64);
            AddressSpace a = sys.addressSpace("a", root);
            AddressSpace b = sys.addressSpace("b", sys.container("other", 0x1000));
            List<String> log = new ArrayList<>();
            a.registerListener(new RecordingListener("A", log), 1);
            b.registerListener(new RecordingListener("B", log), 0);
            log.clear();
            sys.afterLogSync();
            assertEquals(List.of("B:logGlobalAfterSync", "A:logGlobalAfterSync"), log);

            assertEquals(Set.of(), sys.globalDirtyLogReasons());
            sys.startGlobalDirtyLog(EnumSet.of(GlobalDirtyReason.MIGRATION, GlobalDirtyReason.LIMIT));
            assertEquals(EnumSet.of(GlobalDirtyReason.MIGRATION, GlobalDirtyReason.LIMIT), sys.globalDirtyLogReasons());
            sys.stopGlobalDirtyLog(Set.of(GlobalDirtyReason.LIMIT));
            assertEquals(EnumSet.of(GlobalDirtyReason.MIGRATION), sys.globalDirtyLogReasons());
            assertThrows(IllegalArgumentException.class, () -> sys.startGlobalDirtyLog(Set.of()));
            assertEquals(EnumSet.of(GlobalDirtyReason.MIGRATION), sys.globalDirtyLogReasons(), "nothing half-applied");
        }
    }
}
