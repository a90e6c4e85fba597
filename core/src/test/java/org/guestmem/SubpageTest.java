package org.guestmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.guestmem.rcu.RcuReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * QEMU's subpages: regions smaller than a page, or not page-aligned, translate correctly at every
 * byte (spec 5.2, 5.5, 5.6). Page 0: RAM {@code 0x0-0xfff} with a 0x400-byte MMIO region over it
 * at {@code 0x800} (priority 1). Page 1: a 0x400-byte MMIO region at {@code 0x1400}, the rest of
 * the page a hole. Every byte of both pages is probed through {@code translate} and typed loads,
 * through {@link AddressSpace} and {@link AddressSpaceAccessor}; accesses straddling a sub-page
 * boundary follow QEMU: typed loads go whole to the region of their first byte (a RAM section
 * clamps {@code l} below the size, so the load answers 0 with DECODE_ERROR), buffer reads split
 * where {@code memory_access_size} and the RAM clamp say.
 */
class SubpageTest {
    static final long DEV_A = 0x800;
    static final long DEV_B = 0x1400;

    MemorySystem sys;
    RamRegion ram;
    MmioRegion devA;
    MmioRegion devB;
    AddressSpace as;
    RcuReader reader;
    AddressSpaceAccessor acc;
    final List<String> devWrites = new ArrayList<>();

    /** RAM contents. */
    static int ramByte(long x) {
        return (int) ((x * 13 + 5) & 0xff);
    }

    /** Device A's byte at offset x (it answers beyond its 0x400 bytes too: QEMU does not bound-check). */
    static int aByte(long x) {
        return (int) ((x * 7 + 0x31) & 0xff);
    }

    static int bByte(long x) {
        return (int) ((x * 11 + 0x17) & 0xff);
    }

    static MemoryRegionOps ops(String name, java.util.function.LongUnaryOperator bytes, boolean implUnaligned, List<String> writes) {
        return MemoryRegionOps.builder()
                .endianness(Endianness.LITTLE)
                .valid(1, 8, true)
                .impl(1, 8, implUnaligned)
                .read((addr, size) -> {
                    long v = 0;
                    for (int i = 0; i < size; i++) {
                        v |= bytes.applyAsLong(addr + i) << (8 * i);
                    }
                    return v;
                })
                .write((addr, value, size) -> writes.add(name + ".write(0x" + Long.toHexString(addr) + ", " + size + ", 0x" + Long.toHexString(value) + ")"))
                .build();
    }

    @BeforeEach
    void setUp() {
        sys = MemorySystem.create();
        ContainerRegion root = sys.container("system", MemoryRegion.SIZE_2_64);
        ram = sys.ram("ram", 0x1000);
        for (long i = 0; i < 0x1000; i++) {
            ram.segment().set(ValueLayout.JAVA_BYTE, i, (byte) ramByte(i));
        }
        devA = sys.mmio("devA", 0x400, ops("devA", SubpageTest::aByte, false, devWrites));
        devB = sys.mmio("devB", 0x400, ops("devB", SubpageTest::bByte, true, devWrites));
        try (MemoryTransaction tx = sys.begin()) {
            root.addSubregion(ram, 0);
            root.addSubregionOverlap(devA, DEV_A, 1);
            root.addSubregion(devB, DEV_B);
        }
        as = sys.addressSpace("memory", root);
        reader = sys.rcu().register();
        acc = as.accessor(reader);
    }

    @AfterEach
    void tearDown() {
        reader.close();
        sys.close();
    }

    /** What serves an address: region (null for a hole), offset in it, and the last address of its piece. */
    record Piece(MemoryRegion region, long offset, long first, long last) {
    }

    Piece at(long a) {
        if (a < 0x800) {
            return new Piece(ram, a, 0, 0x7ff);
        } else if (a < 0xc00) {
            return new Piece(devA, a - DEV_A, 0x800, 0xbff);
        } else if (a < 0x1000) {
            return new Piece(ram, a, 0xc00, 0xfff);
        } else if (a < 0x1400) {
            return new Piece(null, a, 0x1000, 0x13ff);
        } else if (a < 0x1800) {
            return new Piece(devB, a - DEV_B, 0x1400, 0x17ff);
        }
        return new Piece(null, a, 0x1800, 0x1fff);
    }

