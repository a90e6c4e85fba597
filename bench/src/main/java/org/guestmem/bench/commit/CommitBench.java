package org.guestmem.bench.commit;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import org.guestmem.AddressSpace;
import org.guestmem.FlatView;
import org.guestmem.MemoryRegion;
import org.guestmem.MemoryTransaction;
import org.guestmem.bench.Baseline;
import org.guestmem.bench.TreeMapMemory;
import org.guestmem.bench.TreeMapMemory.Region;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Rendering and commit: what one change to the map costs the writer, from the mutator call to the
 * new views being published, at 16, 1,024 and 16,384 regions, on a flat map and on a PC-like tree
 * with aliases (see {@link CommitMap}). A commit renders only the windows its changes reach and
 * copies the rest of the previous view, so these numbers are that render, the copy and the
 * publication, and their growth with the region count is the point of the suite.
 *
 * <p>Each invocation makes a change and undoes it, so the map is the same at every invocation;
 * one operation is one commit (one published change). No reader is registered, so the old views
 * are reclaimed at once by the RCU thread, which runs beside the benchmark thread.
 *
 * <p>The in-run baseline is the hand-written {@link TreeMapMemory} with the same number of
 * regions: the same change made by copying the map, editing the copy and publishing it, which is
 * what vm-memory does and what a user would write instead.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class CommitBench {

    /** guestmem: a {@link CommitMap}. */
    @State(Scope.Thread)
    public static class Guest {
        /** Number of leaf regions (the pc map has about 80 more). */
        @Param({"16", "1024", "16384"})
        public int regions;

        /** {@code flat} or {@code pc}. */
        @Param({"flat", "pc"})
        public String map;

        CommitMap m;
        AddressSpace space;
        MemoryRegion target;
        long targetAddress;

        /** Builds the map; the change target is the middle leaf. */
        @Setup(Level.Trial)
        public void setup() {
            m = CommitMap.build(map, regions);
            space = m.sys.addressSpaces().getFirst();
            target = m.leaves[regions / 2];
            targetAddress = m.leafAddress(regions / 2);
        }

        /** Closes the system. */
        @TearDown(Level.Trial)
        public void tearDown() {
            m.close();
        }

        FlatView view() {
            return space.currentView();
        }
    }

    /** The hand-written baseline: {@code regions} regions in a copy-on-write {@link TreeMapMemory}. */
    @State(Scope.Thread)
    public static class HandWritten {
        /** Number of regions. */
        @Param({"16", "1024", "16384"})
        public int regions;

        TreeMapMemory mem;
        Region target;
        long moved;
        Region[] spares;
        long[] spareBases;

        /** Maps the regions, alternately RAM and MMIO, 4 KiB every 64 KiB. */
        @Setup(Level.Trial)
        public void setup() {
            mem = new TreeMapMemory();
            Region[] all = new Region[regions];
            MemorySegment page = MemorySegment.ofArray(new byte[(int) CommitMap.LEAF]);
            for (int i = 0; i < regions; i++) {
                long b = CommitMap.FLAT_BASE + i * CommitMap.STRIDE;
                all[i] = i % 2 == 0 ? Region.ram(b, page) : Region.mmio(b, CommitMap.LEAF, (a, s) -> 0, (a, v, s) -> {
                });
            }
            mem.replace(new long[0], all);
            target = all[regions / 2];
            moved = target.base() + CommitMap.MOVE_OFFSET;
            spares = new Region[CommitMap.SPARES];
            spareBases = new long[CommitMap.SPARES];
            for (int k = 0; k < CommitMap.SPARES; k++) {
                long slot = (long) (k % regions) * Math.max(1, regions / CommitMap.SPARES);
                spareBases[k] = CommitMap.FLAT_BASE + slot * CommitMap.STRIDE + 8 * CommitMap.KiB + (k / regions) * CommitMap.LEAF;
                spares[k] = Region.mmio(spareBases[k], CommitMap.LEAF, (a, s) -> 0, (a, v, s) -> {
                });
            }
        }
    }

    /** guestmem: disable one region, commit; enable it, commit (ns per commit). */
    @Benchmark
    @OperationsPerInvocation(2)
    @Baseline("treeMapToggle")
    public FlatView toggle(Guest g) {
        g.target.setEnabled(false);
        g.target.setEnabled(true);
        return g.view();
    }

    /** guestmem: add one 4 KiB region in a gap, commit; remove it, commit (ns per commit). */
    @Benchmark
    @OperationsPerInvocation(2)
    @Baseline("treeMapAddRemove")
    public FlatView addRemove(Guest g) {
        g.m.parent.addSubregion(g.m.spares[0], g.m.spareAddress[0]);
        g.m.parent.removeSubregion(g.m.spares[0]);
        return g.view();
    }

    /** guestmem: move one region into its gap, commit; move it back, commit (ns per commit). */
    @Benchmark
    @OperationsPerInvocation(2)
    @Baseline("treeMapMove")
    public FlatView move(Guest g) {
        g.target.setAddress(g.targetAddress + CommitMap.MOVE_OFFSET);
        g.target.setAddress(g.targetAddress);
        return g.view();
    }

    /** guestmem: one transaction adding 100 regions, then one removing them (ns per transaction). */
    @Benchmark
    @OperationsPerInvocation(2)
    @Baseline("treeMapBatch100")
    public FlatView batch100(Guest g) {
        CommitMap m = g.m;
        try (MemoryTransaction tx = m.sys.begin()) {
            for (int k = 0; k < CommitMap.SPARES; k++) {
                m.parent.addSubregion(m.spares[k], m.spareAddress[k]);
            }
        }
        try (MemoryTransaction tx = m.sys.begin()) {
            for (int k = 0; k < CommitMap.SPARES; k++) {
                m.parent.removeSubregion(m.spares[k]);
            }
        }
        return g.view();
    }

    /** Hand-written: remove one region (copy, publish); put it back (copy, publish); ns per publication. */
    @Benchmark
    @OperationsPerInvocation(2)
    public Object treeMapToggle(HandWritten h) {
        h.mem.remove(h.target.base());
        h.mem.add(h.target);
        return h.mem.map();
    }

    /** Hand-written: add one region in a gap (copy, publish); remove it (copy, publish); ns per publication. */
    @Benchmark
    @OperationsPerInvocation(2)
    public Object treeMapAddRemove(HandWritten h) {
        h.mem.add(h.spares[0]);
        h.mem.remove(h.spares[0].base());
        return h.mem.map();
    }

    /** Hand-written: move one region (copy, remove, insert, publish) and back; ns per publication. */
    @Benchmark
    @OperationsPerInvocation(2)
    public Object treeMapMove(HandWritten h) {
        Region t = h.target;
        Region there = new Region(h.moved, t.size(), t.ram(), t.read(), t.write());
        h.mem.replace(new long[] {t.base()}, new Region[] {there});
        h.mem.replace(new long[] {h.moved}, new Region[] {t});
        return h.mem.map();
    }

    /** Hand-written: add 100 regions in one copy and publication, then remove them in another. */
    @Benchmark
    @OperationsPerInvocation(2)
    public Object treeMapBatch100(HandWritten h) {
        h.mem.replace(new long[0], h.spares);
        h.mem.replace(h.spareBases, new Region[0]);
        return h.mem.map();
    }
}
