package org.guestmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.guestmem.dirty.DirtyLogClient;
import org.guestmem.iommu.IommuPerm;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** MemoryRegionCache: the fast path over a ring, refreshing when the ring moves, and the slow paths. */
class MemoryRegionCacheTest {
    MemorySystem sys;
    ContainerRegion root;
    RamRegion ringA;
    AddressSpace as;
    final List<String> devLog = new ArrayList<>();

    @BeforeEach
    void build() {
        sys = MemorySystem.create();
        root = sys.container("system", MemoryRegion.SIZE_2_64);
        ringA = sys.ram("ring-a", 0x1000);
        root.addSubregion(ringA, 0x10000);
        as = sys.addressSpace("memory", root);
    }

    @AfterEach
    void close() {
        sys.close();
    }

    private MmioRegion device(String name, long size) {
        return sys.mmio(name, size, MemoryRegionOps.builder().endianness(Endianness.LITTLE).valid(1, 4, false)
                .read((a, s) -> {
                    devLog.add(name + " read " + Long.toHexString(a) + "/" + s);
                    return 0xab;
                })
                .write((a, v, s) -> devLog.add(name + " write " + Long.toHexString(a) + "/" + s + "=" + Long.toHexString(v)))
                .build());
    }

    @Test
    void aRingInRamIsAccessedDirectlyAndWritesAreLogged() {
        ringA.testAndClearDirty(0, 0x1000, DirtyLogClient.VGA);
        ringA.setLog(true, DirtyLogClient.VGA);
        try (MemoryRegionCache c = as.cache(0x10100, 0x100, true)) {
            assertTrue(c.isDirect());
            assertEquals(0x100, c.length());
            assertEquals(MemTxResult.OK, c.st16le(0x2, 7)); // avail.idx
            assertEquals(MemTxResult.OK, c.st64le(0x8, 0x1122334455667788L));
            assertEquals(7, as.ld16le(0x10102));
            assertEquals(0x1122334455667788L, c.ld64le(0x8));
            assertEquals(MemTxResult.OK, c.lastResult());
            assertEquals(0x55667788L, c.ld32le(0x8));
            assertEquals(0x8877L, c.load(0x8, 2, ByteOrder.BIG_ENDIAN));
            assertTrue(ringA.getDirty(0x100, 0x10, DirtyLogClient.VGA));
            assertTrue(ringA.testAndClearDirty(0, 0x1000, DirtyLogClient.VGA));
            c.invalidate(0x80, 0x10); // QEMU's address_space_cache_invalidate marks dirty
            assertTrue(ringA.getDirty(0x180, 1, DirtyLogClient.VGA));
            byte[] buf = new byte[16];
            assertEquals(MemTxResult.OK, c.read(0, MemorySegment.ofArray(buf)));
            assertEquals(7, buf[2]);
            assertThrows(IndexOutOfBoundsException.class, () -> c.ld32le(0xfe));
            assertThrows(IndexOutOfBoundsException.class, () -> c.read(0xf8, MemorySegment.ofArray(new byte[9])));
            assertThrows(IndexOutOfBoundsException.class, () -> c.ld16le(-1));
        }
    }

    @Test
    void theCacheFollowsItsGuestAddressWhenTheRingMoves() {
        MemoryRegionCache c = as.cache(0x10000, 0x100, true);
        FlatView before = as.currentView();
        c.st32le(0x10, 0xaaaa);
        assertEquals(0xaaaa, ringA.segment().get(ValueLayout.JAVA_INT, 0x10));

        RamRegion ringB = sys.ram("ring-b", 0x1000);
        try (MemoryTransaction tx = sys.begin()) { // the ring's RAM moves away, another RAM takes its place
            ringA.setAddress(0x30000);
            root.addSubregion(ringB, 0x10000);
        }
        assertFalse(before.isReleased()); // the cache still holds the view it last used
        c.st32le(0x10, 0xbbbb);
        assertTrue(before.isReleased()); // the first access after the commit moved to the new view
        assertEquals(1, c.refreshCount());
        assertEquals(0xbbbb, ringB.segment().get(ValueLayout.JAVA_INT, 0x10));
        assertEquals(0xaaaa, ringA.segment().get(ValueLayout.JAVA_INT, 0x10)); // QEMU's pinned view would have written here
        assertTrue(c.isDirect());

        root.removeSubregion(ringB); // now nothing is mapped at the ring's address
        assertFalse(c.isDirect());
        assertEquals(0, c.ld32le(0x10));
        assertEquals(MemTxResult.DECODE_ERROR, c.lastResult());
        assertEquals(MemTxResult.DECODE_ERROR, c.st32le(0x10, 1));

        ringA.setAddress(0x10000); // back home
        assertEquals(0xaaaa, c.ld32le(0x10));
        assertTrue(c.isDirect());
        assertEquals(3, c.refreshCount());
        c.close();
        c.close();
        assertThrows(IllegalStateException.class, () -> c.ld32le(0));
    }

    @Test
    void mmioIsReachedThroughItsOpsAndTheLengthIsClampedToTheSection() {
        MmioRegion dev = device("dev", 0x100);
        root.addSubregion(dev, 0x20000);
        try (MemoryRegionCache c = as.cache(0x200f0, 0x100, false)) {
            assertFalse(c.isDirect());
            assertEquals(0x10, c.length()); // QEMU clamps to the section
            assertEquals(0xab, c.ld32le(0x4) & 0xff);
            assertEquals(List.of("dev read f4/4"), devLog);
            devLog.clear();
            byte[] eight = new byte[8];
            assertEquals(MemTxResult.OK, c.read(0x8, MemorySegment.ofArray(eight))); // split by valid.max 4
            assertEquals(List.of("dev read f8/4", "dev read fc/4"), devLog);
        }
    }

    @Test
    void directLengthRunsOverSectionsOfOneRegionAndStopsAtAnother() {
        RamRegion odd = sys.ram("odd", 0x4000);
        root.addSubregion(odd, 0x40800); // head, body and tail sections
        try (MemoryRegionCache c = as.cache(0x40800, 0x3000, false)) {
            assertTrue(c.isDirect());
            assertEquals(0x3000, c.length());
        }
        root.addSubregion(device("after", 0x1000), 0x11000); // ring-a ends at 0x10fff
        try (MemoryRegionCache c = as.cache(0x10f00, 0x400, true)) {
            assertEquals(0x100, c.length()); // QEMU: the extended direct length
        }
    }

    @Test
    void aCacheOverAnIommuTranslatesEveryAccess() {
        IommuTest.PageTable t = new IommuTest.PageTable(0xfff);
        t.target = as;
        t.map(0, 0x10000, IommuPerm.RW);
        IommuRegion iommu = sys.iommu("iommu", 0x4000, t);
        ContainerRegion dmaRoot = sys.container("dma-root", MemoryRegion.SIZE_2_64);
        dmaRoot.addSubregion(iommu, 0);
        AddressSpace dma = sys.addressSpace("dma", dmaRoot);
        ringA.segment().set(ValueLayout.JAVA_INT, 0x20, 0x1234);
        try (MemoryRegionCache c = dma.cache(0x0, 0x100, false)) {
            assertFalse(c.isDirect());
            assertEquals(0x100, c.length());
            assertEquals(0x1234, c.ld32le(0x20));
            t.map(0, 0x10000, IommuPerm.NONE); // the model revokes the page: no commit
            assertEquals(0, c.ld32le(0x20));
            assertEquals(MemTxResult.DECODE_ERROR, c.lastResult());
            assertEquals(0, c.refreshCount());
        }
    }
}
