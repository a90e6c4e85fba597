package org.guestmem;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.guestmem.listener.CoalescedRange;
import org.junit.jupiter.api.Test;

/** Coalesced MMIO bookkeeping: immediate listener notification and the flush flag (QEMU 7.2). */
class CoalescedMmioTest {
    private static final MemoryRegionOps OPS = MemoryRegionOps.builder().read((a, s) -> 0).write((a, v, s) -> { }).build();

    @Test
    void addAndClearNotifyEveryRangeOfTheRegionAtOnce() {
        try (MemorySystem sys = MemorySystem.create()) {
            ContainerRegion root = sys.container("system", MemoryRegion.SIZE_2_64);
            MmioRegion dev = sys.mmio("dev", 0x100, OPS);
            root.addSubregion(dev, 0x1000);
            root.addSubregionOverlap(sys.mmio("hi", 0x40, OPS), 0x1040, 1); // splits dev in two ranges
            AddressSpace as = sys.addressSpace("memory", root);
            List<String> log = new ArrayList<>();
            as.registerListener(new RecordingListener("B", log), 2);
            as.registerListener(new RecordingListener("A", log), 1);
            log.clear();

            dev.addCoalescing(0x20, 0x80); // region offsets [0x20, 0x9f]
            assertEquals(List.of(
                    "A:coalescedAdd dev [0x1000..0x103f] @0x0 0x1020+0x20",
                    "B:coalescedAdd dev [0x1000..0x103f] @0x0 0x1020+0x20",
                    "A:coalescedAdd dev [0x1080..0x10ff] @0x80 0x1080+0x20",
                    "B:coalescedAdd dev [0x1080..0x10ff] @0x80 0x1080+0x20"), log);
            assertTrue(dev.isFlushCoalesced());
            log.clear();

            dev.addCoalescing(0xf0, 0x10);
            assertEquals(List.of(
                    "A:coalescedAdd dev [0x1080..0x10ff] @0x80 0x10f0+0x10",
                    "B:coalescedAdd dev [0x1080..0x10ff] @0x80 0x10f0+0x10"), log);
            log.clear();

            dev.clearFlushCoalesced(); // ranges remain: the flag stays
            assertTrue(dev.isFlushCoalesced());

            dev.clearCoalescing(); // range by range in insertion order, listeners in reverse
            assertEquals(List.of(
                    "B:coalescedDel dev [0x1000..0x103f] @0x0 0x1020+0x20",
                    "A:coalescedDel dev [0x1000..0x103f] @0x0 0x1020+0x20",
                    "B:coalescedDel dev [0x1080..0x10ff] @0x80 0x1080+0x20",
                    "A:coalescedDel dev [0x1080..0x10ff] @0x80 0x1080+0x20",
                    "B:coalescedDel dev [0x1080..0x10ff] @0x80 0x10f0+0x10",
                    "A:coalescedDel dev [0x1080..0x10ff] @0x80 0x10f0+0x10"), log);
            assertFalse(dev.isFlushCoalesced());
            assertEquals(0, dev.coalescing().size());
        }
    }

    @Test
    void setCoalescingReplacesTheRangesAndReachesEveryAddressSpace() {
        try (MemorySystem sys = MemorySystem.create()) {
            ContainerRegion root = sys.container("system", MemoryRegion.SIZE_2_64);
            MmioRegion dev = sys.mmio("dev", 0x100, OPS);
            root.addSubregion(dev, 0x1000);
            AddressSpace a = sys.addressSpace("a", root);
            ContainerRegion other = sys.container("other", MemoryRegion.SIZE_2_64);
            other.addSubregion(sys.alias("dev-alias", dev, 0x80, 0x80), 0x0);
            AddressSpace b = sys.addressSpace("b", other);
            List<String> log = new ArrayList<>();
            a.registerListener(new RecordingListener("LA", log), 0);
            b.registerListener(new RecordingListener("LB", log), 0);
            dev.addCoalescing(0x0, 0x10);
            log.clear();

            dev.setCoalescing();
            assertEquals(List.of(
                    "LA:coalescedDel dev [0x1000..0x10ff] @0x0 0x1000+0x10", // clear: only AS a shows [0, 0x10)
                    "LA:coalescedAdd dev [0x1000..0x10ff] @0x0 0x1000+0x100",
                    "LB:coalescedAdd dev [0x0..0x7f] @0x80 0x0+0x80"), log);
            assertEquals(1, dev.coalescing().size());
            assertEquals(new CoalescedRange(new AddrRange(0, 0xff)), dev.coalescing().getFirst());
            assertThrows(IllegalArgumentException.class, () -> dev.addCoalescing(0xf0, 0x20));
            assertThrows(IllegalArgumentException.class, () -> dev.addCoalescing(0, 0));
        }
    }

    @Test
    void topologyChangesCarryCoalescedRangesAlong() {
        try (MemorySystem sys = MemorySystem.create()) {
            ContainerRegion root = sys.container("system", MemoryRegion.SIZE_2_64);
            MmioRegion dev = sys.mmio("dev", 0x100, OPS);
            root.addSubregion(dev, 0x1000);
            AddressSpace as = sys.addressSpace("memory", root);
            dev.addCoalescing(0x10, 0x10);
            List<String> log = new ArrayList<>();
            as.registerListener(new RecordingListener("B", log), 2);
            as.registerListener(new RecordingListener("A", log), 1);
            log.clear(); // QEMU 7.2 does not replay coalesced ranges on registration

            dev.setAddress(0x2000);
            assertEquals(List.of("A:begin", "B:begin",
                    "B:coalescedDel dev [0x1000..0x10ff] @0x0 0x1010+0x10",
                    "A:coalescedDel dev [0x1000..0x10ff] @0x0 0x1010+0x10",
                    "B:del dev [0x1000..0x10ff] @0x0", "A:del dev [0x1000..0x10ff] @0x0",
                    "A:add dev [0x2000..0x20ff] @0x0", "B:add dev [0x2000..0x20ff] @0x0",
                    "A:coalescedAdd dev [0x2000..0x20ff] @0x0 0x2010+0x10",
                    "B:coalescedAdd dev [0x2000..0x20ff] @0x0 0x2010+0x10",
                    "A:commit", "B:commit"), log);
        }
    }

    @Test
    void insideATransactionTheCurrentViewIsNotified() {
        try (MemorySystem sys = MemorySystem.create()) {
            ContainerRegion root = sys.container("system", MemoryRegion.SIZE_2_64);
            MmioRegion dev = sys.mmio("dev", 0x100, OPS);
            root.addSubregion(dev, 0x1000);
            AddressSpace as = sys.addressSpace("memory", root);
            List<String> log = new ArrayList<>();
            as.registerListener(new RecordingListener("L", log), 0);
            log.clear();
            try (MemoryTransaction tx = sys.begin()) {
                root.removeSubregion(dev);
                dev.addCoalescing(0, 0x10); // not a transaction: the still-published view shows dev
                assertEquals(List.of("L:coalescedAdd dev [0x1000..0x10ff] @0x0 0x1000+0x10"), log);
            }
            assertEquals(List.of("L:coalescedAdd dev [0x1000..0x10ff] @0x0 0x1000+0x10", "L:begin",
                    "L:coalescedDel dev [0x1000..0x10ff] @0x0 0x1000+0x10", "L:del dev [0x1000..0x10ff] @0x0",
                    "L:commit"), log);
        }
    }
}
