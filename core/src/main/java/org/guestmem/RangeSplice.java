package org.guestmem;

import java.util.Arrays;

/**
 * The ranges of a view rendered again in some windows: the previous view's ranges outside the
 * windows (a range that crosses a window's edge keeps its part outside, clipped), the fresh ranges
 * inside them, and {@code flatview_simplify}'s merge where they meet. Outside the windows every
 * address renders as before, so this is exactly what a full render gives: the previous ranges were
 * simplified, the fresh ones are simplified within their window, and only a pair that meets at a
 * window's edge can still be merged.
 *
 * <p>Use: {@link #window} for each window in ascending order, then {@link #finish}. Writer only.
 */
final class RangeSplice {
    private final FlatRange[] prev;
    private int next;
    /** The previous range not yet consumed, possibly clipped on its left; null when they are all consumed. */
    private FlatRange head;
    private FlatRange[] out;
    /** For each range of {@link #out}: the index of the previous range it is, unchanged, or -1. */
    private int[] src;
    private int size;

    RangeSplice(FlatRange[] prev, int extra) {
        this.prev = prev;
        this.head = prev.length > 0 ? prev[0] : null;
        this.out = new FlatRange[prev.length + extra + 2];
        this.src = new int[out.length];
    }

    /** {@return the index of the first previous range that ends at or after {@code addr}} */
    static int firstEndingAtOrAfter(FlatRange[] r, long addr) {
        int lo = 0;
        int hi = r.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (Long.compareUnsigned(r[mid].last(), addr) < 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** Replaces what the previous ranges show in {@code [ws, wl]} with {@code fresh} (sorted, inside the window). */
    void window(long ws, long wl, FlatRange[] fresh) {
        // the previous ranges wholly before the window, in one copy (the first may merge with what precedes)
        if (head != null && Long.compareUnsigned(head.last(), ws) < 0) {
            emitHead();
            int to = firstEndingAtOrAfter(prev, ws);
            if (to > next) {
                copy(next, to);
                next = to;
                head = next < prev.length ? prev[next] : null;
            }
        }
        if (head != null && Long.compareUnsigned(head.start(), ws) < 0) { // crosses the window's start
            emit(clip(head, head.start(), ws - 1), -1);
            if (Long.compareUnsigned(head.last(), wl) > 0) {
                head = clip(head, wl + 1, head.last());
            } else {
                advance();
            }
        }
        if (head != null && Long.compareUnsigned(head.last(), wl) <= 0) { // inside the window: rendered again
            int to = wl == -1L ? prev.length : firstEndingAtOrAfter(prev, wl + 1);
            next = Math.max(next + 1, to);
            head = next < prev.length ? prev[next] : null;
        }
        if (head != null && Long.compareUnsigned(head.start(), wl) <= 0) { // crosses the window's end
            head = clip(head, wl + 1, head.last());
        }
        for (FlatRange r : fresh) {
            emit(r, -1);
        }
    }

    /** {@return the spliced ranges} */
    FlatRange[] finish() {
        if (head != null) {
            emitHead();
            copy(next, prev.length);
        }
        if (size != out.length) {
            out = Arrays.copyOf(out, size);
        }
        return out;
    }

    /**
     * {@return for each range {@link #finish} returned, the index of the previous range it is,
     * unchanged and outside every window, or -1} Call after {@link #finish}.
     */
    int[] sources() {
        return src;
    }

    /** Emits {@link #head} (the previous range {@link #next} itself unless it was clipped) and moves past it. */
    private void emitHead() {
        emit(head, head == prev[next] ? next : -1);
        advance();
    }

    private void advance() {
        next++;
        head = next < prev.length ? prev[next] : null;
    }

    /** Appends previous ranges {@code [from, to)}: untouched neighbours, which cannot merge with one another. */
    private void copy(int from, int to) {
        int n = to - from;
        if (n <= 0) {
            return;
        }
        ensure(n);
        System.arraycopy(prev, from, out, size, n);
        for (int k = 0; k < n; k++) {
            src[size + k] = from + k;
        }
        size += n;
    }

    /**
     * Appends {@code r} (previous range {@code from} unchanged, or -1), merged into the last range if
     * {@code flatview_simplify} would merge them.
     */
    private void emit(FlatRange r, int from) {
        if (size > 0) {
            FlatRange a = out[size - 1];
            if (canMerge(a, r)) {
                out[size - 1] = new FlatRange(a.start(), r.last(), a.region(), a.offsetInRegion(), a.readonly(),
                        a.romdMode(), a.nonvolatile(), a.dirtyLogMask());
                src[size - 1] = -1;
                return;
            }
        }
        ensure(1);
        src[size] = from;
        out[size++] = r;
    }

    private void ensure(int n) {
        if (size + n > out.length) {
            int len = Math.max(out.length * 2, size + n);
            out = Arrays.copyOf(out, len);
            src = Arrays.copyOf(src, len);
        }
    }

    /** QEMU's {@code can_merge}: adjacent, the same region at consecutive offsets, the same attributes. */
    static boolean canMerge(FlatRange a, FlatRange b) {
        if (a.last() == -1L || a.last() + 1 != b.start() || a.region() != b.region() || a.readonly() != b.readonly()
                || a.nonvolatile() != b.nonvolatile() || a.romdMode() != b.romdMode()
                || a.dirtyLogMask() != b.dirtyLogMask()) {
            return false;
        }
        long aEndOff = a.offsetInRegion() + (a.last() - a.start());
        return Long.compareUnsigned(aEndOff, a.offsetInRegion()) >= 0 && aEndOff != -1L && aEndOff + 1 == b.offsetInRegion();
    }

    /** {@code r} cut to {@code [s, l]} (inside it). */
    private static FlatRange clip(FlatRange r, long s, long l) {
        return new FlatRange(s, l, r.region(), r.offsetInRegion() + (s - r.start()), r.readonly(), r.romdMode(),
                r.nonvolatile(), r.dirtyLogMask());
    }
}
