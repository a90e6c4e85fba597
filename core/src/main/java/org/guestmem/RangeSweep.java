package org.guestmem;

import java.util.ArrayList;
import java.util.Arrays;

/**
 * The second half of rendering: the candidates the walk recorded (each terminating region clipped
 * to its window, in QEMU's rendering order, so that the index is the rank and lower wins) become
 * the view's sorted, disjoint, merged {@link FlatRange}s.
 *
 * <p>QEMU inserts each terminating region into the gaps the regions rendered before it left, an
 * O(n^2) array insertion. The result is the same as giving every address to the first candidate
 * in rendering order that covers it, which is what {@link #sweep} computes: a sweep over the
 * candidates' starts with a min-heap of ranks emits the pieces in address order, O(n log n) in
 * primitive arrays. {@code flatview_simplify} then merges the pieces as QEMU does, so split points
 * that differ from QEMU's before simplification cannot show.
 *
 * <p>Writer only (under the update lock); the arrays are reused from one render to the next.
 */
final class RangeSweep {
    private static final FlatRange[] NO_RANGES = new FlatRange[0];
    private static final byte READONLY = 1;
    private static final byte NONVOLATILE = 2;

    // candidates in rendering order (the index is the rank: lower wins)
    private int count;
    private long[] cStart = new long[16];
    private long[] cLast = new long[16];
    private long[] cOffset = new long[16];
    private MemoryRegion[] cRegion = new MemoryRegion[16];
    private byte[] cFlags = new byte[16];
    /** The ranges of the previous view of the root being rendered, and where the sweep is in them. */
    private FlatRange[] prevRanges = NO_RANGES;
    private int prevCursor;

    /** Forgets the candidates of the last render (the regions must not stay reachable from here). */
    void clear() {
        Arrays.fill(cRegion, 0, count, null);
        count = 0;
        prevRanges = NO_RANGES;
    }

    /** {@return how many candidates were recorded since {@link #clear()}} */
    int count() {
        return count;
    }

    /**
     * Records {@code mr} over {@code [cs, cl]}, whose first byte is {@code offsetAtCs} into the
     * region, as the next candidate (QEMU would fill its gaps now).
     */
    void add(MemoryRegion mr, long cs, long cl, long offsetAtCs, boolean readonly, boolean nonvolatile) {
        if (count == cStart.length) {
            int n = count * 2;
            cStart = Arrays.copyOf(cStart, n);
            cLast = Arrays.copyOf(cLast, n);
            cOffset = Arrays.copyOf(cOffset, n);
            cRegion = Arrays.copyOf(cRegion, n);
            cFlags = Arrays.copyOf(cFlags, n);
        }
        cStart[count] = cs;
        cLast[count] = cl;
        cOffset[count] = offsetAtCs;
        cRegion[count] = mr;
        cFlags[count] = (byte) ((readonly ? READONLY : 0) | (nonvolatile ? NONVOLATILE : 0));
        count++;
    }

    /**
     * {@return the flat ranges of the candidates} Every address goes to the lowest-ranked candidate
     * covering it; consecutive pieces are merged by {@code flatview_simplify}'s rule as they are
     * emitted. A range equal to one of {@code previous} (the same root's last ranges, or empty) is
     * that very object; {@code from} is the first range of {@code previous} that may be one.
     */
    FlatRange[] sweep(FlatRange[] previous, int from) {
        prevRanges = previous;
        prevCursor = from;
        int[] order = byStart();
        int[] heap = new int[Math.max(1, count)];
        int heapSize = 0;
        ArrayList<FlatRange> out = new ArrayList<>(count);
        int cur = -1; // candidate of the open range, -1 if none
        long curStart = 0;
        long curLast = 0;
        long curOffset = 0;
        int next = 0;
        long pos = 0;
        while (next < count || heapSize > 0) {
            if (heapSize == 0) {
                pos = cStart[order[next]];
            }
            while (next < count && Long.compareUnsigned(cStart[order[next]], pos) <= 0) {
                heapSize = push(heap, heapSize, order[next++]);
            }
            while (heapSize > 0 && Long.compareUnsigned(cLast[heap[0]], pos) < 0) {
                heapSize = pop(heap, heapSize);
            }
            if (heapSize == 0) {
                continue;
            }
            int c = heap[0];
            long end = cLast[c];
            if (next < count && Long.compareUnsigned(cStart[order[next]] - 1, end) < 0) {
                end = cStart[order[next]] - 1; // a later start may bring a lower rank
            }
            long offset = cOffset[c] + (pos - cStart[c]);
            if (cur >= 0 && canMerge(cur, curStart, curLast, curOffset, c, pos, offset)) {
                curLast = end;
            } else {
                if (cur >= 0) {
                    out.add(toRange(cur, curStart, curLast, curOffset));
                }
                cur = c;
                curStart = pos;
                curLast = end;
                curOffset = offset;
            }
            if (end == -1L) {
                break; // the last byte of the address space
            }
            pos = end + 1;
        }
        if (cur >= 0) {
            out.add(toRange(cur, curStart, curLast, curOffset));
        }
        return out.toArray(FlatRange[]::new);
    }

