package org.guestmem;

import java.util.ArrayList;
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
        long[] d = diff(old, next);
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
        FlatRange[] a = va.rangeArray();
        FlatRange[] b = vb.rangeArray();
        ArrayList<long[]> out = new ArrayList<>();
        int i = 0;
        int j = 0;
        while (i < a.length || j < b.length) {
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
            if (!out.isEmpty()) {
                long[] last = out.getLast();
                if (last[1] == -1L || Long.compareUnsigned(r.start(), last[1] + 1) <= 0) {
                    if (Long.compareUnsigned(r.last(), last[1]) > 0) {
                        last[1] = r.last();
                    }
                    continue;
                }
            }
            if (out.size() == MAX_CHANGED_RANGES) {
                return null;
            }
            out.add(new long[] {r.start(), r.last()});
        }
        long[] flat = new long[out.size() * 2];
        for (int k = 0; k < out.size(); k++) {
            flat[2 * k] = out.get(k)[0];
            flat[2 * k + 1] = out.get(k)[1];
        }
        return flat;
    }
}
