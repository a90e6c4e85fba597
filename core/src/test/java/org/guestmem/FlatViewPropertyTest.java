package org.guestmem;

import static org.guestmem.RandomTree.flatviewRoot;
import static org.guestmem.RandomTree.unsigned;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.fail;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.statistics.Statistics;
import org.guestmem.RandomTree.Kind;
import org.guestmem.RandomTree.Node;
import org.guestmem.internal.DispatchTable;

/**
 * Random region trees ({@link RandomTree}) against a deliberately simple reference model.
 *
 * <p>The model reads only the test's shadow of the tree, never what the implementation reports.
 * For an address it walks the shadow as spec 2.2 says: a disabled node hides its subtree; a node's
 * window is intersected with every ancestor's; an alias translates by its offset (cancelling its
 * target's address) and shows its target; otherwise the children are tried in list order
 * (descending priority, the later-added first) and the node's own content comes after them if it
 * terminates. The flatview root is chosen by spec 2.1. The model computes with {@link BigInteger},
 * so bases below zero and windows reaching 2^64 need no care.
 *
 * <p>Each try builds a tree, checks every address space, then changes the tree three times
 * (inside and outside transactions) and checks again. A check probes the first, middle and last
 * address of every range, the addresses just outside it and random addresses, checks that holes
 * are holes, that ranges are sorted, disjoint and fully merged, and that spaces with the same
 * flatview root share one view object while different roots do not.
 */
class FlatViewPropertyTest {
    private static final BigInteger TWO_64 = BigInteger.ONE.shiftLeft(64);

    @Property(tries = 2500)
    void shouldRenderWhatTheReferenceModelServes(@ForAll long seed, @ForAll @IntRange(min = 2, max = 32) int regionCount) {
        try (RandomTree t = new RandomTree(seed, regionCount, false)) {
            t.build();
            collectStatistics(t);
            check(t, "after building");
            for (int round = 0; round < 3; round++) {
                t.mutate(round);
                check(t, "after change round " + round);
            }
            t.tearDown();
        }
    }

    // ------------------------------------------------------------------ the model

    /** What serves one address: the terminating region, the offset in it and the propagated flags. */
    record Hit(Node node, BigInteger offset, boolean readonly, boolean nonvolatile) {
    }

    /** The reference walk (spec 2.2) for one address {@code x}; {@code [clipLo, clipEnd)} is the window so far. */
    static Hit serve(Node n, BigInteger base, BigInteger clipLo, BigInteger clipEnd, boolean ro, boolean nv, BigInteger x) {
        if (!n.enabled) {
            return null;
        }
        base = base.add(unsigned(n.addr));
        ro |= n.readonly;
        nv |= n.nonvolatile;
        BigInteger lo = clipLo.max(base);
        BigInteger end = clipEnd.min(base.add(n.size()));
        if (x.compareTo(lo) < 0 || x.compareTo(end) >= 0) {
            return null;
        }
        if (n.kind == Kind.ALIAS) {
            BigInteger targetBase = base.subtract(unsigned(n.target.addr)).subtract(unsigned(n.aliasOffset));
            return serve(n.target, targetBase, lo, end, ro, nv, x);
        }
        for (Node c : n.listOrder()) {
            Hit h = serve(c, base, lo, end, ro, nv, x);
            if (h != null) {
                return h;
            }
        }
        return n.kind.terminates() ? new Hit(n, x.subtract(base), ro, nv) : null;
    }

    // ------------------------------------------------------------------ checking

    /** What the generated trees contain, printed by jqwik, so that the coverage claims can be checked. */
    void collectStatistics(RandomTree t) {
        for (Node n : t.nodes) {
            boolean mapped = n.parent != null;
            if (mapped && n.kind == Kind.ALIAS && n.target.kind == Kind.ALIAS) {
                Statistics.label("features").collect("alias of alias");
            }
            if (mapped && n.sizeMinus1 == -1L) {
                Statistics.label("features").collect("2^64 region");
            }
            if (mapped && Long.compareUnsigned(n.addr + n.sizeMinus1, -1L) == 0 && n.sizeMinus1 != -1L) {
                Statistics.label("features").collect("ends at 2^64");
            }
            if (mapped && n.kind == Kind.ALIAS && Long.compareUnsigned(n.aliasOffset, n.addr) > 0) {
                Statistics.label("features").collect("alias base below 0");
            }
            if (mapped && n.kind == Kind.ALIAS && n.readonly) {
                Statistics.label("features").collect("readonly alias");
            }
            if (mapped && n.kind.terminates() && n.children.stream().anyMatch(c -> c.enabled)) {
                Statistics.label("features").collect("MMIO/RAM container");
            }
            if (mapped && !n.enabled) {
                Statistics.label("features").collect("disabled region");
            }
            if (mapped && n.partner != null && n.parent == n.partner.parent) {
                Statistics.label("features").collect("companion alias");
            }
        }
        int ranges = t.spaces.getFirst().currentView().rangeCount();
        Statistics.label("ranges in the root's view").collect(ranges == 0 ? "0" : ranges < 5 ? "1-4" : ranges < 10 ? "5-9" : "10+");
    }

