package org.guestmem;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;

/**
 * A reference for the renderer: QEMU 7.2's {@code memory_region_get_flatview_root},
 * {@code render_memory_region} (recursive, with its gap-filling {@code flatview_insert} loop) and
 * {@code flatview_simplify}, transcribed line by line with {@link BigInteger} for QEMU's
 * {@code Int128}, reading regions through their public getters only. It adds guestmem's one
 * deviation, the refusal of an alias reached again inside its own rendering with a non-empty clip
 * (and of a flatview root whose reduction loops); everything else is QEMU's algorithm, so any
 * difference from {@link FlatViewRenderer} is the renderer's. Meant for small trees: it is
 * O(n^2) and recursive.
 */
final class QemuRenderModel {
    private static final BigInteger TWO_64 = BigInteger.ONE.shiftLeft(64);

    /** A flat range as QEMU's {@code FlatRange}: {@code [start, start + size)}. */
    record Range(BigInteger start, BigInteger size, MemoryRegion mr, long offsetInRegion, boolean readonly,
                 boolean nonvolatile, boolean romd) {
        Fixtures.R asR() {
            return new Fixtures.R(start.longValue(), start.add(size).subtract(BigInteger.ONE).longValue(), mr.name(),
                    offsetInRegion, readonly, nonvolatile, romd);
        }
    }

    /** What rendering a root gave: the simplified ranges and the flatview root, or a refusal. */
    record Result(List<Fixtures.R> ranges, String rootName, boolean refused) {
    }

    private final List<Range> view = new ArrayList<>();
    private final IdentityHashMap<AliasRegion, Boolean> rendering = new IdentityHashMap<>();
    private final long budget;
    private long calls;

    private QemuRenderModel(long budget) {
        this.budget = budget;
    }

    /** Signals that a tree needs more than the budget of render calls (QEMU's recursion can be exponential). */
    static final class TooLarge extends RuntimeException {
        TooLarge() {
            super(null, null, false, false);
        }
    }

    private static final class Refused extends RuntimeException {
        Refused() {
            super(null, null, false, false);
        }
    }

    /**
     * {@return the view of the address space rooted at {@code asRoot}}
     *
     * @throws TooLarge if rendering takes more than {@code budget} calls
     */
    static Result render(MemoryRegion asRoot, long budget) {
        QemuRenderModel m = new QemuRenderModel(budget);
        MemoryRegion physmr;
        try {
            physmr = flatviewRoot(asRoot);
        } catch (Refused e) {
            return new Result(List.of(), null, true);
        }
        if (physmr == null) {
            return new Result(List.of(), null, false);
        }
        try {
            m.renderMemoryRegion(physmr, BigInteger.ZERO, BigInteger.ZERO, TWO_64, false, false);
        } catch (Refused e) {
            return new Result(List.of(), physmr.name(), true);
        }
        m.simplify();
        return new Result(m.view.stream().map(Range::asR).toList(), physmr.name(), false);
    }

