package org.guestmem;

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
        block.dirty().set(offset, length, mr.dirtyLogMask());
    }

    static boolean testAndClear(MemoryRegion mr, RamBlock block, long offset, long length, DirtyLogClient client) {
        checkRange(mr, block, offset, length);
        boolean[] dirty = new boolean[1];
        mr.system.locked(() -> {
            mr.system.logClearLocked(mr, offset, length);
            dirty[0] = block.dirty().testAndClear(offset, length, client.ordinal());
        });
        return dirty[0];
    }

    static DirtySnapshot snapshotAndClear(MemoryRegion mr, RamBlock block, long offset, long length, DirtyLogClient client) {
        checkRange(mr, block, offset, length);
        DirtySnapshot[] out = new DirtySnapshot[1];
        mr.system.locked(() -> {
            mr.system.syncLocked(mr);
            DirtyBitmap bits = block.dirty();
            long[] words = bits.snapshotAndClear(offset, length, client.ordinal());
            long firstPage = (offset >>> bits.pageBits()) & ~63L;
            long first = firstPage << bits.pageBits();
            long end = Math.min(block.size(), first + ((long) words.length * 64 << bits.pageBits()));
            if (end > first) {
                mr.system.logClearLocked(mr, first, end - first);
            }
            out[0] = new DirtySnapshot(firstPage, bits.pageBits(), words);
        });
        return out[0];
    }
}