    /** The byte a direct or MMIO access sees at offset {@code off} of {@code region}. */
    int byteOf(MemoryRegion region, long off) {
        if (region == ram) {
            return ramByte(off);
        } else if (region == devA) {
            return aByte(off);
        } else if (region == devB) {
            return bByte(off);
        }
        return 0;
    }

    List<GuestMemory> paths() {
        return List.of(as, acc);
    }

    @Test
    void flatViewShouldShowRamAroundTheMmioHoleOfPageZeroAndTheLoneRegionOfPageOne() {
        List<FlatRange> r = as.currentView().ranges();
        assertEquals(4, r.size(), r.toString());
        assertEquals(new FlatRange(0, 0x7ff, ram, 0, false, true, false, 0), r.get(0));
        assertEquals(new FlatRange(0x800, 0xbff, devA, 0, false, true, false, 0), r.get(1));
        assertEquals(new FlatRange(0xc00, 0xfff, ram, 0xc00, false, true, false, 0), r.get(2));
        assertEquals(new FlatRange(0x1400, 0x17ff, devB, 0, false, true, false, 0), r.get(3));
    }

    @Test
    void translateShouldResolveEveryByteOfBothPages() {
        for (GuestMemory m : paths()) {
            reader.enter();
            try {
                for (long a = 0; a < 0x2000; a++) {
                    Piece p = at(a);
                    Translation t = m.translate(a, 16, false);
                    String where = m.getClass().getSimpleName() + " translate(0x" + Long.toHexString(a) + ")";
                    assertSame(p.region(), t.section().region(), where + " region");
                    assertEquals(p.offset(), t.offsetInRegion(), where + " offset in region");
                    if (p.region() == ram) {
                        assertEquals(Math.min(16, p.last() - a + 1), t.length(), where + ": RAM clamps to its section");
                        assertEquals(p.first(), t.section().offsetWithinAddressSpace(), where + " section start");
                        assertEquals(p.last() - p.first(), t.section().sizeMinusOne(), where + " section size");
                        assertEquals(p.first(), t.section().offsetWithinRegion(), where + " section offset within region");
                    } else if (p.region() != null) {
                        assertEquals(16, t.length(), where + ": MMIO lengths are not clamped");
                        assertEquals(p.first(), t.section().offsetWithinAddressSpace(), where + " section start");
                        assertEquals(0x3ff, t.section().sizeMinusOne(), where + " section size");
                        assertEquals(0, t.section().offsetWithinRegion(), where + " section offset within region");
                    } else {
                        assertEquals(16, t.length(), where + ": hole");
                        assertEquals(0, t.section().offsetWithinAddressSpace(), where + ": QEMU's section 0 covers everything");
                        assertEquals(-1L, t.section().sizeMinusOne(), where + ": 2^64 bytes");
                        assertEquals(a, t.offsetInRegion(), where + ": xlat of the unassigned section is the address");
                    }
                    assertFalse(t.section().readonly(), where);
                }
            } finally {
                reader.exit();
            }
        }
    }

    @Test
    void typedLoadsAtEveryByteShouldGoWholeToTheRegionOfTheFirstByte() {
        List<String> bad = new ArrayList<>();
        for (GuestMemory m : paths()) {
            reader.enter();
            try {
                for (long a = 0; a < 0x2000; a++) {
                    for (int size : new int[] {1, 2, 4, 8}) {
                        for (ByteOrder order : new ByteOrder[] {ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN}) {
                            Piece p = at(a);
                            long want = 0;
                            MemTxResult wantR = MemTxResult.OK;
                            if (p.region() == null || (p.region() == ram && a + size - 1 > p.last())) {
                                wantR = MemTxResult.DECODE_ERROR; // hole, or RAM section shorter than the access (l < size)
                            } else {
                                for (int i = 0; i < size; i++) {
                                    int b = byteOf(p.region(), p.offset() + i);
                                    want |= (long) b << (8 * (order == ByteOrder.LITTLE_ENDIAN ? i : size - 1 - i));
                                }
                            }
                            MemTxResult[] r = new MemTxResult[1];
                            long got = m.load(a, size, order, MemTxAttrs.UNSPECIFIED, r);
                            if (got != want || r[0] != wantR) {
                                bad.add(m.getClass().getSimpleName() + " load(0x" + Long.toHexString(a) + ", " + size + ", " + order
                                        + "): want 0x" + Long.toHexString(want) + " " + wantR + ", got 0x" + Long.toHexString(got) + " " + r[0]);
                            }
                        }
                    }
                }
            } finally {
                reader.exit();
            }
        }
        if (!bad.isEmpty()) {
            fail(bad.size() + " loads differ, first ones:\n" + String.join("\n", bad.subList(0, Math.min(20, bad.size()))));
        }
    }

