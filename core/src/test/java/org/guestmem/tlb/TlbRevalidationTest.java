package org.guestmem.tlb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.guestmem.AddrRange;
import org.guestmem.AddressSpace;
import org.guestmem.ContainerRegion;
import org.guestmem.MemTxResult;
import org.guestmem.MemoryRegion;
import org.guestmem.MemorySystem;
import org.guestmem.MemoryTransaction;
import org.guestmem.RamRegion;
import org.guestmem.layout.TlbLayout;
import org.guestmem.rcu.RcuReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Revalidation at stretch starts: after every commit the next stretch sees the new map at pages
 * the TLB held, pages a commit did not touch stay on the fast path, the listener hears exactly the
 * changed guest physical ranges (or "everything"), generations follow the address space, a
 * stretch keeps the view it started with, and a quiescent-state reader revalidates at each
 * quiescent state. In fast and checked mode.
 */
class TlbRevalidationTest {
    static final ValueLayout.OfLong LE64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final long A = 0x10_0000;
    static final long U = 0x80_0000;
    static final long PAGE = 0x1000;

    MemorySystem sys;
    ContainerRegion root;
    RamRegion a;
    RamRegion u;
    AddressSpace as;
    RcuReader reader;
    Tlb tlb;
    final List<String> heard = new ArrayList<>();

    final TlbListener listener = new TlbListener() {
        @Override
        public void rangesChanged(int mmuIdx, List<AddrRange> ranges) {
            heard.add(mmuIdx + " " + ranges);
        }

        @Override
        public void everythingChanged(int mmuIdx) {
            heard.add(mmuIdx + " everything");
        }
    };

    static void fill(MemorySegment seg, long seed) {
        for (long i = 0; i < seg.byteSize(); i += 8) {
            seg.set(LE64, i, seed + i);
        }
    }

    void machine(boolean checked) {
        sys = MemorySystem.builder().checkedAccess(checked).build();
        root = sys.container("system", MemoryRegion.SIZE_2_64);
        a = sys.ram("a", 4 * PAGE);
        fill(a.segment(), 0xA000_0000_0000L);
        u = sys.ram("u", PAGE);
        fill(u.segment(), 0x5500_0000_0000L);
        root.addSubregion(a, A);
        root.addSubregion(u, U);
        as = sys.addressSpace("memory", root);
        reader = sys.rcu().register();
        tlb = Tlb.builder(reader).index(as).listener(listener).build();
    }

