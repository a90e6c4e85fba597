package org.guestmem;

import java.util.ArrayList;
import java.util.Arrays;
import org.guestmem.internal.RamBlock;
import org.guestmem.internal.RamBlockSet;

/**
 * Renders a region tree into a {@link FlatView} exactly as QEMU 7.2's
 * {@code render_memory_region} and {@code flatview_simplify} do (see {@code docs/memory-model.md}).
 *
 * <p>QEMU computes with signed 128-bit addresses because alias offsets can move a base below zero
 * or above 2<sup>64</sup>. Here only the running {@code base} needs that width; it travels as two
 * longs ({@code baseHi}, {@code baseLo}). The clip is always inside {@code [0, 2^64)} and travels
 * as an unsigned inclusive pair.
 *
 * <p>QEMU inserts each terminating region into the gaps the regions rendered before it left, an
 * O(n^2) array insertion. The result is the same as giving every address to the first candidate
 * in rendering order that covers it, which is what this class computes: the recursion records the
 * candidates (a terminating region clipped to its window, in QEMU's order), then a sweep over
 * their starts with a min-heap of ranks emits the pieces in address order, O(n log n) in primitive
 * arrays. {@code flatview_simplify} then merges the pieces as QEMU does, so split points that
 * differ from QEMU's before simplification cannot show.
 *
 * <p>Runs on the writer thread under the update lock; not thread-safe. One instance per
 * {@link MemorySystem} reuses its arrays across renders.
 */
final class FlatViewRenderer {

    private final ViewContext context;

    // candidates in rendering order (the index is the rank: lower wins)
    private int count;
    private long[] cStart = new long[16];
    private long[] cLast = new long[16];
    private long[] cOffset = new long[16];
    private MemoryRegion[] cRegion = new MemoryRegion[16];
    /** The ranges of the previous view of the root being rendered, and where the sweep is in them. */
    private FlatRange[] prevRanges = NO_RANGES;
    private int prevCursor;
    private static final FlatRange[] NO_RANGES = new FlatRange[0];
    /** The distinct RAM blocks of the view being finished; cleared after each use. */
    private RamBlock[] blockScratch = new RamBlock[16];
    private byte[] cFlags = new byte[16];
    private static final byte READONLY = 1;
    private static final byte NONVOLATILE = 2;

    /** A renderer for the views of one system; it keeps its scratch arrays from one render to the next. */
    FlatViewRenderer(ViewContext context) {
        this.context = context;
    }

    /** QEMU's {@code memory_region_get_flatview_root}; null means the empty view. */
    static MemoryRegion flatviewRoot(MemoryRegion mr) {
        while (mr != null && mr.enabled) {
            if (mr instanceof AliasRegion a) {
                if (a.aliasOffset == 0 && Long.compareUnsigned(a.sizeMinus1, a.target().sizeMinus1) >= 0) {
                    mr = a.target();
                    continue;
                }
            } else if (!mr.terminates()) {
                int found = 0;
                MemoryRegion next = null;
                for (MemoryRegion child : mr.subregions) {
                    if (child.enabled) {
                        if (++found > 1) {
                            next = null;
                            break;
                        }
                        if (child.addr == 0 && Long.compareUnsigned(mr.sizeMinus1, child.sizeMinus1) >= 0) {
                            next = child;
                        }
                    }
                }
                if (found == 0) {
                    return null;
                }
                if (next != null) {
                    mr = next;
                    continue;
                }
            }
            return mr;
        }
        return null;
    }

    /**
     * Renders the view of flatview root {@code physmr} (non-null). {@code previous}, the live view
     * of the same root from the last commit or null, lends its RAM block set when the new view
     * maps exactly the same blocks.
     */
    FlatView render(MemoryRegion physmr, FlatView previous) {
        count = 0;
        prevRanges = previous == null ? NO_RANGES : previous.rangeArray();
        prevCursor = 0;
        try {
            render(physmr, 0, 0, 0, -1L, false, false);
            return finish(physmr, previous);
        } finally {
            Arrays.fill(cRegion, 0, count, null); // the scratch must not keep removed regions reachable
            prevRanges = NO_RANGES;
        }
    }

