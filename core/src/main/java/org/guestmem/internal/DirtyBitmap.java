package org.guestmem.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import org.guestmem.layout.DirtyBitmapLayout;

/**
 * A RAM block's dirty bitmaps in native memory ({@link DirtyBitmapLayout}): one bit per target
 * page per client. Lock-free and safe for any number of threads: setting is an atomic OR,
 * clearing an atomic AND that returns what it cleared, so a page written during a clear is
 * either reported by that clear or stays dirty for the next one. A new block starts dirty for
 * every client, as in QEMU.
 */
public final class DirtyBitmap {
    /** A long at a byte offset: coordinates {@code (MemorySegment, long offset)}. */
    private static final VarHandle WORD = ValueLayout.JAVA_LONG.varHandle();

    private final MemorySegment bits;
    private final long pages;
    private final long words;
    private final int pageBits;

    /** Allocates the bitmaps for {@code bytes} bytes of RAM in {@code arena}, every page dirty. */
    public DirtyBitmap(Arena arena, long bytes, int pageBits) {
        this.pageBits = pageBits;
        this.pages = (bytes + (1L << pageBits) - 1) >>> pageBits;
        this.words = DirtyBitmapLayout.words(pages);
        this.bits = arena.allocate(DirtyBitmapLayout.layout(pages));
        bits.fill((byte) 0xff);
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
                long idx = c * words + w;
                long old = (long) WORD.getVolatile(bits, (idx) * Long.BYTES);
                if ((old & m) != m) {
                    WORD.getAndBitwiseOr(bits, (idx) * Long.BYTES, m);
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
                long m = rangeMask(p & 63, hi & 63);
                if (((long) WORD.getVolatile(bits, (c * words + w) * Long.BYTES) & m) != m) {
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
            if (((long) WORD.getVolatile(bits, (client * words + w) * Long.BYTES) & rangeMask(p & 63, hi & 63)) != 0) {
                return true;
            }
            p = hi + 1;
        }
        return false;
    }

    /**
     * Clears the range for {@code client}; {@return whether any of its pages was dirty}
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
            long old = (long) WORD.getAndBitwiseAnd(bits, (client * words + w) * Long.BYTES, ~m);
            dirty |= (old & m) != 0;
            p = hi + 1;
        }
        return dirty;
    }

    /**
     * Copies and clears {@code client}'s bits for the whole words covering the range (QEMU widens
     * snapshots to 64-page alignment); {@return the copied words, word 0 holding page
     * {@code firstPage}} where {@code firstPage} is the range's first page rounded down to 64.
     */
    public long[] snapshotAndClear(long offset, long len, int client) {
        long w0 = first(offset) >>> 6;
        long w1 = len == 0 ? w0 - 1 : last(offset, len) >>> 6;
        long[] out = new long[(int) Math.max(0, w1 - w0 + 1)];
        for (long w = w0; w <= w1; w++) {
            out[(int) (w - w0)] = (long) WORD.getAndSet(bits, (client * words + w) * Long.BYTES, 0L);
        }
        return out;
    }

    private static long rangeMask(long lo, long hi) {
        long upto = hi == 63 ? -1L : (1L << (hi + 1)) - 1;
        return upto & (-1L << lo);
    }
}