    /** {@code memory_region_get_flatview_root}, refusing a region met twice. */
    private static MemoryRegion flatviewRoot(MemoryRegion mr) {
        IdentityHashMap<MemoryRegion, Boolean> seen = new IdentityHashMap<>();
        while (mr.isEnabled()) {
            if (seen.put(mr, Boolean.TRUE) != null) {
                throw new Refused();
            }
            if (mr instanceof AliasRegion alias) {
                if (alias.aliasOffset() == 0 && size(mr).compareTo(size(alias.target())) >= 0) {
                    mr = alias.target();
                    continue;
                }
            } else if (!mr.terminates()) {
                int found = 0;
                MemoryRegion next = null;
                for (MemoryRegion child : mr.subregions()) {
                    if (child.isEnabled()) {
                        if (++found > 1) {
                            next = null;
                            break;
                        }
                        if (child.address() == 0 && size(mr).compareTo(size(child)) >= 0) {
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

    private static BigInteger size(MemoryRegion mr) {
        return new BigInteger(Long.toUnsignedString(mr.sizeMinusOne())).add(BigInteger.ONE);
    }

    private static BigInteger u(long v) {
        return new BigInteger(Long.toUnsignedString(v));
    }

    /** {@code render_memory_region(view, mr, base, clip, readonly, nonvolatile)}; the clip is {@code [clipStart, +clipSize)}. */
    private void renderMemoryRegion(MemoryRegion mr, BigInteger base, BigInteger clipStart, BigInteger clipSize,
                                    boolean readonly, boolean nonvolatile) {
        if (++calls > budget) {
            throw new TooLarge();
        }
        if (!mr.isEnabled()) {
            return;
        }
        base = base.add(u(mr.address()));
        readonly |= mr.isReadonly();
        nonvolatile |= mr.isNonvolatile();
        BigInteger tmpStart = base;
        BigInteger tmpSize = size(mr);
        if (!intersects(tmpStart, tmpSize, clipStart, clipSize)) {
            return;
        }
        BigInteger s = tmpStart.max(clipStart);
        BigInteger e = tmpStart.add(tmpSize).min(clipStart.add(clipSize));
        clipStart = s;
        clipSize = e.subtract(s);

        if (mr instanceof AliasRegion alias) {
            if (rendering.put(alias, Boolean.TRUE) != null) {
                throw new Refused(); // guestmem's deviation: QEMU would recurse again
            }
            base = base.subtract(u(alias.target().address()));
            base = base.subtract(u(alias.aliasOffset()));
            renderMemoryRegion(alias.target(), base, clipStart, clipSize, readonly, nonvolatile);
            rendering.remove(alias);
            return;
        }

        for (MemoryRegion subregion : mr.subregions()) {
            renderMemoryRegion(subregion, base, clipStart, clipSize, readonly, nonvolatile);
        }

        if (!mr.terminates()) {
            return;
        }

        long offsetInRegion = clipStart.subtract(base).longValue();
        base = clipStart;
        BigInteger remain = clipSize;
        boolean romd = mr.isRomdMode();

        int i;
        for (i = 0; i < view.size() && remain.signum() != 0; ++i) {
            Range r = view.get(i);
            if (base.compareTo(r.start().add(r.size())) >= 0) {
                continue;
            }
            if (base.compareTo(r.start()) < 0) {
                BigInteger now = remain.min(r.start().subtract(base));
                view.add(i, new Range(base, now, mr, offsetInRegion, readonly, nonvolatile, romd));
                ++i;
                base = base.add(now);
                offsetInRegion += now.longValue();
                remain = remain.subtract(now);
            }
            r = view.get(i);
            BigInteger now = base.add(remain).min(r.start().add(r.size())).subtract(base);
            base = base.add(now);
            offsetInRegion += now.longValue();
            remain = remain.subtract(now);
        }
        if (remain.signum() != 0) {
            view.add(i, new Range(base, remain, mr, offsetInRegion, readonly, nonvolatile, romd));
        }
    }

    private static boolean intersects(BigInteger s1, BigInteger n1, BigInteger s2, BigInteger n2) {
        return contains(s1, n1, s2) || contains(s2, n2, s1);
    }

    private static boolean contains(BigInteger start, BigInteger size, BigInteger addr) {
        return addr.compareTo(start) >= 0 && addr.compareTo(start.add(size)) < 0;
    }

    /** {@code flatview_simplify}. */
    private void simplify() {
        int i = 0;
        while (i < view.size()) {
            int j = i + 1;
            BigInteger size = view.get(i).size();
            while (j < view.size() && canMerge(view.get(j - 1), view.get(j))) {
                size = size.add(view.get(j).size());
                ++j;
            }
            Range r = view.get(i);
            view.set(i, new Range(r.start(), size, r.mr(), r.offsetInRegion(), r.readonly(), r.nonvolatile(), r.romd()));
            ++i;
            view.subList(i, j).clear();
        }
    }

    /** {@code can_merge} (the dirty-log masks are equal within one render: one region, one mask). */
    private static boolean canMerge(Range r1, Range r2) {
        return r1.start().add(r1.size()).equals(r2.start()) && r1.mr() == r2.mr()
                && u(r1.offsetInRegion()).add(r1.size()).equals(u(r2.offsetInRegion()))
                && r1.romd() == r2.romd() && r1.readonly() == r2.readonly() && r1.nonvolatile() == r2.nonvolatile();
    }
}
