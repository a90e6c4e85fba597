package org.guestmem;

import java.util.List;
import org.guestmem.internal.RamBlock;
import org.guestmem.internal.RefCount;

/**
 * What an address space shows, rendered from its region tree: sorted, disjoint, merged
 * {@link FlatRange}s, QEMU's {@code FlatView}. A published view never changes; everything a reader
 * needs hangs off this one object, so no reader pairs a new view with old data.
 *
 * <h2 id="root">The root</h2>
 * A view keeps the name of its flatview root for printing ({@link #rootName()}) but no reference
 * to the root region: an alias or container that was a flatview root may be dropped as soon as it
 * is removed from its container (the FlatView-root use-after-free of QEMU's 2025 discussion cannot
 * happen here). It does reference every region its ranges show.
 *
 * <h2 id="lifetime">Lifetime</h2>
 * A view is reference-counted: the memory system holds one reference while the view is current,
 * each address space showing it holds one, and {@link AddressSpace#retainView()} hands out more.
 * When the count drops to zero the view is destroyed after an RCU grace period: its RAM-block
 * references are dropped and its native tables freed. A reader inside an RCU read section may use
 * the view it loaded from {@link AddressSpace#currentView()} without touching the count until it
 * leaves the section.
 */
public final class FlatView {
    private final MemorySystem system;
    private final FlatRange[] ranges;
    private final String rootName;
    private final boolean hasRoot;
    private final RamBlock[] ramBlocks;
    private final RefCount refs = new RefCount(1);
    private volatile boolean destroyed;

    FlatView(MemorySystem system, FlatRange[] ranges, MemoryRegion root, RamBlock[] ramBlocks) {
        this.system = system;
        this.ranges = ranges;
        this.hasRoot = root != null;
        this.rootName = root == null ? null : root.name();
        this.ramBlocks = ramBlocks;
    }

    /** {@return the ranges, sorted by address} */
    public List<FlatRange> ranges() {
        return List.of(ranges);
    }

    /** {@return the number of ranges} */
    public int rangeCount() {
        return ranges.length;
    }

    /** {@return range {@code i}, in address order} */
    public FlatRange range(int i) {
        return ranges[i];
    }

    /** {@return whether the view was rendered from a region (false for the shared empty view)} */
    public boolean hasRoot() {
        return hasRoot;
    }

    /**
     * {@return the name of the flatview root this view was rendered from (possibly null for an
     * anonymous region); meaningful only if {@link #hasRoot()}}
     */
    public String rootName() {
        return rootName;
    }

    /** {@return the range containing {@code address}, or null if nothing is mapped there} */
    public FlatRange lookup(long address) {
        int lo = 0;
        int hi = ranges.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            FlatRange r = ranges[mid];
            if (Long.compareUnsigned(address, r.start()) < 0) {
                hi = mid - 1;
            } else if (Long.compareUnsigned(address, r.last()) > 0) {
                lo = mid + 1;
            } else {
                return r;
            }
        }
        return null;
    }

    /** {@return the memory system this view belongs to} */
    public MemorySystem system() {
        return system;
    }

    /** {@return whether the view's count reached zero and its destruction ran or is scheduled} */
    public boolean isReleased() {
        return refs.get() == 0;
    }

    /** {@return whether the view's native resources were freed (after its grace period)} */
    public boolean isDestroyed() {
        return destroyed;
    }

    /** {@return the current reference count; for tests and diagnostics} */
    int refCount() {
        return refs.get();
    }

    /** Takes a reference unless the count already reached zero (QEMU's {@code flatview_ref}). */
    boolean tryRetain() {
        return refs.tryRetain();
    }

    /** Drops a reference; the last one schedules destruction after a grace period. */
    void release() {
        if (refs.release()) {
            system.rcu().defer(this::destroy);
        }
    }

    private void destroy() {
        for (RamBlock b : ramBlocks) {
            b.release();
        }
        destroyed = true;
    }

    @Override
    public String toString() {
        return "FlatView[root=" + (hasRoot ? rootName : "(none)") + ", ranges=" + ranges.length + "]";
    }
}
