package org.guestmem;

import org.guestmem.dirty.DirtyLogClient;
import org.guestmem.dirty.DirtySnapshot;
import org.guestmem.internal.DirtyBitmap;
import org.guestmem.internal.Hex;
import org.guestmem.internal.RamBlock;

/**
 * The dirty-memory operations shared by the RAM-backed region kinds (QEMU's
 * {@code memory_region_set_dirty}, {@code _reset_dirty}, {@code _snapshot_and_clear_dirty}).
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

    static boolean get(MemoryRegion mr, RamBlock block, long offset, long length, DirtyLogClient client) {
        checkRange(mr, block, offset, length);
        return block.dirty().get(offset, length, client.ordinal());
    }

    static void set(MemoryRegion mr, RamBlock block, long offset, long length) {
        checkRange(mr, block, offset, length);
        block.dirty().set(offset, length, mr.logMask());
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
            boolean dirty = bits.testAndClear(offset, length, client.ordinal());
            int pb = bits.pageBits();
            long startPage = offset >>> pb;
            long endPage = (offset + length + (1L << pb) - 1) >>> pb;
            ctx.listeners.dirtyLogCleared(mr, startPage << pb, (endPage - startPage) << pb);
            return dirty;
        });
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
            long[] words = bits.snapshotAndClear(offset, length, client.ordinal());
            long firstPage = (offset >>> bits.pageBits()) & ~63L;
            if (length > 0) {
                ctx.listeners.dirtyLogCleared(mr, offset, length);
            }
            DirtySnapshot snapshot = new DirtySnapshot(firstPage, bits.pageBits(), words);
            ctx.listeners.afterDirtyLogSync();
            return snapshot;
        });
    }
}