    /** QEMU's flatview_read_continue over this map: the expected bytes and result of a buffer read. */
    Object[] modelRead(long addr, int len) {
        byte[] out = new byte[len];
        int result = 0;
        int pos = 0;
        while (pos < len) {
            Piece p = at(addr);
            long remaining = len - pos;
            int l;
            if (p.region() == ram) {
                l = (int) Math.min(remaining, p.last() - addr + 1);
                for (int i = 0; i < l; i++) {
                    out[pos + i] = (byte) ramByte(p.offset() + i);
                }
            } else if (p.region() != null) {
                // memory_access_size: valid.max 8; devA has impl.unaligned false (bound by the offset's alignment)
                long max = 8;
                if (p.region() == devA && p.offset() != 0) {
                    max = Math.min(max, p.offset() & -p.offset());
                }
                l = Integer.highestOneBit((int) Math.min(remaining, max));
                for (int i = 0; i < l; i++) {
                    out[pos + i] = (byte) byteOf(p.region(), p.offset() + i); // the whole piece from the device
                }
            } else {
                // unassigned: valid.max 0 -> 4, impl.unaligned false, xlat = addr
                long max = 4;
                if (addr != 0 && (addr & -addr) < max) {
                    max = addr & -addr;
                }
                l = Integer.highestOneBit((int) Math.min(remaining, max));
                result |= MemTxResult.DECODE_ERROR.bits();
            }
            pos += l;
            addr += l;
        }
        return new Object[] {out, MemTxResult.ofBits(result)};
    }

    @Test
    void bufferReadsAcrossSubpageBoundariesShouldSplitAsQemusLoopDoes() {
        long[] boundaries = {0x800, 0xc00, 0x1000, 0x1400, 0x1800};
        HexFormat hex = HexFormat.of();
        List<String> bad = new ArrayList<>();
        for (GuestMemory m : paths()) {
            for (long b : boundaries) {
                for (long a = b - 12; a <= b + 4; a++) {
                    for (int len : new int[] {1, 3, 8, 16}) {
                        Object[] want = modelRead(a, len);
                        byte[] got = new byte[len];
                        Arrays.fill(got, (byte) 0x5a);
                        MemTxResult r = m.read(a, MemTxAttrs.UNSPECIFIED, MemorySegment.ofArray(got));
                        if (!Arrays.equals((byte[]) want[0], got) || r != want[1]) {
                            bad.add(m.getClass().getSimpleName() + " read(0x" + Long.toHexString(a) + ", " + len + "): want "
                                    + hex.formatHex((byte[]) want[0]) + " " + want[1] + ", got " + hex.formatHex(got) + " " + r);
                        }
                    }
                }
            }
        }
        if (!bad.isEmpty()) {
            fail(bad.size() + " reads differ, first ones:\n" + String.join("\n", bad.subList(0, Math.min(20, bad.size()))));
        }
    }