    /**
     * Candidate indices sorted by start (unsigned); equal starts keep rank order. Containers list
     * their newest subregion first, so a map built in address order renders in descending order:
     * that case and the ascending one are recognised in one pass; anything else is merge sorted.
     */
    private int[] byStart() {
        int[] a = new int[count];
        boolean ascending = true;
        boolean descending = true;
        for (int i = 1; i < count; i++) {
            int c = Long.compareUnsigned(cStart[i - 1], cStart[i]);
            ascending &= c <= 0;
            descending &= c > 0;
        }
        for (int i = 0; i < count; i++) {
            a[i] = ascending || !descending ? i : count - 1 - i;
        }
        if (ascending || descending) {
            return a;
        }
        int[] b = new int[count];
        for (int width = 1; width < count; width *= 2) {
            for (int lo = 0; lo < count; lo += 2 * width) {
                int mid = Math.min(lo + width, count);
                int hi = Math.min(lo + 2 * width, count);
                int i = lo;
                int j = mid;
                for (int k = lo; k < hi; k++) {
                    b[k] = i < mid && (j >= hi || Long.compareUnsigned(cStart[a[i]], cStart[a[j]]) <= 0) ? a[i++] : a[j++];
                }
            }
            int[] t = a;
            a = b;
            b = t;
        }
        return a;
    }

    /** Adds rank {@code c} to the binary min-heap of {@code size} ranks; returns the new size. */
    private static int push(int[] heap, int size, int c) {
        int i = size;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (heap[parent] <= c) {
                break;
            }
            heap[i] = heap[parent];
            i = parent;
        }
        heap[i] = c;
        return size + 1;
    }

    /** Removes the smallest rank; returns the new size. */
    private static int pop(int[] heap, int size) {
        int last = heap[--size];
        int i = 0;
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && heap[child + 1] < heap[child]) {
                child++;
            }
            if (heap[child] >= last) {
                break;
            }
            heap[i] = heap[child];
            i = child;
        }
        if (size > 0) {
            heap[i] = last;
        }
        return size;
    }

    /**
     * QEMU's {@code can_merge} of the open range (candidate {@code a} over {@code [aStart, aLast]}
     * from {@code aOffset}) with a piece of candidate {@code b} at {@code bStart} from {@code bOffset}.
     */
    private boolean canMerge(int a, long aStart, long aLast, long aOffset, int b, long bStart, long bOffset) {
        if (aLast == -1L || aLast + 1 != bStart || cRegion[a] != cRegion[b] || cFlags[a] != cFlags[b]) {
            return false;
        }
        // aOffset + size == bOffset, exactly (no wrap past 2^64)
        long aEndOff = aOffset + (aLast - aStart);
        return Long.compareUnsigned(aEndOff, aOffset) >= 0 && aEndOff != -1L && aEndOff + 1 == bOffset;
    }

    /**
     * The range {@code [start, last]} of candidate {@code c}; the previous view's object when it has
     * the very same range (FlatRanges are immutable: sharing one saves a commit most of its garbage,
     * since a commit usually changes a few ranges of many). Called in ascending order of start.
     */
    private FlatRange toRange(int c, long start, long last, long offset) {
        MemoryRegion mr = cRegion[c];
        boolean readonly = (cFlags[c] & READONLY) != 0;
        boolean nonvolatile = (cFlags[c] & NONVOLATILE) != 0;
        boolean romd = mr.isRomdMode();
        int mask = mr.logMask();
        FlatRange[] prev = prevRanges;
        while (prevCursor < prev.length && Long.compareUnsigned(prev[prevCursor].start(), start) < 0) {
            prevCursor++;
        }
        if (prevCursor < prev.length) {
            FlatRange p = prev[prevCursor];
            if (p.start() == start && p.last() == last && p.region() == mr && p.offsetInRegion() == offset
                    && p.readonly() == readonly && p.romdMode() == romd && p.nonvolatile() == nonvolatile
                    && p.dirtyLogMask() == mask) {
                return p;
            }
        }
        return new FlatRange(start, last, mr, offset, readonly, romd, nonvolatile, mask);
    }
}