    void check(RandomTree t, String when) {
        Map<Node, FlatView> viewOfRoot = new IdentityHashMap<>();
        for (int i = 0; i < t.spaces.size(); i++) {
            AddressSpace as = t.spaces.get(i);
            FlatView v = as.currentView();
            Node phys = flatviewRoot(t.spaceRoots.get(i));
            String ctx = when + ", space " + as.name() + " on " + t.spaceRoots.get(i).name;
            if (phys == null) {
                expect(t, v == t.sys.emptyView(), ctx, "a root that reduces to nothing must show the empty view");
                continue;
            }
            expect(t, v.hasRoot() && phys.name.equals(v.rootName()), ctx,
                    "flatview root should be " + phys.name + " but the view says " + v.rootName());
            FlatView shared = viewOfRoot.putIfAbsent(phys, v);
            if (shared != null) {
                expect(t, shared == v, ctx, "spaces with flatview root " + phys.name + " must share one view");
            }
            checkStructure(t, v, ctx);
            for (long x : probes(t, v)) {
                checkAddress(t, phys, v, x, ctx);
            }
        }
        // distinct flatview roots never share a view
        List<FlatView> distinct = new ArrayList<>(viewOfRoot.values());
        for (int i = 0; i < distinct.size(); i++) {
            for (int j = i + 1; j < distinct.size(); j++) {
                if (distinct.get(i) == distinct.get(j)) {
                    expect(t, false, when, "two flatview roots share one view");
                }
            }
        }
    }

    void checkStructure(RandomTree t, FlatView v, String ctx) {
        FlatRange prev = null;
        for (FlatRange r : v.ranges()) {
            expect(t, Long.compareUnsigned(r.start(), r.last()) <= 0, ctx, "empty range " + r);
            expect(t, t.byRegion.containsKey(r.region()) && t.byRegion.get(r.region()).kind.terminates(), ctx,
                    "range of a region that does not terminate: " + r);
            expect(t, r.dirtyLogMask() == 0, ctx, "no dirty logging in these trees: " + r);
            if (prev != null) {
                expect(t, Long.compareUnsigned(prev.last(), r.start()) < 0, ctx, "ranges overlap or are unsorted: " + prev + ", " + r);
                boolean mergeable = prev.last() + 1 == r.start() && prev.region() == r.region()
                        && unsigned(prev.offsetInRegion()).add(unsigned(prev.sizeMinusOne())).add(BigInteger.ONE)
                                .equals(unsigned(r.offsetInRegion()))
                        && prev.readonly() == r.readonly() && prev.nonvolatile() == r.nonvolatile()
                        && prev.romdMode() == r.romdMode();
                expect(t, !mergeable, ctx, "adjacent ranges should have been merged: " + prev + ", " + r);
            }
            prev = r;
        }
    }

    List<Long> probes(RandomTree t, FlatView v) {
        LinkedHashSet<Long> out = new LinkedHashSet<>();
        out.add(0L);
        out.add(-1L);
        for (FlatRange r : v.ranges()) {
            out.add(r.start());
            out.add(r.last());
            out.add(r.start() + (r.sizeMinusOne() >>> 1));
            if (r.start() != 0) {
                out.add(r.start() - 1);
            }
            if (r.last() != -1L) {
                out.add(r.last() + 1);
            }
        }
        for (int i = 0; i < 24; i++) {
            out.add((long) t.rnd.nextInt(0x30000));
        }
        for (int i = 0; i < 8; i++) {
            out.add(-1L - t.rnd.nextInt(0x30000));
        }
        for (int i = 0; i < 4; i++) {
            out.add(t.rnd.nextLong());
        }
        return new ArrayList<>(out);
    }

    void checkAddress(RandomTree t, Node phys, FlatView v, long x, String ctx) {
        BigInteger bx = unsigned(x);
        Hit want = serve(phys, BigInteger.ZERO, BigInteger.ZERO, TWO_64, false, false, bx);
        FlatRange got = v.lookup(x);
        String at = ctx + ", address 0x" + Long.toHexString(x);
        checkNativeDispatch(t, v, x, got, at);
        if (want == null) {
            expect(t, got == null, at, "the model has a hole here but the view has " + got);
            return;
        }
        if (got == null) {
            expect(t, false, at, "the model serves " + want.node().name + " @0x" + want.offset().toString(16)
                    + " but the view has a hole");
            return;
        }
        long gotOffset = got.offsetInRegion() + (x - got.start());
        expect(t, got.region() == want.node().region, at, "region: model " + want.node().name + ", view " + got);
        expect(t, unsigned(gotOffset).equals(want.offset()), at,
                "offset: model 0x" + want.offset().toString(16) + ", view 0x" + Long.toHexString(gotOffset) + " in " + got);
        expect(t, got.readonly() == want.readonly(), at, "readonly: model " + want.readonly() + ", view " + got);
        expect(t, got.nonvolatile() == want.nonvolatile(), at, "nonvolatile: model " + want.nonvolatile() + ", view " + got);
        expect(t, got.romdMode() == want.node().romd, at, "romd: model " + want.node().romd + ", view " + got);
    }