    @Test
    void eightBytesAcrossEachBoundaryShouldShowTheDocumentedPieces() {
        for (GuestMemory m : paths()) {
            byte[] buf = new byte[8];
            // RAM 0x7fc..0x7ff, then devA at offset 0 (aligned, up to valid.max 8: the 4 remaining bytes)
            assertEquals(MemTxResult.OK, m.read(0x7fc, buf, 0, 8));
            assertEquals(List.of(ramByte(0x7fc), ramByte(0x7fd), ramByte(0x7fe), ramByte(0x7ff), aByte(0), aByte(1), aByte(2), aByte(3)), ints(buf));
            // devA at offset 0x3fe: impl.unaligned false bounds the piece to 2 bytes, then RAM 0xc00..
            assertEquals(MemTxResult.OK, m.read(0xbfe, buf, 0, 8));
            assertEquals(List.of(aByte(0x3fe), aByte(0x3ff), ramByte(0xc00), ramByte(0xc01), ramByte(0xc02), ramByte(0xc03),
                    ramByte(0xc04), ramByte(0xc05)), ints(buf));
            // devB at offset 0x3fc with impl.unaligned: one 8-byte device read reaching past the region (MMIO is not clamped)
            assertEquals(MemTxResult.OK, m.read(0x17fc, buf, 0, 8));
            assertEquals(List.of(bByte(0x3fc), bByte(0x3fd), bByte(0x3fe), bByte(0x3ff), bByte(0x400), bByte(0x401), bByte(0x402),
                    bByte(0x403)), ints(buf));
            // RAM end 0xffc..0xfff then the hole of page 1: a rejected 4-byte read
            Arrays.fill(buf, (byte) 0x5a);
            assertEquals(MemTxResult.DECODE_ERROR, m.read(0xffc, buf, 0, 8));
            assertEquals(List.of(ramByte(0xffc), ramByte(0xffd), ramByte(0xffe), ramByte(0xfff), 0, 0, 0, 0), ints(buf));
        }
    }

