package org.guestmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.statistics.Statistics;
import org.guestmem.RandomTree.Node;
import org.guestmem.dirty.DirtyLogClient;
import org.guestmem.internal.DispatchTable;
import org.guestmem.layout.DispatchHeaderLayout;
import org.guestmem.layout.SectionLayout;
import org.junit.jupiter.api.Test;

/**
 * Incremental rendering against the full renderer: random trees ({@link RandomTree}: aliases of
 * aliases, overlaps, 2^64-byte regions, roots at non-zero addresses) changed by random sequences
 * (enable/disable, readonly, nonvolatile, romd, alias offsets, moves, removals and additions,
 * sizes, new address spaces, and here also priority changes and dirty-log requests), inside and
 * outside transactions. After every change every address space's published view must equal a
 * full render of its flatview root, range for range, whether the commit kept the view, spliced
 * windows into it or rendered it in full. (The test runs also set {@code guestmem.verifyIncremental},
 * so every commit checks itself as well; this test checks from outside, through a renderer of its
 * own.)
 */
class IncrementalRenderPropertyTest {
    private static final int ROUNDS = 12;

    @Property(tries = 2000)
    void everyCommitEqualsAFullRender(@ForAll long seed, @ForAll @IntRange(min = 2, max = 40) int regionCount) {
        long[] before;
        try (RandomTree t = new RandomTree(seed, regionCount, false)) {
            before = t.sys.renderCounts();
            t.build();
            check(t, "after building");
            Random rnd = new Random(seed);
            for (int round = 0; round < ROUNDS; round++) {
                if (rnd.nextInt(3) == 0) {
                    extraChange(t, rnd);
                } else {
                    t.mutate(round);
                }
                check(t, "after change round " + round);
            }
            long[] after = t.sys.renderCounts();
            Statistics.label("kept").collect(after[0] - before[0] > 0);
            Statistics.label("spliced").collect(after[1] - before[1] > 0);
            t.tearDown();
        }
    }

    /** The same random sequences over a fixed set of seeds: the incremental paths must really be taken. */
    @Test
    void theRandomSequencesKeepAndSpliceViews() {
        long kept = 0;
        long spliced = 0;
        long rendered = 0;
        for (long seed = 0; seed < 200; seed++) {
            try (RandomTree t = new RandomTree(seed, 24, false)) {
                t.build();
                long[] b = t.sys.renderCounts();
                Random rnd = new Random(seed);
                for (int round = 0; round < ROUNDS; round++) {
                    if (rnd.nextInt(3) == 0) {
                        extraChange(t, rnd);
                    } else {
                        t.mutate(round);
                    }
                    check(t, "seed " + seed + " round " + round);
                }
                long[] a = t.sys.renderCounts();
                kept += a[0] - b[0];
                spliced += a[1] - b[1];
                rendered += a[2] - b[2];
                t.tearDown();
            }
        }
        assertTrue(spliced > 500, "spliced " + spliced);
        assertTrue(kept > 100, "kept " + kept);
        assertTrue(rendered > 0, "rendered in full " + rendered);
    }

    /** A priority change (QEMU re-adds the region) or a dirty-log request, which {@link RandomTree#mutate} does not make. */
    private static void extraChange(RandomTree t, Random rnd) {
        List<Node> nodes = t.nodes;
        Node n = nodes.get(rnd.nextInt(nodes.size()));
        try {
            if (rnd.nextBoolean() && n.parent != null) {
                int prio = rnd.nextInt(5) - 2;
                MemoryRegion c = n.parent.region;
                try (MemoryTransaction tx = t.sys.begin()) {
                    c.removeSubregion(n.region);
                    c.addSubregionOverlap(n.region, n.addr, prio);
                }
                n.prio = prio;
            } else if (n.region instanceof RamBackedRegion) {
                boolean on = n.region.logCounts[DirtyLogClient.VGA.ordinal()] == 0;
                n.region.setLog(on, DirtyLogClient.VGA);
            }
        } catch (AliasLoopException e) {
            // refused and rolled back: the tree is as it was
        }
    }

    /**
     * Every space's view equals a full render of its flatview root: its ranges, and its dispatch
     * tables (every field of every native section, the Java arrays by section, the distinct
     * regions, QEMU's dispatch dump), which a spliced view copies in runs from its predecessor.
     */
    private static void check(RandomTree t, String when) {
        FlatViewRenderer reference = new FlatViewRenderer(t.sys.viewContext());
        for (AddressSpace as : t.sys.addressSpaces()) {
            MemoryRegion physmr = FlatViewRenderer.flatviewRoot(as.root());
            FlatView got = as.currentView();
            String what = as.name() + " " + when;
            if (physmr == null) {
                assertEquals(List.of(), got.ranges(), what);
                continue;
            }
            FlatView full = reference.render(physmr, null);
            try {
                assertEquals(full.ranges(), got.ranges(), what + "\n" + String.join("\n", t.log));
                assertSameTables(full, got, what);
            } finally {
                full.release();
            }
        }
    }

    static void assertSameTables(FlatView want, FlatView got, String what) {
        DispatchTable a = want.dispatch;
        DispatchTable b = got.dispatch;
        assertEquals(a.sectionCount(), b.sectionCount(), what);
        MemorySegment na = want.nativeTables();
        MemorySegment nb = got.nativeTables();
        long sa = (long) DispatchHeaderLayout.SECTIONS_OFFSET.get(na, 0L);
        long sb = (long) DispatchHeaderLayout.SECTIONS_OFFSET.get(nb, 0L);
        for (int s = 0; s < a.sectionCount(); s++) {
            String sec = what + ", section " + s;
            assertEquals(a.start(s), b.start(s), sec);
            assertEquals(a.sizeMinusOne(s), b.sizeMinusOne(s), sec);
            assertEquals(a.offsetInRegion(s), b.offsetInRegion(s), sec);
            assertEquals(a.hostAddend(s), b.hostAddend(s), sec);
            assertEquals(a.regionIndex(s), b.regionIndex(s), sec);
            assertEquals(a.kind(s), b.kind(s), sec);
            assertEquals(a.flags(s), b.flags(s), sec);
            assertEquals(a.dirtyLogMask(s), b.dirtyLogMask(s), sec);
            long oa = sa + s * SectionLayout.BYTES;
            long ob = sb + s * SectionLayout.BYTES;
            assertEquals(na.get(ValueLayout.JAVA_LONG, oa + SectionLayout.DIRTY_BITMAP_OFFSET),
                    nb.get(ValueLayout.JAVA_LONG, ob + SectionLayout.DIRTY_BITMAP_OFFSET), sec);
            assertEquals(na.get(ValueLayout.JAVA_LONG, oa + SectionLayout.DIRTY_PAGES_OFFSET),
                    nb.get(ValueLayout.JAVA_LONG, ob + SectionLayout.DIRTY_PAGES_OFFSET), sec);
            assertSame(want.sectionRegion[s], got.sectionRegion[s], sec);
            assertSame(want.sectionRam[s], got.sectionRam[s], sec);
            assertSame(want.sectionBlock[s], got.sectionBlock[s], sec);
            assertSame(want.sectionIo[s], got.sectionIo[s], sec);
            assertEquals(want.sectionRange[s], got.sectionRange[s], sec);
            if (s > 0) {
                assertEquals(want.rangeKind(s - 1), got.rangeKind(s - 1), sec);
                assertEquals(s, b.find(b.start(s)), sec);
            }
        }
        assertEquals(want.regions(), got.regions(), what);
        assertEquals(want.qemuDispatchDump(), got.qemuDispatchDump(), what);
    }
}
