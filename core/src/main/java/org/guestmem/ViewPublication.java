package org.guestmem;

import java.util.Arrays;
import org.guestmem.internal.PublishedView;

/**
 * What an address space publishes: its current {@link FlatView} and which addresses may
 * translate differently than in each of the space's last {@value #HISTORY} publications. Readers'
 * translation caches use the latter to keep every entry the commits since they last looked did
 * not touch (QEMU flushes its whole TLB on every commit instead); a CPU thread that looks once
 * per quiescent state may find several commits done since. Immutable; built by the writer before
 * the release store that publishes it. It references the change lists of its predecessors, never
 * the predecessors (or their views) themselves.
 */
final class ViewPublication implements PublishedView {
    /** Changed-range lists longer than this are dropped: readers flush everything instead. */
    static final int MAX_CHANGED_RANGES = 32;
    /** How many publications back a reader can catch up without flushing everything. */
    static final int HISTORY = 16;
    private static final long[][] UNKNOWN = new long[0][];
    /** The change list of two equal views. */
    static final long[] NO_CHANGES = new long[0];
    /** {@link ViewCache#VERIFY_PROPERTY}: every comparison that skips shared runs is checked against a full one. */
    private static final boolean VERIFY = Boolean.getBoolean(ViewCache.VERIFY_PROPERTY);

    final FlatView view;
    /** Per address space, one more per publication. */
    final long generation;
    /**
     * {@code changes[k]}: the ranges that changed from generation {@code generation - k - 1} to
     * {@code generation - k}, each {@code [start0, last0, start1, last1, ...]}, sorted and disjoint.
     * As many as are known, at most {@link #HISTORY}: the list stops before the first change that
     * was too large to list.
     */
    private final long[][] changes;

    private ViewPublication(FlatView view, long generation, long[][] changes) {
        this.view = view;
        this.generation = generation;
        this.changes = changes;
    }

    /** The first publication of a space: no predecessor. */
    static ViewPublication first(FlatView view) {
        return new ViewPublication(view, 1, UNKNOWN);
    }

    /** The publication that follows {@code this} and shows {@code next}. */
    ViewPublication next(FlatView next) {
        long[] d = changesBetween(view, next);
        long[][] h = UNKNOWN;
        if (d != null) {
            h = new long[Math.min(HISTORY, changes.length + 1)][];
            h[0] = d;
            System.arraycopy(changes, 0, h, 1, h.length - 1);
        }
        return new ViewPublication(next, generation + 1, h);
    }

    @Override
    public FlatView view() {
        return view;
    }

    @Override
    public long generation() {
        return generation;
    }

    /**
     * {@return how many publications {@code older} (an earlier publication of the same space)
     * is behind this one, if every change since is listed ({@link #changes(int)} 0 to n-1); -1 if
     * not}
     */
    @Override
    public int stepsSince(PublishedView older) {
        long n = generation - older.generation();
        return n >= 1 && n <= changes.length ? (int) n : -1;
    }

    /** {@return the ranges that changed from generation {@code generation - k - 1} to {@code generation - k}} */
    @Override
    public long[] changes(int k) {
        return changes[k];
    }

    /**
     * {@link #diff}, remembered on {@code next} for the rest of the commit: the address spaces that
     * move from one shared view to another cost one comparison, not one each.
     */
    static long[] changesBetween(FlatView old, FlatView next) {
        if (next.diffedFrom == old) {
            return next.diffFromThere;
        }
        int[] runs = next.sharedRuns(old);
        long[] d = diff(old, next, runs);
        if (VERIFY && runs != null && !Arrays.equals(d, diff(old, next, null))) {
            throw new IllegalStateException("the changes of a spliced view, compared around its shared runs, "
                    + Arrays.toString(d) + ", differ from a full comparison: " + Arrays.toString(diff(old, next, null)));
        }
        next.diffedFrom = old;
        next.diffFromThere = d;
        return d;
    }

    /**
     * The address ranges covered by ranges that are not identical in both views (same bounds,
     * region, offset, flags and rendered kind), merged; null if there are more than
     * {@link #MAX_CHANGED_RANGES}.
     */
    static long[] diff(FlatView va, FlatView vb) {
        return diff(va, vb, null);
    }

    /**
     * {@link #diff(FlatView, FlatView)} when {@code runs} lists ranges of {@code vb} that are
     * ranges of {@code va} unchanged, as {@code [index in vb, index in va, count]} triples in
     * ascending order (see {@link FlatView#sharedRuns}), or is null: only the ranges between the
     * runs are compared, so a view spliced from its predecessor costs what its windows changed.
     * The result is the same: the walk over both views reaches the first range of a run on both
     * sides at once (every range before it, on either side, starts below it) and passes the run as
     * equal, without ending the range being merged.
     */
    static long[] diff(FlatView va, FlatView vb, int[] runs) {
        FlatRange[] a = va.rangeArray();
        FlatRange[] b = vb.rangeArray();
        long[] out = new long[8];
        int n = 0; // longs used in out
        int i = 0;
        int j = 0;
        int run = 0;
        while (i < a.length || j < b.length) {
            while (runs != null && run < runs.length && (j > runs[run] || i > runs[run + 1])) {
                run += 3; // not reached on both sides at once (cannot happen): compared range by range
            }
            if (runs != null && run < runs.length && j == runs[run] && i == runs[run + 1]) {
                i += runs[run + 2];
                j += runs[run + 2];
                run += 3;
                continue;
            }
            boolean same = i < a.length && j < b.length && (a[i] == b[j] || a[i].equals(b[j]));
            if (same && va.rangeKind(i) == vb.rangeKind(j)) {
                i++;
                j++;
                continue;
            }
            FlatRange r;
            if (j >= b.length || (i < a.length && Long.compareUnsigned(a[i].start(), b[j].start()) <= 0)) {
                r = a[i++];
            } else {
                r = b[j++];
            }
            if (n > 0) {
                long last = out[n - 1];
                if (last == -1L || Long.compareUnsigned(r.start(), last + 1) <= 0) {
                    if (Long.compareUnsigned(r.last(), last) > 0) {
                        out[n - 1] = r.last();
                    }
                    continue;
                }
            }
            if (n == 2 * MAX_CHANGED_RANGES) {
                return null;
            }
            if (n == out.length) {
                out = Arrays.copyOf(out, 2 * n);
            }
            out[n++] = r.start();
            out[n++] = r.last();
        }
        return n == 0 ? NO_CHANGES : Arrays.copyOf(out, n);
    }
}
