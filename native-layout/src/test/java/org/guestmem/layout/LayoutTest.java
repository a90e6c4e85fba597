package org.guestmem.layout;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.PaddingLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Every native layout against the tables of its Javadoc: member offsets, sizes, alignment, the
 * derived {@code *_OFFSET} constants, and VarHandles that really read and write those bytes of a
 * native segment (host order, little-endian by definition).
 */
class LayoutTest {

    /** One documented member: name, offset, size. */
    record Member(String name, long offset, long size) {
    }

    static final List<Member> SECTION = List.of(
            new Member("start", 0, 8),
            new Member("size_minus_1", 8, 8),
            new Member("offset_in_region", 16, 8),
            new Member("host_addend", 24, 8),
            new Member("region_index", 32, 4),
            new Member("kind", 40, 1),
            new Member("flags", 41, 1),
            new Member("dirty_log_mask", 42, 1),
            new Member("dirty_bitmap", 48, 8),
            new Member("dirty_pages", 56, 8));

    static final List<Member> HEADER = List.of(
            new Member("magic", 0, 4),
            new Member("version", 4, 2),
            new Member("page_bits", 6, 1),
            new Member("reserved", 7, 1),
            new Member("section_count", 8, 4),
            new Member("index_count", 12, 4),
            new Member("sections_offset", 16, 8),
            new Member("index_offset", 24, 8),
            new Member("total_bytes", 32, 8));

    static final List<Member> SLOT = List.of(new Member("ctr", 0, 8));

    static final List<Member> DOMAIN = List.of(new Member("gp", 0, 8));

    static final List<Member> PUBLICATION = List.of(new Member("generation", 0, 8), new Member("tables", 8, 8));

    static final List<Member> TLB_ENTRY = List.of(
            new Member("addr_read", 0, 8),
            new Member("addr_write", 8, 8),
            new Member("addr_code", 16, 8),
            new Member("addend", 24, 8));

    static final List<Member> TLB = List.of(
            new Member("magic", 0, 4),
            new Member("version", 4, 2),
            new Member("page_bits", 6, 1),
            new Member("mmu_indexes", 7, 1),
            new Member("log2_entries", 8, 1),
            new Member("flags", 9, 1),
            new Member("table", 16, 8),
            new Member("rcu_slot", 24, 8),
            new Member("rcu_domain", 32, 8));

    static final List<Member> TLB_INDEX = List.of(
            new Member("publication", 0, 8),
            new Member("tables", 8, 8),
            new Member("generation", 16, 8),
            new Member("flags", 24, 4));

    private static void assertMembers(StructLayout layout, List<Member> documented, long size, long alignment) {
        List<Executable> checks = new ArrayList<>();
        for (Member m : documented) {
            MemoryLayout.PathElement p = MemoryLayout.PathElement.groupElement(m.name());
            checks.add(() -> assertEquals(m.offset(), layout.byteOffset(p), layout.name().orElse("?") + "." + m.name() + " offset"));
            checks.add(() -> assertEquals(m.size(), layout.select(p).byteSize(), layout.name().orElse("?") + "." + m.name() + " size"));
        }
        checks.add(() -> assertEquals(size, layout.byteSize(), layout.name().orElse("?") + " size"));
        checks.add(() -> assertEquals(alignment, layout.byteAlignment(), layout.name().orElse("?") + " alignment"));
        // nothing undocumented: every named member is in the table, the rest is padding
        Set<String> names = new HashSet<>();
        documented.forEach(m -> names.add(m.name()));
        for (MemoryLayout m : layout.memberLayouts()) {
            if (!(m instanceof PaddingLayout)) {
                checks.add(() -> assertTrue(names.contains(m.name().orElse("<unnamed>")),
                        "member " + m.name().orElse("<unnamed>") + " of " + layout.name().orElse("?") + " is not documented"));
            }
        }
        assertAll(checks);
    }

