package org.guestmem;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Optional;

/** Shared test fixtures: device ops, readable flat-range expectations, and state snapshots. */
final class Fixtures {
    /** Ops for MMIO regions whose accesses the tests never perform. */
    static final MemoryRegionOps OPS = MemoryRegionOps.builder().read((addr, size) -> 0).write((addr, v, size) -> { }).build();

    static final long TOP = MemoryRegion.SIZE_2_64;

    private Fixtures() {
    }

    // ------------------------------------------------------------------ expected ranges

    /**
     * A flat range as the tests state it: {@code [start, last]} shows {@code region} from
     * {@code offset} on, with the propagated flags. Printed in hex.
     */
    record R(long start, long last, String region, long offset, boolean readonly, boolean nonvolatile, boolean romd) {
        R ro() {
            return new R(start, last, region, offset, true, nonvolatile, romd);
        }

        R nv() {
            return new R(start, last, region, offset, readonly, true, romd);
        }

        R romdOff() {
            return new R(start, last, region, offset, readonly, nonvolatile, false);
        }

        @Override
        public String toString() {
            return "[0x" + Long.toHexString(start) + "-0x" + Long.toHexString(last) + " " + region
                    + (offset != 0 ? " @0x" + Long.toHexString(offset) : "") + (readonly ? " ro" : "")
                    + (nonvolatile ? " nv" : "") + (romd ? "" : " romd-off") + "]";
        }
    }

    /** {@return the range {@code [start, last]} of {@code region} at {@code offset}, read-write, volatile} */
    static R r(long start, long last, String region, long offset) {
        return new R(start, last, region, offset, false, false, true);
    }

    /** {@return the ranges of {@code view} in the test's notation} */
    static List<R> ranges(FlatView view) {
        List<R> out = new ArrayList<>();
        for (FlatRange fr : view.ranges()) {
            out.add(new R(fr.start(), fr.last(), fr.region().name(), fr.offsetInRegion(), fr.readonly(),
                    fr.nonvolatile(), fr.romdMode()));
        }
        return out;
    }

    static List<R> ranges(AddressSpace as) {
        return ranges(as.currentView());
    }

    // ------------------------------------------------------------------ snapshots

    /** Everything a rejected mutation must leave as it was, for one region. */
    record RegionState(String name, long sizeMinusOne, long address, int priority, boolean mayOverlap, boolean enabled,
                       boolean readonly, boolean nonvolatile, boolean romd, boolean destroyed, long aliasOffset,
                       Optional<MemoryRegion> container, List<MemoryRegion> subregions, int mappedViaAlias,
                       int addressSpaceRoots) {
        static RegionState of(MemoryRegion r) {
            return new RegionState(r.name(), r.sizeMinusOne(), r.address(), r.priority(), r.mayOverlap(), r.isEnabled(),
                    r.isReadonly(), r.isNonvolatile(), r.isRomdMode(), r.isDestroyed(),
                    r instanceof AliasRegion a ? a.aliasOffset() : 0, r.container(), r.subregions(), r.mappedViaAlias,
                    r.addressSpaceRoots);
        }
    }

    /**
     * The state of every region reachable from the given ones (through containers, subregions and
     * alias targets), the published view object of every address space, and the commit count.
     */
    record Snapshot(List<RegionState> regions, List<List<FlatView>> views, List<Long> commits) {
    }

    static Snapshot snapshot(List<MemorySystem> systems, MemoryRegion... seeds) {
        IdentityHashMap<MemoryRegion, Boolean> seen = new IdentityHashMap<>();
        ArrayDeque<MemoryRegion> todo = new ArrayDeque<>(List.of(seeds));
        for (MemorySystem s : systems) {
            for (AddressSpace as : s.addressSpaces()) {
                todo.add(as.root());
            }
        }
        List<MemoryRegion> order = new ArrayList<>();
        while (!todo.isEmpty()) {
            MemoryRegion r = todo.poll();
            if (seen.put(r, Boolean.TRUE) != null) {
                continue;
            }
            order.add(r);
            r.container().ifPresent(todo::add);
            todo.addAll(r.subregions());
            if (r instanceof AliasRegion a) {
                todo.add(a.target());
            }
        }
        List<RegionState> states = order.stream().map(RegionState::of).toList();
        List<List<FlatView>> views = new ArrayList<>();
        List<Long> commits = new ArrayList<>();
        for (MemorySystem s : systems) {
            views.add(s.addressSpaces().stream().map(AddressSpace::currentView).toList());
            commits.add(s.commitCount());
        }
        return new Snapshot(states, views, commits);
    }

    static Snapshot snapshot(MemorySystem system, MemoryRegion... seeds) {
        return snapshot(List.of(system), seeds);
    }
}
