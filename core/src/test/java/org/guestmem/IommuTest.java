package org.guestmem;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.guestmem.dirty.DirtyLogClient;
import org.guestmem.dirty.GlobalDirtyReason;
import org.guestmem.iommu.IommuEvent;
import org.guestmem.iommu.IommuNotifier;
import org.guestmem.iommu.IommuOps;
import org.guestmem.iommu.IommuPerm;
import org.guestmem.iommu.IommuTlbEntry;
import org.guestmem.mtree.MtreePrinter;
import org.guestmem.rcu.RcuReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * IOMMU regions: a two-level chain (device space -> l1 -> l2 space -> l2 -> memory) with
 * permissions, QEMU's results for denied accesses, the IOTLB entry, notifiers and replay.
 */
class IommuTest {

    /** A page-table IOMMU model: input page -> (output page, permission), pages of {@code mask + 1} bytes. */
    static final class PageTable implements IommuOps {
        record Mapping(long out, IommuPerm perm) {
        }

        final Map<Long, Mapping> pages = new ConcurrentHashMap<>();
        final long mask;
        volatile AddressSpace target;
        final List<String> calls = java.util.Collections.synchronizedList(new ArrayList<>());

        PageTable(long mask) {
            this.mask = mask;
        }

        void map(long in, long out, IommuPerm perm) {
            pages.put(in & ~mask, new Mapping(out & ~mask, perm));
        }

        @Override
        public IommuTlbEntry translate(IommuRegion region, long addr, IommuPerm flag, int iommuIdx) {
            Mapping m = pages.get(addr & ~mask);
            if (m == null) {
                return new IommuTlbEntry(target, addr & ~mask, 0, mask, IommuPerm.NONE);
            }
            return new IommuTlbEntry(target, addr & ~mask, m.out, mask, m.perm);
        }

        @Override
        public void notifyFlagChanged(IommuRegion region, int oldFlags, int newFlags) {
            calls.add(oldFlags + "->" + newFlags);
            if ((newFlags & IommuNotifier.DEVIOTLB_UNMAP) != 0 && region.name().equals("iommu-l2")) {
                throw new IllegalStateException("l2 has no device IOTLB");
            }
        }
    }

    MemorySystem sys;
    RamRegion ram;
    MmioRegion dev;
    IommuRegion l1;
    IommuRegion l2;
    PageTable t1;
    PageTable t2;
    AddressSpace memory;
    AddressSpace l2Space;
    AddressSpace dma;
    final List<String> devLog = new ArrayList<>();

