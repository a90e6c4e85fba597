package org.guestmem.tlb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.guestmem.AddressSpace;
import org.guestmem.ContainerRegion;
import org.guestmem.MemoryRegion;
import org.guestmem.MemorySystem;
import org.guestmem.RamRegion;
import org.guestmem.dirty.DirtyLogClient;
import org.guestmem.dirty.DirtySnapshot;
import org.guestmem.dirty.GlobalDirtyReason;
import org.guestmem.rcu.RcuReader;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Test-and-clear stays lossless when CPU threads store on their TLBs' fast paths: writer threads
 * store through their own TLBs (quiescent-state readers, a quiescent state every few stores) while
 * a clearer snapshots and test-and-clears. For every page and client, some clear that returned
 * after the page's last store started reports the page (a store that starts after a clear
 * returned is reported by a later clear; one racing with a clear by it or a later one). An entry
 * left armed after a clear would store without setting the bit again, and that report would be
 * missing. With each page written once a lost page is lost for good; with each page written 32
 * times the clears between the writes must report it again and again.
 */
class TlbDirtyConcurrencyTest {
    static final int PAGE = 4096;
    static final long VRAM = 0x1000_0000L;
    static final long MAIN = 0x2000_0000L;
    static final int SIZE = 4 << 20; // 1024 pages per region
    static final int PAGES = SIZE / PAGE;

    @ParameterizedTest
    @CsvSource({"false, 1", "true, 1", "false, 32", "true, 32"})
    void clearingWhileCpusStoreOnTheirFastPathsShouldLoseNothing(boolean checked, int writesPerPage) throws Exception {
        try (MemorySystem sys = MemorySystem.builder().checkedAccess(checked).codeDirtyTracking(true).build()) {
            ContainerRegion root = sys.container("system", MemoryRegion.SIZE_2_64);
            RamRegion vram = sys.ram("vram", SIZE);
            RamRegion main = sys.ram("main", SIZE);
            root.addSubregion(vram, VRAM);
            root.addSubregion(main, MAIN);
            AddressSpace as = sys.addressSpace("memory", root);
            vram.setLog(true, DirtyLogClient.VGA);
            sys.startGlobalDirtyLog(EnumSet.of(GlobalDirtyReason.MIGRATION));
            for (RamRegion r : List.of(vram, main)) {
                for (DirtyLogClient c : DirtyLogClient.values()) {
                    r.testAndClearDirty(0, SIZE, c);
                }
            }
            CountDownLatch start = new CountDownLatch(1);
            List<Throwable> errors = Collections.synchronizedList(new ArrayList<>());
            int writers = 3;
            AtomicLong clock = new AtomicLong();
            AtomicLongArray lastWrite = new AtomicLongArray(2 * PAGES);
            BitSet[] written = new BitSet[writers];
            List<Thread> threads = new ArrayList<>();
            for (int k = 0; k < writers; k++) {
                int kind = k;
                written[k] = new BitSet();
                Thread t = new Thread(() -> {
                    List<Integer> mine = new ArrayList<>();
                    for (int w = 0; w < writesPerPage; w++) {
                        for (int p = kind; p < 2 * PAGES; p += writers) {
                            mine.add(p);
                        }
                    }
                    Collections.shuffle(mine, new Random(kind));
                    try (RcuReader r = sys.rcu().registerQuiescent(); Tlb tlb = Tlb.builder(r).index(as).entries(4096).build()) {
                        start.await();
                        int n = 0;
                        for (int p : mine) {
                            long addr = (p < PAGES ? VRAM : MAIN) + (long) (p % PAGES) * PAGE + 8 * (p % 500);
                            long started = clock.incrementAndGet();
                            int res = (n & 1) == 0 ? Tlb.st64le(tlb, 0, addr, p) : Tlb.st8(tlb, 0, addr + 3, p);
                            if ((res & Tlb.MEMTX_BITS) != 0) {
                                throw new AssertionError("store at 0x" + Long.toHexString(addr) + " answered " + res);
                            }
                            lastWrite.set(p, started); // pages are one writer's: its last store started last
                            written[kind].set(p);
                            if (++n % 4 == 0) {
                                r.quiescentState();
                                Thread.yield();
                            }
                        }
                    } catch (Throwable e) {
                        errors.add(e);
                    }
                });
                t.start();
                threads.add(t);
            }
            AtomicBoolean done = new AtomicBoolean();
            // when a clear that reported the page last returned: VGA on vram, MIGRATION on vram,
            // MIGRATION on main, CODE on main
            AtomicLongArray[] reported = {new AtomicLongArray(PAGES), new AtomicLongArray(PAGES),
                    new AtomicLongArray(PAGES), new AtomicLongArray(PAGES)};
            int[] rounds = new int[1];
            Thread clearer = new Thread(() -> {
                try {
                    boolean last = false;
                    while (!last) {
                        last = done.get(); // after the writers joined: one final round
                        DirtySnapshot vga = vram.snapshotAndClearDirty(0, SIZE, DirtyLogClient.VGA);
                        long t = clock.incrementAndGet();
                        DirtySnapshot mig = main.snapshotAndClearDirty(0, SIZE, DirtyLogClient.MIGRATION);
                        long t2 = clock.incrementAndGet();
                        for (int p = 0; p < PAGES; p++) {
                            if (vga.isDirty((long) p * PAGE, PAGE)) {
                                reported[0].set(p, t);
                            }
                            if (mig.isDirty((long) p * PAGE, PAGE)) {
                                reported[2].set(p, t2);
                            }
                        }
                        for (int p = 0; p < PAGES; p += 16) {
                            for (int q = p; q < p + 16; q++) {
                                if (vram.testAndClearDirty((long) q * PAGE, PAGE, DirtyLogClient.MIGRATION)) {
                                    reported[1].set(q, clock.incrementAndGet());
                                }
                            }
                            if (main.testAndClearDirty((long) p * PAGE, 16L * PAGE, DirtyLogClient.CODE)) {
                                long tc = clock.incrementAndGet();
                                for (int q = p; q < p + 16; q++) {
                                    reported[3].set(q, tc); // a multi-page clear answers for the whole range
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
            for (Thread t : threads) {
                t.join();
            }
            done.set(true);
            clearer.join();
            assertEquals(List.of(), errors);
            assertTrue(rounds[0] >= 2, "the clearer ran while writers wrote and once after");
            BitSet all = new BitSet();
            for (BitSet b : written) {
                all.or(b);
            }
            assertEquals(2 * PAGES, all.cardinality());
            String[] what = {"VGA on vram", "MIGRATION on vram", "MIGRATION on main", "CODE on main"};
            for (int c = 0; c < 4; c++) {
                BitSet lost = new BitSet();
                int firstPage = c < 2 ? 0 : PAGES;
                for (int p = 0; p < PAGES; p++) {
                    if (reported[c].get(p) < lastWrite.get(firstPage + p)) {
                        lost.set(p);
                    }
                }
                assertEquals(new BitSet(), lost, what[c] + ": pages whose last store no later clear reported");
            }
            assertFalse(vram.getDirty(0, SIZE, DirtyLogClient.VGA), "the final round left nothing behind");
            assertFalse(main.getDirty(0, SIZE, DirtyLogClient.MIGRATION));
        }
    }
}
