package org.guestmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.guestmem.internal.NativeMemoryStats;
import org.guestmem.rcu.RcuReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Readers read and write RAM and read MMIO through an address space while a writer commits
 * 100,000 topology changes: add, remove, move, enable and disable RAM regions and aliases, and
 * destroy RAM regions. Checks that no access ever throws (an {@link IllegalStateException} from a
 * closed arena would mean a reader touched freed memory), that every value read is one the map
 * could have shown, and that once everything is drained the live native memory is back where it
 * started.
 *
 * <h2>Why a value can be checked without knowing the map at that moment</h2>
 * RAM regions are all 64 KiB and only ever appear at 64 KiB-aligned slots, directly or through
 * full-window aliases with offset 0, so guest address {@code a} always shows offset
 * {@code a & 0xffff} of some region. Readers store {@code a ^ KEY} at {@code a}. A read at
 * {@code a} must therefore answer one of: a word some reader stored at the same offset of a
 * region ({@code ((v ^ KEY) & 0xffff) == (a & 0xffff)} and inside the slot range), 0 (a fresh
 * region, or a hole answering DECODE_ERROR), or, in the MMIO slots, the device's value for that
 * offset (or 0 with DECODE_ERROR while the device is unmapped).
 */
class ConcurrencyStressTest {
    private static final long KEY = 0x5A5A_0000_0000_0000L;
    private static final long RAM_BASE = 0x1000_0000L;
    private static final long SLOT = 0x10000;
    private static final int RAM_SLOTS = 16;
    private static final long MMIO_BASE = 0x2000_0000L;
    private static final int MMIO_SLOTS = 4;
    private static final int CHANGES = 100_000;

    private static long mmioValue(int dev, long offset) {
        return 0xD000_0000L | ((long) dev << 16) | (offset & 0xfffc);
    }

    @Test
    @Timeout(600)
    void shouldNeverFailOrShowAnImpossibleValueUnderATopologyStorm() throws Exception {
        MemorySystem sys = MemorySystem.builder().name("stress").build();
        NativeMemoryStats stats = sys.nativeMemoryStats();
        ContainerRegion root = sys.container("system", MemoryRegion.SIZE_2_64);
        AddressSpace as = sys.addressSpace("memory", root);
        long allocations0 = stats.liveAllocations();
        long bytes0 = stats.liveBytes();

        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong reads = new AtomicLong();
        CountDownLatch started = new CountDownLatch(2);

        Writer writer = new Writer(sys, root);
        writer.setUp();

        Thread explicit = Thread.ofPlatform().name("reader-explicit").start(
                () -> readLoop(sys, as, false, 1, stop, started, failures, reads));
        Thread quiescent = Thread.ofPlatform().name("reader-quiescent").start(
                () -> readLoop(sys, as, true, 2, stop, started, failures, reads));
        started.await();
        try {
            writer.run(CHANGES);
        } finally {
            stop.set(true);
            explicit.join(60_000);
            quiescent.join(60_000);
        }
        assertTrue(failures.isEmpty(), failures.size() + " failures, first: " + failures.peek());
        assertTrue(writer.changes >= CHANGES, "changes " + writer.changes);
        assertTrue(reads.get() > 10_000, "the readers ran (" + reads.get() + " accesses)");

        writer.tearDown();
        sys.awaitReclamation();
        assertEquals(allocations0, stats.liveAllocations(), "arenas back to the start: " + stats);
        assertEquals(bytes0, stats.liveBytes(), "native bytes back to the start: " + stats);
        sys.close();
    }

