package org.guestmem.tlb;

import java.util.IdentityHashMap;
import org.guestmem.FlatRange;
import org.guestmem.FlatView;
import org.guestmem.internal.CoreAccess;
import org.guestmem.internal.RamBlock;

/**
 * The reverse map of one view, from a RAM block to the guest physical ranges that show it, so a
 * thread clearing dirty bits of a block finds the TLB entries that may map the cleared pages
 * without scanning the tables. Built from the view's plain Java data only (its ranges and the
 * blocks of its sections), so any thread may build and read it at any time, even after the view's
 * native tables were freed. Immutable.
 */
final class ViewRamMap {
    private static final long[] NONE = new long[0];
    /** Per block: {@code [guestStart, guestLast, offsetInBlock]} per range, in address order. */
    private final IdentityHashMap<RamBlock, long[]> ranges = new IdentityHashMap<>();
    final FlatView view;

    private ViewRamMap(FlatView view) {
        this.view = view;
    }

    static ViewRamMap of(CoreAccess core, FlatView view) {
        ViewRamMap m = new ViewRamMap(view);
        int n = view.rangeCount();
        for (int i = 0; i < n; i++) {
            RamBlock b = core.sectionBlock(view, i + 1);
            if (b == null) {
                continue;
            }
            FlatRange r = view.range(i);
            long[] old = m.ranges.getOrDefault(b, NONE);
            long[] a = java.util.Arrays.copyOf(old, old.length + 3);
            a[old.length] = r.start();
            a[old.length + 1] = r.last();
            a[old.length + 2] = r.offsetInRegion();
            m.ranges.put(b, a);
        }
        return m;
    }

    /** {@return the ranges showing {@code block}: {@code [guestStart, guestLast, offsetInBlock]...}, maybe empty} */
    long[] rangesOf(RamBlock block) {
        return ranges.getOrDefault(block, NONE);
    }
}
