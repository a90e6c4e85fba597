package org.guestmem;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.guestmem.internal.Hex;
import org.guestmem.internal.RamBlock;
import org.guestmem.internal.RamBlockSet;

/**
 * Renders a region tree into a {@link FlatView} exactly as QEMU 7.2's
 * {@code memory_region_get_flatview_root}, {@code render_memory_region} and
 * {@code flatview_simplify} do (see {@code docs/memory-model.md}).
 *
 * <p>The walk is QEMU's recursion made iterative: an explicit stack of frames in primitive arrays,
 * so no depth of nesting or of alias chains can overflow the thread's stack, and the candidates
 * (each terminating region clipped to its window) come out in QEMU's order: a region's subregions
 * in list order, then the region itself. {@link RangeSweep} turns them into flat ranges.
 *
 * <p>QEMU computes with signed 128-bit addresses because alias offsets can move a base below zero
 * or above 2<sup>64</sup>. Here only the running base needs that width; it travels as two longs
 * (high, low). The clip is always inside {@code [0, 2^64)} and travels as an unsigned inclusive
 * pair.
 *
 * <h2 id="reentry">Aliases into their own container</h2>
 * An alias may show a container that holds it (QEMU's Arm SSE-200 boards do): the clip ends the
 * recursion, because the alias's window does not contain the alias itself. An alias reached again
 * while its own target is being rendered, with a non-empty clip, shows itself inside its own
 * window; QEMU recurses again (once per level until the clip is empty, or forever), guestmem
 * refuses every such re-entry with {@link IllegalArgumentException} naming the loop. Because a
 * container cannot be its own ancestor (adding one is refused), every walk that would not end
 * passes through such a re-entry, so every walk ends.
 *
 * <p>Runs on the writer thread under the update lock; not thread-safe. One instance per
 * {@link MemorySystem} reuses its arrays across renders.
 */
final class FlatViewRenderer {
    /** How many regions of a loop a message lists before it elides the middle. */
    private static final int PATH_NAMES = 12;
    private static final FlatRange[] NO_RANGES = new FlatRange[0];

    private final ViewContext context;
    private final RangeSweep sweep = new RangeSweep();

    // the walk's stack: a frame is a region being rendered (next >= 0: the index of its next
    // subregion) or an alias whose target is being rendered (next == ALIAS)
    private static final int ALIAS = -1;
    private int depth;
    private MemoryRegion[] sRegion = new MemoryRegion[16];
    private long[] sBaseHi = new long[16];
    private long[] sBaseLo = new long[16];
    private long[] sClipStart = new long[16];
    private long[] sClipLast = new long[16];
    private int[] sNext = new int[16];
    private byte[] sFlags = new byte[16];
    /** What {@link #place} computed: the region's base (high, low) and the clip narrowed to it. */
    private long pHi;
    private long pLo;
    private long pStart;
    private long pLast;
    private static final byte READONLY = 1;
    private static final byte NONVOLATILE = 2;

    /** The distinct RAM blocks of the view being finished; cleared after each use. */
    private RamBlock[] blockScratch = new RamBlock[16];

    /** A renderer for the views of one system; it keeps its scratch arrays from one render to the next. */
    FlatViewRenderer(ViewContext context) {
        this.context = context;
    }

    /**
     * QEMU's {@code memory_region_get_flatview_root}; null means the empty view.
     *
     * @throws AliasLoopException if the reduction leads back to a region it passed (a container
     *                             whose only child is an alias covering it)
     */
    static MemoryRegion flatviewRoot(MemoryRegion mr) {
        MemoryRegion start = mr;
        MemoryRegion saved = mr; // Brent's cycle detection: a region compared with every later step
        int steps = 0;
        int power = 1;
        while (mr != null && mr.enabled) {
            MemoryRegion next = null;
            if (mr instanceof AliasRegion a) {
                if (a.aliasOffset == 0 && Long.compareUnsigned(a.sizeMinus1, a.target().sizeMinus1) >= 0) {
                    next = a.target();
                }
            } else if (!mr.terminates()) {
                int found = 0;
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
            }
            if (next == null) {
                return mr;
            }
            mr = next;
            if (mr == saved) {
                throw rootLoop(start, saved);
            }
            if (++steps == power) {
                saved = mr;
                power <<= 1;
                steps = 0;
            }
        }
        return null;
    }