    private static void readLoop(MemorySystem sys, AddressSpace as, boolean quiescentMode, long seed, AtomicBoolean stop,
                                 CountDownLatch started, ConcurrentLinkedQueue<String> failures, AtomicLong reads) {
        SplittableRandom rnd = new SplittableRandom(seed);
        long n = 0;
        try (RcuReader r = quiescentMode ? sys.rcu().registerQuiescent() : sys.rcu().register()) {
            AddressSpaceAccessor acc = as.accessor(r, 1024);
            started.countDown();
            while (!stop.get()) {
                if (!quiescentMode) {
                    r.enter();
                }
                for (int i = 0; i < 64; i++) {
                    n++;
                    int what = rnd.nextInt(16);
                    if (what < 6) { // RAM read through the accessor
                        long a = RAM_BASE + rnd.nextInt(RAM_SLOTS) * SLOT + rnd.nextInt((int) (SLOT / 8)) * 8;
                        long v = acc.ld64le(a);
                        checkRam(a, v, acc.lastResult(), failures);
                    } else if (what < 10) { // RAM write
                        long a = RAM_BASE + rnd.nextInt(RAM_SLOTS) * SLOT + rnd.nextInt((int) (SLOT / 8)) * 8;
                        MemTxResult res = acc.st64le(a, a ^ KEY);
                        if (res != MemTxResult.OK && res != MemTxResult.DECODE_ERROR) {
                            failures.add("write at 0x" + Long.toHexString(a) + " answered " + res);
                        }
                    } else if (what < 14) { // MMIO read
                        int dev = rnd.nextInt(MMIO_SLOTS);
                        long off = rnd.nextInt(0x1000) & ~3L;
                        long v = acc.ld32le(MMIO_BASE + dev * SLOT + off);
                        MemTxResult res = acc.lastResult();
                        if (!(v == mmioValue(dev, off) && res == MemTxResult.OK) && !(v == 0 && res == MemTxResult.DECODE_ERROR)) {
                            failures.add("MMIO read of device " + dev + " at 0x" + Long.toHexString(off) + " gave 0x"
                                    + Long.toHexString(v) + " " + res);
                        }
                    } else { // the counted-reference path of threads that never registered
                        long a = RAM_BASE + rnd.nextInt(RAM_SLOTS) * SLOT + rnd.nextInt((int) (SLOT / 8)) * 8;
                        MemTxResult[] res = new MemTxResult[1];
                        long v = as.load(a, 8, java.nio.ByteOrder.LITTLE_ENDIAN, MemTxAttrs.UNSPECIFIED, res);
                        checkRam(a, v, res[0], failures);
                    }
                }
                if (quiescentMode) {
                    r.quiescentState();
                } else {
                    r.exit();
                }
            }
        } catch (Throwable t) {
            failures.add(Thread.currentThread().getName() + " threw " + t);
        } finally {
            reads.addAndGet(n);
        }
    }

    private static void checkRam(long a, long v, MemTxResult res, ConcurrentLinkedQueue<String> failures) {
        if (res == MemTxResult.DECODE_ERROR) {
            if (v != 0) {
                failures.add("a hole at 0x" + Long.toHexString(a) + " read 0x" + Long.toHexString(v));
            }
            return;
        }
        if (res != MemTxResult.OK) {
            failures.add("read at 0x" + Long.toHexString(a) + " answered " + res);
            return;
        }
        if (v == 0) {
            return; // a fresh region, or a word nobody wrote yet
        }
        long w = v ^ KEY;
        boolean sameOffset = (w & (SLOT - 1)) == (a & (SLOT - 1));
        boolean inRange = w >= RAM_BASE && w < RAM_BASE + RAM_SLOTS * SLOT;
        if (!sameOffset || !inRange) {
            failures.add("read at 0x" + Long.toHexString(a) + " gave 0x" + Long.toHexString(v)
                    + ", which no region could hold there");
        }
    }

    /** The topology writer: a pool of RAM regions and aliases moving between slots. */
    private static final class Writer {
        private final MemorySystem sys;
        private final ContainerRegion root;
        private final SplittableRandom rnd = new SplittableRandom(42);
        private final List<RamRegion> rams = new ArrayList<>();
        private final List<AliasRegion> aliases = new ArrayList<>();
        private final List<MmioRegion> devices = new ArrayList<>();
        /** What occupies each RAM slot (null: free). */
        private final MemoryRegion[] slots = new MemoryRegion[RAM_SLOTS];
        private int created;
        long changes;

