package org.guestmem;

/**
 * Dirty bits of one client, copied and cleared atomically from a RAM block by
 * {@link RamRegion#snapshotAndClearDirty} (QEMU's {@code DirtyBitmapSnapshot}). Covers the
 * requested range widened to whole 64-page words, as QEMU does. Immutable.
 */
public final class DirtySnapshot {
    private final long firstPage;
    private final int pageBits;
    private final long[] words;

    DirtySnapshot(long firstPage, int pageBits, long[] words) {
        this.firstPage = firstPage;
        this.pageBits = pageBits;
        this.words = words;
    }

    /**
     * {@return whether any page of {@code [offset, offset + length)} (region-relative) was dirty
     * when the snapshot was taken} (QEMU's {@code memory_region_snapshot_get_dirty})
     *
     * @throws IllegalArgumentException if the range lies outside the snapshot
     */
    public boolean isDirty(long offset, long length) {
        if (length <= 0) {
            return false;
        }
        long p0 = offset >>> pageBits;
        long p1 = (offset + length - 1) >>> pageBits;
        if (p0 < firstPage || p1 >= firstPage + (long) words.length * 64) {
            throw new IllegalArgumentException("range [0x" + Long.toHexString(offset) + ", +0x" + Long.toHexString(length)
                    + ") is outside the snapshot of pages 0x" + Long.toHexString(firstPage) + "..0x"
                    + Long.toHexString(firstPage + words.length * 64L - 1));
        }
        for (long p = p0; p <= p1; p++) {
            long i = p - firstPage;
            if ((words[(int) (i >>> 6)] & (1L << (i & 63))) != 0) {
                return true;
            }
        }
        return false;
    }

    /** {@return the number of dirty pages in the snapshot} */
    public long dirtyPages() {
        long n = 0;
        for (long w : words) {
            n += Long.bitCount(w);
        }
        return n;
    }
}
