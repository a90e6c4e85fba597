package org.guestmem.tlb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.guestmem.AddressSpace;
import org.guestmem.ContainerRegion;
import org.guestmem.MemoryRegion;
import org.guestmem.MemoryRegionOps;
import org.guestmem.MemorySystem;
import org.guestmem.RamRegion;
import org.guestmem.rcu.RcuReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * MMU indexes with a {@link PageMapper}: guest virtual pages map to physical pages with the
 * mapping's permissions; refused accesses are page faults the emulator can tell from
 * {@code MemTxResult}s (with its own fault code, or {@link PageMapper#PERMISSION_FAULT}); an access
 * crossing into a page mapped elsewhere is QEMU's CPU access (two aligned loads combined, byte
 * stores after both pages translated); indexes share one table without seeing each other's
 * entries; {@code flushPage} follows a page-table change. In fast and checked mode.
 */
class TlbMapperTest {
    static final ValueLayout.OfLong LE64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final long RAM = 0x100_0000;
    static final long PAGE = 0x1000;
    static final int NOT_MAPPED = 14; // the emulator's fault code (a page fault vector, say)

    MemorySystem sys;
    AddressSpace as;
    RamRegion ram;
    RcuReader reader;
    Tlb tlb;
    /** The guest's page table: virtual page to physical page | permissions. */
    final Map<Long, Long> pageTable = new HashMap<>();
    final List<String> walks = new ArrayList<>();

    final PageMapper walker = (vaddr, access) -> {
        walks.add(access + " " + Long.toHexString(vaddr));
        Long pte = pageTable.get(vaddr & -PAGE);
        return pte == null ? PageMapper.fault(NOT_MAPPED) : pte;
    };

    void machine(boolean checked) {
        sys = MemorySystem.builder().checkedAccess(checked).build();
        ContainerRegion root = sys.container("system", MemoryRegion.SIZE_2_64);
        ram = sys.ram("ram", 16 * PAGE);
        for (long i = 0; i < 16 * PAGE; i += 8) {
            ram.segment().set(LE64, i, 0x0101_0101_0101_0101L * (i / PAGE) + i);
        }
        root.addSubregion(ram, RAM);
        root.addSubregion(sys.mmio("dev", PAGE, MemoryRegionOps.builder().read((a, s) -> 0xd0d0_0000L + a)
                .valid(1, 8, true).impl(1, 8, true).build()), 0x200_0000);
        as = sys.addressSpace("memory", root);
        reader = sys.rcu().registerQuiescent();
        tlb = Tlb.builder(reader).index(as).index(as, walker).entries(64).build();
    }

    @AfterEach
    void tearDown() {
        tlb.close();
        reader.close();
        sys.close();
    }

    void map(long vpage, long ppage, int perms) {
        pageTable.put(vpage, PageMapper.mapping(ppage, perms));
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void mappedPagesShouldTranslateWithTheirPermissions(boolean checked) {
        machine(checked);
        map(0x4000_0000L, RAM + 3 * PAGE, PageMapper.READ | PageMapper.EXECUTE);
        assertEquals(0x0303_0303_0303_0303L + 3 * PAGE + 0x10, Tlb.ld64le(tlb, 1, 0x4000_0010L));
        assertEquals((0x0303_0303_0303_0303L + 3 * PAGE + 0x10) & 0xffff_ffffL, Tlb.fetch32le(tlb, 1, 0x4000_0010L));
        assertEquals(List.of("LOAD 40000010"), walks, "one walk: the entry serves loads and fetches");
        assertEquals(0, Tlb.loadFault(tlb));
        int r = Tlb.st8(tlb, 1, 0x4000_0020L, 0xff);
        assertEquals(Tlb.PAGE_FAULT, r, "no WRITE permission: a page fault, not a MemTxResult");
        assertEquals(PageMapper.PERMISSION_FAULT, tlb.faultCode());
        assertEquals(0x4000_0020L, tlb.faultAddress());
        assertSame(AccessType.STORE, tlb.faultAccess());
        assertEquals(0x0303_0303_0303_0303L + 3 * PAGE + 0x20, ram.segment().get(LE64, 3 * PAGE + 0x20), "nothing written");
        assertEquals(0, Tlb.ld64le(tlb, 1, 0x5000_0000L));
        assertEquals(Tlb.PAGE_FAULT, Tlb.loadFault(tlb));
        assertEquals(NOT_MAPPED, tlb.faultCode(), "the mapper's own code");
        assertEquals(AccessType.LOAD, tlb.faultAccess());
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void indexesShouldShareTheTableWithoutSeeingEachOthersEntries(boolean checked) {
        machine(checked);
        map(RAM, RAM + 5 * PAGE, PageMapper.RWX); // index 1 maps RAM's first page elsewhere
        assertEquals(0x0505_0505_0505_0505L + 5 * PAGE + 8, Tlb.ld64le(tlb, 1, RAM + 8));
        assertEquals(8, Tlb.ld64le(tlb, 0, RAM + 8), "index 0 is identity: page 0 of RAM");
        assertEquals(0x0505_0505_0505_0505L + 5 * PAGE + 8, Tlb.ld64le(tlb, 1, RAM + 8));
        assertEquals(1, walks.size());
        map(RAM, RAM + 6 * PAGE, PageMapper.RWX); // the guest changes its page table ...
        tlb.flushPage(1, RAM + 0x123); // ... and flushes the page, as QEMU's tlb_flush_page
        assertEquals(0x0606_0606_0606_0606L + 6 * PAGE + 8, Tlb.ld64le(tlb, 1, RAM + 8));
        assertEquals(8, Tlb.ld64le(tlb, 0, RAM + 8), "index 0 unaffected");
        assertThrows(IndexOutOfBoundsException.class, () -> Tlb.ld64le(tlb, 3, 0x9999_0000L),
                "a wrong index is masked to the table (memory-safe) and refused when it reaches the slow path");
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void accessesCrossingIntoAPageMappedElsewhereShouldBeQemusCpuAccesses(boolean checked) {
        machine(checked);
        map(0x4000_0000L, RAM + 7 * PAGE, PageMapper.RWX);
        map(0x4000_1000L, RAM + 2 * PAGE, PageMapper.RWX);
        long a = 0x4000_0ffcL;
        long lo = 0x0707_0707_0707_0707L + 7 * PAGE + 0xff8; // the aligned word of the first page
        long hi = 0x0202_0202_0202_0202L + 2 * PAGE;         // and of the second
        assertEquals((lo >>> 32) | (hi << 32), Tlb.ld64le(tlb, 1, a), "two aligned 8-byte loads, combined");
        assertEquals(0, Tlb.st32le(tlb, 1, 0x4000_0ffeL, 0xaabb_ccddL));
        assertEquals(0xccdd, ram.segment().get(ValueLayout.JAVA_SHORT_UNALIGNED, 7 * PAGE + 0xffe) & 0xffff);
        assertEquals(0xaabb, ram.segment().get(ValueLayout.JAVA_SHORT_UNALIGNED, 2 * PAGE) & 0xffff);
        map(0x4000_1000L, RAM + 2 * PAGE, PageMapper.READ);
        tlb.flushPage(1, 0x4000_1000L);
        long before = ram.segment().get(LE64, 7 * PAGE + 0xff8);
        assertEquals(Tlb.PAGE_FAULT, Tlb.st32le(tlb, 1, 0x4000_0ffeL, 0x1122_3344L), "the second page refuses");
        assertEquals(before, ram.segment().get(LE64, 7 * PAGE + 0xff8), "so nothing was written to the first");
        assertEquals(0x4000_1001L, tlb.faultAddress(), "the store's last byte, in the second page");
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void mmioBehindAMappingShouldGetThePhysicalOffset(boolean checked) {
        machine(checked);
        map(0x8000_0000L, 0x200_0000, PageMapper.READ | PageMapper.WRITE);
        assertEquals(0xd0d0_0040L, Tlb.ld32le(tlb, 1, 0x8000_0040L));
        assertEquals(0xd0d0_0ff0L, Tlb.ld32le(tlb, 1, 0x8000_0ff0L), "the filled device entry: offset in the region");
        assertEquals(0, Tlb.loadFault(tlb));
        assertEquals(0, Tlb.fetch16le(tlb, 1, 0x8000_0040L), "no EXECUTE permission");
        assertEquals(Tlb.PAGE_FAULT, Tlb.loadFault(tlb));
        assertSame(AccessType.FETCH, tlb.faultAccess());
    }
}
