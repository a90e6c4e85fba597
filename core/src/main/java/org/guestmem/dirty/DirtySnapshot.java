package org.guestmem.dirty;

import org.guestmem.internal.Hex;

/**
 * Dirty bits of one client, copied and cleared atomically from a RAM block by
 * {@link org.guestmem.RamRegion#snapshotAndClearDirty} (QEMU's {@code DirtyBitmapSnapshot}). Covers the
 * requested range widened to whole 64-page words, as QEMU does. Immutable.
 */
public final class DirtySnapshot {
    private final long firstPage;
    private final int pageBits;
    private final long[] words;

    /**
     * Creates a snapshot of {@code words.length * 64} pages from {@code firstPage} on; bit
     * {@code i & 63} of {@code words[i >>> 6]} is page {@code firstPage + i}. The array is copied.
     *
     * @param firstPage the first page covered (page numbers of the region, a multiple of 64)
     * @param pageBits  log2 of the page size (10 to 16, QEMU's range of target page sizes)
     * @param words     the dirty bits, 64 pages per word
     * @throws IllegalArgumentException if {@code firstPage} is negative or not a multiple of 64,
     *                                  or {@code pageBits} is outside 10..16
     */
    public DirtySnapshot(long firstPage, int pageBits, long[] words) {
        if (firstPage < 0 || (firstPage & 63) != 0) {
            throw new IllegalArgumentException("a snapshot starts at a non-negative multiple of 64 pages, got "
                    + Hex.of(firstPage));
        }
        if (pageBits < 10 || pageBits > 16) {
            throw new IllegalArgumentException("page bits must be within 10..16, got " + pageBits);
        }
        this.firstPage = firstPage;
        this.pageBits = pageBits;
        this.words = words.clone();
    }

    /**
     * {@return whether any page of {@code [offset, offset + length)} (region-relative) was dirty
     * when the snapshot was taken} (QEMU's {@code memory_region_snapshot_get_dirty})
     *
     * @param offset the first offset, region-relative
     * @param length the number of bytes
     * @throws IllegalArgumentException if the range lies outside the snapshot
     */
    public boolean isDirty(long offset, long length) {
        if (length <= 0) {
            return false;
        }
        long p0 = offset >>> pageBits;
        long p1 = (offset + length - 1) >>> pageBits;
        if (p0 < firstPage || p1 >= firstPage + (long) words.length * 64) {
            throw new IllegalArgumentException("range [" + Hex.of(offset) + ", +" + Hex.of(length)
                    + ") is outside the snapshot of pages " + Hex.of(firstPage) + ".."
                    + Hex.of(firstPage + words.length * 64L - 1));
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