    @Test
    void bufferWriteAcrossRamAndMmioShouldSplitAtTheBoundary() {
        for (GuestMemory m : paths()) {
            devWrites.clear();
            byte[] data = {1, 2, 3, 4, 5, 6, 7, 8};
            assertEquals(MemTxResult.OK, m.write(0x7fc, data, 0, 8));
            assertEquals(0x04030201, ram.segment().get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0x7fc));
            assertEquals(List.of("devA.write(0x0, 4, 0x8070605)"), devWrites);
            devWrites.clear();
            assertEquals(MemTxResult.OK, m.write(0xbff, data, 0, 8));
            assertEquals(List.of("devA.write(0x3ff, 1, 0x1)"), devWrites, "devA at an odd offset takes one byte");
            for (int i = 1; i < 8; i++) {
                assertEquals(i + 1, ram.segment().get(ValueLayout.JAVA_BYTE, 0xbff + i), "RAM byte 0x" + Long.toHexString(0xbff + i));
            }
            ram.segment().asSlice(0x7fc, 4).copyFrom(MemorySegment.ofArray(new byte[] {(byte) ramByte(0x7fc), (byte) ramByte(0x7fd),
                    (byte) ramByte(0x7fe), (byte) ramByte(0x7ff)}));
            for (int i = 1; i < 8; i++) {
                ram.segment().set(ValueLayout.JAVA_BYTE, 0xbff + i, (byte) ramByte(0xbff + i));
            }
        }
    }

    @Test
    void holeBytesOfTheSubpageShouldBeUnassigned() {
        for (GuestMemory m : paths()) {
            reader.enter();
            try {
                assertNull(m.translate(0x13ff, 1, false).section().region());
                assertNull(m.translate(0x1800, 1, false).section().region());
                assertSame(devB, m.translate(0x1400, 1, false).section().region());
                assertSame(devB, m.translate(0x17ff, 1, false).section().region());
                MemTxResult[] r = new MemTxResult[1];
                assertEquals(0, m.load(0x13fc, 4, ByteOrder.LITTLE_ENDIAN, MemTxAttrs.UNSPECIFIED, r));
                assertEquals(MemTxResult.DECODE_ERROR, r[0]);
                assertEquals(MemTxResult.DECODE_ERROR, m.store(0x1000, 4, 1, ByteOrder.LITTLE_ENDIAN, MemTxAttrs.UNSPECIFIED));
            } finally {
                reader.exit();
            }
        }
    }

    /**
     * The same shapes with target pages of 1 KiB, 4 KiB and 64 KiB (QEMU's TARGET_PAGE_BITS 10 to
     * 16): the accessor's cache works on 4 KiB pages whatever the target's, so with 1 KiB pages a
     * cache page spans four dispatch pages, and with 64 KiB pages sixteen cache pages share one
     * subpage. RAM {@code 0x0-0x1ffff}, MMIO of 0x400 bytes over it at {@code 0x10800}, MMIO of
     * 0x400 bytes alone at {@code 0x31400}; every byte of {@code [0, 0x40000)} is checked.
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "page bits {0}")
    @org.junit.jupiter.params.provider.ValueSource(ints = {10, 12, 16})
    void everyByteShouldTranslateAndLoadCorrectlyWhateverTheTargetPageSize(int pageBits) {
        try (MemorySystem s = MemorySystem.builder().pageBits(pageBits).build()) {
            ContainerRegion root = s.container("system", MemoryRegion.SIZE_2_64);
            RamRegion r = s.ram("ram", 0x20000);
            for (long i = 0; i < 0x20000; i++) {
                r.segment().set(ValueLayout.JAVA_BYTE, i, (byte) ramByte(i));
            }
            List<String> w = new ArrayList<>();
            MmioRegion a = s.mmio("devA", 0x400, ops("devA", SubpageTest::aByte, true, w));
            MmioRegion b = s.mmio("devB", 0x400, ops("devB", SubpageTest::bByte, true, w));
            try (MemoryTransaction tx = s.begin()) {
                root.addSubregion(r, 0);
                root.addSubregionOverlap(a, 0x10800, 1);
                root.addSubregion(b, 0x31400);
            }
            AddressSpace space = s.addressSpace("memory", root);
            try (RcuReader rd = s.rcu().register()) {
                AddressSpaceAccessor ac = space.accessor(rd);
                List<String> bad = new ArrayList<>();
                for (GuestMemory m : List.<GuestMemory>of(space, ac)) {
                    rd.enter();
                    try {
                        for (long addr = 0; addr < 0x40000; addr++) {
                            MemoryRegion want;
                            long off;
                            if (addr >= 0x10800 && addr < 0x10c00) {
                                want = a;
                                off = addr - 0x10800;
                            } else if (addr < 0x20000) {
                                want = r;
                                off = addr;
                            } else if (addr >= 0x31400 && addr < 0x31800) {
                                want = b;
                                off = addr - 0x31400;
                            } else {
                                want = null;
                                off = addr;
                            }
                            Translation t = m.translate(addr, 1, false);
                            int wantByte = want == null ? 0 : want == r ? ramByte(off) : want == a ? aByte(off) : bByte(off);
                            long got = m.ld8(addr);
                            if (t.section().region() != want || t.offsetInRegion() != off || got != wantByte) {
                                bad.add(m.getClass().getSimpleName() + " 0x" + Long.toHexString(addr) + ": want " + (want == null ? "hole" : want.name())
                                        + " @0x" + Long.toHexString(off) + " byte 0x" + Integer.toHexString(wantByte) + ", got "
                                        + (t.section().region() == null ? "hole" : t.section().region().name()) + " @0x"
                                        + Long.toHexString(t.offsetInRegion()) + " byte 0x" + Long.toHexString(got));
                            }
                        }
                        // 8-byte loads at every 8th byte (a second pass, now with a warm cache)
                        for (long addr = 0; addr < 0x40000; addr += 8) {
                            long want = 0;
                            for (int i = 0; i < 8; i++) {
                                long x = addr + i;
                                int v = x >= 0x10800 && x < 0x10c00 ? aByte(x - 0x10800) : x < 0x20000 ? ramByte(x)
                                        : x >= 0x31400 && x < 0x31800 ? bByte(x - 0x31400) : 0;
                                want |= (long) v << (8 * i);
                            }
                            long got = m.ld64le(addr);
                            if (got != want) {
                                bad.add(m.getClass().getSimpleName() + " ld64le(0x" + Long.toHexString(addr) + "): want 0x"
                                        + Long.toHexString(want) + ", got 0x" + Long.toHexString(got));
                            }
                        }
                    } finally {
                        rd.exit();
                    }
                }
                if (!bad.isEmpty()) {
                    fail("page bits " + pageBits + ": " + bad.size() + " probes differ, first ones:\n"
                            + String.join("\n", bad.subList(0, Math.min(20, bad.size()))));
                }
            }
        }
    }

    /**
     * With 1 KiB target pages, RAM filling the second 1 KiB page of a 4 KiB block whose first
     * 1 KiB page is unmapped: the accessor (4 KiB cache pages) must not cache the whole block as
     * unassigned after touching its first byte. The dispatch table is right (QEMU's
     * {@code phys_page_find} on page {@code 0x1400 >> 10} gives the RAM section), and so is
     * {@link AddressSpace}.
     */
    @Test
    void withOneKibTargetPagesAHoleAtTheStartOfACachePageShouldNotHideRamLaterInIt() {
        try (MemorySystem s = MemorySystem.builder().pageBits(10).build()) {
            ContainerRegion root = s.container("system", MemoryRegion.SIZE_2_64);
            RamRegion r = s.ram("ram", 0x400);
            root.addSubregion(r, 0x1400);
            AddressSpace space = s.addressSpace("memory", root);
            try (RcuReader rd = s.rcu().register()) {
                AddressSpaceAccessor ac = space.accessor(rd);
                rd.enter();
                try {
                    assertEquals(0, ac.ld8(0x1000), "the hole before the RAM");
                    assertEquals(MemTxResult.DECODE_ERROR, ac.lastResult());
                    assertEquals(MemTxResult.OK, ac.st8(0x1400, 0x42), "the RAM at 0x1400");
                    assertEquals(0x42, ac.ld8(0x1400));
                    assertEquals(MemTxResult.OK, ac.lastResult());
                } finally {
                    rd.exit();
                }
                assertEquals(0x42, r.segment().get(ValueLayout.JAVA_BYTE, 0));
                assertEquals(0x42, space.ld8(0x1400));
            }
        }
    }

    /** The last page of the 2^64-byte space: addresses near 2^64 translate and load through both paths. */
    @Test
    void theLastPageOfTheAddressSpaceShouldWork() {
        try (MemorySystem s = MemorySystem.create()) {
            ContainerRegion root = s.container("system", MemoryRegion.SIZE_2_64);
            RamRegion top = s.ram("top", 0x1000);
            for (long i = 0; i < 0x1000; i++) {
                top.segment().set(ValueLayout.JAVA_BYTE, i, (byte) ramByte(i));
            }
            root.addSubregion(top, 0xffff_ffff_ffff_f000L);
            AddressSpace space = s.addressSpace("memory", root);
            try (RcuReader rd = s.rcu().register()) {
                AddressSpaceAccessor ac = space.accessor(rd);
                for (GuestMemory m : List.<GuestMemory>of(space, ac)) {
                    for (int round = 0; round < 2; round++) {
                        long v = m.ld64le(0xffff_ffff_ffff_fff8L);
                        assertEquals(top.segment().get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0xff8), v);
                        assertEquals(ramByte(0xfff), m.ld8(-1L));
                        MemTxResult[] r = new MemTxResult[1];
                        assertEquals(0, m.load(0xffff_ffff_ffff_fffcL, 8, ByteOrder.LITTLE_ENDIAN, MemTxAttrs.UNSPECIFIED, r),
                                "a load that would wrap past 2^64 is longer than the section");
                        assertEquals(MemTxResult.DECODE_ERROR, r[0]);
                        Translation t = m.translate(-1L, 16, false);
                        assertSame(top, t.section().region());
                        assertEquals(0xfff, t.offsetInRegion());
                        assertEquals(1, t.length());
                        assertNull(m.translate(0xffff_ffff_ffff_efffL, 1, false).section().region());
                    }
                }
            }
        }
    }

    static List<Integer> ints(byte[] b) {
        List<Integer> out = new ArrayList<>();
        for (byte x : b) {
            out.add(x & 0xff);
        }
        return out;
    }
}