    @BeforeEach
    void build() {
        sys = MemorySystem.create();
        ContainerRegion system = sys.container("system", MemoryRegion.SIZE_2_64);
        ram = sys.ram("ram", 0x10000);
        system.addSubregion(ram, 0);
        dev = sys.mmio("dev", 0x1000, MemoryRegionOps.builder().endianness(Endianness.LITTLE)
                .read((a, s) -> {
                    devLog.add("read " + Long.toHexString(a) + "/" + s);
                    return 0x1122334455667788L;
                })
                .write((a, v, s) -> devLog.add("write " + Long.toHexString(a) + "/" + s + "=" + Long.toHexString(v)))
                .impl(1, 8, false).build());
        system.addSubregion(dev, 0x20000);
        memory = sys.addressSpace("memory", system);

        t2 = new PageTable(0xfff);
        t2.target = memory;
        l2 = sys.iommu("iommu-l2", 0x1_0000_0000L, t2);
        ContainerRegion l2Root = sys.container("l2-root", MemoryRegion.SIZE_2_64);
        l2Root.addSubregion(l2, 0);
        l2Space = sys.addressSpace("l2-space", l2Root);

        t1 = new PageTable(0xfff);
        t1.target = l2Space;
        l1 = sys.iommu("iommu-l1", 0x10000, t1);
        ContainerRegion dmaRoot = sys.container("dma-root", MemoryRegion.SIZE_2_64);
        dmaRoot.addSubregion(l1, 0x100000);
        dma = sys.addressSpace("dma", dmaRoot);

        // dma 0x101000 -> l2 0x7000 -> ram 0x3000 ; dma 0x102000 -> l2 0x9000 -> ram 0x5000
        t1.map(0x1000, 0x7000, IommuPerm.RW);
        t2.map(0x7000, 0x3000, IommuPerm.RW);
        t1.map(0x2000, 0x9000, IommuPerm.RW);
        t2.map(0x9000, 0x5000, IommuPerm.RW);
        for (int i = 0; i < 0x10000; i += 8) {
            ram.segment().set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, i, 0xA5A5_0000_0000_0000L | i);
        }
    }

    @AfterEach
    void close() {
        sys.close();
    }

    @Test
    void aTwoLevelChainTranslatesReadsAndWrites() {
        assertEquals(0xA5A5_0000_0000_3010L, dma.ld64le(0x101010));
        assertEquals(MemTxResult.OK, dma.st32le(0x102004, 0xdeadbeefL));
        assertEquals(0xdeadbeefL, ram.segment().get(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, 0x5004) & 0xffffffffL);

        // a buffer across the two IOMMU pages lands in two distant RAM pages
        byte[] buf = new byte[16];
        for (int i = 0; i < 16; i++) {
            buf[i] = (byte) (0x40 + i);
        }
        assertEquals(MemTxResult.OK, dma.write(0x101ff8, buf, 0, 16));
        byte[] low = new byte[8];
        byte[] high = new byte[8];
        java.lang.foreign.MemorySegment.copy(ram.segment(), java.lang.foreign.ValueLayout.JAVA_BYTE, 0x3ff8, low, 0, 8);
        java.lang.foreign.MemorySegment.copy(ram.segment(), java.lang.foreign.ValueLayout.JAVA_BYTE, 0x5000, high, 0, 8);
        assertArrayEquals(java.util.Arrays.copyOfRange(buf, 0, 8), low);
        assertArrayEquals(java.util.Arrays.copyOfRange(buf, 8, 16), high);
        byte[] back = new byte[16];
        assertEquals(MemTxResult.OK, dma.read(0x101ff8, back, 0, 16));
        assertArrayEquals(buf, back);

        Translation tr = dma.translate(0x101ff8, 16, false);
        assertSame(ram, tr.section().region());
        assertEquals(0x3ff8, tr.offsetInRegion());
        assertEquals(8, tr.length()); // cut at the end of the IOMMU page
    }

    @Test
    void aTypedAccessStraddlingAnIommuPageGoesWholeToTheRegionsOpsAsInQemu() {
        MemTxResult[] r = new MemTxResult[1];
        assertEquals(0, dma.load(0x101ffc, 8, ByteOrder.LITTLE_ENDIAN, MemTxAttrs.UNSPECIFIED, r));
        assertEquals(MemTxResult.DECODE_ERROR, r[0]); // RAM's own ops are QEMU's unassigned ops
        assertEquals(MemTxResult.DECODE_ERROR, dma.st64le(0x101ffc, 1));
    }

    @Test
    void deniedPermissionsAnswerLikeUnassignedMemory() {
        t1.map(0x1000, 0x7000, IommuPerm.RO); // level 1 read-only
        assertEquals(0xA5A5_0000_0000_3000L, dma.ld64le(0x101000));
        assertEquals(MemTxResult.DECODE_ERROR, dma.st64le(0x101000, 7)); // QEMU 7.2: io_mem_unassigned
        assertEquals(0xA5A5_0000_0000_3000L, dma.ld64le(0x101000));

        t1.map(0x1000, 0x7000, IommuPerm.RW);
        t2.map(0x7000, 0x3000, IommuPerm.WO); // level 2 write-only
        MemTxResult[] r = new MemTxResult[1];
        assertEquals(0, dma.load(0x101000, 8, ByteOrder.LITTLE_ENDIAN, MemTxAttrs.UNSPECIFIED, r));
        assertEquals(MemTxResult.DECODE_ERROR, r[0]);
        assertEquals(MemTxResult.OK, dma.st64le(0x101000, 0x77));
        assertEquals(0x77, ram.segment().get(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, 0x3000));

        byte[] buf = new byte[8];
        java.util.Arrays.fill(buf, (byte) 0x5a);
        assertEquals(MemTxResult.DECODE_ERROR, dma.read(0x101000, buf, 0, 8)); // two rejected 4-byte reads
        assertArrayEquals(new byte[8], buf);
        // ACCESS_ERROR only where QEMU gives it: attrs.memory on what is not RAM
        MemTxAttrs memOnly = MemTxAttrs.UNSPECIFIED.withMemory(true);
        assertEquals(MemTxResult.ACCESS_ERROR, dma.read(0x101000, memOnly, java.lang.foreign.MemorySegment.ofArray(buf)));
        assertEquals(MemTxResult.OK, dma.write(0x101000, memOnly, java.lang.foreign.MemorySegment.ofArray(buf)));

        Translation denied = dma.translate(0x101010, 8, false);
        assertNull(denied.section().region());
        assertEquals(0x7010, denied.offsetInRegion()); // QEMU leaves xlat at the failing IOMMU's input
        assertEquals(IommuTlbEntry.INVALID, dma.iotlbEntry(0x101010, false, MemTxAttrs.UNSPECIFIED));

        // unmapped page: perm NONE
        assertEquals(MemTxResult.DECODE_ERROR, dma.st8(0x103000, 1));
    }

    @Test
    void iotlbEntryNamesTheFinalSpaceAndTheSmallestPage() {
        PageTable big = new PageTable(0x1f_ffff); // level 1 with 2 MiB pages
        big.target = l2Space;
        big.map(0, 0x0, IommuPerm.RW);
        IommuRegion huge = sys.iommu("iommu-huge", 0x40_0000, big);
        ContainerRegion root = sys.container("huge-root", MemoryRegion.SIZE_2_64);
        root.addSubregion(huge, 0x4000_0000L);
        AddressSpace hugeSpace = sys.addressSpace("huge", root);

        IommuTlbEntry e = hugeSpace.iotlbEntry(0x4000_7123L, true, MemTxAttrs.UNSPECIFIED);
        assertEquals(new IommuTlbEntry(memory, 0x4000_7000L, 0x3000, 0xfff, IommuPerm.RW), e);

        assertEquals(new IommuTlbEntry(memory, 0x2000, 0x2000, 0xfff, IommuPerm.RW),
                memory.iotlbEntry(0x2345, false, MemTxAttrs.UNSPECIFIED));
        assertEquals(IommuTlbEntry.INVALID, memory.iotlbEntry(0x50000, false, MemTxAttrs.UNSPECIFIED)); // a hole
        assertEquals(new IommuTlbEntry(memory, 0x101000, 0x3000, 0xfff, IommuPerm.RW),
                dma.iotlbEntry(0x101abc, false, MemTxAttrs.UNSPECIFIED));
    }

    @Test
    void iommuIntoMmioReachesTheDeviceAtTheTranslatedOffset() {
        t1.map(0x4000, 0xb000, IommuPerm.RW);
        t2.map(0xb000, 0x20000, IommuPerm.RW);
        assertEquals(0x55667788L, dma.ld32le(0x104010));
        assertEquals(MemTxResult.OK, dma.st16le(0x104022, 0xbeef));
        assertEquals(List.of("read 10/4", "write 22/2=beef"), devLog);
    }

    @Test
    void accessorsTranslateEveryIommuAccessAndCacheNothing() {
        try (RcuReader r = sys.rcu().register()) {
            AddressSpaceAccessor acc = dma.accessor(r);
            r.enter();
            assertEquals(0xA5A5_0000_0000_3000L, acc.ld64le(0x101000));
            assertEquals(0xA5A5_0000_0000_3000L, acc.ld64le(0x101000));
            t2.map(0x7000, 0x6000, IommuPerm.RW); // the model changes a mapping: no commit, no invalidation
            assertEquals(0xA5A5_0000_0000_6000L, acc.ld64le(0x101000));
            assertEquals(MemTxResult.OK, acc.st64le(0x101008, 9));
            assertEquals(9, ram.segment().get(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, 0x6008));
            t1.map(0x1000, 0x7000, IommuPerm.RO);
            assertEquals(MemTxResult.DECODE_ERROR, acc.st64le(0x101008, 10));
            r.exit();
            assertEquals(0, acc.fillCount());
        }
    }

    @Test
    void aModelThatThrowsReachesTheCallerAndLeaksNoViewReference() {
        FlatView l2View = l2Space.currentView();
        int refs = l2View.refCount();
        IommuRegion failing = sys.iommu("failing", 0x1000, new IommuOps() {
            @Override
            public IommuTlbEntry translate(IommuRegion region, long addr, IommuPerm flag, int iommuIdx) {
                throw new IllegalStateException("model bug");
            }
        });
        ContainerRegion l2Root = (ContainerRegion) l2Space.root();
        l2Root.addSubregionOverlap(failing, 0x7000, 1); // hop 2 of dma 0x101000 now lands on it
        FlatView after = l2Space.currentView();
        int refsAfter = after.refCount();
        assertThrows(IllegalStateException.class, () -> dma.ld64le(0x101000));
        assertEquals(refsAfter, after.refCount());
        assertTrue(l2View.isReleased() || l2View.refCount() <= refs);
    }

    @Test
    void aCycleStopsAfterTheNestingLimit() {
        PageTable loop = new PageTable(0xfff);
        IommuRegion self = sys.iommu("loop", 0x10000, loop);
        ContainerRegion root = sys.container("loop-root", MemoryRegion.SIZE_2_64);
        root.addSubregion(self, 0);
        AddressSpace space = sys.addressSpace("loop", root);
        loop.target = space;
        loop.map(0, 0, IommuPerm.RW);
        MemTxResult[] r = new MemTxResult[1];
        assertEquals(0, space.load(0x10, 4, ByteOrder.LITTLE_ENDIAN, MemTxAttrs.UNSPECIFIED, r));
        assertEquals(MemTxResult.DECODE_ERROR, r[0]);
    }

    @Test
    void notifiersGetInvalidationsOfTheirRangeAndType() {
        List<String> got = new ArrayList<>();
        IommuNotifier mapUnmap = new IommuNotifier(IommuNotifier.IOTLB_EVENTS, 0, 0xffff, 0,
                e -> got.add("A " + e.perm() + " " + Long.toHexString(e.iova()) + "+" + Long.toHexString(e.addrMask())));
        IommuNotifier unmapOnly = new IommuNotifier(IommuNotifier.UNMAP, 0x2000, 0x2fff, 0,
                e -> got.add("B " + e.perm() + " " + Long.toHexString(e.iova()) + "+" + Long.toHexString(e.addrMask())));
        IommuNotifier dev = new IommuNotifier(IommuNotifier.DEVIOTLB_UNMAP, 0x2800, 0x47ff, 0,
                e -> got.add("C " + e.perm() + " " + Long.toHexString(e.iova()) + "+" + Long.toHexString(e.addrMask())));
        l1.registerNotifier(mapUnmap);
        l1.registerNotifier(unmapOnly);
        l1.registerNotifier(dev);
        assertEquals(List.of(dev, unmapOnly, mapUnmap), l1.notifiers()); // newest first
        assertEquals(List.of("0->3", "3->7"), t1.calls); // unmapOnly adds nothing new
        assertEquals(IommuNotifier.ALL, l1.notifyFlags());

        // the model unmaps 0x2000 (page 0x2000..0x2fff)
        t1.pages.remove(0x2000L);
        l1.notify(0, new IommuEvent(IommuEvent.Type.UNMAP, new IommuTlbEntry(null, 0x2000, 0, 0xfff, IommuPerm.NONE)));
        assertEquals(List.of("B NONE 2000+fff", "A NONE 2000+fff"), got); // dev: DEVIOTLB type only
        got.clear();

        l1.notify(0, new IommuEvent(IommuEvent.Type.DEVIOTLB_UNMAP,
                new IommuTlbEntry(null, 0x3000, 0, 0x1fff, IommuPerm.NONE)));
        assertEquals(List.of("C NONE 3000+17ff"), got); // cropped to [0x3000, 0x47ff]; mapUnmap does not take DEVIOTLB
        got.clear();

        t1.map(0x5000, 0xd000, IommuPerm.RO);
        l1.notify(0, new IommuEvent(IommuEvent.Type.MAP, new IommuTlbEntry(l2Space, 0x5000, 0xd000, 0xfff, IommuPerm.RO)));
        assertEquals(List.of("A RO 5000+fff"), got);
        got.clear();

        l1.notify(1, new IommuEvent(IommuEvent.Type.MAP, new IommuTlbEntry(l2Space, 0x5000, 0xd000, 0xfff, IommuPerm.RO)));
        l1.notify(0, new IommuEvent(IommuEvent.Type.MAP, new IommuTlbEntry(l2Space, 0x20000, 0, 0xfff, IommuPerm.RW)));
        assertEquals(List.of(), got); // other index; outside every range

        // a page straddling unmapOnly's range: QEMU asserts; guestmem refuses before delivering anything
        assertThrows(IllegalArgumentException.class, () -> l1.notify(0,
                new IommuEvent(IommuEvent.Type.UNMAP, new IommuTlbEntry(null, 0x2000, 0, 0x1fff, IommuPerm.NONE))));
        assertEquals(List.of(), got);
        assertThrows(IllegalArgumentException.class,
                () -> new IommuEvent(IommuEvent.Type.UNMAP, new IommuTlbEntry(l2Space, 0, 0, 0xfff, IommuPerm.RW)));

        l1.unmapNotifierRange(unmapOnly);
        assertEquals(List.of("B NONE 2000+fff"), got);

        l1.unregisterNotifier(dev);
        l1.unregisterNotifier(mapUnmap);
        l1.unregisterNotifier(mapUnmap); // not registered any more: nothing
        assertEquals(List.of("0->3", "3->7", "7->3", "3->1"), t1.calls);
        assertEquals(List.of(unmapOnly), l1.notifiers());
    }

    @Test
    void aModelMayRefuseANotifierAndNotifiersBelongToOneRegion() {
        IommuNotifier n = new IommuNotifier(IommuNotifier.DEVIOTLB_UNMAP, 0, -1L, 0, e -> { });
        assertThrows(IllegalStateException.class, () -> l2.registerNotifier(n));
        assertEquals(List.of(), l2.notifiers());
        assertEquals(0, l2.notifyFlags());
        l1.registerNotifier(n); // the failed registration left it free
        assertThrows(IllegalArgumentException.class, () -> l2.registerNotifier(n));
        assertThrows(IllegalArgumentException.class,
                () -> l1.registerNotifier(new IommuNotifier(IommuNotifier.MAP, 0, 1, 1, e -> { }))); // one index only
        assertThrows(IllegalArgumentException.class, () -> new IommuNotifier(0, 0, 1, 0, e -> { }));
        assertThrows(IllegalArgumentException.class, () -> new IommuNotifier(IommuNotifier.MAP, 2, 1, 0, e -> { }));
    }

    @Test
    void replayTranslatesEveryMinimumPageAndReportsWhatIsMapped() {
        List<IommuTlbEntry> got = new ArrayList<>();
        IommuNotifier n = new IommuNotifier(IommuNotifier.UNMAP, 0x8000, 0x8fff, 0, got::add); // QEMU ignores flags and range
        t1.map(0x9000, 0x1000, IommuPerm.WO);
        l1.replay(n);
        assertEquals(List.of(new IommuTlbEntry(l2Space, 0x1000, 0x7000, 0xfff, IommuPerm.RW),
                new IommuTlbEntry(l2Space, 0x2000, 0x9000, 0xfff, IommuPerm.RW),
                new IommuTlbEntry(l2Space, 0x9000, 0x1000, 0xfff, IommuPerm.WO)), got);

        List<String> custom = new ArrayList<>();
        IommuRegion withHook = sys.iommu("hooked", 0x4000, new IommuOps() {
            @Override
            public IommuTlbEntry translate(IommuRegion region, long addr, IommuPerm flag, int iommuIdx) {
                throw new AssertionError("the model's replay replaces translation");
            }

            @Override
            public void replay(IommuRegion region, IommuNotifier notifier) {
                custom.add("replay " + region.name());
            }
        });
        withHook.replay(n);
        assertEquals(List.of("replay hooked"), custom);
    }

    @Test
    void iommuRegionsPrintAsIoLogForMigrationAndShowInDispatchDumps() {
        assertEquals("i/o", MtreePrinter.typeWord(l1));
        String flat = MtreePrinter.flat(sys, true);
        assertTrue(flat.contains("0000000000100000-000000000010ffff (prio 0, i/o): iommu-l1"), flat);
        // QEMU's printer labels section #1 with the legacy name, then the IOMMU marker
        assertTrue(flat.contains("#1 @0000000000100000..000000000010ffff iommu-l1 [not dirty] [iommu]\n"), flat);
        assertEquals(Set.of(), l1.dirtyLogClients());
        List<String> log = new ArrayList<>();
        dma.registerListener(new RecordingListener("L", log), 0);
        log.clear();
        sys.startGlobalDirtyLog(Set.of(GlobalDirtyReason.MIGRATION));
        assertEquals(Set.of(DirtyLogClient.MIGRATION), l1.dirtyLogClients());
        assertTrue(log.contains("L:logStart iommu-l1 [0x100000..0x10ffff] @0x0 0->4"), log.toString());
        sys.stopGlobalDirtyLog(Set.of(GlobalDirtyReason.MIGRATION));
        assertTrue(log.contains("L:logStop iommu-l1 [0x100000..0x10ffff] @0x0 4->0"), log.toString());
    }

    @Test
    void theDefaultMinimumPageIsTheTargetPage() {
        try (MemorySystem sys = MemorySystem.builder().pageBits(14).build()) {
            IommuRegion r = sys.iommu("iommu", 0x100000, (region, addr, flag, idx) -> IommuTlbEntry.INVALID);
            assertEquals(1L << 14, r.targetPageSize());
            assertEquals(1L << 14, r.minPageSize());
        }
    }
}
