package org.guestmem;

import java.util.ArrayList;

/**
 * What an address space publishes: its current {@link FlatView} and which addresses may
 * translate differently than in the space's previous publication. Readers' translation caches
 * use the latter to keep every entry a commit did not touch (QEMU flushes its whole TLB on every
 * commit instead). Immutable; built by the writer before the release store that publishes it.
 */
final class ViewPublication {
    /** Changed-range lists longer than this are dropped: readers flush everything instead. */
    static final int MAX_CHANGED_RANGES = 32;

    final FlatView view;
    /** Per address space, one more per publication. */
    final long generation;
    final long previousGeneration;
    /** {@code [start0, last0, start1, last1, ...]}, sorted and disjoint; null means "anything may have changed". */
    final long[] changed;

    private ViewPublication(FlatView view, long generation, long previousGeneration, long[] changed) {
        this.view = view;
        this.generation = generation;
        this.previousGeneration = previousGeneration;
        this.changed = changed;
    }

    /** The first publication of a space: no predecessor. */
    static ViewPublication first(FlatView view) {
        return new ViewPublication(view, 1, 0, null);
    }

    /** The publication that follows {@code this} and shows {@code next}. */
    ViewPublication next(FlatView next) {
        return new ViewPublication(next, generation + 1, generation, diff(view, next));
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
            if (i < a.length && j < b.length && a[i].equals(b[j]) && va.rangeKind(i) == vb.rangeKind(j)) {
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