    /**
     * {@code render_memory_region}: base is the signed 128-bit {@code (baseHi, baseLo)}; the clip is
     * {@code [clipStart, clipLast]}, unsigned, non-empty.
     */
    private void render(MemoryRegion mr, long baseHi, long baseLo, long clipStart, long clipLast,
                        boolean readonly, boolean nonvolatile) {
        if (!mr.enabled) {
            return;
        }
        // base += mr.addr
        long lo = baseLo + mr.addr;
        long hi = baseHi + (Long.compareUnsigned(lo, baseLo) < 0 ? 1 : 0);
        readonly |= mr.readonly;
        nonvolatile |= mr.nonvolatile;

        // own = [base, base + size - 1]
        long lastLo = lo + mr.sizeMinus1;
        long lastHi = hi + (Long.compareUnsigned(lastLo, lo) < 0 ? 1 : 0);
        // intersects clip? own.start <= clipLast && own.last >= clipStart (clip is within [0, 2^64))
        if (compare(hi, lo, clipLast) > 0 || compare(lastHi, lastLo, clipStart) < 0) {
            return;
        }
        long cs = compare(hi, lo, clipStart) > 0 ? lo : clipStart;
        long cl = compare(lastHi, lastLo, clipLast) < 0 ? lastLo : clipLast;

        if (mr instanceof AliasRegion alias) {
            // base -= target.addr + alias_offset; the target's own addr is added back by the recursion
            MemoryRegion target = alias.target();
            long h = hi;
            long l = lo;
            long nl = l - target.addr;
            h -= Long.compareUnsigned(l, target.addr) < 0 ? 1 : 0;
            l = nl;
            nl = l - alias.aliasOffset;
            h -= Long.compareUnsigned(l, alias.aliasOffset) < 0 ? 1 : 0;
            l = nl;
            render(target, h, l, cs, cl, readonly, nonvolatile);
            return;
        }
        for (MemoryRegion sub : mr.subregions) {
            render(sub, hi, lo, cs, cl, readonly, nonvolatile);
        }
        if (!mr.terminates()) {
            return;
        }
        // offset_in_region of cs = cs - base; cs lies inside own, so the difference fits 64 bits
        fillGaps(mr, cs, cl, cs - lo, readonly, nonvolatile);
    }

    /** Compares the signed 128-bit {@code (hi, lo)} with the unsigned 64-bit {@code v}. */
    private static int compare(long hi, long lo, long v) {
        if (hi != 0) {
            return hi < 0 ? -1 : 1;
        }
        return Long.compareUnsigned(lo, v);
    }

    /** Records {@code mr} over {@code [cs, cl]} as the next candidate (QEMU would fill its gaps now). */
    private void fillGaps(MemoryRegion mr, long cs, long cl, long offsetAtCs, boolean readonly, boolean nonvolatile) {
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
     * The sweep: every address goes to the lowest-ranked candidate covering it; consecutive
     * pieces are merged by {@code flatview_simplify}'s rule as they are emitted.
     */
    private FlatView finish(MemoryRegion physmr, FlatView previous) {
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
        FlatRange[] ranges = out.toArray(FlatRange[]::new);
        return new FlatView(context, ranges, physmr, ramBlocks(ranges, previous));
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

    /**
     * A count on each distinct RAM block the view maps, dropped when the view is destroyed:
     * {@code previous}'s set when it holds exactly these blocks, else a new one.
     */
    private RamBlockSet ramBlocks(FlatRange[] ranges, FlatView previous) {
        long mark = context.nextViewMark(); // a RAM block belongs to exactly one region: dedupe by region
        int n = 0;
        for (FlatRange r : ranges) {
            MemoryRegion mr = r.region();
            if (mr.viewMark == mark) {
                continue;
            }
            mr.viewMark = mark;
            RamBlock b = FlatView.blockOf(mr);
            if (b != null) {
                if (n == blockScratch.length) {
                    blockScratch = Arrays.copyOf(blockScratch, 2 * n);
                }
                blockScratch[n++] = b;
            }
        }
        try {
            if (previous != null) {
                RamBlockSet shared = previous.ramBlocks();
                if (shared.holdsExactly(blockScratch, n) && shared.tryShare()) {
                    return shared;
                }
            }
            return RamBlockSet.retainAll(blockScratch, n);
        } finally {
            Arrays.fill(blockScratch, 0, n, null); // the scratch must not keep freed blocks reachable
        }
    }
}
