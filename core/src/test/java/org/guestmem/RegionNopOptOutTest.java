package org.guestmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.guestmem.dirty.DirtyLogClient;
import org.guestmem.dirty.GlobalDirtyReason;
import org.guestmem.listener.MemoryListener;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link MemoryListener#wantsRegionNop()}: a listener that declines no-ops gets every other
 * callback a QEMU listener gets, in the same order, and no {@code regionNop}; one that wants them
 * (the default) still gets one for every unchanged range, also when a listener beside it declines.
 */
class RegionNopOptOutTest {
    private static final MemoryRegionOps OPS = MemoryRegionOps.builder().read((a, s) -> 0).write((a, v, s) -> { }).build();

    /** A recording listener that declines no-ops. */
    static final class NoNops extends RecordingListener {
        NoNops(String name, List<String> log) {
            super(name, log);
        }

        @Override
        public boolean wantsRegionNop() {
            return false;
        }
    }

    MemorySystem sys;
    ContainerRegion system;
    RamRegion ram;
    final List<MemoryRegion> devices = new ArrayList<>();
    AddressSpace memory;

    @BeforeEach
    void build() {
        devices.clear();
        sys = MemorySystem.create();
        system = sys.container("system", MemoryRegion.SIZE_2_64);
        ram = sys.ram("ram", 0x10000);
        system.addSubregion(ram, 0);
        for (int i = 0; i < 40; i++) {
            MmioRegion d = sys.mmio("dev" + i, 0x1000, OPS);
            devices.add(d);
            system.addSubregion(d, 0x100000 + i * 0x10000L);
        }
        memory = sys.addressSpace("memory", system);
    }

    @AfterEach
    void close() {
        sys.close();
    }

    /** Changes in many places, one commit each and some in one transaction. */
    private void changes() {
        devices.get(3).setEnabled(false);
        devices.get(3).setEnabled(true);
        try (MemoryTransaction tx = sys.begin()) {
            for (int i = 0; i < 40; i += 3) {
                devices.get(i).setAddress(devices.get(i).address() + 0x8000);
            }
        }
        ram.setLog(true, DirtyLogClient.VGA);
        sys.startGlobalDirtyLog(EnumSet.of(GlobalDirtyReason.MIGRATION));
        system.addSubregionOverlap(sys.mmio("over", 0x20000, OPS), 0x100800, 1);
        ram.setLog(false, DirtyLogClient.VGA);
        sys.stopGlobalDirtyLog(EnumSet.of(GlobalDirtyReason.MIGRATION));
        devices.get(39).setSize(0x2000);
    }

    @Test
    void aListenerThatDeclinesNoOpsGetsEverythingElseInQemusOrder() {
        List<String> qemu = new ArrayList<>();
        List<String> lean = new ArrayList<>();
        memory.registerListener(new RecordingListener("l", qemu), 0);
        changes();
        qemu = List.copyOf(qemu); // not what closing the system sends
        close();
        build();
        memory.registerListener(new NoNops("l", lean), 0);
        changes();
        List<String> expected = qemu.stream().filter(e -> !e.startsWith("l:nop")).toList();
        assertTrue(qemu.size() > expected.size() + 100, "the QEMU listener got no-ops: " + qemu.size());
        assertEquals(expected, lean);
    }

    @Test
    void aListenerThatWantsNoOpsGetsThemBesideOneThatDeclines() {
        List<String> alone = new ArrayList<>();
        memory.registerListener(new RecordingListener("a", alone), 0);
        changes();
        alone = List.copyOf(alone);
        close();
        build();
        List<String> both = new ArrayList<>();
        memory.registerListener(new NoNops("b", both), 1);
        memory.registerListener(new RecordingListener("a", both), 0);
        changes();
        assertEquals(alone, both.stream().filter(e -> e.startsWith("a:")).toList());
        assertEquals(alone.stream().filter(e -> !e.startsWith("a:nop")).map(e -> "b" + e.substring(1)).toList(),
                both.stream().filter(e -> e.startsWith("b:")).toList());
    }
}