    /**
     * The native table agrees with the Java ranges: {@code find} names the section of the range
     * {@code lookup} returns (section i is range i - 1), and {@code uniform} over the 4 KiB page
     * and over a short span holds exactly when no range starts or ends inside it.
     */
    void checkNativeDispatch(RandomTree t, FlatView v, long x, FlatRange got, String at) {
        DispatchTable d = v.dispatch;
        int s = d.find(x);
        FlatRange[] ranges = v.ranges().toArray(FlatRange[]::new);
        expect(t, got == null ? s == 0 : s >= 1 && ranges[s - 1] == got, at,
                "native find gives section " + s + " but lookup gives " + got);
        if (s != 0) {
            expect(t, d.start(s) == got.start() && d.sizeMinusOne(s) == got.sizeMinusOne(), at,
                    "native section " + s + " is [0x" + Long.toHexString(d.start(s)) + ", +0x" + Long.toHexString(d.sizeMinusOne(s))
                            + "] but the range is " + got);
        }
        for (long[] span : new long[][] {{x & ~0xfffL, x | 0xfffL}, {x, x + 7}}) {
            if (Long.compareUnsigned(span[0], span[1]) > 0) {
                continue; // wraps past 2^64
            }
            boolean boundaryInside = false;
            for (FlatRange r : ranges) {
                boolean startsInside = Long.compareUnsigned(r.start(), span[0]) > 0 && Long.compareUnsigned(r.start(), span[1]) <= 0;
                boolean endsInside = Long.compareUnsigned(r.last(), span[0]) >= 0 && Long.compareUnsigned(r.last(), span[1]) < 0;
                boundaryInside |= startsInside || endsInside;
            }
            expect(t, d.uniform(span[0], span[1]) == !boundaryInside, at,
                    "uniform(0x" + Long.toHexString(span[0]) + ", 0x" + Long.toHexString(span[1]) + ") = "
                            + d.uniform(span[0], span[1]) + " but a range boundary is " + (boundaryInside ? "" : "not ") + "inside");
        }
    }

    void expect(RandomTree t, boolean ok, String where, String what) {
        if (!ok) {
            StringBuilder sb = new StringBuilder(where + ": " + what + "\n" + t.history());
            sb.append("ranges of every space:\n");
            for (AddressSpace as : t.spaces) {
                sb.append("  ").append(as.name()).append(": ").append(Fixtures.ranges(as)).append('\n');
            }
            fail(sb.toString());
        }
    }

    // ------------------------------------------------------------------ the model itself

    /** The model must agree with the hand-computed memory.rst example, or the property proves nothing. */
    @Example
    void referenceModelShouldServeTheMemoryRstExample() {
        Node a = new Node("A", Kind.CONTAINER, 0x7fff);
        Node b = new Node("B", Kind.CONTAINER, 0x3fff);
        Node c = new Node("C", Kind.MMIO, 0x5fff);
        Node d = new Node("D", Kind.MMIO, 0xfff);
        Node e = new Node("E", Kind.MMIO, 0xfff);
        link(a, b, 0x2000, 2, 1);
        link(a, c, 0, 1, 2);
        link(b, d, 0, 0, 3);
        link(b, e, 0x2000, 0, 4);
        long[] at = {0, 0x1fff, 0x2000, 0x2fff, 0x3000, 0x3fff, 0x4000, 0x5000, 0x5fff, 0x6000};
        String[] want = {"C@0", "C@1fff", "D@0", "D@fff", "C@3000", "C@3fff", "E@0", "C@5000", "C@5fff", "-"};
        for (int i = 0; i < at.length; i++) {
            assertEquals(want[i], served(a, at[i]), "address 0x" + Long.toHexString(at[i]));
        }
        assertSame(a, flatviewRoot(a));
        b.enabled = false;
        assertEquals("C@2000", served(a, 0x2000), "a disabled B uncovers C");
        c.enabled = false;
        assertNull(flatviewRoot(a), "no enabled child: the empty view");
        Node alias = new Node("alias", Kind.ALIAS, 0xfff);
        alias.target = e;
        alias.aliasOffset = 0x800;
        alias.readonly = true;
        Hit viaAlias = serve(alias, BigInteger.ZERO, BigInteger.ZERO, TWO_64, false, false, BigInteger.valueOf(0x10));
        // E sits at 0x2000 in B; the alias cancels that address: E's offset 0x810
        assertEquals(new Hit(e, BigInteger.valueOf(0x810), true, false), viaAlias);
        assertNull(serve(alias, BigInteger.ZERO, BigInteger.ZERO, TWO_64, false, false, BigInteger.valueOf(0x800)),
                "the window reaches past E's end");
    }

    private static String served(Node root, long x) {
        Hit h = serve(root, BigInteger.ZERO, BigInteger.ZERO, TWO_64, false, false, unsigned(x));
        return h == null ? "-" : h.node().name + "@" + h.offset().toString(16);
    }

    private static void link(Node parent, Node child, long addr, int prio, long seq) {
        child.parent = parent;
        child.addr = addr;
        child.prio = prio;
        child.seq = seq;
        parent.children.add(child);
    }
}
