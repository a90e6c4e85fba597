package org.guestmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.guestmem.dirty.DirtyLogClient;
import org.guestmem.iommu.IommuPerm;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** address_space_map/unmap: direct RAM slices, the single bounce buffer and its map clients. */
class DmaMapTest {
    MemorySystem sys;
    ContainerRegion root;
    RamRegion ram;
    MmioRegion dev;
    AddressSpace as;
    final List<String> devLog = new ArrayList<>();

    @BeforeEach
    void build() {
        sys = MemorySystem.create();
        root = sys.container("system", MemoryRegion.SIZE_2_64);
        ram = sys.ram("ram", 0x10000);
        root.addSubregion(ram, 0);
        dev = sys.mmio("dev", 0x2000, MemoryRegionOps.builder().endianness(Endianness.LITTLE).valid(1, 4, false)
                .read((a, s) -> {
                    devLog.add("read " + Long.toHexString(a) + "/" + s);
                    return 0x03020100L + 0x04040404L * (a / 4);
                })
                .write((a, v, s) -> devLog.add("write " + Long.toHexString(a) + "/" + s + "=" + Long.toHexString(v)))
                .build());
        root.addSubregion(dev, 0x10000); // right after RAM
        as = sys.addressSpace("memory", root);
        for (int i = 0; i < 0x10000; i++) {
            ram.segment().set(ValueLayout.JAVA_BYTE, i, (byte) i);
        }
        ram.testAndClearDirty(0, 0x10000, DirtyLogClient.VGA); // new blocks start dirty
    }

    @AfterEach
    void close() {
        sys.close();
    }

