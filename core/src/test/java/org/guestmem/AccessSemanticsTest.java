package org.guestmem;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.guestmem.AccessRig.Dev;
import org.guestmem.AccessRig.Via;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * QEMU 7.2's access semantics (spec section 6) through {@link AddressSpace} and
 * {@link AddressSpaceAccessor}, inside and outside read sections: buffer accesses crossing
 * regions with the OR-ed {@link MemTxResult}, unassigned accesses, ROM writes and
 * {@link AddressSpace#writeRom}, ROM devices in and out of romd mode, device byte order (big,
 * little, native on both targets), {@link MemTxAttrs#memory()}, loads straddling the end of RAM
 * and writes through a readonly alias.
 */
class AccessSemanticsTest {
    static final ValueLayout.OfInt LE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    static byte[] pattern(int len, int mul, int add) {
        byte[] b = new byte[len];
        for (int i = 0; i < len; i++) {
            b[i] = (byte) (i * mul + add);
        }
        return b;
    }

    static RamRegion filledRam(MemorySystem sys, String name, int size, int mul, int add) {
        RamRegion r = sys.ram(name, size);
        MemorySegment.copy(MemorySegment.ofArray(pattern(size, mul, add)), 0, r.segment(), 0, size);
        return r;
    }

    static byte[] le32(long v) {
        return new byte[] {(byte) v, (byte) (v >>> 8), (byte) (v >>> 16), (byte) (v >>> 24)};
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int pos = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, pos, p.length);
            pos += p.length;
        }
        return out;
    }

    static byte[] slice(MemorySegment seg, long off, int len) {
        return seg.asSlice(off, len).toArray(ValueLayout.JAVA_BYTE);
    }

    // ------------------------------------------------------------------ cross-region buffers

    /**
     * RAM {@code 0x1000-0x1fff}, a 16-byte MMIO device at {@code 0x2000} whose with-attrs callbacks
     * answer ERROR at offset 8 (reads) or 4 (writes), a hole up to {@code 0x2fff}, RAM from
     * {@code 0x3000}.
     */
    static final class CrossRig implements AutoCloseable {
        final AccessRig rig;
        final Dev dev = new Dev();
        final RamRegion ram1;
        final RamRegion ram2;

        CrossRig(Via via) {
            rig = new AccessRig(via);
            ram1 = filledRam(rig.sys, "ram1", 0x1000, 3, 1);
            ram2 = filledRam(rig.sys, "ram2", 0x1000, 5, 2);
            MmioRegion mmio = rig.sys.mmio("dev", 0x10, MemoryRegionOps.builder()
                    .endianness(Endianness.LITTLE)
                    .readWithAttrs((addr, size, attrs, data) -> {
                        data[0] = 0xC0DE_0000L | addr;
                        dev.read(addr, size, data[0]);
                        return addr == 8 ? MemTxResult.ERROR : MemTxResult.OK;
                    })
                    .writeWithAttrs((addr, value, size, attrs) -> {
                        dev.write(addr, size, value);
                        return addr == 4 ? MemTxResult.ERROR : MemTxResult.OK;
                    })
                    .build());
            rig.root.addSubregion(ram1, 0x1000);
            rig.root.addSubregion(mmio, 0x2000);
            rig.root.addSubregion(ram2, 0x3000);
            rig.start();
        }

        @Override
        public void close() {
            rig.close();
        }
    }

    @ParameterizedTest
    @EnumSource(Via.class)
    void bufferReadFromRamThroughMmioAndAHoleIntoRamShouldOrTheResultsAndFillEveryPiece(Via via) {
        try (CrossRig c = new CrossRig(via)) {
            int len = 0x3008 - 0x1ff8;
            byte[] got = new byte[len];
            Arrays.fill(got, (byte) 0x5a);
            MemTxResult r = c.rig.mem().read(0x1ff8, MemTxAttrs.UNSPECIFIED, MemorySegment.ofArray(got));
            assertEquals(MemTxResult.ERROR.or(MemTxResult.DECODE_ERROR), r, "device ERROR at offset 8 | DECODE_ERROR of the hole");
            byte[] want = concat(Arrays.copyOfRange(pattern(0x1000, 3, 1), 0xff8, 0x1000),
                    le32(0xC0DE_0000L), le32(0xC0DE_0004L), le32(0xC0DE_0008L), le32(0xC0DE_000CL),
                    new byte[0x3000 - 0x2010], // the hole reads as zeros
                    Arrays.copyOf(pattern(0x1000, 5, 2), 8));
            assertArrayEquals(want, got);
            assertEquals(List.of("read(0x0, 4) = 0xc0de0000", "read(0x4, 4) = 0xc0de0004", "read(0x8, 4) = 0xc0de0008",
                    "read(0xc, 4) = 0xc0de000c"), c.dev.take(), "memory_access_size: valid.max 0 means 4-byte pieces");
        }
    }

    @ParameterizedTest
    @EnumSource(Via.class)
    void bufferWriteFromRamThroughMmioAndAHoleIntoRamShouldOrTheResultsAndStoreEveryPiece(Via via) {
        try (CrossRig c = new CrossRig(via)) {
            int len = 0x3008 - 0x1ff8;
            byte[] data = pattern(len, 7, 0x40);
            MemTxResult r = c.rig.mem().write(0x1ff8, MemTxAttrs.UNSPECIFIED, MemorySegment.ofArray(data));
            assertEquals(MemTxResult.ERROR.or(MemTxResult.DECODE_ERROR), r);
            assertArrayEquals(Arrays.copyOfRange(data, 0, 8), slice(c.ram1.segment(), 0xff8, 8));
            assertArrayEquals(Arrays.copyOfRange(data, len - 8, len), slice(c.ram2.segment(), 0, 8));
            assertArrayEquals(Arrays.copyOfRange(pattern(0x1000, 5, 2), 8, 0x1000), slice(c.ram2.segment(), 8, 0x1000 - 8), "rest of ram2 untouched");
            List<String> want = new ArrayList<>();
            for (int off = 0; off < 16; off += 4) {
                long v = MemorySegment.ofArray(data).get(LE32, 8 + off) & 0xffff_ffffL;
                want.add("write(0x" + Integer.toHexString(off) + ", 4, 0x" + Long.toHexString(v) + ")");
            }
            assertEquals(want, c.dev.take());
        }
    }

    // ------------------------------------------------------------------ unassigned

    @ParameterizedTest
    @EnumSource(Via.class)
    void holesShouldReadZeroAndAnswerDecodeErrorForEverySizeAndOrder(Via via) {
        try (AccessRig rig = new AccessRig(via)) {
            rig.root.addSubregion(rig.sys.ram("ram", 0x1000), 0);
            rig.start();
            GuestMemory m = rig.mem();
            for (long addr : new long[] {0x1000, 0x5003, 0xffff_ffff_ffff_fff8L}) {
                for (int size : new int[] {1, 2, 4, 8}) {
                    for (ByteOrder o : new ByteOrder[] {ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN}) {
                        MemTxResult[] r = new MemTxResult[1];
                        assertEquals(0, m.load(addr, size, o, MemTxAttrs.UNSPECIFIED, r));
                        assertSame(MemTxResult.DECODE_ERROR, r[0]);
                        assertSame(MemTxResult.DECODE_ERROR, m.store(addr, size, -1L, o, MemTxAttrs.UNSPECIFIED));
                    }
                }
                byte[] buf = new byte[8];
                Arrays.fill(buf, (byte) 0x5a);
                assertSame(MemTxResult.DECODE_ERROR, m.read(addr, buf, 0, 8));
                assertArrayEquals(new byte[8], buf, "QEMU stores the 0 of every rejected piece into the buffer");
                assertSame(MemTxResult.DECODE_ERROR, m.write(addr, buf, 0, 8));
                Translation t = m.translate(addr, 8, false);
                assertNull(t.section().region());
                assertTrue(t.section().isUnassigned());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Via.class)
    void eightBytesFromARejectingRegionShouldBeTwoRejectedFourByteAccesses(Via via) {
        try (AccessRig rig = new AccessRig(via)) {
            Dev dev = new Dev();
            MmioRegion rej = rig.sys.mmio("rejecting", 0x100, MemoryRegionOps.builder()
                    .read((addr, size) -> {
                        dev.read(addr, size, 0);
                        return -1L;
                    })
                    .write((addr, value, size) -> dev.write(addr, size, value))
                    .accepts((addr, size, isWrite, attrs) -> {
                        dev.log.add("accepts(0x" + Long.toHexString(addr) + ", " + size + ", " + (isWrite ? "write" : "read") + ") = false");
                        return false;
                    })
                    .build());
            rig.root.addSubregion(rej, 0x6000);
            rig.start();
            GuestMemory m = rig.mem();
            byte[] buf = new byte[8];
            Arrays.fill(buf, (byte) 0x5a);
            assertSame(MemTxResult.DECODE_ERROR, m.read(0x6000, buf, 0, 8));
            assertArrayEquals(new byte[8], buf);
            assertEquals(List.of("accepts(0x0, 4, read) = false", "accepts(0x4, 4, read) = false"), dev.take());

            assertSame(MemTxResult.DECODE_ERROR, m.read(0x6002, buf, 0, 8));
            assertEquals(List.of("accepts(0x2, 2, read) = false", "accepts(0x4, 4, read) = false", "accepts(0x8, 2, read) = false"),
                    dev.take(), "pieces bounded by the alignment of the offset (impl.unaligned false)");

            assertSame(MemTxResult.DECODE_ERROR, m.write(0x6000, buf, 0, 8));
            assertEquals(List.of("accepts(0x0, 4, write) = false", "accepts(0x4, 4, write) = false"), dev.take());

            MemTxResult[] r = new MemTxResult[1];
            assertEquals(0, m.load(0x6000, 8, ByteOrder.LITTLE_ENDIAN, MemTxAttrs.UNSPECIFIED, r));
            assertSame(MemTxResult.DECODE_ERROR, r[0]);
            assertEquals(List.of("accepts(0x0, 8, read) = false"), dev.take(), "a typed load is dispatched whole");
        }
    }

    @ParameterizedTest
    @EnumSource(Via.class)
    void reservationShouldAnswerLikeAHoleButTranslateToItself(Via via) {
        try (AccessRig rig = new AccessRig(via)) {
            ReservationRegion res = rig.sys.reservation("reserved", 0x1000);
            rig.root.addSubregion(res, 0x7000);
            rig.start();
            GuestMemory m = rig.mem();
            byte[] buf = new byte[8];
            Arrays.fill(buf, (byte) 0x5a);
            assertSame(MemTxResult.DECODE_ERROR, m.read(0x7010, buf, 0, 8));
            assertArrayEquals(new byte[8], buf);
            MemTxResult[] r = new MemTxResult[1];
            assertEquals(0, m.load(0x7010, 4, ByteOrder.LITTLE_ENDIAN, MemTxAttrs.UNSPECIFIED, r));
            assertSame(MemTxResult.DECODE_ERROR, r[0]);
            assertSame(res, m.translate(0x7010, 1, false).section().region());
            assertEquals(0x10, m.translate(0x7010, 1, false).offsetInRegion());
        }
    }

    // ------------------------------------------------------------------ ROM

    @ParameterizedTest
    @EnumSource(Via.class)
    void romShouldReadDirectlyAndRejectWritesWithDataDropped(Via via) {
        try (AccessRig rig = new AccessRig(via)) {
            RamRegion rom = rig.sys.rom("bios", 0x1000);
            MemorySegment.copy(MemorySegment.ofArray(pattern(0x1000, 9, 4)), 0, rom.segment(), 0, 0x1000);
            rig.root.addSubregion(rom, 0x10000);
            rig.start();
            GuestMemory m = rig.mem();
            MemTxResult[] r = new MemTxResult[1];
            long want = rom.segment().get(LE32, 0x10) & 0xffff_ffffL;
            assertEquals(want, m.load(0x10010, 4, ByteOrder.LITTLE_ENDIAN, MemTxAttrs.UNSPECIFIED, r));
            assertSame(MemTxResult.OK, r[0]);

            assertSame(MemTxResult.DECODE_ERROR, m.store(0x10010, 4, 0xdeadbeefL, ByteOrder.LITTLE_ENDIAN, MemTxAttrs.UNSPECIFIED));
            assertSame(MemTxResult.DECODE_ERROR, m.store(0x10020, 1, 0xee, ByteOrder.LITTLE_ENDIAN, MemTxAttrs.UNSPECIFIED));
            assertSame(MemTxResult.DECODE_ERROR, m.write(0x10030, pattern(16, 1, 0x70), 0, 16));
            assertArrayEquals(pattern(0x1000, 9, 4), slice(rom.segment(), 0, 0x1000), "ROM unchanged");

            byte[] buf = new byte[16];
            assertSame(MemTxResult.OK, m.read(0x10030, buf, 0, 16));
            assertArrayEquals(Arrays.copyOfRange(pattern(0x1000, 9, 4), 0x30, 0x40), buf);
            Translation t = m.translate(0x10030, 0x10000, true);
            assertSame(rom, t.section().region());
            assertTrue(t.section().readonly(), "a ROM range is readonly");
            assertEquals(0x1000 - 0x30, t.length(), "ROM lengths are clamped like RAM");
        }
    }

    @ParameterizedTest
    @EnumSource(Via.class)
    void writeRomShouldLoadRomAndRamAndSkipMmio(Via via) {
        try (AccessRig rig = new AccessRig(via)) {
            Dev dev = new Dev();
            RamRegion rom = rig.sys.rom("bios", 0x1000);
            RamRegion ram = rig.sys.ram("ram", 0x1000);
            RamRegion ram2 = rig.sys.ram("ram2", 0x1000);
            MmioRegion mmio = rig.sys.mmio("dev", 0x10, MemoryRegionOps.builder()
                    .read((addr, size) -> {
                        dev.read(addr, size, 0);
                        return 0;
                    })
                    .write((addr, value, size) -> dev.write(addr, size, value)).build());
            rig.root.addSubregion(rom, 0x10000);
            rig.root.addSubregion(ram, 0x11000);
            rig.root.addSubregion(mmio, 0x12000);
            rig.root.addSubregion(ram2, 0x12010);
            rig.start();
            byte[] data = pattern(0x20, 3, 0x11);
            rig.as.writeRom(0x10ff0, data);
            assertArrayEquals(Arrays.copyOf(data, 16), slice(rom.segment(), 0xff0, 16), "ROM loaded");
            assertArrayEquals(Arrays.copyOfRange(data, 16, 32), slice(ram.segment(), 0, 16), "RAM after it too");
            byte[] seen = new byte[0x20];
            assertSame(MemTxResult.OK, rig.mem().read(0x10ff0, seen, 0, 0x20));
            assertArrayEquals(data, seen, "readers see the loaded ROM");

            rig.as.writeRom(0x12000, data);
            assertEquals(List.of(), dev.take(), "MMIO is skipped, its ops are not called");
            assertArrayEquals(Arrays.copyOfRange(data, 16, 32), slice(ram2.segment(), 0, 16), "the RAM behind the MMIO is loaded");
        }
    }

    /**
     * QEMU's {@code address_space_write_rom_internal} skips a non-RAM piece in
     * {@code memory_access_size} chunks and re-translates only after each chunk, so a chunk that
     * starts inside a 6-byte MMIO region skips the first bytes of the RAM after it as well.
     */
    @ParameterizedTest
    @EnumSource(Via.class)
    void writeRomShouldSkipMmioInMemoryAccessSizeChunksLikeQemu(Via via) {
        try (AccessRig rig = new AccessRig(via)) {
            RamRegion ram = rig.sys.ram("ram", 0x1000);
            MmioRegion mmio = rig.sys.mmio("dev6", 6, MemoryRegionOps.builder().read((a, s) -> 0).write((a, v, s) -> { }).build());
            rig.root.addSubregion(mmio, 0x13000);
            rig.root.addSubregion(ram, 0x13006);
            rig.start();
            byte[] data = pattern(16, 1, 0x80);
            rig.as.writeRom(0x13000, data);
            // chunks: [0x13000, 4) and [0x13004, 4) are skipped (the second reaches 0x13007), RAM gets 0x13008.. = data[8..16)
            assertArrayEquals(new byte[2], slice(ram.segment(), 0, 2), "RAM bytes covered by the second MMIO chunk are skipped");
            assertArrayEquals(Arrays.copyOfRange(data, 8, 16), slice(ram.segment(), 2, 8));
        }
    }

    // ------------------------------------------------------------------ ROM devices

    @ParameterizedTest
    @EnumSource(Via.class)
    void romDeviceShouldReadItsBlockInRomdModeAndItsOpsOutOfIt(Via via) {
        try (AccessRig rig = new AccessRig(via)) {
            Dev dev = new Dev();
            RomDeviceRegion flash = rig.sys.romDevice("flash", 0x1000, MemoryRegionOps.builder()
                    .endianness(Endianness.LITTLE)
                    .read((addr, size) -> {
                        long v = 0xF1A5_0000L | addr;
                        dev.read(addr, size, v);
                        return v;
                    })
                    .write((addr, value, size) -> dev.write(addr, size, value))
                    .build());
            MemorySegment.copy(MemorySegment.ofArray(pattern(0x1000, 11, 6)), 0, flash.segment(), 0, 0x1000);
            rig.root.addSubregion(flash, 0x20000);
            rig.start();
            GuestMemory m = rig.mem();
            MemTxResult[] r = new MemTxResult[1];

            // romd on (the default): reads from the block, writes to the ops
            assertTrue(flash.isRomdMode());
            assertEquals(flash.segment().get(LE32, 4) & 0xffff_ffffL, m.load(0x20004, 4, ByteOrder.LITTLE_ENDIAN, MemTxAttrs.UNSPECIFIED, r));
            assertSame(MemTxResult.OK, r[0]);
            byte[] buf = new byte[8];
            assertSame(MemTxResult.OK, m.read(0x20008, buf, 0, 8));
            assertArrayEquals(Arrays.copyOfRange(pattern(0x1000, 11, 6), 8, 16), buf);
            assertEquals(List.of(), dev.take(), "romd reads do not reach the ops");
            assertSame(MemTxResult.OK, m.store(0x20010, 4, 0x12345678L, ByteOrder.LITTLE_ENDIAN, MemTxAttrs.UNSPECIFIED));
            assertSame(MemTxResult.OK, m.write(0x20020, pattern(8, 1, 1), 0, 8));
            assertEquals(List.of("write(0x10, 4, 0x12345678)", "write(0x20, 4, 0x4030201)", "write(0x24, 4, 0x8070605)"), dev.take());
            assertArrayEquals(pattern(0x1000, 11, 6), slice(flash.segment(), 0, 0x1000), "writes never touch the block");
            assertSame(flash, m.translate(0x20004, 4, false).section().region());

            // romd off: reads go to the ops too
            rig.mutate(() -> flash.setRomdMode(false));
            assertEquals(0xF1A5_0004L, m.load(0x20004, 4, ByteOrder.LITTLE_ENDIAN, MemTxAttrs.UNSPECIFIED, r));
            assertSame(MemTxResult.OK, r[0]);
            assertSame(MemTxResult.OK, m.read(0x20008, buf, 0, 8));
            assertArrayEquals(concat(le32(0xF1A5_0008L), le32(0xF1A5_000CL)), buf);
            assertSame(MemTxResult.OK, m.store(0x20010, 2, 0xabcd, ByteOrder.LITTLE_ENDIAN, MemTxAttrs.UNSPECIFIED));
            assertEquals(List.of("read(0x4, 4) = 0xf1a50004", "read(0x8, 4) = 0xf1a50008", "read(0xc, 4) = 0xf1a5000c",
                    "write(0x10, 2, 0xabcd)"), dev.take());
            assertSame(flash, m.translate(0x20004, 4, false).section().region());

            // and back on
            rig.mutate(() -> flash.setRomdMode(true));
            assertEquals(flash.segment().get(LE32, 4) & 0xffff_ffffL, m.load(0x20004, 4, ByteOrder.LITTLE_ENDIAN, MemTxAttrs.UNSPECIFIED, r));
            assertEquals(List.of(), dev.take());
        }
    }

    /**
     * A romd section is not RAM, so QEMU's {@code address_space_translate_internal} does not clamp
     * the length to the section; the direct copy is clamped only by {@code qemu_ram_ptr_length} at
     * the end of the RAM block. A buffer read that starts in the visible part of a ROM device whose
     * second page is hidden by a higher-priority region therefore copies the hidden block bytes.
     */
    @ParameterizedTest
    @EnumSource(Via.class)
    void bufferReadStartingInARomdSectionShouldCopyFromTheBlockUpToItsEndLikeQemu(Via via) {
        try (AccessRig rig = new AccessRig(via)) {
            RomDeviceRegion flash = rig.sys.romDevice("flash", 0x2000, MemoryRegionOps.builder().read((a, s) -> 0).build());
            MemorySegment.copy(MemorySegment.ofArray(pattern(0x2000, 11, 6)), 0, flash.segment(), 0, 0x2000);
            RamRegion over = filledRam(rig.sys, "over", 0x1000, 5, 2);
            rig.root.addSubregion(flash, 0x30000);
            rig.root.addSubregionOverlap(over, 0x31000, 1);
            rig.root.addSubregion(filledRam(rig.sys, "after", 0x1000, 3, 1), 0x32000);
            rig.start();
            GuestMemory m = rig.mem();
            assertSame(over, m.translate(0x31000, 1, false).section().region());
            byte[] buf = new byte[16];
            assertSame(MemTxResult.OK, m.read(0x30ff8, buf, 0, 16));
            assertArrayEquals(Arrays.copyOfRange(pattern(0x2000, 11, 6), 0xff8, 0x1008), buf, "all 16 bytes from the flash block");
            // clamped at the block's end: the rest comes from the next translation
            byte[] tail = new byte[0x1010];
            assertSame(MemTxResult.OK, m.read(0x30ff8, tail, 0, tail.length));
            assertArrayEquals(concat(Arrays.copyOfRange(pattern(0x2000, 11, 6), 0xff8, 0x2000), Arrays.copyOf(pattern(0x1000, 3, 1), 8)), tail);
            // a RAM section is clamped: starting in "over" the copy stops at its end
            byte[] ram = new byte[16];
            assertSame(MemTxResult.OK, m.read(0x31ff8, ram, 0, 16));
            assertArrayEquals(concat(Arrays.copyOfRange(pattern(0x1000, 5, 2), 0xff8, 0x1000), Arrays.copyOf(pattern(0x1000, 3, 1), 8)), ram);
        }
    }

    /** QEMU's write_rom writes RAM or {@code memory_region_is_romd} regions: a ROM device out of romd mode is skipped. */
    @ParameterizedTest
    @EnumSource(Via.class)
    void writeRomShouldLoadARomDeviceInRomdModeAndSkipItOutOfRomdMode(Via via) {
        try (AccessRig rig = new AccessRig(via)) {
            Dev dev = new Dev();
            RomDeviceRegion flash = rig.sys.romDevice("flash", 0x1000, MemoryRegionOps.builder()
                    .read((addr, size) -> 0).write((addr, value, size) -> dev.write(addr, size, value)).build());
            rig.root.addSubregion(flash, 0x20000);
            rig.start();
            byte[] data = pattern(16, 5, 3);
            rig.as.writeRom(0x20100, data);
            assertArrayEquals(data, slice(flash.segment(), 0x100, 16), "romd mode: loaded into the block");
            rig.mutate(() -> flash.setRomdMode(false));
            rig.as.writeRom(0x20200, data);
            assertArrayEquals(new byte[16], slice(flash.segment(), 0x200, 16), "out of romd mode: skipped (memory_region_is_romd is false)");
            assertEquals(List.of(), dev.take(), "write_rom never calls ops");
        }
    }

    // ------------------------------------------------------------------ device byte order

    /** A device case: its endianness, the target's byte order, and whether that makes it big-endian. */
    record Order(Endianness endianness, ByteOrder target, boolean big) {
    }

    static Stream<Arguments> orders() {
        List<Arguments> out = new ArrayList<>();
        Order[] orders = {
                new Order(Endianness.BIG, ByteOrder.LITTLE_ENDIAN, true),
                new Order(Endianness.LITTLE, ByteOrder.LITTLE_ENDIAN, false),
                new Order(Endianness.NATIVE, ByteOrder.LITTLE_ENDIAN, false),
                new Order(Endianness.NATIVE, ByteOrder.BIG_ENDIAN, true),
                new Order(Endianness.BIG, ByteOrder.BIG_ENDIAN, true),
                new Order(Endianness.LITTLE, ByteOrder.BIG_ENDIAN, false)};
        for (Order o : orders) {
            for (Via v : Via.values()) {
                out.add(Arguments.of(o, v));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("orders")
    void deviceByteOrderShouldDecideHowValuesAndBufferBytesLookToTheDevice(Order o, Via via) {
        try (AccessRig rig = new AccessRig(via, o.target())) {
            Dev dev = new Dev();
            MmioRegion mmio = rig.sys.mmio("dev", 0x100, MemoryRegionOps.builder()
                    .endianness(o.endianness())
                    .valid(1, 8, false)
                    .impl(1, 8, false)
                    .read((addr, size) -> switch (size) {
                        case 1 -> 0x11L;
                        case 2 -> 0x1122L;
                        case 4 -> 0x11223344L;
                        default -> 0x1122334455667788L;
                    })
                    .write((addr, value, size) -> dev.write(addr, size, value))
                    .build());
            rig.root.addSubregion(mmio, 0x8000);
            rig.start();
            GuestMemory m = rig.mem();
            boolean big = o.big();
            assertEquals(big ? 0x1122L : 0x2211L, m.ld16be(0x8000));
            assertEquals(big ? 0x2211L : 0x1122L, m.ld16le(0x8000));
            assertEquals(big ? 0x11223344L : 0x44332211L, m.ld32be(0x8000));
            assertEquals(big ? 0x44332211L : 0x11223344L, m.ld32le(0x8000));
            assertEquals(big ? 0x1122334455667788L : 0x8877665544332211L, m.ld64be(0x8000));
            assertEquals(big ? 0x8877665544332211L : 0x1122334455667788L, m.ld64le(0x8000));
            assertEquals(0x11L, m.ld8(0x8000));

            byte[] buf = new byte[4];
            assertSame(MemTxResult.OK, m.read(0x8000, buf, 0, 4));
            assertArrayEquals(big ? new byte[] {0x11, 0x22, 0x33, 0x44} : new byte[] {0x44, 0x33, 0x22, 0x11}, buf,
                    "buffer bytes are the device's bytes in its natural memory order");
            byte[] buf8 = new byte[8];
            assertSame(MemTxResult.OK, m.read(0x8000, buf8, 0, 8));
            assertArrayEquals(big ? new byte[] {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, (byte) 0x88}
                    : new byte[] {(byte) 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11}, buf8);

            m.st32be(0x8000, 0xAABBCCDDL);
            m.st32le(0x8004, 0xAABBCCDDL);
            m.st16be(0x8008, 0xAABBL);
            m.st64be(0x8010, 0x0102030405060708L);
            m.write(0x8020, new byte[] {(byte) 0xAA, (byte) 0xBB, (byte) 0xCC, (byte) 0xDD}, 0, 4);
            assertEquals(List.of(
                    "write(0x0, 4, " + (big ? "0xaabbccdd" : "0xddccbbaa") + ")",
                    "write(0x4, 4, " + (big ? "0xddccbbaa" : "0xaabbccdd") + ")",
                    "write(0x8, 2, " + (big ? "0xaabb" : "0xbbaa") + ")",
                    "write(0x10, 8, " + (big ? "0x102030405060708" : "0x807060504030201") + ")",
                    "write(0x20, 4, " + (big ? "0xaabbccdd" : "0xddccbbaa") + ")"), dev.take());
        }
    }

    @ParameterizedTest
    @EnumSource(Via.class)
    void ramShouldStoreAndLoadInTheRequestedByteOrderOnABigEndianTarget(Via via) {
        try (AccessRig rig = new AccessRig(via, ByteOrder.BIG_ENDIAN)) {
            RamRegion ram = rig.sys.ram("ram", 0x1000);
            rig.root.addSubregion(ram, 0);
            rig.start();
            GuestMemory m = rig.mem();
            assertSame(MemTxResult.OK, m.st32be(0x100, 0x11223344L));
            assertArrayEquals(new byte[] {0x11, 0x22, 0x33, 0x44}, slice(ram.segment(), 0x100, 4));
            assertSame(MemTxResult.OK, m.st32le(0x104, 0x55667788L));
            assertArrayEquals(new byte[] {(byte) 0x88, 0x77, 0x66, 0x55}, slice(ram.segment(), 0x104, 4));
            assertEquals(0x1122334488776655L, m.ld64be(0x100));
            assertEquals(0x5566778844332211L, m.ld64le(0x100));
            assertEquals(0x3344L, m.ld16be(0x102));
            assertEquals(0x4433L, m.ld16le(0x102));
        }
    }

    // ------------------------------------------------------------------ attrs.memory

    @ParameterizedTest
    @EnumSource(Via.class)
    void memoryAttributeShouldRejectEveryPieceThatIsNotRam(Via via) {
        try (AccessRig rig = new AccessRig(via)) {
            Dev dev = new Dev();
            RamRegion ram1 = filledRam(rig.sys, "ram1", 0x1000, 3, 1);
            RamRegion ram2 = filledRam(rig.sys, "ram2", 0x1000, 5, 2);
            RamRegion rom = rig.sys.rom("rom", 0x1000);
            RomDeviceRegion flash = rig.sys.romDevice("flash", 0x1000, MemoryRegionOps.builder().read((a, s) -> 0).build());
            MmioRegion mmio = rig.sys.mmio("dev", 0x10, MemoryRegionOps.builder()
                    .read((addr, size) -> {
                        dev.read(addr, size, 0x77);
                        return 0x77;
                    })
                    .write((addr, value, size) -> dev.write(addr, size, value)).build());
            rig.root.addSubregion(ram1, 0x1000);
            rig.root.addSubregion(mmio, 0x2000);
            rig.root.addSubregion(ram2, 0x2010);
            rig.root.addSubregion(rom, 0x4000);
            rig.root.addSubregion(flash, 0x5000);
            rig.start();
            GuestMemory m = rig.mem();
            MemTxAttrs mem = MemTxAttrs.UNSPECIFIED.withMemory(true);

            // RAM -> MMIO -> RAM: the RAM piece is read, the MMIO piece (not clamped: the whole rest) is rejected and skipped
            byte[] buf = new byte[0x20];
            Arrays.fill(buf, (byte) 0x5a);
            assertSame(MemTxResult.ACCESS_ERROR, m.read(0x1ff0, mem, MemorySegment.ofArray(buf)));
            byte[] want = new byte[0x20];
            Arrays.fill(want, (byte) 0x5a);
            System.arraycopy(pattern(0x1000, 3, 1), 0xff0, want, 0, 0x10);
            assertArrayEquals(want, buf, "RAM piece read; the rest untouched (QEMU keeps l = the whole remaining length)");
            assertEquals(List.of(), dev.take());

            byte[] data = pattern(0x20, 1, 0x30);
            assertSame(MemTxResult.ACCESS_ERROR, m.write(0x1ff0, mem, MemorySegment.ofArray(data)));
            assertArrayEquals(Arrays.copyOf(data, 0x10), slice(ram1.segment(), 0xff0, 0x10));
            assertArrayEquals(Arrays.copyOf(pattern(0x1000, 5, 2), 0x10), slice(ram2.segment(), 0, 0x10), "RAM after the MMIO piece untouched");
            assertEquals(List.of(), dev.take());

            // starting on MMIO, in a hole or on a ROM device: rejected at once
            assertSame(MemTxResult.ACCESS_ERROR, m.read(0x2000, mem, MemorySegment.ofArray(new byte[4])));
            assertSame(MemTxResult.ACCESS_ERROR, m.read(0x6000, mem, MemorySegment.ofArray(new byte[4])));
            assertSame(MemTxResult.ACCESS_ERROR, m.read(0x5000, mem, MemorySegment.ofArray(new byte[4])));
            assertSame(MemTxResult.ACCESS_ERROR, m.write(0x2000, mem, MemorySegment.ofArray(new byte[4])));
            assertEquals(List.of(), dev.take());
            // RAM and ROM are RAM
            assertSame(MemTxResult.OK, m.read(0x2010, mem, MemorySegment.ofArray(new byte[4])));
            assertSame(MemTxResult.OK, m.read(0x4000, mem, MemorySegment.ofArray(new byte[4])));
            // without the attribute the same read reaches the device
            assertSame(MemTxResult.OK, m.read(0x2000, MemTxAttrs.UNSPECIFIED, MemorySegment.ofArray(new byte[4])));
            assertEquals(List.of("read(0x0, 4) = 0x77"), dev.take());
            // typed loads and stores do not check attrs.memory (QEMU's ld*/st* call dispatch directly)
            MemTxResult[] r = new MemTxResult[1];
            assertEquals(0x77, m.load(0x2000, 1, ByteOrder.LITTLE_ENDIAN, mem, r));
            assertSame(MemTxResult.OK, r[0]);
            assertSame(MemTxResult.OK, m.store(0x2004, 4, 9, ByteOrder.LITTLE_ENDIAN, mem));
            assertEquals(List.of("read(0x0, 1) = 0x77", "write(0x4, 4, 0x9)"), dev.take());
        }
    }

    // ------------------------------------------------------------------ RAM edges

    @ParameterizedTest
    @EnumSource(Via.class)
    void typedAccessStraddlingTheEndOfARamSectionShouldAnswerZeroWithDecodeError(Via via) {
        try (AccessRig rig = new AccessRig(via)) {
            RamRegion a = filledRam(rig.sys, "a", 0x1000, 3, 1);
            RamRegion b = filledRam(rig.sys, "b", 0x1000, 5, 2);
            RamRegion big = filledRam(rig.sys, "big", 0x2000, 7, 3);
            rig.root.addSubregion(a, 0x1000);
            rig.root.addSubregion(b, 0x2000); // directly after a: still a different section
            rig.root.addSubregion(big, 0x10000);
            rig.start();
            GuestMemory m = rig.mem();
            MemTxResult[] r = new MemTxResult[1];
            for (int size : new int[] {2, 4, 8}) {
                for (int back = 1; back < size; back++) {
                    long addr = 0x2000 - back;
                    assertEquals(0, m.load(addr, size, ByteOrder.LITTLE_ENDIAN, MemTxAttrs.UNSPECIFIED, r), "l < size at 0x" + Long.toHexString(addr));
                    assertSame(MemTxResult.DECODE_ERROR, r[0]);
                    assertSame(MemTxResult.DECODE_ERROR, m.store(addr, size, -1L, ByteOrder.BIG_ENDIAN, MemTxAttrs.UNSPECIFIED));
                }
                assertSame(MemTxResult.OK, rig.mem().store(0x2000 - size, size, 0, ByteOrder.LITTLE_ENDIAN, MemTxAttrs.UNSPECIFIED), "fits exactly");
                assertEquals(0, m.load(0x2000 - size, size, ByteOrder.LITTLE_ENDIAN, MemTxAttrs.UNSPECIFIED, r));
                assertSame(MemTxResult.OK, r[0]);
            }
            assertArrayEquals(pattern(0x1000, 5, 2), slice(b.segment(), 0, 0x1000), "the straddling stores wrote nothing into b");
            assertArrayEquals(Arrays.copyOf(pattern(0x1000, 3, 1), 0xff8), slice(a.segment(), 0, 0xff8));
            // a buffer read across the same boundary is split and fine
            byte[] buf = new byte[8];
            assertSame(MemTxResult.OK, m.read(0x1ffc, buf, 0, 8));
            assertArrayEquals(concat(new byte[4], Arrays.copyOf(pattern(0x1000, 5, 2), 4)), buf);
            // within one RAM section a load may cross a page boundary
            long want = big.segment().get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0xffd);
            assertEquals(want, m.load(0x10ffd, 8, ByteOrder.LITTLE_ENDIAN, MemTxAttrs.UNSPECIFIED, r));
            assertSame(MemTxResult.OK, r[0]);
            assertSame(MemTxResult.OK, m.store(0x10ffe, 4, 0xA1B2C3D4L, ByteOrder.BIG_ENDIAN, MemTxAttrs.UNSPECIFIED));
            assertArrayEquals(new byte[] {(byte) 0xA1, (byte) 0xB2, (byte) 0xC3, (byte) 0xD4}, slice(big.segment(), 0xffe, 4));
        }
    }

    @ParameterizedTest
    @EnumSource(Via.class)
    void writesThroughAReadonlyAliasOntoRamShouldBeDirect(Via via) {
        try (AccessRig rig = new AccessRig(via)) {
            RamRegion ram = rig.sys.ram("ram", 0x2000);
            AliasRegion ro = rig.sys.alias("ram-ro", ram, 0x1000, 0x1000);
            ro.setReadonly(true);
            rig.root.addSubregion(ro, 0x8000);
            rig.start();
            GuestMemory m = rig.mem();
            Translation t = m.translate(0x8010, 4, true);
            assertSame(ram, t.section().region());
            assertTrue(t.section().readonly(), "the section is readonly (the alias's flag propagates)");
            assertEquals(0x1010, t.offsetInRegion());
            assertSame(MemTxResult.OK, m.st32le(0x8010, 0xCAFEBABEL));
            assertEquals(0xCAFEBABEL, ram.segment().get(LE32, 0x1010) & 0xffff_ffffL,
                    "QEMU 7.2's memory_access_is_direct looks at mr->readonly, not the section's");
            assertSame(MemTxResult.OK, m.write(0x8020, pattern(8, 1, 1), 0, 8));
            assertArrayEquals(pattern(8, 1, 1), slice(ram.segment(), 0x1020, 8));
            assertEquals(0xCAFEBABEL, m.ld32le(0x8010));
            assertFalse(ram.isReadonly());
        }
    }

    // ------------------------------------------------------------------ value widths

    /**
     * QEMU's {@code address_space_stb/stw/stl} take a {@code uint8_t/uint16_t/uint32_t} value, so
     * a store narrower than {@code impl.min} to a little-endian device hands the device only the
     * stored bytes, zero-extended to the implemented width.
     */
    @ParameterizedTest
    @EnumSource(Via.class)
    void storeNarrowerThanImplMinShouldPassOnlyTheStoredBytesToALittleEndianDevice(Via via) {
        try (AccessRig rig = new AccessRig(via)) {
            Dev dev = new Dev();
            MmioRegion mmio = rig.sys.mmio("dev", 0x100, MemoryRegionOps.builder()
                    .endianness(Endianness.LITTLE)
                    .impl(4, 4, false)
                    .read((a, s) -> 0)
                    .write((addr, value, size) -> dev.write(addr, size, value))
                    .build());
            rig.root.addSubregion(mmio, 0x9000);
            rig.start();
            GuestMemory m = rig.mem();
            m.st8(0x9000, 0x1234_5678L);
            m.st16le(0x9004, 0x1234_5678L);
            assertEquals(List.of("write(0x0, 4, 0x78)", "write(0x4, 4, 0x5678)"), dev.take());
        }
    }
}
