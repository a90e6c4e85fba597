package org.guestmem.internal;

import org.guestmem.FlatView;

/**
 * What an address space publishes, as the per-thread translation caches see it: the current view,
 * its generation, and the address ranges each of the last few publications changed. Immutable;
 * obtained with an acquire load ({@link CoreAccess#publication}).
 */
public interface PublishedView {
    /** {@return the view} */
    FlatView view();

    /** {@return the generation: one more per publication of the same address space, starting at 1} */
    long generation();

    /**
     * {@return how many publications {@code older} (an earlier publication of the same space) is
     * behind this one, if every change since is listed ({@link #changes(int)} 0 to n-1); -1 if not}
     */
    int stepsSince(PublishedView older);

    /**
     * {@return the ranges that changed from generation {@code generation() - k - 1} to
     * {@code generation() - k}: {@code [start0, last0, start1, last1, ...]}, sorted and disjoint}
     */
    long[] changes(int k);
}
