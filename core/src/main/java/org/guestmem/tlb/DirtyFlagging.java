package org.guestmem.tlb;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.locks.StampedLock;
import org.guestmem.FlatView;
import org.guestmem.internal.CoreAccess;
import org.guestmem.internal.RamBlock;
import org.guestmem.internal.TlbRegistry;
import org.guestmem.layout.TlbEntryLayout;

/**
 * The part of a {@link Tlb} that threads clearing dirty bits call (QEMU's
 * {@code tlb_reset_dirty_range_all} for one CPU): after bits of a RAM block were cleared and the
 * clearing thread issued a full fence, every store entry of this TLB that maps one of the cleared
 * pages gets {@link TlbEntryLayout#NOTDIRTY} (an atomic OR into its tag), so the owner's next store
 * to the page takes the slow path and sets the bits again.
 *
 * <p>Which entries: for an identity index whose entries come from the view Java knows, the view's
 * reverse map gives the guest pages that show the cleared block pages, and only those entries are
 * looked at; otherwise (mapped indexes, large clears, a view native code moved to) every entry of
 * the index is checked by host address, as QEMU does. Either way an entry is flagged only if it is
 * armed for the page it names.
 *
 * <p>Runs on any thread, never blocks the owner: a read lock that only {@link #close()} (the
 * owner, freeing the table) excludes.
 */
final class DirtyFlagging implements TlbRegistry.Member {
    private final TlbTable t;
    private final MmuIndex[] indexes;
    private final CoreAccess core;
    private final StampedLock lock = new StampedLock();
    private boolean closed;

    DirtyFlagging(TlbTable t, MmuIndex[] indexes, CoreAccess core) {
        this.t = t;
        this.indexes = indexes;
        this.core = core;
    }

    @Override
    public void dirtyCleared(RamBlock block, long offset, long length) {
        MemorySegment seg = block.segment();
        if (!seg.isNative() || length <= 0) {
            return; // heap blocks never have armed entries
        }
        long stamp = lock.tryReadLock();
        if (stamp == 0) {
            return; // closing: the table is going away
        }
        try {
            if (!closed) {
                int pb = t.pageBits;
                long clearedFirst = (offset >>> pb) << pb; // bits are per page: whole pages were cleared
                long clearedEnd = Math.min(block.size(), ((offset + length - 1) >>> pb) + 1 << pb);
                for (MmuIndex ix : indexes) {
                    flag(ix, block, seg.address(), clearedFirst, clearedEnd);
                }
            }
        } finally {
            lock.unlockRead(stamp);
        }
    }

    /** Flags index {@code ix}'s armed store entries whose guest page overlaps block bytes {@code [first, end)}. */
    private void flag(MmuIndex ix, RamBlock block, long blockAddress, long first, long end) {
        FlatView v = ix.entriesView;
        long pages = (end - first) >>> t.pageBits;
        if (v != null && ix.identity() && pages <= t.entries && t.descriptorTables(ix.k) == v.nativeTables().address()) {
            ViewRamMap m = ix.ramMap;
            if (m == null || m.view != v) {
                m = ViewRamMap.of(core, v);
                ix.ramMap = m;
            }
            long[] r = m.rangesOf(block);
            for (int i = 0; i < r.length; i += 3) {
                flagRange(ix.k, r[i], r[i + 1], r[i + 2], first, end);
            }
            return;
        }
        // an entry's page starts at host address tag + addend and covers page size bytes
        long hostFirst = blockAddress + first - ((1L << t.pageBits) - 1);
        long hostLast = blockAddress + end - 1;
        long base = (long) ix.k << (t.log2Entries + TlbEntryLayout.SHIFT);
        for (int i = 0; i < t.entries; i++) {
            t.flagNotDirty(base + ((long) i << TlbEntryLayout.SHIFT), -1L, hostFirst, hostLast);
        }
    }

    /**
     * Flags the entries of the guest pages of {@code [gStart, gLast]} (showing the block from
     * {@code inBlock} on) that contain a guest byte whose block byte lies in {@code [first, end)}.
     */
    private void flagRange(int k, long gStart, long gLast, long inBlock, long first, long end) {
        long rangeEnd = inBlock + (gLast - gStart); // the last block byte the range shows
        if (end - 1 < inBlock || first > rangeEnd) {
            return;
        }
        long lo = gStart + Math.max(0, first - inBlock);
        long hi = gStart + (Math.min(end - 1, rangeEnd) - inBlock);
        for (long page = lo & t.pageMaskHi; ; page += 1L << t.pageBits) {
            t.flagNotDirty(t.offset(k, page), page, 0, 0);
            t.flagNotDirty(t.offsetB(k, page), page, 0, 0); // the second slot, where an evicted page waits
            if (page == (hi & t.pageMaskHi)) {
                break;
            }
        }
    }

    /** The owner frees the table: waits for clearing threads inside, and keeps later ones out. */
    void close() {
        long stamp = lock.writeLock();
        try {
            closed = true;
        } finally {
            lock.unlockWrite(stamp);
        }
    }
}
