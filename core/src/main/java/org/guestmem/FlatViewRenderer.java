package org.guestmem;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.guestmem.internal.RamBlock;

/**
 * Renders a region tree into a {@link FlatView} exactly as QEMU 7.2's
 * {@code render_memory_region} and {@code flatview_simplify} do (spec sections 2.1 to 2.5).
 *
 * <p>QEMU computes with signed 128-bit addresses because alias offsets can move a base below zero
 * or above 2<sup>64</sup>. Here only the running {@code base} needs that width; it travels as two
 * longs ({@code baseHi}, {@code baseLo}). The clip is always inside {@code [0, 2^64)} and travels
 * as an unsigned inclusive pair. Gaps are found in a tree of the pieces rendered so far, so
 * rendering costs O(n log n) instead of QEMU's O(n^2) array insertion.
 *
 * <p>Runs on the writer thread under the update lock; not thread-safe.
 */
final class FlatViewRenderer {

    /** A rendered piece before merging; mutable only during rendering. */
    private static final class Piece {
        final long start;
        final long last;
        final MemoryRegion region;
        final long offset;
        final boolean readonly;
        final boolean nonvolatile;

        Piece(long start, long last, MemoryRegion region, long offset, boolean readonly, boolean nonvolatile) {
            this.start = start;
            this.last = last;
            this.region = region;
            this.offset = offset;
            this.readonly = readonly;
            this.nonvolatile = nonvolatile;
        }
    }

    private final MemorySystem system;
    /** Pieces keyed by {@code start ^ Long.MIN_VALUE}, so that signed order is unsigned address order. */
    private final TreeMap<Long, Piece> pieces = new TreeMap<>();

    private FlatViewRenderer(MemorySystem system) {
        this.system = system;
    }

    /** QEMU's {@code memory_region_get_flatview_root} (spec 2.1); null means the empty view. */
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

    /** Renders the view of flatview root {@code physmr} (non-null). */
    static FlatView render(MemorySystem system, MemoryRegion physmr) {
        FlatViewRenderer r = new FlatViewRenderer(system);
        r.render(physmr, 0, 0, 0, -1L, false, false);
        return r.finish(physmr);
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

    /** Inserts {@code mr} into every part of {@code [cs, cl]} no piece covers yet. */
    private void fillGaps(MemoryRegion mr, long cs, long cl, long offsetAtCs, boolean readonly, boolean nonvolatile) {
        long pos = cs;
        Map.Entry<Long, Piece> e = pieces.floorEntry(pos ^ Long.MIN_VALUE);
        if (e != null && Long.compareUnsigned(e.getValue().last, pos) >= 0) {
            long covered = e.getValue().last;
            if (Long.compareUnsigned(covered, cl) >= 0) {
                return;
            }
            pos = covered + 1;
        }
        while (true) {
            e = pieces.ceilingEntry(pos ^ Long.MIN_VALUE);
            if (e == null || Long.compareUnsigned(e.getValue().start, cl) > 0) {
                insert(pos, cl, mr, offsetAtCs + (pos - cs), readonly, nonvolatile);
                return;
            }
            Piece next = e.getValue();
            if (next.start != pos) {
                insert(pos, next.start - 1, mr, offsetAtCs + (pos - cs), readonly, nonvolatile);
            }
            if (Long.compareUnsigned(next.last, cl) >= 0) {
                return;
            }
            pos = next.last + 1;
        }
    }

    private void insert(long start, long last, MemoryRegion mr, long offset, boolean readonly, boolean nonvolatile) {
        pieces.put(start ^ Long.MIN_VALUE, new Piece(start, last, mr, offset, readonly, nonvolatile));
    }

    /** {@code flatview_simplify}, then the immutable view. */
    private FlatView finish(MemoryRegion physmr) {
        ArrayList<FlatRange> out = new ArrayList<>(pieces.size());
        Piece cur = null;
        long curLast = 0;
        for (Piece p : pieces.values()) {
            if (cur != null && canMerge(cur, curLast, p)) {
                curLast = p.last;
                continue;
            }
            if (cur != null) {
                out.add(toRange(cur, curLast));
            }
            cur = p;
            curLast = p.last;
        }
        if (cur != null) {
            out.add(toRange(cur, curLast));
        }
        FlatRange[] ranges = out.toArray(FlatRange[]::new);
        return new FlatView(system, ranges, physmr, retainRamBlocks(ranges));
    }

    /** QEMU's {@code can_merge}, with {@code prev} already extended to {@code prevLast}. */
    private boolean canMerge(Piece prev, long prevLast, Piece next) {
        if (prevLast == -1L || prevLast + 1 != next.start || prev.region != next.region
                || prev.readonly != next.readonly || prev.nonvolatile != next.nonvolatile) {
            return false;
        }
        // prev.offset + prev.size == next.offset, exactly (no wrap past 2^64)
        long prevEndOff = prev.offset + (prevLast - prev.start);
        return Long.compareUnsigned(prevEndOff, prev.offset) >= 0 && prevEndOff != -1L && prevEndOff + 1 == next.offset;
    }

    private FlatRange toRange(Piece p, long last) {
        MemoryRegion mr = p.region;
        return new FlatRange(p.start, last, mr, p.offset, p.readonly, mr.isRomdMode(), p.nonvolatile,
                system.effectiveLogMask(mr));
    }

    /** One reference on each distinct RAM block the view maps, dropped when the view is destroyed. */
    private static RamBlock[] retainRamBlocks(FlatRange[] ranges) {
        Map<RamBlock, Boolean> seen = new IdentityHashMap<>();
        for (FlatRange r : ranges) {
            RamBlock b = FlatView.blockOf(r.region());
            if (b != null && seen.put(b, Boolean.TRUE) == null && !b.retain()) {
                throw new IllegalStateException("RAM block '" + b.name() + "' was freed while still mapped");
            }
        }
        return seen.keySet().toArray(RamBlock[]::new);
    }
}