    /** The refusal of a flatview-root reduction from {@code start} that loops through {@code r}. */
    private static AliasLoopException rootLoop(MemoryRegion start, MemoryRegion r) {
        List<MemoryRegion> loop = new ArrayList<>();
        MemoryRegion x = r;
        do { // the loop's steps, as flatviewRoot took them
            loop.add(x);
            x = x instanceof AliasRegion a ? a.target() : x.subregions.stream().filter(c -> c.enabled).findFirst().orElseThrow();
        } while (x != r);
        int first = 0;
        while (!(loop.get(first) instanceof AliasRegion)) { // a loop of containers alone cannot be built
            first++;
        }
        List<MemoryRegion> fromAlias = new ArrayList<>(loop.subList(first, loop.size()));
        fromAlias.addAll(loop.subList(0, first + 1));
        AliasRegion alias = (AliasRegion) loop.get(first);
        return new AliasLoopException("alias '" + alias.name() + "' shows itself: the flatview root of '" + start.name()
                + "' cannot be found, the reduction loops through " + names(fromAlias)
                + " (an alias covering a container whose only enabled subregion leads back to the alias)", alias, fromAlias);
    }

    /** {@code 'a' -> 'b' -> ...}, the middle elided for a long list. */
    private static String names(List<MemoryRegion> path) {
        StringBuilder sb = new StringBuilder();
        int n = path.size();
        for (int k = 0; k < n; k++) {
            if (n > PATH_NAMES && k == PATH_NAMES / 2) {
                sb.append(" -> ... (").append(n - PATH_NAMES).append(" more)");
                k = n - PATH_NAMES / 2;
            }
            sb.append(k > 0 ? " -> " : "").append('\'').append(path.get(k).name()).append('\'');
        }
        return sb.toString();
    }

    /**
     * Renders the view of flatview root {@code physmr} (non-null). {@code previous}, the live view
     * of the same root from the last commit or null, lends its RAM block set when the new view
     * maps exactly the same blocks, and its ranges where they did not change.
     *
     * @throws AliasLoopException if an alias shows itself inside its own window
     */
    FlatView render(MemoryRegion physmr, FlatView previous) {
        try {
            walk(physmr, 0, -1L);
            FlatRange[] ranges = sweep.sweep(previous == null ? NO_RANGES : previous.rangeArray(), 0);
            if (context.beforeTables != null) {
                context.beforeTables.run();
            }
            return new FlatView(context, ranges, physmr, ramBlocks(ranges, previous));
        } finally {
            unwind();
            sweep.clear(); // the scratch must not keep removed regions reachable
        }
    }

    /**
     * The view of {@code physmr} that {@link #render} would give, computed from {@code previous}
     * (the live view of the same root from the last commit) by rendering only the {@code windows}
     * (sorted, disjoint, non-adjacent {@code [start, last]} pairs of addresses) again and splicing
     * them into a copy of its ranges ({@link RangeSplice}). Correct when the tree changed nowhere
     * else since {@code previous} was rendered ({@link ChangedExtents}).
     *
     * @throws AliasLoopException if an alias shows itself inside its own window within a window
     */
    FlatView renderWindows(MemoryRegion physmr, FlatView previous, long[] windows) {
        FlatRange[] prev = previous.rangeArray();
        try {
            RangeSplice splice = new RangeSplice(prev, 8);
            for (int w = 0; w < windows.length; w += 2) {
                walk(physmr, windows[w], windows[w + 1]);
                FlatRange[] fresh = sweep.sweep(prev, RangeSplice.firstEndingAtOrAfter(prev, windows[w]));
                sweep.clear();
                splice.window(windows[w], windows[w + 1], fresh);
            }
            FlatRange[] ranges = splice.finish();
            if (context.beforeTables != null) {
                context.beforeTables.run();
            }
            return new FlatView(context, ranges, physmr, ramBlocks(ranges, previous), previous, splice.sources());
        } finally {
            unwind();
            sweep.clear();
        }
    }

    /**
     * Renders {@code physmr} in full and throws {@link IllegalStateException} if {@code view}'s
     * ranges differ: the check of every incremental commit when {@link ViewCache#VERIFY_PROPERTY}
     * is set.
     */
    void checkAgainstFullRender(MemoryRegion physmr, FlatView view) {
        FlatRange[] full;
        try {
            walk(physmr, 0, -1L);
            full = sweep.sweep(NO_RANGES, 0);
        } finally {
            unwind();
            sweep.clear();
        }
        FlatRange[] got = view.rangeArray();
        if (!Arrays.equals(full, got)) {
            int i = 0;
            while (i < Math.min(full.length, got.length) && full[i].equals(got[i])) {
                i++;
            }
            throw new IllegalStateException("incremental render of '" + physmr.name() + "' differs from the full render at range "
                    + i + ": full " + (i < full.length ? full[i] : "(end)") + ", incremental " + (i < got.length ? got[i] : "(end)")
                    + " (" + full.length + " against " + got.length + " ranges)");
        }
    }

