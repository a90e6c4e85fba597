package org.guestmem.tlb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.guestmem.AddressSpace;
import org.guestmem.ContainerRegion;
import org.guestmem.MemTxAttrs;
import org.guestmem.MemTxResult;
import org.guestmem.MemoryRegion;
import org.guestmem.MemoryRegionOps;
import org.guestmem.MemorySystem;
import org.guestmem.RamRegion;
import org.guestmem.rcu.RcuReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The TLB's fast and slow paths against the address space's own access path, on one small machine:
 * RAM (hits on the fast path after one fill), ROM (reads direct, writes DECODE_ERROR as QEMU's
 * unassigned ops answer), MMIO (every access through the ops, with the section's offset), holes
 * (DECODE_ERROR, reading 0), sub-page RAM, accesses crossing a page, and the sticky load status.
 * Every test runs in fast and in checked mode.
 */
class TlbAccessTest {
    static final ValueLayout.OfLong LE64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final long RAM = 0x10000;       // 64 KiB
    static final long ROM = 0x40000;       // 8 KiB
    static final long MMIO = 0x50000;      // 4 KiB
    static final long SUBPAGE = 0x60000;   // 2 KiB RAM, then a hole in the same page
    static final long HOLE = 0x70000;

    MemorySystem sys;
    AddressSpace as;
    RamRegion ram;
    RcuReader reader;
    Tlb tlb;
    final List<String> mmioLog = new ArrayList<>();

    void machine(boolean checked) {
        sys = MemorySystem.builder().checkedAccess(checked).build();
        ContainerRegion root = sys.container("system", MemoryRegion.SIZE_2_64);
        ram = sys.ram("ram", 0x10000);
        for (long i = 0; i < 0x10000; i += 8) {
            ram.segment().set(LE64, i, 0x1111_0000_0000_0000L + i);
        }
        RamRegion rom = sys.rom("rom", 0x2000);
        rom.segment().fill((byte) 0x5a);
        root.addSubregion(ram, RAM);
        root.addSubregion(rom, ROM);
        root.addSubregion(sys.mmio("dev", 0x1000, MemoryRegionOps.builder()
                .read((addr, size) -> {
                    mmioLog.add("r " + Long.toHexString(addr) + "/" + size);
                    return 0xabcd_0000L + addr;
                })
                .write((addr, value, size) -> mmioLog.add("w " + Long.toHexString(addr) + "/" + size + "=" + Long.toHexString(value)))
                .valid(1, 8, true).impl(1, 8, true)
                .build()), MMIO);
        root.addSubregion(sys.ram("small", 0x800), SUBPAGE);
        as = sys.addressSpace("memory", root);
        reader = sys.rcu().registerQuiescent();
        tlb = Tlb.builder(reader).index(as).entries(256).build();
    }

    @AfterEach
    void tearDown() {
        if (tlb != null) {
            tlb.close();
        }
        if (reader != null) {
            reader.close();
        }
        if (sys != null) {
            sys.close();
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void ramShouldBeServedFromTheFastPathAfterOneFillPerPage(boolean checked) {
        machine(checked);
        assertEquals(0x1111_0000_0000_0008L, Tlb.ld64le(tlb, 0, RAM + 8));
        long slow = tlb.slowAccessCount();
        assertEquals(1, tlb.fillCount());
        for (long off = 0; off < 0x1000; off += 8) {
            assertEquals(0x1111_0000_0000_0000L + off, Tlb.ld64le(tlb, 0, RAM + off));
            assertEquals((0x1111_0000_0000_0000L + off) & 0xffff_ffffL, Tlb.ld32le(tlb, 0, RAM + off));
            assertEquals(Long.reverseBytes(0x1111_0000_0000_0000L + off), Tlb.ld64be(tlb, 0, RAM + off));
        }
        assertEquals(0, Tlb.st64le(tlb, 0, RAM + 0x10, 0x0102_0304_0506_0708L));
        assertEquals(0x0102_0304_0506_0708L, ram.segment().get(LE64, 0x10));
        assertEquals(0, Tlb.st16be(tlb, 0, RAM + 0x20, 0xbeef));
        assertEquals(0xbeef, Tlb.ld16be(tlb, 0, RAM + 0x20));
        assertEquals(0xef, Tlb.ld8(tlb, 0, RAM + 0x21));
        assertEquals(1, tlb.fillCount(), "one page, one fill");
        if (checked) {
            assertTrue(tlb.slowAccessCount() > slow + 1000, "checked mode: every access through the slow path");
        } else {
            assertEquals(slow, tlb.slowAccessCount(), "fast mode: every later access on the fast path");
        }
        assertEquals(0, Tlb.loadFault(tlb));
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void romShouldReadDirectlyAndAnswerWritesLikeQemusUnassignedOps(boolean checked) {
        machine(checked);
        assertEquals(0x5a5a_5a5aL, Tlb.ld32le(tlb, 0, ROM + 0x100));
        int r = Tlb.st32le(tlb, 0, ROM + 0x100, 0);
        assertEquals(as.store(ROM + 0x100, 4, 0, ByteOrder.LITTLE_ENDIAN, MemTxAttrs.UNSPECIFIED).bits(), r);
        assertEquals(MemTxResult.DECODE_ERROR.bits(), r);
        assertEquals(0x5a5a_5a5aL, Tlb.ld32le(tlb, 0, ROM + 0x100), "the ROM did not change");
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void mmioShouldGoThroughTheOpsOnEveryAccess(boolean checked) {
        machine(checked);
        assertEquals(0xabcd_0010L, Tlb.ld32le(tlb, 0, MMIO + 0x10));
        assertEquals(0xabcd_0010L, Tlb.ld32le(tlb, 0, MMIO + 0x10));
        assertEquals(0, Tlb.st16le(tlb, 0, MMIO + 0x22, 0x1234));
        assertEquals(List.of("r 10/4", "r 10/4", "w 22/2=1234"), mmioLog);
        assertEquals(0, Tlb.loadFault(tlb));
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aDeviceBehindAnAliasShouldSeeTheOffsetInItsOwnRegion(boolean checked) {
        machine(checked);
        List<String> log = new ArrayList<>();
        MemoryRegion big = sys.mmio("big", 0x3000, MemoryRegionOps.builder()
                .read((addr, size) -> 0x7700_0000L + addr)
                .write((addr, value, size) -> log.add(Long.toHexString(addr) + "=" + Long.toHexString(value)))
                .build());
        try (var tx = sys.begin()) { // its second and third pages, shown at 0x90000
            ((ContainerRegion) as.root()).addSubregion(sys.alias("big-tail", big, 0x1000, 0x2000), 0x90000);
        }
        reader.quiescentState();
        for (int i = 0; i < 3; i++) { // the first access fills the entries, the later ones use them
            assertEquals(0x7700_1008L, Tlb.ld32le(tlb, 0, 0x90008));
            assertEquals(0x7700_2ffcL, Tlb.ld32le(tlb, 0, 0x91ffc));
            assertEquals(0, Tlb.st16le(tlb, 0, 0x91002, 0xbeef));
        }
        assertEquals(List.of("2002=beef", "2002=beef", "2002=beef"), log);
        assertEquals(0, Tlb.loadFault(tlb));
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aDeviceCallbackAccessingThroughTheSameTlbShouldHaveAResultOfItsOwn(boolean checked) {
        machine(checked);
        long relay = 0x80000;
        int[] nestedStore = new int[1];
        try (var tx = sys.begin()) {
            ((ContainerRegion) as.root()).addSubregion(sys.mmio("relay", 0x1000, MemoryRegionOps.builder()
                    .read((addr, size) -> Tlb.ld32le(tlb, 0, MMIO + addr) + 1) // a device reading another
                    .write((addr, value, size) -> nestedStore[0] = Tlb.st32le(tlb, 0, HOLE, value))
                    .build()), relay);
        }
        reader.quiescentState();
        for (int i = 0; i < 3; i++) { // the first fills the relay's entry; the later ones find it
            nestedStore[0] = -1;
            assertEquals(0, Tlb.st32le(tlb, 0, relay + 8, 7), "the relay's own store succeeded");
            assertEquals(MemTxResult.DECODE_ERROR.bits(), nestedStore[0], "the store inside it failed, on its own");
            mmioLog.clear();
            assertEquals(0xabcd_0011L, Tlb.ld32le(tlb, 0, relay + 0x10));
            assertEquals(List.of("r 10/4"), mmioLog, "the device read from the callback");
            assertEquals(0, Tlb.loadFault(tlb));
        }
        reader.offline(); // outside a stretch: the slow path enters a read section around the access
        assertEquals(0xabcd_0011L, Tlb.ld32le(tlb, 0, relay + 0x10));
        assertTrue(!reader.inReadSection());
        reader.online();
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void holesShouldReadZeroWithADecodeErrorInTheStickyStatus(boolean checked) {
        machine(checked);
        assertEquals(0, Tlb.ld64le(tlb, 0, HOLE));
        assertEquals(MemTxResult.DECODE_ERROR.bits(), Tlb.loadFault(tlb));
        assertEquals(0x1111_0000_0000_0000L, Tlb.ld64le(tlb, 0, RAM));
        assertEquals(MemTxResult.DECODE_ERROR.bits(), Tlb.loadFault(tlb), "sticky until cleared");
        Tlb.clearLoadFault(tlb);
        assertEquals(0, Tlb.loadFault(tlb));
        assertEquals(MemTxResult.DECODE_ERROR.bits(), Tlb.st8(tlb, 0, HOLE + 3, 1));
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aPageSharedBySeveralSectionsShouldTakeTheGeneralPathEveryTime(boolean checked) {
        machine(checked);
        assertEquals(0, Tlb.st32le(tlb, 0, SUBPAGE + 0x7fc, 0xcafe_f00dL));
        assertEquals(0xcafe_f00dL, Tlb.ld32le(tlb, 0, SUBPAGE + 0x7fc));
        assertEquals(MemTxResult.DECODE_ERROR.bits(), Tlb.st32le(tlb, 0, SUBPAGE + 0x800, 1));
        long slow = tlb.slowAccessCount();
        Tlb.ld32le(tlb, 0, SUBPAGE);
        assertEquals(slow + 1, tlb.slowAccessCount());
        assertEquals(0, tlb.fillCount(), "no entry for a page two sections share");
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void accessesCrossingAPageShouldMatchTheAddressSpace(boolean checked) {
        machine(checked);
        long a = RAM + 0xffd;
        assertEquals(0, Tlb.st64le(tlb, 0, a, 0x8877_6655_4433_2211L));
        assertEquals(0x8877_6655_4433_2211L, Tlb.ld64le(tlb, 0, a));
        assertEquals(as.load(a, 8, ByteOrder.BIG_ENDIAN, MemTxAttrs.UNSPECIFIED, null), Tlb.ld64be(tlb, 0, a));
        // RAM running into the ROM that follows it? no: RAM then MMIO across 0x4ffff/0x50000 is a hole + MMIO
        MemTxResult[] res = new MemTxResult[1];
        long expected = as.load(MMIO - 2, 4, ByteOrder.LITTLE_ENDIAN, MemTxAttrs.UNSPECIFIED, res);
        mmioLog.clear();
        assertEquals(expected, Tlb.ld32le(tlb, 0, MMIO - 2));
        assertEquals(res[0].bits(), Tlb.loadFault(tlb));
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void outsideAProtectedStretchEveryAccessShouldEnterASectionOfItsOwn(boolean checked) {
        machine(checked);
        reader.offline();
        long slow = tlb.slowAccessCount();
        for (int i = 0; i < 10; i++) {
            assertEquals(0x1111_0000_0000_0000L + 0x40, Tlb.ld64le(tlb, 0, RAM + 0x40));
        }
        assertEquals(slow + 10, tlb.slowAccessCount(), "disarmed: every probe misses");
        assertTrue(!reader.inReadSection(), "each access left the section it entered");
        reader.online();
        slow = tlb.slowAccessCount();
        Tlb.ld64le(tlb, 0, RAM + 0x40);
        assertEquals(checked ? slow + 1 : slow, tlb.slowAccessCount(), "armed again once online");
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void otherThreadsAndClosedTlbsShouldBeRefused(boolean checked) throws Exception {
        machine(checked);
        Tlb.ld64le(tlb, 0, RAM);
        Throwable[] seen = new Throwable[1];
        Thread t = new Thread(() -> {
            try {
                tlb.flush(0);
            } catch (Throwable e) {
                seen[0] = e;
            }
        });
        t.start();
        t.join();
        assertTrue(seen[0] instanceof WrongThreadException, "got " + seen[0]);
        assertThrows(IndexOutOfBoundsException.class, () -> tlb.generation(1));
        tlb.close();
        assertThrows(IllegalStateException.class, () -> Tlb.ld64le(tlb, 0, RAM));
        tlb.close(); // idempotent
        tlb = null;
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aSegmentOfTheHeapShouldBeServedThroughTheSlowPath(boolean checked) {
        machine(checked);
        byte[] heap = new byte[0x1000];
        MemorySegment seg = MemorySegment.ofArray(heap);
        ContainerRegion root = (ContainerRegion) as.root();
        root.addSubregion(sys.ramFromSegment("heap", seg), 0x90000);
        reader.quiescentState();
        assertEquals(0, Tlb.st32le(tlb, 0, 0x90010, 0x1234_5678));
        assertEquals(0x78, heap[0x10]);
        long slow = tlb.slowAccessCount();
        assertEquals(0x1234_5678, Tlb.ld32le(tlb, 0, 0x90010));
        assertEquals(slow + 1, tlb.slowAccessCount(), "no native address: never a direct entry");
    }
}