    @Test
    void sectionEntryShouldHaveTheDocumentedOffsetsSizesAndAlignment() {
        assertMembers(SectionLayout.LAYOUT, SECTION, 64, 8);
        assertEquals("guestmem_section", SectionLayout.LAYOUT.name().orElseThrow());
        assertEquals(64, SectionLayout.BYTES);
        assertAll(
                () -> assertEquals(0, SectionLayout.START_OFFSET),
                () -> assertEquals(8, SectionLayout.SIZE_MINUS_1_OFFSET),
                () -> assertEquals(16, SectionLayout.OFFSET_IN_REGION_OFFSET),
                () -> assertEquals(24, SectionLayout.HOST_ADDEND_OFFSET),
                () -> assertEquals(32, SectionLayout.REGION_INDEX_OFFSET),
                () -> assertEquals(40, SectionLayout.KIND_OFFSET),
                () -> assertEquals(41, SectionLayout.FLAGS_OFFSET),
                () -> assertEquals(42, SectionLayout.DIRTY_LOG_MASK_OFFSET),
                () -> assertEquals(48, SectionLayout.DIRTY_BITMAP_OFFSET),
                () -> assertEquals(56, SectionLayout.DIRTY_PAGES_OFFSET));
    }

    @Test
    void tlbEntryShouldBeQemusFourLongs() {
        assertMembers(TlbEntryLayout.LAYOUT, TLB_ENTRY, 32, 8);
        assertEquals("guestmem_tlb_entry", TlbEntryLayout.LAYOUT.name().orElseThrow());
        assertEquals(TlbEntryLayout.BYTES, 1L << TlbEntryLayout.SHIFT);
        assertAll(
                () -> assertEquals(0, TlbEntryLayout.ADDR_READ_OFFSET),
                () -> assertEquals(8, TlbEntryLayout.ADDR_WRITE_OFFSET),
                () -> assertEquals(16, TlbEntryLayout.ADDR_CODE_OFFSET),
                () -> assertEquals(24, TlbEntryLayout.ADDEND_OFFSET));
    }

    @Test
    void tlbFlagsShouldBeDistinctBitsBelowTheSmallestPageAndSetInTheEmptyTag() {
        long[] flags = {TlbEntryLayout.INVALID, TlbEntryLayout.MMIO, TlbEntryLayout.NOTDIRTY, TlbEntryLayout.CHECKED,
                TlbEntryLayout.DEVICE};
        long all = 0;
        for (long f : flags) {
            assertEquals(1, Long.bitCount(f), "flag " + f + " is one bit");
            assertEquals(0, all & f, "flag " + f + " overlaps another");
            assertEquals(f, f & TlbEntryLayout.FLAGS_MASK, "flag " + f + " is inside FLAGS_MASK");
            all |= f;
        }
        assertEquals((1L << 10) - 1, TlbEntryLayout.FLAGS_MASK, "flags fit a 1 KiB page, QEMU's smallest target page");
        assertEquals(TlbEntryLayout.INVALID, TlbEntryLayout.EMPTY & TlbEntryLayout.INVALID, "the empty tag is invalid");
        for (long page = 0; page < (1L << 20); page += 0x400) {
            assertNotEquals(TlbEntryLayout.EMPTY, page, "no page address equals the empty tag");
        }
        assertNotEquals(TlbEntryLayout.EMPTY, -1L & ~TlbEntryLayout.FLAGS_MASK, "not even the last page");
    }