    /**
     * {@code render_memory_region} of {@code root} with base 0 and {@code [clipStart, clipLast]} as
     * the clip (the whole address space for a full render).
     */
    private void walk(MemoryRegion root, long rootClipStart, long rootClipLast) {
        enter(root, 0, 0, rootClipStart, rootClipLast, (byte) 0);
        while (depth > 0) {
            int f = depth - 1;
            MemoryRegion mr = sRegion[f];
            int next = sNext[f];
            if (next == ALIAS) { // the alias's target is rendered
                ((AliasRegion) mr).onRenderPath = false;
                sRegion[f] = null;
                depth = f;
                continue;
            }
            var subs = mr.subregions;
            int n = subs.size();
            if (next < n) { // subregions in list order first, until one needs a frame of its own
                long baseHi = sBaseHi[f];
                long baseLo = sBaseLo[f];
                long clipStart = sClipStart[f];
                long clipLast = sClipLast[f];
                byte flags = sFlags[f];
                boolean pushed = false;
                while (next < n && !pushed) {
                    pushed = enter(subs.get(next++), baseHi, baseLo, clipStart, clipLast, flags);
                }
                sNext[f] = next;
                if (pushed) {
                    continue;
                }
            }
            sRegion[f] = null; // then the region itself, in the gaps they left
            depth = f;
            if (mr.terminates()) {
                candidate(mr, sClipStart[f], sClipLast[f], sBaseLo[f], sFlags[f]);
            }
        }
    }

    /**
     * {@code render_memory_region(mr, base, clip)} as far as it goes without a frame: base is the
     * signed 128-bit {@code (baseHi, baseLo)} of the container, the clip {@code [clipStart,
     * clipLast]} unsigned and non-empty. A region without subregions is done here (a terminating
     * one becomes a candidate); a region with subregions gets a frame. {@return whether a frame was
     * pushed}
     */
    private boolean enter(MemoryRegion mr, long baseHi, long baseLo, long clipStart, long clipLast, byte flags) {
        if (!place(mr, baseHi, baseLo, clipStart, clipLast)) {
            return false;
        }
        flags |= flagsOf(mr);
        if (mr instanceof AliasRegion alias) {
            return enterAlias(alias, flags);
        }
        if (!mr.subregions.isEmpty()) {
            push(mr, pHi, pLo, pStart, pLast, 0, flags);
            return true;
        }
        if (mr.terminates()) {
            candidate(mr, pStart, pLast, pLo, flags);
        }
        return false;
    }

    /**
     * Follows {@code alias}, placed by {@link #place}, into its target and on through a chain of
     * aliases. An alias whose target has subregions (or is an alias) gets a frame that marks it as
     * being rendered until its target is done; an alias of a region without subregions cannot be
     * met again inside its own rendering and needs none. {@return whether a frame was pushed}
     *
     * @throws AliasLoopException if an alias is met while it is marked
     */
    private boolean enterAlias(AliasRegion alias, byte flags) {
        int before = depth;
        while (true) {
            if (alias.onRenderPath) {
                throw showsItself(alias, pStart, pLast);
            }
            MemoryRegion target = alias.target();
            if (target instanceof AliasRegion || !target.subregions.isEmpty()) {
                alias.onRenderPath = true;
                push(alias, pHi, pLo, pStart, pLast, ALIAS, flags);
            }
            // base -= target.addr + alias_offset; place() adds the target's own addr back
            long hi = pHi - (Long.compareUnsigned(pLo, target.addr) < 0 ? 1 : 0);
            long lo = pLo - target.addr;
            hi -= Long.compareUnsigned(lo, alias.aliasOffset) < 0 ? 1 : 0;
            lo -= alias.aliasOffset;
            if (!place(target, hi, lo, pStart, pLast)) {
                return depth > before;
            }
            flags |= flagsOf(target);
            if (target instanceof AliasRegion next) {
                alias = next;
            } else if (!target.subregions.isEmpty()) {
                push(target, pHi, pLo, pStart, pLast, 0, flags);
                return true;
            } else {
                if (target.terminates()) {
                    candidate(target, pStart, pLast, pLo, flags);
                }
                return depth > before;
            }
        }
    }

