package org.guestmem;

import org.guestmem.internal.Hex;

/**
 * Linking regions into containers and out of them: QEMU's {@code memory_region_add_subregion},
 * {@code _del_subregion} and the move of {@code memory_region_set_address}, with guestmem's checks
 * of the arguments, and the bookkeeping that goes with a link (how many mapped aliases show each
 * region, which aliases of a region are mapped). Every link and unlink records its exact inverse in
 * the transaction's undo log before it happens, so a failed commit puts each region back at its
 * index among its siblings.
 *
 * <p>Under the update lock, inside a mutation ({@link MemoryRegion#mutate}).
 */
final class SubregionLinks {
    private SubregionLinks() {
    }

    /**
     * Adds {@code sub} to {@code container} at {@code offset} with {@code prio}, after checking
     * everything that could make the addition wrong.
     */
    static void add(MemoryRegion container, MemoryRegion sub, long offset, int prio, boolean overlap) {
        container.checkAlive();
        if (sub == null) {
            throw new NullPointerException("sub");
        }
        if (sub.context != container.context) {
            throw new IllegalArgumentException("cannot " + adding(container, sub) + ": they belong to different memory systems");
        }
        sub.checkAlive();
        if (sub.container != null) {
            throw new IllegalArgumentException("cannot " + adding(container, sub) + " at " + Hex.of(offset)
                    + ": it is already a subregion of " + MemoryRegion.describe(sub.container) + " at " + Hex.of(sub.addr));
        }
        NestingCheck.check(container, sub);
        for (MemoryRegion a = sub; a instanceof AliasRegion alias; a = alias.target()) {
            if (alias.target().destroyed) {
                throw new IllegalStateException("cannot " + adding(container, sub) + ": alias " + MemoryRegion.describe(alias)
                        + " targets " + MemoryRegion.describe(alias.target()) + ", which has been destroyed");
            }
        }
        if (Long.compareUnsigned(offset + sub.sizeMinus1, offset) < 0) { // the message only when it fails (importers add many)
            RegionExtent.checkFits(offset, sub.sizeMinus1, adding(container, sub) + " at " + Hex.of(offset));
        }
        if (sub instanceof AliasRegion alias) {
            alias.checkWindowStillFits(adding(container, sub));
        }
        link(container, sub, offset, prio, overlap);
    }

    private static String adding(MemoryRegion container, MemoryRegion sub) {
        return "add " + MemoryRegion.describe(sub) + " to " + MemoryRegion.describe(container);
    }

    /** Removes {@code sub} from {@code container}, which must be its container. */
    static void remove(MemoryRegion container, MemoryRegion sub) {
        container.checkAlive();
        if (sub.container != container) {
            throw new IllegalArgumentException("cannot remove " + MemoryRegion.describe(sub) + " from "
                    + MemoryRegion.describe(container) + ": it is not a subregion of it"
                    + (sub.container != null ? " (its container is " + MemoryRegion.describe(sub.container) + ")" : ""));
        }
        unlink(container, container.subregions.indexOf(sub));
    }

    /**
     * Moves {@code r} to {@code address} within its container: removed and added again, so it
     * becomes the newest of its priority; without a container the address is only recorded.
     */
    static void move(MemoryRegion r, long address) {
        r.checkAlive();
        RegionExtent.checkFits(address, r.sizeMinus1, "move " + MemoryRegion.describe(r) + " to " + Hex.of(address));
        if (address == r.addr) {
            return;
        }
        MemoryRegion c = r.container;
        if (c != null) {
            int prio = r.priority;
            boolean overlap = r.mayOverlap;
            unlink(c, c.subregions.indexOf(r));
            link(c, r, address, prio, overlap);
        } else {
            long old = r.addr;
            r.recordUndo(() -> r.addr = old);
            r.context.mutations.markExtentStale(r); // it may be a flatview root, shown at its address
            r.addr = address;
            r.context.mutations.markExtentStale(r);
        }
    }

    /**
     * QEMU's insertion: before the first sibling whose priority is {@code <=} the new one (found by
     * binary search: the list is sorted by descending priority).
     */
    static void link(MemoryRegion container, MemoryRegion sub, long offset, int prio, boolean overlap) {
        SubregionList list = container.subregions;
        int lo = 0;
        int hi = list.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (list.get(mid).priority > prio) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        int at = lo;
        long oldAddr = sub.addr;
        int oldPrio = sub.priority;
        boolean oldOverlap = sub.mayOverlap;
        container.recordUndo(() -> {
            container.subregions.remove(at);
            sub.container = null;
            sub.addr = oldAddr;
            sub.priority = oldPrio;
            sub.mayOverlap = oldOverlap;
            countAliasMapping(sub, -1);
            if (sub instanceof AliasRegion alias) {
                var mapped = alias.target().mappedAliases;
                mapped.remove(mapped.lastIndexOf(alias));
            }
        });
        if (sub.addr != offset) {
            container.context.mutations.markExtentStale(sub); // it may be a flatview root, shown at its address
        }
        sub.container = container;
        sub.addr = offset;
        sub.priority = prio;
        sub.mayOverlap = overlap;
        list.add(at, sub);
        countAliasMapping(sub, 1);
        if (sub instanceof AliasRegion alias) {
            alias.target().mappedAliases.add(alias);
        }
        if (container.enabled && sub.enabled) {
            sub.markUpdatePending();
        }
    }

    /** Unlinks the subregion at {@code index} of {@code container}'s list. */
    static void unlink(MemoryRegion container, int index) {
        MemoryRegion sub = container.subregions.get(index);
        if (container.enabled && sub.enabled) {
            sub.markUpdatePending(); // where it showed: it leaves
        }
        int aliasIndex = sub instanceof AliasRegion alias ? alias.target().mappedAliases.indexOf(alias) : -1;
        container.recordUndo(() -> {
            container.subregions.add(index, sub);
            sub.container = container;
            countAliasMapping(sub, 1);
            if (sub instanceof AliasRegion alias) {
                alias.target().mappedAliases.add(aliasIndex, alias);
            }
        });
        container.subregions.remove(index);
        sub.container = null;
        countAliasMapping(sub, -1);
        if (sub instanceof AliasRegion alias) {
            alias.target().mappedAliases.remove(aliasIndex);
        }
    }

    /** Adds {@code delta} to the mapped-alias count of every region the alias chain from {@code sub} shows. */
    private static void countAliasMapping(MemoryRegion sub, int delta) {
        for (MemoryRegion a = sub; a instanceof AliasRegion alias; a = alias.target()) {
            alias.target().mappedViaAlias += delta;
        }
    }
}
