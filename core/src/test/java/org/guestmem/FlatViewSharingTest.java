package org.guestmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * QEMU 7.2's FlatView sharing for PCI bus-master address spaces: each device's space is a
 * container of 2^64 bytes holding a disabled alias of system memory, enabled when the guest turns
 * bus mastering on. {@code memory_region_get_flatview_root} reduces such a space to nothing while
 * the alias is off and to system memory once it is on, so the enabled spaces show system memory's
 * own FlatView object, and a commit gives them all the same new one.
 */
class FlatViewSharingTest {
    private static final MemoryRegionOps OPS = MemoryRegionOps.builder().read((a, s) -> 0).write((a, v, s) -> { }).build();
    private static final int DEVICES = 8;

    MemorySystem sys;
    ContainerRegion system;
    AddressSpace memory;
    final List<AliasRegion> busMaster = new ArrayList<>();
    final List<AddressSpace> spaces = new ArrayList<>();

    @BeforeEach
    void build() {
        sys = MemorySystem.create();
        system = sys.container("system", MemoryRegion.SIZE_2_64);
        system.addSubregion(sys.ram("ram", 0x10_0000), 0);
        memory = sys.addressSpace("memory", system);
        for (int d = 0; d < DEVICES; d++) {
            ContainerRegion c = sys.container("bus master container", MemoryRegion.SIZE_2_64);
            AliasRegion a = sys.alias("bus master", system, 0, MemoryRegion.SIZE_2_64);
            a.setEnabled(false);
            c.addSubregion(a, 0);
            busMaster.add(a);
            spaces.add(sys.addressSpace("dev" + d, c));
        }
    }

    @AfterEach
    void close() {
        sys.close();
    }

    @Test
    void aSpaceWithBusMasteringOffShowsTheSharedEmptyView() {
        for (AddressSpace as : spaces) {
            assertSame(sys.emptyView(), as.currentView(), as.name());
        }
    }

    @Test
    void enabledBusMasterSpacesShareSystemMemorysView() {
        for (int d = 0; d < DEVICES; d++) {
            busMaster.get(d).setEnabled(true);
            for (int e = 0; e < DEVICES; e++) {
                assertSame(e <= d ? memory.currentView() : sys.emptyView(), spaces.get(e).currentView(), "device " + e);
            }
        }
        FlatView before = memory.currentView();
        system.addSubregion(sys.mmio("bar", 0x1000, OPS), 0x8000_0000L);
        FlatView after = memory.currentView();
        assertNotSame(before, after);
        assertEquals(2, after.rangeCount());
        for (AddressSpace as : spaces) {
            assertSame(after, as.currentView(), as.name());
        }
        IdentityHashMap<FlatView, Boolean> shown = new IdentityHashMap<>();
        sys.addressSpaces().forEach(as -> shown.put(as.currentView(), Boolean.TRUE));
        assertEquals(1, shown.size());
    }

    @Test
    void aSharedViewForgetsWhatItWasComparedWithOnceTheCommitIsOver() {
        busMaster.forEach(a -> a.setEnabled(true));
        system.addSubregion(sys.mmio("bar", 0x1000, OPS), 0x8000_0000L);
        FlatView v = memory.currentView();
        assertNull(v.diffedFrom, "the view would keep its predecessor (and its regions) reachable");
        assertNull(v.diffFromThere);
        spaces.getFirst().destroy();
        assertNull(sys.emptyView().diffedFrom);
    }
}
