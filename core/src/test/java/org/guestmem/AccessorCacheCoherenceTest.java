package org.guestmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.guestmem.rcu.RcuReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link AddressSpaceAccessor}'s translation cache never serves a stale translation: after every
 * kind of commit the next read section sees the new map at pages that were cached before, while
 * cached pages a commit did not touch keep being served from the cache ({@link #misses()} does
 * not grow for them: in fast mode they never take the TLB's slow path, in checked mode, where
 * every access does, they need no new fill). Also the documented
 * "Which view an access sees" rules: inside one read section the accessor keeps the view the
 * section started with; outside read sections every access sees the latest commit.
 */
class AccessorCacheCoherenceTest {
    static final ValueLayout.OfLong LE64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final long A = 0x10_0000;        // RAM "a", 4 pages
    static final long UNRELATED = 0x80_0000; // RAM "u", 1 page, never touched by the commits
    static final long PAGE = 0x1000;

    MemorySystem sys;
    ContainerRegion root;
    RamRegion a;
    RamRegion u;
    AddressSpace as;
    RcuReader reader;
    AddressSpaceAccessor acc;

    static void fill(MemorySegment seg, long seed) {
        for (long i = 0; i < seg.byteSize(); i += 8) {
            seg.set(LE64, i, seed + i);
        }
    }

    @BeforeEach
    void setUp() {
        sys = MemorySystem.create();
        root = sys.container("system", MemoryRegion.SIZE_2_64);
        a = sys.ram("a", 4 * PAGE);
        fill(a.segment(), 0xA000_0000_0000L);
        u = sys.ram("u", PAGE);
        fill(u.segment(), 0x5500_0000_0000L);
        root.addSubregion(a, A);
        root.addSubregion(u, UNRELATED);
        as = sys.addressSpace("memory", root);
        reader = sys.rcu().register();
        acc = as.accessor(reader);
    }

    @AfterEach
    void tearDown() {
        while (reader.depth() > 0) {
            reader.exit();
        }
        reader.close();
        sys.close();
    }

    /**
     * {@return the accesses the cache did not serve from an entry it held: slow-path accesses in
     * fast mode, fills in checked mode (where every access takes the slow path, through the entry)}
     */
    long misses() {
        return sys.checkedAccess() ? acc.fillCount() : acc.slowAccessCount();
    }

    /** Reads every page of "a" and "u" (through several typed paths) inside one section, until all hit the cache. */
    void warm() {
        reader.enter();
        try {
            for (int round = 0; round < 2; round++) {
                for (int p = 0; p < 4; p++) {
                    assertEquals(0xA000_0000_0000L + p * PAGE + 8, acc.ld64le(A + p * PAGE + 8));
                    acc.ld32le(A + p * PAGE + 16);
                    acc.ld16be(A + p * PAGE + 24);
                }
                assertEquals(0x5500_0000_0000L + 8, acc.ld64le(UNRELATED + 8));
            }
            long slow = misses();
            for (int p = 0; p < 4; p++) {
                acc.ld64le(A + p * PAGE + 40);
                acc.ld32le(A + p * PAGE + 48);
                acc.ld8(A + p * PAGE + 56);
            }
            acc.ld64le(UNRELATED + 40);
            assertEquals(slow, misses(), "after warming, every page of a and u is served by the cache");
        } finally {
            reader.exit();
        }
    }

    /** Runs {@code check} in a new read section and asserts that the unrelated page stayed cached. */
    void nextSection(Consumer<AddressSpaceAccessor> check) {
        nextSection(check, true);
    }

    /**
     * Runs {@code check} in a new read section; with {@code unrelatedStaysCached}, also asserts
     * that the unrelated page is still served from the cache (true after one commit; after several
     * the accessor documents that it drops everything).
     */
    void nextSection(Consumer<AddressSpaceAccessor> check, boolean unrelatedStaysCached) {
        reader.enter();
        try {
            check.accept(acc); // its first access is the section's first: it loads the publication (one slow access)
            if (!unrelatedStaysCached) {
                assertEquals(0x5500_0000_0000L + 0x100, acc.ld64le(UNRELATED + 0x100));
                return;
            }
            long slow = misses();
            assertEquals(0x5500_0000_0000L + 0x100, acc.ld64le(UNRELATED + 0x100));
            assertEquals(0x5500_0000_0000L + 0x108, acc.ld32le(UNRELATED + 0x108) | (acc.ld32le(UNRELATED + 0x10c) << 32));
            assertEquals(slow, misses(), "a page the commit did not change is still served from the cache");
        } finally {
            reader.exit();
        }
    }

    static void assertHole(AddressSpaceAccessor acc, long addr) {
        assertEquals(0, acc.ld64le(addr), "0x" + Long.toHexString(addr) + " is a hole now");
        assertSame(MemTxResult.DECODE_ERROR, acc.lastResult());
        assertEquals(0, acc.ld32le(addr));
        assertSame(MemTxResult.DECODE_ERROR, acc.lastResult());
        assertEquals(0, acc.ld16be(addr));
        assertSame(MemTxResult.DECODE_ERROR, acc.lastResult());
        assertSame(MemTxResult.DECODE_ERROR, acc.st64le(addr, 1));
        assertSame(MemTxResult.DECODE_ERROR, acc.st32le(addr, 1));
    }

    void assertA(AddressSpaceAccessor acc, long addr, long offsetInA) {
        assertEquals(0xA000_0000_0000L + offsetInA, acc.ld64le(addr), "0x" + Long.toHexString(addr) + " shows a+0x" + Long.toHexString(offsetInA));
        assertSame(MemTxResult.OK, acc.lastResult());
        assertEquals((0xA000_0000_0000L + offsetInA) & 0xffff_ffffL, acc.ld32le(addr));
    }

    @Test
    void disablingAndEnablingARegionShouldBeSeenAtCachedPages() {
        warm();
        a.setEnabled(false);
        nextSection(c -> {
            for (int p = 0; p < 4; p++) {
                assertHole(c, A + p * PAGE + 8);
            }
        });
        a.setEnabled(true);
        nextSection(c -> {
            for (int p = 0; p < 4; p++) {
                assertA(c, A + p * PAGE + 8, p * PAGE + 8);
                assertSame(MemTxResult.OK, c.st64le(A + p * PAGE + 0x800, 0x1234));
            }
        });
        assertEquals(0x1234, a.segment().get(LE64, 0x800));
    }

    @Test
    void movingARegionShouldBeSeenAtItsOldAndNewAddresses() {
        warm();
        a.setAddress(0x20_0000);
        nextSection(c -> {
            for (int p = 0; p < 4; p++) {
                assertHole(c, A + p * PAGE + 8);
                assertA(c, 0x20_0000 + p * PAGE + 8, p * PAGE + 8);
            }
        });
        a.setAddress(A + 2 * PAGE); // overlapping its old place
        nextSection(c -> {
            assertHole(c, A + 8);
            assertHole(c, A + PAGE + 8);
            assertA(c, A + 2 * PAGE + 8, 8);
            assertA(c, A + 3 * PAGE + 8, PAGE + 8);
        });
    }

    @Test
    void removingARegionShouldBeSeenAtCachedPages() {
        warm();
        root.removeSubregion(a);
        nextSection(c -> {
            for (int p = 0; p < 4; p++) {
                assertHole(c, A + p * PAGE + 8);
            }
        });
    }

    @Test
    void addingAnOverlappingHigherPriorityRegionShouldBeSeenAtCachedPages() {
        warm();
        RamRegion c2 = sys.ram("c", PAGE);
        fill(c2.segment(), 0xCC00_0000_0000L);
        root.addSubregionOverlap(c2, A + PAGE, 1);
        nextSection(c -> {
            assertA(c, A + 8, 8);
            assertEquals(0xCC00_0000_0000L + 8, c.ld64le(A + PAGE + 8), "the new region wins at page 1");
            assertEquals(0xCC00_0000_0000L + 16, c.ld32le(A + PAGE + 16) | (c.ld32le(A + PAGE + 20) << 32));
            assertSame(MemTxResult.OK, c.st64le(A + PAGE + 0x100, 77));
            assertA(c, A + 2 * PAGE + 8, 2 * PAGE + 8);
        });
        assertEquals(77, c2.segment().get(LE64, 0x100), "the store went to the new region");
        assertEquals(0xA000_0000_0000L + PAGE + 0x100, a.segment().get(LE64, PAGE + 0x100), "not to the hidden one");
        // a sub-page overlap of a cached page
        MmioRegion small = sys.mmio("small", 0x10, MemoryRegionOps.builder().read((addr, size) -> 0x5A).build());
        root.addSubregionOverlap(small, A + 3 * PAGE + 0x800, 2);
        nextSection(c -> {
            assertEquals(0x5A, c.ld8(A + 3 * PAGE + 0x800));
            assertA(c, A + 3 * PAGE + 8, 3 * PAGE + 8);
            assertA(c, A + 3 * PAGE + 0x810, 3 * PAGE + 0x810);
        });
    }

    @Test
    void changingAnAliasOffsetShouldBeSeenAtCachedPages() {
        RamRegion backing = sys.ram("backing", 4 * PAGE);
        fill(backing.segment(), 0xBB00_0000_0000L);
        AliasRegion win = sys.alias("win", backing, 0, PAGE);
        root.addSubregion(win, 0x30_0000);
        warm();
        reader.enter();
        try {
            assertEquals(0xBB00_0000_0000L + 8, acc.ld64le(0x30_0008));
            acc.ld64le(0x30_0010);
        } finally {
            reader.exit();
        }
        win.setAliasOffset(2 * PAGE);
        nextSection(c -> {
            assertEquals(0xBB00_0000_0000L + 2 * PAGE + 8, c.ld64le(0x30_0008));
            assertEquals((0xBB00_0000_0000L + 2 * PAGE + 0x10) & 0xffff_ffffL, c.ld32le(0x30_0010));
            assertSame(MemTxResult.OK, c.st64le(0x30_0020, 99));
        });
        assertEquals(99, backing.segment().get(LE64, 2 * PAGE + 0x20));
    }

    @Test
    void switchingRomdModeShouldBeSeenAtCachedPages() {
        List<String> calls = new ArrayList<>();
        RomDeviceRegion flash = sys.romDevice("flash", PAGE, MemoryRegionOps.builder()
                .endianness(Endianness.LITTLE)
                .valid(1, 8, false).impl(1, 8, false)
                .read((addr, size) -> {
                    calls.add("read " + addr);
                    return 0xF0F0_0000L + addr;
                })
                .write((addr, value, size) -> calls.add("write " + addr))
                .build());
        fill(flash.segment(), 0xF1A5_0000_0000L);
        root.addSubregion(flash, 0x40_0000);
        warm();
        reader.enter();
        try {
            assertEquals(0xF1A5_0000_0000L + 8, acc.ld64le(0x40_0008));
            assertEquals(0xF1A5_0000_0000L + 8, acc.ld64le(0x40_0008));
        } finally {
            reader.exit();
        }
        assertEquals(List.of(), calls);
        flash.setRomdMode(false);
        nextSection(c -> {
            assertEquals(0xF0F0_0008L, c.ld64le(0x40_0008), "out of romd mode the ops answer");
            assertEquals(0xF0F0_0010L, c.ld32le(0x40_0010));
        });
        assertEquals(List.of("read 8", "read 16"), calls);
        calls.clear();
        flash.setRomdMode(true);
        nextSection(c -> assertEquals(0xF1A5_0000_0000L + 8, c.ld64le(0x40_0008)));
        assertEquals(List.of(), calls);
    }

    @Test
    void makingRamReadonlyShouldStopCachedDirectWrites() {
        warm();
        reader.enter();
        try {
            assertSame(MemTxResult.OK, acc.st64le(A + 0x100, 1));
            assertSame(MemTxResult.OK, acc.st64le(A + 0x100, 2));
        } finally {
            reader.exit();
        }
        a.setReadonly(true);
        nextSection(c -> {
            assertSame(MemTxResult.DECODE_ERROR, c.st64le(A + 0x100, 3), "ROM now: writes are rejected");
            assertSame(MemTxResult.DECODE_ERROR, c.st8(A + 0x200, 3));
            assertEquals(2, c.ld64le(A + 0x100), "reads still direct");
        });
        assertEquals(2, a.segment().get(LE64, 0x100));
    }

    /**
     * The region's own readonly flag decides whether writes are direct (QEMU 7.2's
     * {@code memory_access_is_direct} reads {@code mr->readonly}), but the flat range behind a
     * readonly alias is readonly either way, so the commit leaves every {@link FlatRange} equal.
     * The accessor must still stop writing directly, as the {@link AddressSpace} path does.
     */
    @Test
    void makingRamBehindAReadonlyAliasReadonlyShouldStopCachedDirectWrites() {
        RamRegion backing = sys.ram("backing", PAGE);
        AliasRegion ro = sys.alias("ro", backing, 0, PAGE);
        ro.setReadonly(true);
        root.addSubregion(ro, 0x30_0000);
        warm();
        reader.enter();
        try {
            assertSame(MemTxResult.OK, acc.st64le(0x30_0100, 1), "writes through a readonly alias onto RAM are direct");
            assertSame(MemTxResult.OK, acc.st64le(0x30_0100, 2));
            assertSame(MemTxResult.OK, acc.st32le(0x30_0200, 2));
        } finally {
            reader.exit();
        }
        assertEquals(2, backing.segment().get(LE64, 0x100));
        FlatRange before = as.currentView().lookup(0x30_0000);
        backing.setReadonly(true);
        assertEquals(before, as.currentView().lookup(0x30_0000), "the flat range did not change");
        MemTxResult[] r = new MemTxResult[1];
        assertSame(MemTxResult.DECODE_ERROR, as.store(0x30_0100, 8, 3, ByteOrder.LITTLE_ENDIAN, MemTxAttrs.UNSPECIFIED),
                "the AddressSpace path rejects the write: the region is ROM now");
        nextSection(c -> {
            assertSame(MemTxResult.DECODE_ERROR, c.st64le(0x30_0100, 4), "the accessor must not keep writing directly");
            assertSame(MemTxResult.DECODE_ERROR, c.st32le(0x30_0200, 4));
            assertEquals(2, c.ld64le(0x30_0100));
        });
        assertEquals(2, backing.segment().get(LE64, 0x100), "ROM unchanged");
        assertEquals(2, backing.segment().get(LE64, 0x200) & 0xffff_ffffL, "ROM unchanged");
    }

    @Test
    void destroyingARemovedRegionShouldNeverLetTheCacheTouchItsFreedBlock() {
        RamRegion d = sys.ram("d", 2 * PAGE);
        fill(d.segment(), 0xDD00_0000_0000L);
        root.addSubregion(d, 0x50_0000);
        warm();
        reader.enter();
        try {
            assertEquals(0xDD00_0000_0000L + 8, acc.ld64le(0x50_0008));
            assertEquals(0xDD00_0000_0000L + PAGE + 8, acc.ld64le(0x50_1008));
            acc.st64le(0x50_0010, 5);
        } finally {
            reader.exit();
        }
        root.removeSubregion(d);
        d.destroy();
        // let the old views and the block go: several grace periods and the deferred callbacks
        for (int i = 0; i < 10; i++) {
            sys.rcu().synchronize();
            sys.rcu().drain();
        }
        sys.awaitReclamation(); // the RAM reclaimer unmaps on a thread of its own, after the drains
        assertThrows(IllegalStateException.class, () -> d.segment().get(LE64, 0), "the block was freed");
        nextSection(c -> {
            assertHole(c, 0x50_0008);
            assertHole(c, 0x50_1008);
        });
    }

    @Test
    void aCommitElsewhereShouldKeepEveryUnrelatedCachedPage() {
        warm();
        RamRegion other = sys.ram("other", PAGE);
        root.addSubregion(other, 0x90_0000);
        reader.enter();
        try {
            acc.ld64le(UNRELATED); // the section's first access loads the new publication
            long slow = misses();
            for (int p = 0; p < 4; p++) {
                assertA(acc, A + p * PAGE + 8, p * PAGE + 8);
                acc.st64le(A + p * PAGE + 0x20, p);
            }
            assertEquals(slow, misses(), "pages of a stayed cached across a commit that did not touch them");
            assertEquals(0, acc.ld64le(0x90_0000), "and the new region is visible");
            assertSame(MemTxResult.OK, acc.lastResult());
        } finally {
            reader.exit();
        }
    }

    @Test
    void severalCommitsBetweenSectionsShouldAllBeSeen() {
        warm();
        a.setEnabled(false);
        a.setEnabled(true);
        a.setAddress(0x60_0000);
        RamRegion c2 = sys.ram("c", PAGE);
        root.addSubregion(c2, A);
        nextSection(c -> {
            assertEquals(0, c.ld64le(A + 8));
            assertSame(MemTxResult.OK, c.lastResult(), "c is at A now");
            assertHole(c, A + PAGE + 8);
            assertA(c, 0x60_0000 + PAGE + 8, PAGE + 8);
        }); // four publications behind: each lists its changes, so u's page stays cached
    }

    @Test
    void moreCommitsBetweenSectionsThanPublicationsRememberShouldFlushAndStillBeSeen() {
        warm();
        for (int i = 0; i < ViewPublication.HISTORY; i++) {
            a.setEnabled((i & 1) != 0);
        }
        a.setAddress(0x60_0000); // HISTORY + 1 publications since the cache last looked
        nextSectionAfterAFlush("too far behind to catch up", c -> assertA(c, 0x60_0000 + PAGE + 8, PAGE + 8));
    }

    /**
     * In a new read section: checks that the hole at A is seen (the section's first access, which
     * loads the publication), that the unrelated page had been dropped (its next access misses),
     * then runs {@code check}.
     */
    void nextSectionAfterAFlush(String why, Consumer<AddressSpaceAccessor> check) {
        reader.enter();
        try {
            assertHole(acc, A + 8);
            long slow = misses();
            assertEquals(0x5500_0000_0000L + 0x100, acc.ld64le(UNRELATED + 0x100));
            assertEquals(slow + 1, misses(), why + ": everything was dropped");
            check.accept(acc);
        } finally {
            reader.exit();
        }
    }

    @Test
    void aCommitTooLargeToListShouldFlushReadersBehindIt() {
        warm();
        try (MemoryTransaction tx = sys.begin()) {
            for (int i = 0; i <= ViewPublication.MAX_CHANGED_RANGES; i++) {
                root.addSubregion(sys.ram("r" + i, PAGE), 0x100_0000 + i * 2 * PAGE);
            }
        }
        a.setEnabled(false); // listed, but the reader is two behind and the one before is not
        nextSectionAfterAFlush("an unlisted change in between", c -> {
            assertEquals(0, c.ld64le(0x100_0000 + 2 * PAGE * ViewPublication.MAX_CHANGED_RANGES));
            assertSame(MemTxResult.OK, c.lastResult());
        });
    }

    @Test
    void commitsInsideATransactionShouldBeSeenTogether() {
        warm();
        try (MemoryTransaction tx = sys.begin()) {
            a.setAddress(0x70_0000);
            RamRegion c2 = sys.ram("c", 4 * PAGE);
            fill(c2.segment(), 0xC200_0000_0000L);
            root.addSubregion(c2, A);
        }
        nextSection(c -> {
            for (int p = 0; p < 4; p++) {
                assertEquals(0xC200_0000_0000L + p * PAGE + 8, c.ld64le(A + p * PAGE + 8));
                assertA(c, 0x70_0000 + p * PAGE + 8, p * PAGE + 8);
            }
        });
    }

    // ------------------------------------------------------------------ which view an access sees

    /** Runs {@code change} on another thread (a writer) and waits for it. */
    static void onWriterThread(Runnable change) {
        Throwable[] failure = new Throwable[1];
        Thread t = Thread.ofPlatform().name("writer").start(() -> {
            try {
                change.run();
            } catch (Throwable e) {
                failure[0] = e;
            }
        });
        try {
            t.join();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        if (failure[0] != null) {
            throw new AssertionError("writer failed", failure[0]);
        }
    }

    @Test
    void insideOneReadSectionTheAccessorShouldKeepTheViewTheSectionStartedWith() {
        reader.enter();
        try {
            assertA(acc, A + 8, 8); // first access of the section: loads the current view
            onWriterThread(() -> a.setEnabled(false)); // a commit completes while the section is open
            assertA(acc, A + 8, 8);
            assertA(acc, A + 3 * PAGE + 0x400, 3 * PAGE + 0x400); // a page not touched before in this section: same old view
            assertEquals(0x5500_0000_0000L, acc.ld64le(UNRELATED));
            // the AddressSpace path takes the current view at every call: it already sees the commit
            MemTxResult[] r = new MemTxResult[1];
            assertEquals(0, as.load(A + 8, 8, ByteOrder.LITTLE_ENDIAN, MemTxAttrs.UNSPECIFIED, r));
            assertSame(MemTxResult.DECODE_ERROR, r[0]);
        } finally {
            reader.exit();
        }
        reader.enter();
        try {
            assertHole(acc, A + 8); // the next section sees it
            assertHole(acc, A + 3 * PAGE + 0x400);
        } finally {
            reader.exit();
        }
    }

    @Test
    void aCommitCompletedBeforeTheSectionBeganShouldBeVisibleAtItsFirstAccess() {
        warm();
        onWriterThread(() -> a.setEnabled(false));
        reader.enter();
        try {
            assertHole(acc, A + 8);
        } finally {
            reader.exit();
        }
    }

    @Test
    void accessesOutsideAnyReadSectionShouldWorkAndSeeEveryCommit() {
        assertEquals(0, reader.depth());
        assertA(acc, A + 8, 8);
        assertSame(MemTxResult.OK, acc.st64le(A + 0x10, 3));
        assertEquals(3, acc.ld64le(A + 0x10));
        a.setEnabled(false);
        assertHole(acc, A + 8);
        a.setEnabled(true);
        assertEquals(3, acc.ld64le(A + 0x10));
        byte[] buf = new byte[8];
        assertSame(MemTxResult.OK, acc.read(A + 0x10, buf, 0, 8));
        assertEquals(3, buf[0]);
        assertSame(a, acc.translate(A + 8, 8, false).section().region());
        assertEquals(0, reader.depth(), "the accessor left the sections it entered");
    }

    @Test
    void aQuiescentStateReaderShouldSeeACommitAtItsNextQuiescentState() throws Exception {
        Throwable[] failure = new Throwable[1];
        Thread cpu = Thread.ofPlatform().name("cpu").start(() -> {
            try (RcuReader q = sys.rcu().registerQuiescent()) {
                AddressSpaceAccessor qa = as.accessor(q);
                assertA(qa, A + 8, 8);
                assertA(qa, A + 2 * PAGE + 8, 2 * PAGE + 8);
                onWriterThread(() -> a.setEnabled(false));
                assertA(qa, A + 8, 8); // same stretch: the view it loaded
                assertA(qa, A + 2 * PAGE + 8, 2 * PAGE + 8);
                q.quiescentState();
                assertHole(qa, A + 8); // first access after the quiescent state
                assertHole(qa, A + 2 * PAGE + 8);
                onWriterThread(() -> a.setEnabled(true));
                assertHole(qa, A + 8);
                q.offline();
                q.online();
                assertA(qa, A + 8, 8);
            } catch (Throwable e) {
                failure[0] = e;
            }
        });
        cpu.join();
        if (failure[0] != null) {
            throw new AssertionError(failure[0]);
        }
    }

    @Test
    void aWarmCacheShouldHitWithoutTheSlowPath() {
        warm();
        reader.enter();
        try {
            acc.ld64le(A); // the section's first access goes through the general path to load the publication
            long fills = acc.fillCount();
            long slow = misses();
            for (int i = 0; i < 1000; i++) {
                acc.ld64le(A + (i % 4) * PAGE + (i * 8 % 0x800));
            }
            assertEquals(slow, misses());
            assertEquals(fills, acc.fillCount());
        } finally {
            reader.exit();
        }
        assertTrue(acc.fillCount() >= 5, "a's four pages and u's page were filled");
    }
}
