package org.guestmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.guestmem.dirty.DirtyLogClient;
import org.guestmem.dirty.DirtySnapshot;
import org.guestmem.dirty.GlobalDirtyReason;
import org.guestmem.rcu.RcuReader;
import org.junit.jupiter.api.Test;

/**
 * Dirty tracking under concurrent writers: every page written through an address space or an
 * accessor is dirty for exactly the clients that asked (VGA by {@code setLog}, MIGRATION by
 * global tracking, CODE by the builder), and clearing while writers keep writing loses nothing.
 * Writers record a page only after the write that touched it returned.
 */
class DirtyTrackingConcurrencyTest {
    static final int PAGE = 4096;
    static final long VRAM = 0x1000_0000L;
    static final long MAIN = 0x2000_0000L;
    static final int SIZE = 1 << 20; // 256 pages each

    /** One writer thread's way of writing and what it wrote (pages per region). */
    static final class Writer extends Thread {
        final int kind;
        final long seed;
        final int writes;
        final AddressSpace as;
        final MemorySystem sys;
        final CountDownLatch start;
        final BitSet vramPages = new BitSet();
        final BitSet mainPages = new BitSet();
        final List<Throwable> errors;

        Writer(int kind, long seed, int writes, MemorySystem sys, AddressSpace as, CountDownLatch start,
               List<Throwable> errors) {
            this.kind = kind;
            this.seed = seed;
            this.writes = writes;
            this.sys = sys;
            this.as = as;
            this.start = start;
            this.errors = errors;
        }

        @Override
        public void run() {
            SplittableRandom rnd = new SplittableRandom(seed);
            try (RcuReader r = sys.rcu().register()) {
                AddressSpaceAccessor acc = as.accessor(r);
                byte[] buf = new byte[64];
                start.await();
                for (int i = 0; i < writes; i++) {
                    boolean vram = rnd.nextBoolean();
                    long base = vram ? VRAM : MAIN;
                    int size;
                    long off;
                    MemTxResult res;
                    switch (kind) {
                        case 0 -> { // accessor, 8-byte stores, sometimes straddling a page
                            size = 8;
                            off = rnd.nextInt(SIZE - 8);
                            r.enter();
                            res = acc.st64le(base + off, i);
                            r.exit();
                        }
                        case 1 -> { // accessor, mixed sizes
                            size = 1 << rnd.nextInt(4);
                            off = rnd.nextInt(SIZE - size);
                            r.enter();
                            res = acc.store(base + off, size, i, java.nio.ByteOrder.BIG_ENDIAN, MemTxAttrs.UNSPECIFIED);
                            r.exit();
                        }
                        default -> { // address space buffer writes (counted references, no read section)
                            size = 1 + rnd.nextInt(buf.length);
                            off = rnd.nextInt(SIZE - size);
                            res = as.write(base + off, MemTxAttrs.UNSPECIFIED, MemorySegment.ofArray(buf).asSlice(0, size));
                        }
                    }
                    if (res != MemTxResult.OK) {
                        throw new AssertionError("write at 0x" + Long.toHexString(base + off) + " answered " + res);
                    }
                    BitSet pages = vram ? vramPages : mainPages;
                    for (long p = off / PAGE; p <= (off + size - 1) / PAGE; p++) {
                        pages.set((int) p);
                    }
                }
            } catch (Throwable e) {
                errors.add(e);
            }
        }
    }

    /** Compares page sets, naming only the differences. */
    static void assertSamePages(BitSet expected, BitSet actual, String what) {
        BitSet missing = (BitSet) expected.clone();
        missing.andNot(actual);
        BitSet extra = (BitSet) actual.clone();
        extra.andNot(expected);
        assertTrue(missing.isEmpty() && extra.isEmpty(), what + ": pages written but never reported " + missing
                + ", reported but never written " + extra);
    }

    private static MemorySystem machine() {
        return MemorySystem.builder().codeDirtyTracking(true).build();
    }

    private static void clearAll(RamRegion... regions) {
        for (RamRegion r : regions) {
            for (DirtyLogClient c : DirtyLogClient.values()) {
                r.testAndClearDirty(0, SIZE, c);
            }
        }
    }