    @Test
    void ramIsMappedDirectlyAndUnmapMarksWhatWasWritten() {
        ram.setLog(true, DirtyLogClient.VGA);
        DmaMapping m = as.map(0x1000, 0x3000, true, MemTxAttrs.UNSPECIFIED);
        assertFalse(m.isBounce());
        assertSame(ram, ((DmaMapping.Direct) m).region());
        assertEquals(0x3000, m.length());
        assertEquals(0x3000, m.segment().byteSize());
        m.segment().fill((byte) 0x77);
        assertEquals(0x77, ram.segment().get(ValueLayout.JAVA_BYTE, 0x1000)); // it is guest RAM itself
        assertFalse(ram.getDirty(0, 0x10000, DirtyLogClient.VGA)); // not marked before unmap
        as.unmap(m, 0x1801);
        assertTrue(ram.getDirty(0x1000, 0x1000, DirtyLogClient.VGA));
        assertTrue(ram.getDirty(0x2000, 0x1000, DirtyLogClient.VGA));
        assertFalse(ram.getDirty(0x3000, 0x1000, DirtyLogClient.VGA)); // beyond the access length
        assertFalse(ram.getDirty(0x0, 0x1000, DirtyLogClient.VGA));

        DmaMapping r = as.map(0x10, 8, false, MemTxAttrs.UNSPECIFIED); // a read mapping marks nothing
        assertEquals(0x1716151413121110L, r.segment().get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
        as.unmap(r, 8);
        assertFalse(ram.getDirty(0x0, 0x1000, DirtyLogClient.VGA));
        assertThrows(IllegalStateException.class, () -> as.unmap(r, 8));
    }

    @Test
    void directMappingsExtendOverSectionsOfTheSameRegionAndStopAtAnotherRegion() {
        RamRegion odd = sys.ram("odd", 0x10000);
        root.addSubregion(odd, 0x10_1800); // not page aligned: head, body and tail sections
        DmaMapping m = as.map(0x10_1800, 0x3000, false, MemTxAttrs.UNSPECIFIED);
        assertEquals(0x3000, m.length()); // QEMU's flatview_extend_translation joins the sections
        assertSame(odd, ((DmaMapping.Direct) m).region());
        as.unmap(m, 0);

        m = as.map(0xf000, 0x2000, false, MemTxAttrs.UNSPECIFIED); // RAM then MMIO
        assertFalse(m.isBounce());
        assertEquals(0x1000, m.length());
        as.unmap(m, 0);

        // two windows onto the same RAM whose offsets are not contiguous
        root.addSubregion(sys.alias("win0", ram, 0x0, 0x1000), 0x20_0000);
        root.addSubregion(sys.alias("win1", ram, 0x3000, 0x1000), 0x20_1000);
        m = as.map(0x20_0000, 0x2000, true, MemTxAttrs.UNSPECIFIED);
        assertEquals(0x1000, m.length());
        as.unmap(m, 0);
        root.addSubregion(sys.alias("win2", ram, 0x1000, 0x1000), 0x30_1000);
        root.addSubregion(sys.alias("win3", ram, 0x0, 0x1000), 0x30_0000);
        m = as.map(0x30_0000, 0x2000, true, MemTxAttrs.UNSPECIFIED); // contiguous: the view merged them
        assertEquals(0x2000, m.length());
        as.unmap(m, 0);
        m = as.map(0xff00, 0x1000, true, MemTxAttrs.UNSPECIFIED); // cut at the end of the block
        assertEquals(0x100, m.length());
        as.unmap(m, 0);
    }

    @Test
    void mmioGoesThroughTheBounceBufferWhichIsSingle() {
        DmaMapping b = as.map(0x10000, 0x3000, false, MemTxAttrs.UNSPECIFIED);
        assertTrue(b.isBounce());
        assertEquals(0x1000, b.length()); // at most one target page
        assertEquals(0x03020100, b.segment().get(ValueLayout.JAVA_INT_UNALIGNED, 0));
        assertEquals(0x07060504, b.segment().get(ValueLayout.JAVA_INT_UNALIGNED, 4));
        assertEquals(0x400, devLog.size()); // pre-read as 1024 4-byte reads
        assertTrue(sys.bounceBufferInUse());

        assertNull(as.map(0x10000, 8, true, MemTxAttrs.UNSPECIFIED)); // busy: QEMU's NULL with *plen = 0
        assertNotNull(as.map(0x0, 8, true, MemTxAttrs.UNSPECIFIED)); // RAM does not need it
        List<String> clients = new ArrayList<>();
        sys.registerMapClient(() -> clients.add("first"));
        Runnable dropped = () -> clients.add("dropped");
        sys.registerMapClient(dropped);
        sys.unregisterMapClient(dropped);
        sys.registerMapClient(() -> clients.add("second"));
        assertEquals(List.of(), clients);

        as.unmap(b, 0x1000); // a read mapping: nothing written back
        assertEquals(List.of("second", "first"), clients); // newest first, on the unmapping thread
        assertFalse(sys.bounceBufferInUse());
        assertThrows(IllegalStateException.class, () -> b.segment().get(ValueLayout.JAVA_BYTE, 0)); // freed

        sys.registerMapClient(() -> clients.add("now")); // free already: runs at once
        assertEquals(List.of("second", "first", "now"), clients);
    }

    @Test
    void unmapWritesTheBounceBufferBackWithTheAccessLengthOnly() {
        devLog.clear();
        DmaMapping w = as.map(0x10010, 0x100, true, MemTxAttrs.UNSPECIFIED);
        assertTrue(w.isBounce());
        assertEquals(0x100, w.length());
        assertEquals(List.of(), devLog); // a write mapping is not pre-read
        w.segment().set(ValueLayout.JAVA_LONG_UNALIGNED, 0, 0x1122334455667788L);
        w.segment().set(ValueLayout.JAVA_LONG_UNALIGNED, 8, -1L);
        as.unmap(w, 8);
        assertEquals(List.of("write 10/4=55667788", "write 14/4=11223344"), devLog);
    }

    @Test
    void aRangeCrossingMmioAndRam() {
        RamRegion after = sys.ram("after", 0x1000);
        root.addSubregion(after, 0x12000); // dev [0x10000, 0x11fff] then RAM
        after.segment().fill((byte) 0x5a);
        after.testAndClearDirty(0, 0x1000, DirtyLogClient.VGA);
        after.setLog(true, DirtyLogClient.VGA);
        devLog.clear();
        DmaMapping r = as.map(0x11ff8, 0x10, false, MemTxAttrs.UNSPECIFIED);
        assertTrue(r.isBounce()); // MMIO lengths are not clamped: the buffer spans both
        assertEquals(0x10, r.length());
        assertEquals((0x03020100L + 0x04040404L * (0x1ff8 / 4)) & 0xffffffffL,
                r.segment().get(ValueLayout.JAVA_INT_UNALIGNED, 0) & 0xffffffffL);
        assertEquals(0x5a5a5a5a5a5a5a5aL, r.segment().get(ValueLayout.JAVA_LONG_UNALIGNED, 8));
        as.unmap(r, 0x10);

        DmaMapping w = as.map(0x11ff8, 0x10, true, MemTxAttrs.UNSPECIFIED);
        w.segment().fill((byte) 0x11);
        devLog.clear();
        as.unmap(w, 0x10);
        assertEquals(List.of("write 1ff8/4=11111111", "write 1ffc/4=11111111"), devLog);
        assertEquals(0x1111111111111111L, after.segment().get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
        assertTrue(after.getDirty(0, 8, DirtyLogClient.VGA)); // the write-back is an ordinary write

        DmaMapping d = as.map(0xfff8, 0x10, false, MemTxAttrs.UNSPECIFIED); // RAM first: only the RAM part
        assertFalse(d.isBounce());
        assertEquals(8, d.length());
        as.unmap(d, 8);
    }

    @Test
    void holesAndRomWritesBounceToo() {
        RamRegion rom = sys.rom("rom", 0x1000);
        root.addSubregion(rom, 0x40000);
        DmaMapping hole = as.map(0x80000, 0x10, false, MemTxAttrs.UNSPECIFIED);
        assertTrue(hole.isBounce());
        assertEquals(0, hole.segment().get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
        as.unmap(hole, 0x10);
        DmaMapping romRead = as.map(0x40000, 0x10, false, MemTxAttrs.UNSPECIFIED);
        assertFalse(romRead.isBounce()); // ROM reads are direct
        as.unmap(romRead, 0);
        DmaMapping romWrite = as.map(0x40000, 0x10, true, MemTxAttrs.UNSPECIFIED);
        assertTrue(romWrite.isBounce());
        romWrite.segment().fill((byte) 1);
        as.unmap(romWrite, 0x10); // written back with address_space_write: rejected, ROM unchanged
        assertEquals(0, rom.segment().get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
    }

    @Test
    void aDirectMappingKeepsItsRamUntilUnmapEvenIfTheRegionIsDestroyed() {
        RamRegion hot = sys.ram("hotplug", 0x1000);
        root.addSubregion(hot, 0x50000);
        DmaMapping m = as.map(0x50000, 0x1000, true, MemTxAttrs.UNSPECIFIED);
        root.removeSubregion(hot);
        hot.destroy();
        sys.rcu().drain();
        m.segment().set(ValueLayout.JAVA_LONG, 0, 42); // still valid: the mapping holds the block
        assertEquals(42, hot.segment().get(ValueLayout.JAVA_LONG, 0));
        as.unmap(m, 8);
        sys.awaitReclamation();
        assertThrows(IllegalStateException.class, () -> m.segment().get(ValueLayout.JAVA_LONG, 0));
    }

    @Test
    void unmapChecksItsArguments() {
        DmaMapping m = as.map(0, 0x100, true, MemTxAttrs.UNSPECIFIED);
        AddressSpace other = sys.addressSpace("other", root);
        assertThrows(IllegalArgumentException.class, () -> other.unmap(m, 0));
        assertThrows(IllegalArgumentException.class, () -> as.unmap(m, 0x101));
        as.unmap(m, 0x100);
        assertNull(as.map(0, 0, true, MemTxAttrs.UNSPECIFIED));
    }

    @Test
    void unmapTellsTheCodeHandlerLikeAnyWrite() {
        try (MemorySystem s = MemorySystem.builder().codeDirtyTracking(true).build()) {
            ContainerRegion r = s.container("system", MemoryRegion.SIZE_2_64);
            RamRegion code = s.ram("code", 0x4000);
            r.addSubregion(code, 0);
            AddressSpace space = s.addressSpace("memory", r);
            List<String> seen = new ArrayList<>();
            s.setCodeWriteHandler((as, addr, len, mr, off) -> {
                seen.add(as.name() + "@" + Long.toHexString(addr) + " " + mr.name() + " " + Long.toHexString(off) + "+"
                        + Long.toHexString(len));
                return false;
            });
            code.testAndClearDirty(0x1000, 0x1000, DirtyLogClient.CODE); // a JIT translated page 1
            DmaMapping m = space.map(0x800, 0x2000, true, MemTxAttrs.UNSPECIFIED);
            space.unmap(m, 0x1000);
            assertEquals(List.of("memory@800 code 800+1000"), seen);
            assertTrue(code.getDirty(0x1000, 0x1000, DirtyLogClient.CODE));
        }
    }

    @Test
    void iommuTranslatedRamIsMappedDirectlyAcrossContiguousIommuPages() {
        IommuTest.PageTable t = new IommuTest.PageTable(0xfff);
        t.target = as;
        t.map(0x0, 0x4000, IommuPerm.RW);
        t.map(0x1000, 0x5000, IommuPerm.RW);
        t.map(0x2000, 0x9000, IommuPerm.RO);
        IommuRegion iommu = sys.iommu("iommu", 0x10000, t);
        ContainerRegion dmaRoot = sys.container("dma-root", MemoryRegion.SIZE_2_64);
        dmaRoot.addSubregion(iommu, 0);
        AddressSpace dma = sys.addressSpace("dma", dmaRoot);
        DmaMapping m = dma.map(0x800, 0x3000, true, MemTxAttrs.UNSPECIFIED);
        assertFalse(m.isBounce());
        assertEquals(0x1800, m.length()); // 0x4800..0x5fff; page 0x2000 maps elsewhere (and read-only)
        assertEquals(ram.segment().asSlice(0x4800, 0x1800).address(), m.segment().address());
        dma.unmap(m, 0);
        DmaMapping denied = dma.map(0x2000, 0x10, true, MemTxAttrs.UNSPECIFIED);
        assertTrue(denied.isBounce()); // the unassigned section is not direct
        dma.unmap(denied, 0x10); // the write-back is denied again: RAM unchanged
        assertEquals(0x00, ram.segment().get(ValueLayout.JAVA_BYTE, 0x9000));
    }
}