        Writer(MemorySystem sys, ContainerRegion root) {
            this.sys = sys;
            this.root = root;
        }

        void setUp() {
            for (int i = 0; i < 8; i++) {
                rams.add(sys.ram("ram" + created++, SLOT));
            }
            for (int d = 0; d < MMIO_SLOTS; d++) {
                int dev = d;
                MmioRegion m = sys.mmio("dev" + d, 0x1000, MemoryRegionOps.builder()
                        .read((off, size) -> mmioValue(dev, off)).valid(4, 4, false).build());
                devices.add(m);
                root.addSubregion(m, MMIO_BASE + d * SLOT);
            }
        }

        void run(int target) {
            while (changes < target) {
                if (rnd.nextInt(50) == 0) {
                    try (MemoryTransaction tx = sys.begin()) {
                        int k = 2 + rnd.nextInt(6);
                        for (int i = 0; i < k; i++) {
                            step();
                        }
                    }
                } else {
                    step();
                }
            }
        }

        private int slotOf(MemoryRegion r) {
            for (int i = 0; i < RAM_SLOTS; i++) {
                if (slots[i] == r) {
                    return i;
                }
            }
            return -1;
        }

        private int freeSlot() {
            int s = rnd.nextInt(RAM_SLOTS);
            return slots[s] == null ? s : -1;
        }

        private void step() {
            switch (rnd.nextInt(10)) {
                case 0, 1 -> { // map a RAM region or an alias of one into a free slot
                    int s = freeSlot();
                    if (s < 0) {
                        return;
                    }
                    MemoryRegion r;
                    if (rnd.nextBoolean()) {
                        r = rams.get(rnd.nextInt(rams.size()));
                        if (r.container().isPresent()) {
                            return;
                        }
                    } else {
                        RamRegion target = rams.get(rnd.nextInt(rams.size()));
                        r = sys.alias("alias-of-" + target.name(), target, 0, SLOT);
                        aliases.add((AliasRegion) r);
                    }
                    root.addSubregion(r, RAM_BASE + s * SLOT);
                    slots[s] = r;
                }
                case 2, 3 -> { // unmap
                    int s = rnd.nextInt(RAM_SLOTS);
                    if (slots[s] != null) {
                        root.removeSubregion(slots[s]);
                        if (slots[s] instanceof AliasRegion a) {
                            aliases.remove(a);
                        }
                        slots[s] = null;
                    }
                }
                case 4, 5 -> { // move to a free slot
                    int from = rnd.nextInt(RAM_SLOTS);
                    int to = freeSlot();
                    if (slots[from] != null && to >= 0) {
                        slots[from].setAddress(RAM_BASE + to * SLOT);
                        slots[to] = slots[from];
                        slots[from] = null;
                    }
                }
                case 6, 7 -> { // enable or disable something mapped
                    int s = rnd.nextInt(RAM_SLOTS);
                    if (slots[s] != null) {
                        slots[s].setEnabled(!slots[s].isEnabled());
                    } else {
                        MmioRegion d = devices.get(rnd.nextInt(devices.size()));
                        d.setEnabled(!d.isEnabled());
                    }
                }
                default -> { // destroy an unmapped RAM region, and its aliases, and make a new one
                    RamRegion r = rams.get(rnd.nextInt(rams.size()));
                    if (r.isMapped()) {
                        return;
                    }
                    aliases.removeIf(a -> a.target() == r && !a.container().isPresent());
                    r.destroy();
                    rams.remove(r);
                    rams.add(sys.ram("ram" + created++, SLOT));
                }
            }
            changes++;
        }

        void tearDown() {
            try (MemoryTransaction tx = sys.begin()) {
                for (int s = 0; s < RAM_SLOTS; s++) {
                    if (slots[s] != null) {
                        root.removeSubregion(slots[s]);
                        slots[s] = null;
                    }
                }
                for (MmioRegion d : devices) {
                    root.removeSubregion(d);
                }
            }
            for (RamRegion r : rams) {
                r.destroy();
            }
            rams.clear();
            aliases.clear();
        }
    }
}