    private static BitSet dirtyPages(RamRegion r, DirtyLogClient c) {
        BitSet out = new BitSet();
        for (int p = 0; p < SIZE / PAGE; p++) {
            if (r.getDirty((long) p * PAGE, PAGE, c)) {
                out.set(p);
            }
        }
        return out;
    }

    @Test
    void everyPageWrittenIsDirtyForExactlyTheClientsThatAsked() throws Exception {
        try (MemorySystem sys = machine()) {
            ContainerRegion root = sys.container("system", MemoryRegion.SIZE_2_64);
            RamRegion vram = sys.ram("vram", SIZE);
            RamRegion main = sys.ram("main", SIZE);
            root.addSubregion(vram, VRAM);
            root.addSubregion(main, MAIN);
            AddressSpace as = sys.addressSpace("memory", root);
            vram.setLog(true, DirtyLogClient.VGA);
            sys.startGlobalDirtyLog(Set.of(GlobalDirtyReason.MIGRATION));
            clearAll(vram, main);

            CountDownLatch start = new CountDownLatch(1);
            List<Throwable> errors = Collections.synchronizedList(new ArrayList<>());
            List<Writer> writers = new ArrayList<>();
            for (int k = 0; k < 3; k++) {
                Writer w = new Writer(k, 42 + k, 3000, sys, as, start, errors);
                w.start();
                writers.add(w);
            }
            start.countDown();
            for (Writer w : writers) {
                w.join();
            }
            assertEquals(List.of(), errors);

            BitSet vramWritten = new BitSet();
            BitSet mainWritten = new BitSet();
            for (Writer w : writers) {
                vramWritten.or(w.vramPages);
                mainWritten.or(w.mainPages);
            }
            assertTrue(vramWritten.cardinality() > 100 && mainWritten.cardinality() > 100);
            assertSamePages(vramWritten, dirtyPages(vram, DirtyLogClient.VGA), "VGA on vram");
            assertSamePages(vramWritten, dirtyPages(vram, DirtyLogClient.MIGRATION), "MIGRATION on vram");
            assertSamePages(vramWritten, dirtyPages(vram, DirtyLogClient.CODE), "CODE on vram");
            assertSamePages(mainWritten, dirtyPages(main, DirtyLogClient.MIGRATION), "MIGRATION on main");
            assertSamePages(mainWritten, dirtyPages(main, DirtyLogClient.CODE), "CODE on main");
            assertSamePages(new BitSet(), dirtyPages(main, DirtyLogClient.VGA), "VGA on main (nobody asked)");
        }
    }