    @AfterEach
    void tearDown() {
        while (reader != null && reader.depth() > 0) {
            reader.exit();
        }
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

    /** Loads every page of a and u in one section. */
    void warm() {
        reader.enter();
        try {
            for (int p = 0; p < 4; p++) {
                assertEquals(0xA000_0000_0000L + p * PAGE + 8, Tlb.ld64le(tlb, 0, A + p * PAGE + 8));
            }
            assertEquals(0x5500_0000_0000L + 8, Tlb.ld64le(tlb, 0, U + 8));
        } finally {
            reader.exit();
        }
    }

    /** In a new section: asserts that u is still served by the fast path (fast mode), then runs {@code check}. */
    void nextSection(boolean checked, Runnable check) {
        reader.enter();
        try {
            long slow = tlb.slowAccessCount();
            assertEquals(0x5500_0000_0000L + 0x100, Tlb.ld64le(tlb, 0, U + 0x100));
            if (!checked) {
                assertEquals(slow, tlb.slowAccessCount(), "a page no commit touched stays on the fast path");
            }
            check.run();
        } finally {
            reader.exit();
        }
    }

    void assertHole(long addr) {
        Tlb.clearLoadFault(tlb);
        assertEquals(0, Tlb.ld64le(tlb, 0, addr));
        assertEquals(MemTxResult.DECODE_ERROR.bits(), Tlb.loadFault(tlb));
        assertEquals(MemTxResult.DECODE_ERROR.bits(), Tlb.st64le(tlb, 0, addr, 1));
        Tlb.clearLoadFault(tlb);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void disablingMovingAndRemovingShouldBeSeenAndHeardAsTheirRanges(boolean checked) {
        machine(checked);
        warm();
        a.setEnabled(false);
        nextSection(checked, () -> {
            for (int p = 0; p < 4; p++) {
                assertHole(A + p * PAGE + 8);
            }
        });
        assertEquals(List.of("0 [[0x100000, 0x103fff]]"), heard);
        heard.clear();
        a.setEnabled(true);
        a.setAddress(0x20_0000);
        nextSection(checked, () -> {
            assertHole(A + 8);
            assertEquals(0xA000_0000_0000L + PAGE + 8, Tlb.ld64le(tlb, 0, 0x20_0000 + PAGE + 8));
        });
        assertEquals(List.of("0 [[0x100000, 0x103fff], [0x200000, 0x203fff]]"), heard, "two commits, merged");
        heard.clear();
        root.removeSubregion(a);
        nextSection(checked, () -> assertHole(0x20_0000 + 8));
        assertEquals(List.of("0 [[0x200000, 0x203fff]]"), heard);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aDestroyedBlockShouldNeverBeReachedFromAnOldEntry(boolean checked) {
        machine(checked);
        RamRegion d = sys.ram("d", 2 * PAGE);
        fill(d.segment(), 0xDD00_0000_0000L);
        root.addSubregion(d, 0x50_0000);
        warm();
        reader.enter();
        assertEquals(0xDD00_0000_0000L + 8, Tlb.ld64le(tlb, 0, 0x50_0008));
        assertEquals(0, Tlb.st64le(tlb, 0, 0x50_1008, 5));
        reader.exit();
        root.removeSubregion(d);
        d.destroy();
        for (int i = 0; i < 10; i++) {
            sys.rcu().synchronize();
            sys.rcu().drain();
        }
        sys.awaitReclamation(); // the RAM reclaimer unmaps on a thread of its own, after the drains
        assertThrows(IllegalStateException.class, () -> d.segment().get(LE64, 0), "the block was freed");
        nextSection(checked, () -> {
            assertHole(0x50_0008);
            assertHole(0x50_1008);
        });
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void moreCommitsThanPublicationsRememberShouldFlushAndBeHeardAsEverything(boolean checked) {
        machine(checked);
        warm();
        for (int i = 0; i < 20; i++) {
            a.setEnabled((i & 1) == 0);
        }
        reader.enter();
        try {
            assertEquals(0x5500_0000_0000L + 8, Tlb.ld64le(tlb, 0, U + 8));
            assertHole(A + 8);
        } finally {
            reader.exit();
        }
        assertEquals(List.of("0 everything"), heard);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void generationsShouldFollowTheAddressSpaceAtEachStretch(boolean checked) {
        machine(checked);
        assertEquals(0, tlb.generation(0), "not revalidated yet");
        warm();
        long g = as.generation();
        assertEquals(g, tlb.generation(0));
        try (MemoryTransaction tx = sys.begin()) {
            a.setEnabled(false);
            u.setAddress(U + PAGE);
        }
        assertEquals(g + 1, as.generation(), "one commit, one publication");
        assertEquals(g, tlb.generation(0), "seen only at the next stretch");
        reader.enter();
        assertEquals(g + 1, tlb.generation(0));
        long tables = (long) TlbLayout.INDEX_TABLES.get(tlb.descriptor(), TlbLayout.indexOffset(0));
        assertEquals(as.currentView().nativeTables().address(), tables, "the descriptor names the view the entries follow");
        assertEquals(g + 1, (long) TlbLayout.INDEX_GENERATION.get(tlb.descriptor(), TlbLayout.indexOffset(0)));
        reader.exit();
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void insideOneStretchTheTlbShouldKeepTheViewTheStretchStartedWith(boolean checked) throws Exception {
        machine(checked);
        reader.enter();
        try {
            assertEquals(0xA000_0000_0000L + 8, Tlb.ld64le(tlb, 0, A + 8));
            Thread writer = new Thread(() -> a.setEnabled(false));
            writer.start();
            writer.join();
            assertEquals(0xA000_0000_0000L + 8, Tlb.ld64le(tlb, 0, A + 8), "same stretch, same view");
            assertEquals(0xA000_0000_0000L + PAGE + 8, Tlb.ld64le(tlb, 0, A + PAGE + 8), "even for a page not loaded yet");
        } finally {
            reader.exit();
        }
        reader.enter();
        try {
            assertHole(A + 8);
        } finally {
            reader.exit();
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aQuiescentStateReaderShouldRevalidateAtEachQuiescentState(boolean checked) throws Exception {
        machine(checked);
        tlb.close();
        reader.close();
        reader = sys.rcu().registerQuiescent();
        tlb = Tlb.builder(reader).index(as).listener(listener).build();
        assertEquals(as.generation(), tlb.generation(0), "built online: revalidated at once");
        assertEquals(0xA000_0000_0000L + 8, Tlb.ld64le(tlb, 0, A + 8));
        Thread writer = new Thread(() -> a.setEnabled(false));
        writer.start();
        writer.join();
        assertEquals(0xA000_0000_0000L + 8, Tlb.ld64le(tlb, 0, A + 8), "no quiescent state yet");
        reader.quiescentState();
        assertHole(A + 8);
        assertEquals(List.of("0 [[0x100000, 0x103fff]]"), heard);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aMappedIndexShouldFlushOnACommitButHearTheRanges(boolean checked) {
        machine(checked);
        tlb.close();
        // index 1 maps virtual page V to physical page V + 0x10_0000 ... A + 0x10_0000
        PageMapper shifted = (vaddr, access) -> PageMapper.mapping(vaddr + A, PageMapper.RWX);
        tlb = Tlb.builder(reader).index(as).index(as, shifted).listener(listener).build();
        reader.enter();
        assertEquals(0xA000_0000_0000L + 8, Tlb.ld64le(tlb, 1, 8));
        assertEquals(0x5500_0000_0000L + 8, Tlb.ld64le(tlb, 1, U - A + 8));
        reader.exit();
        RamRegion other = sys.ram("other", PAGE);
        root.addSubregion(other, 0x90_0000);
        reader.enter();
        long fills = tlb.fillCount();
        assertEquals(0x5500_0000_0000L + 8, Tlb.ld64le(tlb, 1, U - A + 8));
        assertEquals(fills + 1, tlb.fillCount(), "the mapped index was flushed (QEMU flushes on every commit)");
        assertEquals(0x5500_0000_0000L + 8, Tlb.ld64le(tlb, 0, U + 8));
        reader.exit();
        assertEquals(List.of("0 [[0x900000, 0x900fff]]", "1 [[0x900000, 0x900fff]]"), heard,
                "both indexes hear the physical range");
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void flushesByTheEmulatorShouldDropEntriesWithoutTellingTheListener(boolean checked) {
        machine(checked);
        warm();
        reader.enter();
        try {
            long fills = tlb.fillCount();
            tlb.flushPage(0, A + 0x123);
            Tlb.ld64le(tlb, 0, A + 8);
            Tlb.ld64le(tlb, 0, A + PAGE + 8);
            assertEquals(fills + 1, tlb.fillCount(), "only the flushed page is filled again");
            tlb.flushAll();
            Tlb.ld64le(tlb, 0, A + PAGE + 8);
            assertEquals(fills + 2, tlb.fillCount());
        } finally {
            reader.exit();
        }
        assertEquals(List.of(), heard);
        assertNotEquals(0, tlb.generation(0));
        assertSame(as, tlb.space(0));
        assertTrue(tlb.entries() >= 64);
    }
}