    /**
     * The start of {@code render_memory_region}: unless {@code mr} is disabled or misses the clip,
     * sets {@link #pHi}/{@link #pLo} to its base ({@code base + mr.addr}) and
     * {@link #pStart}/{@link #pLast} to the clip narrowed to it. {@return whether it shows anything}
     */
    private boolean place(MemoryRegion mr, long baseHi, long baseLo, long clipStart, long clipLast) {
        if (!mr.enabled) {
            return false;
        }
        long lo = baseLo + mr.addr;
        long hi = baseHi + (Long.compareUnsigned(lo, baseLo) < 0 ? 1 : 0);
        // own = [base, base + size - 1]; intersects clip? own.start <= clipLast && own.last >= clipStart
        long lastLo = lo + mr.sizeMinus1;
        long lastHi = hi + (Long.compareUnsigned(lastLo, lo) < 0 ? 1 : 0);
        if (compare(hi, lo, clipLast) > 0 || compare(lastHi, lastLo, clipStart) < 0) {
            return false;
        }
        pHi = hi;
        pLo = lo;
        pStart = compare(hi, lo, clipStart) > 0 ? lo : clipStart;
        pLast = compare(lastHi, lastLo, clipLast) < 0 ? lastLo : clipLast;
        return true;
    }

    private static byte flagsOf(MemoryRegion mr) {
        return (byte) ((mr.readonly ? READONLY : 0) | (mr.nonvolatile ? NONVOLATILE : 0));
    }

    /** Records terminating {@code mr} over {@code [start, last]}, its base at {@code baseLo}, as the next candidate. */
    private void candidate(MemoryRegion mr, long start, long last, long baseLo, byte flags) {
        // offset_in_region of the clip's start = start - base; it lies inside mr, so the difference fits 64 bits
        sweep.add(mr, start, last, start - baseLo, (flags & READONLY) != 0, (flags & NONVOLATILE) != 0);
    }

    private void push(MemoryRegion mr, long baseHi, long baseLo, long clipStart, long clipLast, int next, byte flags) {
        if (depth == sRegion.length) {
            int n = depth * 2;
            sRegion = Arrays.copyOf(sRegion, n);
            sBaseHi = Arrays.copyOf(sBaseHi, n);
            sBaseLo = Arrays.copyOf(sBaseLo, n);
            sClipStart = Arrays.copyOf(sClipStart, n);
            sClipLast = Arrays.copyOf(sClipLast, n);
            sNext = Arrays.copyOf(sNext, n);
            sFlags = Arrays.copyOf(sFlags, n);
        }
        sRegion[depth] = mr;
        sBaseHi[depth] = baseHi;
        sBaseLo[depth] = baseLo;
        sClipStart[depth] = clipStart;
        sClipLast[depth] = clipLast;
        sNext[depth] = next;
        sFlags[depth] = flags;
        depth++;
    }

    /** Empties the stack after a walk, finished or not: no alias stays marked, no region reachable. */
    private void unwind() {
        for (int f = depth - 1; f >= 0; f--) {
            if (sNext[f] == ALIAS) {
                ((AliasRegion) sRegion[f]).onRenderPath = false;
            }
            sRegion[f] = null;
        }
        depth = 0;
    }

    /** The refusal of {@code alias}, reached again over {@code [cs, cl]} inside its own rendering. */
    private AliasLoopException showsItself(AliasRegion alias, long cs, long cl) {
        int first = depth - 1;
        while (sRegion[first] != alias || sNext[first] != ALIAS) {
            first--;
        }
        List<MemoryRegion> path = new ArrayList<>(Arrays.asList(sRegion).subList(first, depth));
        path.add(alias);
        return new AliasLoopException("alias '" + alias.name() + "'"
                + alias.container().map(c -> " in '" + c.name() + "'").orElse("")
                + " shows itself inside its own window: rendered at [" + Hex.of(sClipStart[first]) + ", "
                + Hex.of(sClipLast[first]) + "], its window [" + Hex.of(alias.aliasOffset) + ", +"
                + Hex.ofSizeMinusOne(alias.sizeMinus1) + ") of '" + alias.target().name() + "' reaches it again at ["
                + Hex.of(cs) + ", " + Hex.of(cl) + "] (path " + names(path) + "); QEMU would render it again inside"
                + " itself, guestmem refuses every such structure", alias, path);
    }

    /** Compares the signed 128-bit {@code (hi, lo)} with the unsigned 64-bit {@code v}. */
    private static int compare(long hi, long lo, long v) {
        if (hi != 0) {
            return hi < 0 ? -1 : 1;
        }
        return Long.compareUnsigned(lo, v);
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