    @Test
    void clearingWhileWritersKeepWritingLosesNothing() throws Exception {
        int size = 4 << 20; // 1024 pages per region
        int pages = size / PAGE;
        try (MemorySystem sys = machine()) {
            ContainerRegion root = sys.container("system", MemoryRegion.SIZE_2_64);
            RamRegion vram = sys.ram("vram", size);
            RamRegion main = sys.ram("main", size);
            root.addSubregion(vram, VRAM);
            root.addSubregion(main, MAIN);
            AddressSpace as = sys.addressSpace("memory", root);
            vram.setLog(true, DirtyLogClient.VGA);
            sys.startGlobalDirtyLog(Set.of(GlobalDirtyReason.MIGRATION));
            for (RamRegion r : List.of(vram, main)) {
                for (DirtyLogClient c : DirtyLogClient.values()) {
                    r.testAndClearDirty(0, size, c);
                }
            }

            // Each page is written exactly once, by one writer: a bit lost by a clear racing with
            // the write that set it would never be set again, so the union below would miss it.
            CountDownLatch start = new CountDownLatch(1);
            List<Throwable> errors = Collections.synchronizedList(new ArrayList<>());
            BitSet[] written = {new BitSet(), new BitSet(), new BitSet()}; // per writer: page + pages for MAIN
            List<Thread> writers = new ArrayList<>();
            for (int k = 0; k < 3; k++) {
                int kind = k;
                Thread t = new Thread(() -> {
                    List<Integer> mine = new ArrayList<>();
                    for (int p = kind; p < 2 * pages; p += 3) {
                        mine.add(p);
                    }
                    Collections.shuffle(mine, new java.util.Random(kind));
                    try (RcuReader r = sys.rcu().register()) {
                        AddressSpaceAccessor acc = as.accessor(r);
                        start.await();
                        for (int p : mine) {
                            long addr = (p < pages ? VRAM : MAIN) + (long) (p % pages) * PAGE + 8 * (p % 500);
                            MemTxResult res;
                            if (kind == 2) {
                                res = as.write(addr, MemTxAttrs.UNSPECIFIED, MemorySegment.ofArray(new byte[16]));
                            } else {
                                r.enter();
                                res = kind == 0 ? acc.st64le(addr, p) : acc.st8(addr, p);
                                r.exit();
                            }
                            if (res != MemTxResult.OK) {
                                throw new AssertionError("write answered " + res);
                            }
                            written[kind].set(p); // recorded only after the write returned
                            Thread.yield();
                        }
                    } catch (Throwable e) {
                        errors.add(e);
                    }
                });
                t.start();
                writers.add(t);
            }
            AtomicBoolean done = new AtomicBoolean();
            // what the clears reported: [VGA on vram, MIGRATION on vram, MIGRATION on main, CODE on main]
            BitSet[] harvested = {new BitSet(), new BitSet(), new BitSet(), new BitSet()};
            int[] rounds = new int[1];
            int[] harvestedWhileWriting = new int[1];
            Thread clearer = new Thread(() -> {
                try {
                    boolean last = false;
                    while (!last) {
                        last = done.get(); // after the writers joined: one final round
                        if (last) {
                            harvestedWhileWriting[0] = harvested[0].cardinality() + harvested[1].cardinality()
                                    + harvested[2].cardinality() + harvested[3].cardinality();
                        }
                        // snapshot-and-clear of a whole region (QEMU's display/migration style) ...
                        DirtySnapshot vga = vram.snapshotAndClearDirty(0, size, DirtyLogClient.VGA);
                        DirtySnapshot mig = main.snapshotAndClearDirty(0, size, DirtyLogClient.MIGRATION);
                        for (int p = 0; p < pages; p++) {
                            if (vga.isDirty((long) p * PAGE, PAGE)) {
                                harvested[0].set(p);
                            }
                            if (mig.isDirty((long) p * PAGE, PAGE)) {
                                harvested[2].set(p);
                            }
                        }
                        // ... and test-and-clear in 64 KiB steps (QEMU's memory_region_reset_dirty)
                        for (int p = 0; p < pages; p += 16) {
                            for (int q = p; q < p + 16; q++) {
                                if (vram.testAndClearDirty((long) q * PAGE, PAGE, DirtyLogClient.MIGRATION)) {
                                    harvested[1].set(q);
                                }
                            }
                            if (main.testAndClearDirty((long) p * PAGE, 16L * PAGE, DirtyLogClient.CODE)) {
                                for (int q = p; q < p + 16; q++) {
                                    harvested[3].set(q); // a multi-page clear answers for the whole range
                                }
                            }
                        }
                        rounds[0]++;
                    }
                } catch (Throwable e) {
                    errors.add(e);
                }
            });
            clearer.start();
            start.countDown();
            for (Thread w : writers) {
                w.join();
            }
            done.set(true);
            clearer.join();
            assertEquals(List.of(), errors);
            assertTrue(rounds[0] >= 2, "the clearer ran while writers wrote and once after");
            assertTrue(harvestedWhileWriting[0] > 0, "some clears overlapped the writers");

            BitSet all = new BitSet();
            for (BitSet b : written) {
                all.or(b);
            }
            assertEquals(2 * pages, all.cardinality());
            BitSet everyPage = new BitSet();
            everyPage.set(0, pages);
            // every page was written once; the union of the clears covers all of them
            assertSamePages(everyPage, harvested[0], "VGA on vram");
            assertSamePages(everyPage, harvested[1], "MIGRATION on vram");
            assertSamePages(everyPage, harvested[2], "MIGRATION on main");
            assertSamePages(everyPage, harvested[3], "CODE on main");
            // after the final round nothing is left behind
            assertFalse(vram.getDirty(0, size, DirtyLogClient.VGA));
            assertFalse(vram.getDirty(0, size, DirtyLogClient.MIGRATION));
            assertFalse(main.getDirty(0, size, DirtyLogClient.MIGRATION));
            assertFalse(main.getDirty(0, size, DirtyLogClient.CODE));
        }
    }
}
