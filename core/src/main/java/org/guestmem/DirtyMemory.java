package org.guestmem;

import java.lang.invoke.VarHandle;
import org.guestmem.dirty.DirtyLogClient;
import org.guestmem.dirty.DirtySnapshot;
import org.guestmem.internal.DirtyBitmap;
import org.guestmem.internal.Hex;
import org.guestmem.internal.RamBlock;

/**
 * The dirty-memory operations shared by the RAM-backed region kinds (QEMU's
 * {@code memory_region_set_dirty}, {@code _reset_dirty}, {@code _snapshot_and_clear_dirty}).
 * Each holds a count on the RAM block while it touches the bitmaps, which are not checked memory
 * (see {@code RamBlock}): on a block already freed it throws {@link IllegalStateException}.
 */
final class DirtyMemory {
    private DirtyMemory() {
    }

    private static void checkRange(MemoryRegion mr, RamBlock block, long offset, long length) {
        if (offset < 0 || length < 0 || offset > block.size() || length > block.size() - offset) {
            throw new IllegalArgumentException("range [" + Hex.of(offset) + ", +" + Hex.of(length) + ") is outside "
                    + MemoryRegion.describe(mr) + " of size " + Hex.of(block.size()));
        }
    }

    private static void retain(MemoryRegion mr, RamBlock block) {
        if (!block.retain()) {
            throw new IllegalStateException(MemoryRegion.describe(mr) + " was destroyed and its RAM block freed");
        }
    }

    static boolean get(MemoryRegion mr, RamBlock block, long offset, long length, DirtyLogClient client) {
        checkRange(mr, block, offset, length);
        retain(mr, block);
        try {
            return block.dirty().get(offset, length, client.ordinal());
        } finally {
            block.release();
        }
    }

    static void set(MemoryRegion mr, RamBlock block, long offset, long length) {
        checkRange(mr, block, offset, length);
        retain(mr, block);
        try {
            block.dirty().set(offset, length, mr.logMask());
        } finally {
            block.release();
        }
    }

    /**
     * QEMU's {@code cpu_physical_memory_test_and_clear_dirty}: clears the bits first, then tells
     * listeners ({@code memory_region_clear_dirty_bitmap}) about the range widened to whole target
     * pages, so a listener's {@code logClear} already sees the bits cleared.
     */
    static boolean testAndClear(MemoryRegion mr, RamBlock block, long offset, long length, DirtyLogClient client) {
        checkRange(mr, block, offset, length);
        if (length == 0) {
            return false;
        }
        RegionContext ctx = mr.context;
        return ctx.lock.locked("testAndClearDirty", () -> {
            ctx.lock.checkOpen();
            DirtyBitmap bits = block.dirty();
            boolean dirty;
            retain(mr, block);
            try {
                dirty = bits.testAndClear(offset, length, client.ordinal());
                if (dirty) {
                    flagTlbs(ctx, block, offset, length);
                }
            } finally {
                block.release();
            }
            int pb = bits.pageBits();
            long startPage = offset >>> pb;
            long endPage = (offset + length + (1L << pb) - 1) >>> pb;
            ctx.listeners.dirtyLogCleared(mr, startPage << pb, (endPage - startPage) << pb);
            return dirty;
        });
    }

    /**
     * After clearing bits of {@code [offset, offset + length)}: a full fence, then every live
     * softmmu TLB of the system flags its store entries of those pages NOTDIRTY (QEMU's
     * {@code tlb_reset_dirty_range_all}), so the next store to them sets the bits again. Needed
     * only when some bit was set: an armed entry implies its page's bits were all set.
     */
    private static void flagTlbs(RegionContext ctx, RamBlock block, long offset, long length) {
        VarHandle.fullFence(); // the clear before the TLBs' tags: the Dekker pair with a TLB's fill
        ctx.dirtyLog.tlbs().cleared(block, offset, length);
    }

    /** {@link #flagTlbs} for the pages a snapshot found dirty (whole 64-page words from {@code firstPage}). */
    private static void flagCleared(RegionContext ctx, RamBlock block, long[] words, long firstPage, int pageBits) {
        for (int w = 0; w < words.length; w++) {
            if (words[w] != 0) {
                flagTlbs(ctx, block, (firstPage + 64L * w) << pageBits, 64L << pageBits);
            }
        }
    }

    /**
     * QEMU's {@code memory_region_snapshot_and_clear_dirty}: {@code log_sync} for the region's
     * logging ranges, copy-and-clear of whole 64-page words, {@code logClear} for exactly
     * {@code [offset, offset + length)} ({@code memory_region_clear_dirty_bitmap(mr, offset,
     * length)}), then {@code logGlobalAfterSync} on every listener
     * ({@code memory_global_after_dirty_log_sync}).
     */
    static DirtySnapshot snapshotAndClear(MemoryRegion mr, RamBlock block, long offset, long length, DirtyLogClient client) {
        checkRange(mr, block, offset, length);
        RegionContext ctx = mr.context;
        return ctx.lock.locked("snapshotAndClearDirty", () -> {
            ctx.lock.checkOpen();
            ctx.listeners.syncDirtyLog(mr);
            DirtyBitmap bits = block.dirty();
            long[] words;
            retain(mr, block);
            try {
                words = bits.snapshotAndClear(offset, length, client.ordinal());
            } finally {
                block.release();
            }
            long firstPage = (offset >>> bits.pageBits()) & ~63L;
            flagCleared(ctx, block, words, firstPage, bits.pageBits());
            if (length > 0) {
                ctx.listeners.dirtyLogCleared(mr, offset, length);
            }
            DirtySnapshot snapshot = new DirtySnapshot(firstPage, bits.pageBits(), words);
            ctx.listeners.afterDirtyLogSync();
            return snapshot;
        });
    }
}
