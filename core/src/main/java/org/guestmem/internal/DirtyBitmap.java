package org.guestmem.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import org.guestmem.layout.DirtyBitmapLayout;

/**
 * A RAM block's dirty bitmaps in native memory ({@link DirtyBitmapLayout}): one bit per target
 * page per client, stored inverted (a set bit is a clean page), so a new block is dirty for every
 * client, as in QEMU, without writing a word: large bitmaps are anonymous {@code mmap}ed memory
 * that costs nothing until a page is cleaned. Lock-free and safe for any number of threads:
 * marking dirty is an atomic AND, clearing an atomic OR that returns what it found, so a page
 * written during a clear is either reported by that clear or stays dirty for the next one.
 */
public final class DirtyBitmap {
    /** A long at a byte offset: coordinates {@code (MemorySegment, long offset)}. */
    private static final VarHandle WORD = ValueLayout.JAVA_LONG.varHandle();
    /** Bitmaps at least this large come from {@link AnonymousMemory} (page-granular, lazily zero). */
    private static final long MMAP_THRESHOLD = 64 << 10;

    private final MemorySegment bits;
    private final long pages;
    private final long words;
    private final int pageBits;

    /** Allocates the bitmaps for {@code bytes} bytes of RAM in {@code arena}, every page dirty. */
    public DirtyBitmap(Arena arena, long bytes, int pageBits) {
        this.pageBits = pageBits;
        this.pages = (bytes + (1L << pageBits) - 1) >>> pageBits;
        this.words = DirtyBitmapLayout.words(pages);
        long size = DirtyBitmapLayout.layout(pages).byteSize();
        // both are zero-filled: every page dirty
        this.bits = size >= MMAP_THRESHOLD ? AnonymousMemory.allocate(arena, size) : arena.allocate(size, 8);
    }

    /** {@return the native bitmaps, laid out as {@link DirtyBitmapLayout}} */
    public MemorySegment segment() {
        return bits;
    }

    /** {@return the number of pages tracked} */
    public long pages() {
        return pages;
    }

    /** {@return log2 of the page size} */
    public int pageBits() {
        return pageBits;
    }

    private long first(long offset) {
        return offset >>> pageBits;
    }

    private long last(long offset, long len) {
        return Math.min(pages - 1, (offset + len - 1) >>> pageBits);
    }

    private long word(int client, long w) {
        return (long) WORD.getVolatile(bits, (client * words + w) * Long.BYTES);
    }

    /** Marks {@code [offset, offset + len)} dirty for every client in {@code mask}. */
    public void set(long offset, long len, int mask) {
        if (len == 0 || mask == 0) {
            return;
        }
        long p0 = first(offset);
        long p1 = last(offset, len);
        for (int c = 0; c < DirtyBitmapLayout.CLIENTS; c++) {
            if ((mask & (1 << c)) == 0) {
                continue;
            }
            for (long p = p0; p <= p1; ) {
                long w = p >>> 6;
                long hi = Math.min(p1, (w << 6) + 63);
                long m = rangeMask(p & 63, hi & 63);
                if ((word(c, w) & m) != 0) { // some page still clean
                    WORD.getAndBitwiseAnd(bits, (c * words + w) * Long.BYTES, ~m);
                }
                p = hi + 1;
            }
        }
    }

    /** {@return the clients of {@code mask} for which some page of the range is still clean} */
    public int cleanClients(long offset, long len, int mask) {
        if (len == 0) {
            return 0;
        }
        int out = 0;
        long p0 = first(offset);
        long p1 = last(offset, len);
        for (int c = 0; c < DirtyBitmapLayout.CLIENTS; c++) {
            if ((mask & (1 << c)) == 0) {
                continue;
            }
            for (long p = p0; p <= p1; ) {
                long w = p >>> 6;
                long hi = Math.min(p1, (w << 6) + 63);
                if ((word(c, w) & rangeMask(p & 63, hi & 63)) != 0) {
                    out |= 1 << c;
                    break;
                }
                p = hi + 1;
            }
        }
        return out;
    }

    /** {@return whether any page of the range is dirty for {@code client}} */
    public boolean get(long offset, long len, int client) {
        if (len == 0) {
            return false;
        }
        long p0 = first(offset);
        long p1 = last(offset, len);
        for (long p = p0; p <= p1; ) {
            long w = p >>> 6;
            long hi = Math.min(p1, (w << 6) + 63);
            long m = rangeMask(p & 63, hi & 63);
            if ((word(client, w) & m) != m) {
                return true;
            }
            p = hi + 1;
        }
        return false;
    }

    /**
     * Cleans the range for {@code client}; {@return whether any of its pages was dirty}
     * (QEMU's {@code cpu_physical_memory_test_and_clear_dirty})
     */
    public boolean testAndClear(long offset, long len, int client) {
        if (len == 0) {
            return false;
        }
        boolean dirty = false;
        long p0 = first(offset);
        long p1 = last(offset, len);
        for (long p = p0; p <= p1; ) {
            long w = p >>> 6;
            long hi = Math.min(p1, (w << 6) + 63);
            long m = rangeMask(p & 63, hi & 63);
            long old = (long) WORD.getAndBitwiseOr(bits, (client * words + w) * Long.BYTES, m);
            dirty |= (old & m) != m;
            p = hi + 1;
        }
        return dirty;
    }

    /**
     * Copies and cleans {@code client}'s bits for the whole words covering the range (QEMU widens
     * snapshots to 64-page alignment); {@return the dirty pages of those words, one bit per page
     * (1 = dirty), word 0 holding page {@code firstPage}} where {@code firstPage} is the range's
     * first page rounded down to 64. Pages past the block's end are never reported.
     */
    public long[] snapshotAndClear(long offset, long len, int client) {
        long w0 = first(offset) >>> 6;
        long w1 = len == 0 ? w0 - 1 : last(offset, len) >>> 6;
        long[] out = new long[(int) Math.max(0, w1 - w0 + 1)];
        for (long w = w0; w <= w1; w++) {
            long valid = w == (pages - 1) >>> 6 ? rangeMask(0, (pages - 1) & 63) : -1L;
            long old = (long) WORD.getAndSet(bits, (client * words + w) * Long.BYTES, -1L);
            out[(int) (w - w0)] = ~old & valid;
        }
        return out;
    }

    private static long rangeMask(long lo, long hi) {
        long upto = hi == 63 ? -1L : (1L << (hi + 1)) - 1;
        return upto & (-1L << lo);
    }
}
