package org.guestmem;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Where the open transaction's changes can show: for each flatview root of the last commit, the
 * address windows (in the root's coordinates) that its next view may render differently. A commit
 * re-renders only those windows of the views it had ({@link FlatViewRenderer#renderWindows}), and
 * keeps a view whose root none of them reaches.
 *
 * <p>A mutator reports the region it changed ({@link #touched}), after the change and, when the
 * change moves or shrinks what the region covers (unlink, resize), before it too. The region's
 * extent is walked up to every flatview root that can show it: through its container (shifted by
 * its address, clipped to the container) and through every mapped alias of it (the alias's window,
 * shifted to the alias's coordinates), ignoring whether anything on the way is enabled, so the
 * windows cover every address where the region showed before or shows after. A union over all
 * changes of the transaction covers every address whose rendering changed: a change moves an
 * address only if that address lies in the extent of the changed region before or after it, and
 * a later change that moves the region along (its container, say) reports a region whose extent
 * covers it.
 *
 * <p>When the walk cannot be bounded cheaply it gives up and the commit renders everything, as
 * QEMU does: too many steps or windows, an alias chain through an alias that is not itself mapped
 * (the region lists only its mapped aliases, and counts tell whether that list is complete), or a
 * change with no region to walk from ({@link #markAll}).
 *
 * <p>Writer only, under the update lock.
 */
final class ChangedExtents {
    /** How many windows a root may collect before it is simply rendered again in full. */
    static final int MAX_WINDOWS = 64;
    /** How many regions one walk may visit. */
    private static final int MAX_STEPS = 4096;
    /** A root marked to be rendered in full. */
    private static final long[] WHOLE = new long[0];

    private boolean all;
    /** Marks aliases met in one list, so an alias listed twice is counted and walked once. */
    private long stamps;
    /** Per flatview root: its windows as {@code [start0, last0, start1, last1, ...]} in the order found, or {@link #WHOLE}. */
    private final IdentityHashMap<MemoryRegion, long[]> windows = new IdentityHashMap<>();
    private final IdentityHashMap<MemoryRegion, Integer> counts = new IdentityHashMap<>();
    // the walk's stack
    private MemoryRegion[] stackRegion = new MemoryRegion[16];
    private long[] stackStart = new long[16];
    private long[] stackLast = new long[16];

    /** Every view must be rendered in full (a change with no region: global dirty logging). */
    void markAll() {
        all = true;
        windows.clear();
        counts.clear();
    }

    /** {@return whether everything must be rendered in full} */
    boolean all() {
        return all;
    }

    /** Forgets everything (after a commit or a rollback). */
    void clear() {
        all = false;
        windows.clear();
        counts.clear();
    }

    /**
     * {@return the sorted, merged windows of {@code root}: an empty array if no change reaches
     * it, null if it must be rendered in full}
     */
    long[] windowsOf(MemoryRegion root) {
        if (all) {
            return null;
        }
        long[] w = windows.get(root);
        if (w == null) {
            return NONE;
        }
        if (w == WHOLE) {
            return null;
        }
        return merged(w, counts.get(root));
    }

    /** No window: the root's view stays as it is. */
    private static final long[] NONE = new long[0];

    /**
     * Records every window where {@code r}, as it is now, can show in one of {@code roots} (the
     * flatview roots of the last commit).
     */
    void touched(MemoryRegion r, Map<MemoryRegion, FlatView> roots) {
        if (all) {
            return;
        }
        int depth = 0;
        int steps = 0;
        depth = push(depth, r, 0, r.sizeMinus1);
        while (depth > 0) {
            depth--;
            MemoryRegion x = stackRegion[depth];
            long s = stackStart[depth];
            long l = stackLast[depth];
            stackRegion[depth] = null;
            if (++steps > MAX_STEPS || !aliasesListed(x)) {
                markAll();
                clearStack(depth);
                return;
            }
            if (roots.containsKey(x)) {
                add(x, x.addr + s, x.addr + l); // a view shows its root at the root's address
            }
            MemoryRegion c = x.container;
            if (c != null) {
                long cs = x.addr + s; // fits: a subregion never reaches past 2^64
                long cl = x.addr + l;
                if (Long.compareUnsigned(cs, c.sizeMinus1) <= 0) {
                    depth = push(depth, c, cs, Long.compareUnsigned(cl, c.sizeMinus1) <= 0 ? cl : c.sizeMinus1);
                }
            }
            ArrayList<AliasRegion> aliases = x.mappedAliases;
            long stamp = ++stamps;
            for (int k = 0; k < aliases.size(); k++) {
                AliasRegion a = aliases.get(k);
                if (a.extentStamp == stamp) {
                    continue; // mapped twice (a subregion and a space's root): one walk
                }
                a.extentStamp = stamp;
                long ws = a.aliasOffset;
                long wl = a.aliasOffset + a.sizeMinus1;
                long is = Long.compareUnsigned(s, ws) > 0 ? s : ws;
                long il = Long.compareUnsigned(l, wl) < 0 ? l : wl;
                if (Long.compareUnsigned(is, il) <= 0) {
                    depth = push(depth, a, is - ws, il - ws);
                }
            }
        }
    }

    /**
     * Whether every alias that can show {@code x} is in {@code x.mappedAliases}: the counts of
     * mapped-alias chains and of address-space root chains through {@code x} are exactly what its
     * listed aliases account for.
     */
    private boolean aliasesListed(MemoryRegion x) {
        ArrayList<AliasRegion> aliases = x.mappedAliases;
        if (x.mappedViaAlias == 0 && x.addressSpaceRoots == x.directRoots && aliases.isEmpty()) {
            return true;
        }
        long via = 0;
        long roots = x.directRoots;
        long stamp = ++stamps;
        for (int k = 0; k < aliases.size(); k++) {
            AliasRegion a = aliases.get(k);
            if (a.extentStamp == stamp) {
                continue;
            }
            a.extentStamp = stamp;
            via += a.mappedViaAlias + (a.container != null ? 1 : 0);
            roots += a.addressSpaceRoots;
        }
        return via == x.mappedViaAlias && roots == x.addressSpaceRoots;
    }

    private void add(MemoryRegion root, long s, long l) {
        long[] w = windows.get(root);
        if (w == WHOLE) {
            return;
        }
        int n = w == null ? 0 : counts.get(root);
        if (n == MAX_WINDOWS) {
            windows.put(root, WHOLE);
            return;
        }
        if (w == null) {
            w = new long[8];
        } else if (2 * n + 2 > w.length) {
            w = Arrays.copyOf(w, w.length * 2);
        }
        w[2 * n] = s;
        w[2 * n + 1] = l;
        windows.put(root, w);
        counts.put(root, n + 1);
    }

    /** {@return the first {@code n} windows of {@code w} sorted and merged (overlapping or adjacent ones joined)} */
    static long[] merged(long[] w, int n) {
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Long.compareUnsigned(w[2 * a], w[2 * b]));
        long[] out = new long[2 * n];
        int m = 0;
        for (int k = 0; k < n; k++) {
            long s = w[2 * order[k]];
            long l = w[2 * order[k] + 1];
            if (m > 0 && (out[2 * m - 1] == -1L || Long.compareUnsigned(s, out[2 * m - 1] + 1) <= 0)) {
                if (Long.compareUnsigned(l, out[2 * m - 1]) > 0) {
                    out[2 * m - 1] = l;
                }
            } else {
                out[2 * m] = s;
                out[2 * m + 1] = l;
                m++;
            }
        }
        return Arrays.copyOf(out, 2 * m);
    }

    private int push(int depth, MemoryRegion x, long s, long l) {
        if (depth == stackRegion.length) {
            stackRegion = Arrays.copyOf(stackRegion, depth * 2);
            stackStart = Arrays.copyOf(stackStart, depth * 2);
            stackLast = Arrays.copyOf(stackLast, depth * 2);
        }
        stackRegion[depth] = x;
        stackStart[depth] = s;
        stackLast[depth] = l;
        return depth + 1;
    }

    private void clearStack(int depth) {
        Arrays.fill(stackRegion, 0, depth, null);
    }
}