    @Test
    void tlbDescriptorShouldHaveAHeaderLineAndOneHalfLinePerIndex() {
        assertMembers(TlbLayout.LAYOUT, TLB, 64, 8);
        assertMembers(TlbLayout.INDEX_LAYOUT, TLB_INDEX, 32, 8);
        assertEquals("guestmem_tlb", TlbLayout.LAYOUT.name().orElseThrow());
        assertEquals("guestmem_tlb_index", TlbLayout.INDEX_LAYOUT.name().orElseThrow());
        assertEquals(64, TlbLayout.indexOffset(0));
        assertEquals(64 + 3 * 32, TlbLayout.indexOffset(3));
        assertEquals(64 + 16 * 32, TlbLayout.bytes(TlbLayout.MAX_MMU_INDEXES));
        byte[] gmtl = {'G', 'M', 'T', 'L'};
        assertEquals(TlbLayout.MAGIC, MemorySegment.ofArray(gmtl).get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0),
                "MAGIC is \"GMTL\" read as a little-endian int");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment d = arena.allocate(TlbLayout.bytes(2), 64);
            TlbLayout.TABLE.set(d, 0L, 0x1111_2222_3333_4444L);
            TlbLayout.INDEX_GENERATION.set(d, TlbLayout.indexOffset(1), 0x5555_6666_7777_8888L);
            assertEquals(0x1111_2222_3333_4444L, d.get(ValueLayout.JAVA_LONG, 16));
            assertEquals(0x5555_6666_7777_8888L, d.get(ValueLayout.JAVA_LONG, 64 + 32 + 16), "index 1's generation");
        }
    }

    @Test
    void publicationAndDomainCellsShouldOwnTheirCacheLines() {
        assertMembers(PublicationLayout.LAYOUT, PUBLICATION, 64, 8);
        assertEquals("guestmem_publication", PublicationLayout.LAYOUT.name().orElseThrow());
        assertEquals(64, PublicationLayout.BYTES);
        assertMembers(RcuDomainLayout.LAYOUT, DOMAIN, 128, 8);
        assertEquals("guestmem_rcu_domain", RcuDomainLayout.LAYOUT.name().orElseThrow());
        assertEquals(128, RcuDomainLayout.BYTES);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = arena.allocate(PublicationLayout.LAYOUT);
            PublicationLayout.TABLES.setRelease(p, 0L, 0xabcdL);
            PublicationLayout.GENERATION.setRelease(p, 0L, 7L);
            assertEquals(7L, p.get(ValueLayout.JAVA_LONG, 0));
            assertEquals(0xabcdL, p.get(ValueLayout.JAVA_LONG, 8));
            MemorySegment g = arena.allocate(RcuDomainLayout.LAYOUT);
            RcuDomainLayout.GP.set(g, 0L, 1L);
            assertEquals(3L, (long) RcuDomainLayout.GP.getAndAdd(g, 0L, 2L) + 2L);
            assertEquals(3L, g.get(ValueLayout.JAVA_LONG, 0));
        }
    }

    @Test
    void dispatchHeaderShouldHaveTheDocumentedOffsetsSizesAndAlignment() {
        assertMembers(DispatchHeaderLayout.LAYOUT, HEADER, 64, 8);
        assertEquals("guestmem_dispatch_header", DispatchHeaderLayout.LAYOUT.name().orElseThrow());
        assertEquals(64, DispatchHeaderLayout.BYTES);
        for (Member m : HEADER) {
            assertEquals(m.offset(), DispatchHeaderLayout.offsetOf(m.name()), "offsetOf(" + m.name() + ")");
        }
        assertEquals(8, DispatchHeaderLayout.INDEX_ENTRY_BYTES);
        assertEquals(-1L, DispatchHeaderLayout.INDEX_PADDING, "padding is the largest unsigned value");
        byte[] gmdt = {'G', 'M', 'D', 'T'};
        assertEquals(DispatchHeaderLayout.MAGIC, MemorySegment.ofArray(gmdt).get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0),
                "MAGIC is \"GMDT\" read as a little-endian int");
    }

    @Test
    void rcuReaderSlotShouldOwnTwoCacheLinesWithTheCounterFirst() {
        assertMembers(RcuReaderSlotLayout.LAYOUT, SLOT, 128, 8);
        assertEquals("guestmem_rcu_reader_slot", RcuReaderSlotLayout.LAYOUT.name().orElseThrow());
        assertEquals(128, RcuReaderSlotLayout.SLOT_BYTES);
        assertEquals(0, RcuReaderSlotLayout.CTR_OFFSET);
    }

    @Test
    void sectionVarHandlesShouldWriteTheDocumentedBytesOfTheThirdEntryOfATable() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment table = arena.allocate(SectionLayout.LAYOUT.byteSize() * 4, SectionLayout.LAYOUT.byteAlignment());
            long base = 2 * SectionLayout.BYTES;
            SectionLayout.START.set(table, base, 0x1122_3344_5566_7788L);
            SectionLayout.SIZE_MINUS_1.set(table, base, -1L);
            SectionLayout.OFFSET_IN_REGION.set(table, base, 0x0102_0304_0506_0708L);
            SectionLayout.HOST_ADDEND.set(table, base, 0x8000_0000_0000_0001L);
            SectionLayout.REGION_INDEX.set(table, base, 0x7eadbeef);
            SectionLayout.KIND.set(table, base, (byte) SectionLayout.KIND_IOMMU);
            SectionLayout.FLAGS.set(table, base, (byte) 0x8f);
            SectionLayout.DIRTY_LOG_MASK.set(table, base, (byte) 7);
            SectionLayout.DIRTY_BITMAP.set(table, base, 0x7000_1000_2000_3000L);
            SectionLayout.DIRTY_PAGES.set(table, base, 0x40L);

            ValueLayout.OfLong le64 = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);
            ValueLayout.OfInt le32 = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN);
            assertAll(
                    () -> assertEquals(0x1122_3344_5566_7788L, table.get(le64, base)),
                    () -> assertEquals(-1L, table.get(le64, base + 8)),
                    () -> assertEquals(0x0102_0304_0506_0708L, table.get(le64, base + 16)),
                    () -> assertEquals(0x8000_0000_0000_0001L, table.get(le64, base + 24)),
                    () -> assertEquals(0x7eadbeef, table.get(le32, base + 32)),
                    () -> assertEquals(SectionLayout.KIND_IOMMU, table.get(ValueLayout.JAVA_BYTE, base + 40)),
                    () -> assertEquals((byte) 0x8f, table.get(ValueLayout.JAVA_BYTE, base + 41)),
                    () -> assertEquals(7, table.get(ValueLayout.JAVA_BYTE, base + 42)),
                    () -> assertEquals(0x7000_1000_2000_3000L, table.get(le64, base + 48)),
                    () -> assertEquals(0x40L, table.get(le64, base + 56)),
                    // and back through the handles
                    () -> assertEquals(0x1122_3344_5566_7788L, (long) SectionLayout.START.get(table, base)),
                    () -> assertEquals(-1L, (long) SectionLayout.SIZE_MINUS_1.get(table, base)),
                    () -> assertEquals(0x0102_0304_0506_0708L, (long) SectionLayout.OFFSET_IN_REGION.get(table, base)),
                    () -> assertEquals(0x8000_0000_0000_0001L, (long) SectionLayout.HOST_ADDEND.get(table, base)),
                    () -> assertEquals(0x7eadbeef, (int) SectionLayout.REGION_INDEX.get(table, base)),
                    () -> assertEquals((byte) SectionLayout.KIND_IOMMU, (byte) SectionLayout.KIND.get(table, base)),
                    () -> assertEquals((byte) 0x8f, (byte) SectionLayout.FLAGS.get(table, base)),
                    () -> assertEquals((byte) 7, (byte) SectionLayout.DIRTY_LOG_MASK.get(table, base)));
            assertEquals(0, table.get(le32, base + 36), "padding after region_index untouched");
            // neighbours untouched
            for (long i = 0; i < 2 * SectionLayout.BYTES; i++) {
                assertEquals(0, table.get(ValueLayout.JAVA_BYTE, i), "byte " + i + " of entries 0 and 1");
            }
            for (long i = 3 * SectionLayout.BYTES; i < 4 * SectionLayout.BYTES; i++) {
                assertEquals(0, table.get(ValueLayout.JAVA_BYTE, i), "byte " + i + " of entry 3");
            }
        }
    }

    @Test
    void headerVarHandlesShouldRoundTripAtTheDocumentedOffsets() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment h = arena.allocate(DispatchHeaderLayout.LAYOUT);
            DispatchHeaderLayout.MAGIC_FIELD.set(h, 0L, DispatchHeaderLayout.MAGIC);
            DispatchHeaderLayout.VERSION_FIELD.set(h, 0L, (short) 0x0102);
            DispatchHeaderLayout.PAGE_BITS.set(h, 0L, (byte) 12);
            DispatchHeaderLayout.RESERVED.set(h, 0L, (byte) 0x5a);
            DispatchHeaderLayout.SECTION_COUNT.set(h, 0L, 0x11111111);
            DispatchHeaderLayout.INDEX_COUNT.set(h, 0L, 0x22222222);
            DispatchHeaderLayout.SECTIONS_OFFSET.set(h, 0L, 0x4444_4444_4444_4444L);
            DispatchHeaderLayout.INDEX_OFFSET.set(h, 0L, 0x5555_5555_5555_5555L);
            DispatchHeaderLayout.TOTAL_BYTES.set(h, 0L, 0x7777_7777_7777_7777L);
            ValueLayout.OfLong le64 = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);
            ValueLayout.OfInt le32 = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN);
            assertAll(
                    () -> assertEquals('G', h.get(ValueLayout.JAVA_BYTE, 0)),
                    () -> assertEquals('T', h.get(ValueLayout.JAVA_BYTE, 3)),
                    () -> assertEquals((short) 0x0102, h.get(ValueLayout.JAVA_SHORT.withOrder(ByteOrder.LITTLE_ENDIAN), 4)),
                    () -> assertEquals(12, h.get(ValueLayout.JAVA_BYTE, 6)),
                    () -> assertEquals(0x5a, h.get(ValueLayout.JAVA_BYTE, 7)),
                    () -> assertEquals(0x11111111, h.get(le32, 8)),
                    () -> assertEquals(0x22222222, h.get(le32, 12)),
                    () -> assertEquals(0x4444_4444_4444_4444L, h.get(le64, 16)),
                    () -> assertEquals(0x5555_5555_5555_5555L, h.get(le64, 24)),
                    () -> assertEquals(0x7777_7777_7777_7777L, h.get(le64, 32)),
                    () -> assertEquals(0L, h.get(le64, 40), "padding untouched"),
                    () -> assertEquals(0L, h.get(le64, 48), "padding untouched"),
                    () -> assertEquals(0L, h.get(le64, 56), "padding untouched"),
                    () -> assertEquals((short) 0x0102, (short) DispatchHeaderLayout.VERSION_FIELD.get(h, 0L)),
                    () -> assertEquals(0x7777_7777_7777_7777L, (long) DispatchHeaderLayout.TOTAL_BYTES.get(h, 0L)));
        }
    }

    @Test
    void indexCountShouldBeTheSmallestPowerOfTwoHoldingOneStartPerRange() {
        assertEquals(1, DispatchHeaderLayout.indexCount(1), "only the unassigned section");
        assertEquals(1, DispatchHeaderLayout.indexCount(2), "one range");
        for (int sections = 3; sections < 5000; sections++) {
            int n = DispatchHeaderLayout.indexCount(sections);
            int ranges = sections - 1;
            assertEquals(1, Integer.bitCount(n), sections + " sections: " + n + " is a power of two");
            assertTrue(n >= ranges, sections + " sections: " + n + " entries hold " + ranges + " starts");
            assertTrue(n / 2 < ranges, sections + " sections: " + n + " is the smallest");
        }
    }

    @Test
    void rcuSlotCounterHandleShouldAddressTheFirstLongOfEachSlot() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment slots = arena.allocate(RcuReaderSlotLayout.SLOT_BYTES * 2, 128);
            RcuReaderSlotLayout.CTR.setRelease(slots, RcuReaderSlotLayout.SLOT_BYTES, 0x0123_4567_89ab_cdefL);
            assertEquals(0x0123_4567_89ab_cdefL, slots.get(ValueLayout.JAVA_LONG, RcuReaderSlotLayout.SLOT_BYTES));
            assertEquals(0x0123_4567_89ab_cdefL, (long) RcuReaderSlotLayout.CTR.getAcquire(slots, RcuReaderSlotLayout.SLOT_BYTES));
            assertEquals(0L, slots.get(ValueLayout.JAVA_LONG, 0), "the first slot is untouched");
        }
    }

    @Test
    void kindsAndFlagsShouldBeDistinct() {
        int[] kinds = {SectionLayout.KIND_UNASSIGNED, SectionLayout.KIND_RAM, SectionLayout.KIND_ROM, SectionLayout.KIND_ROMD,
                SectionLayout.KIND_MMIO, SectionLayout.KIND_IOMMU};
        Set<Integer> seen = new HashSet<>();
        for (int k : kinds) {
            assertTrue(seen.add(k), "kind " + k + " repeats");
            assertTrue(k >= 0 && k < 256, "kind " + k + " fits the byte");
        }
        assertEquals(0, SectionLayout.KIND_UNASSIGNED, "a zero-filled entry is unassigned");
        int[] flags = {SectionLayout.FLAG_READONLY, SectionLayout.FLAG_NONVOLATILE, SectionLayout.FLAG_ROMD_MODE, SectionLayout.FLAG_ROOT,
                SectionLayout.FLAG_NO_HOST};
        int all = 0;
        for (int f : flags) {
            assertEquals(1, Integer.bitCount(f), "flag " + f + " is one bit");
            assertEquals(0, all & f, "flag " + f + " overlaps another");
            all |= f;
        }
        assertTrue(all < 256, "flags fit the byte");
        assertNotEquals(0, DispatchHeaderLayout.VERSION);
    }
}
