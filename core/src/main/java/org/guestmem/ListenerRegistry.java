package org.guestmem;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.guestmem.listener.CoalescedRange;
import org.guestmem.listener.MemoryListener;

/**
 * The memory listeners of one memory system, sorted by ascending priority, and the QEMU 7.2
 * calling conventions: forward and reverse iteration, the topology diff
 * ({@code address_space_update_topology_pass}) and failure collection. Used only under the update
 * lock.
 */
final class ListenerRegistry {
    private record Entry(MemoryListener listener, int priority, AddressSpace space, boolean wantsNop) {
    }

    private final ArrayList<Entry> entries = new ArrayList<>();
    /** Where callback failures are recorded, to be rethrown by the outermost lock level. */
    private final UpdateLock lock;

    ListenerRegistry(UpdateLock lock) {
        this.lock = lock;
    }

    void add(AddressSpace space, MemoryListener listener, int priority) {
        for (Entry e : entries) {
            if (e.listener == listener) {
                throw new IllegalArgumentException("listener " + listener.name() + " is already registered on address space '"
                        + e.space.name() + "'");
            }
        }
        int i = 0;
        while (i < entries.size() && entries.get(i).priority <= priority) {
            i++;
        }
        entries.add(i, new Entry(listener, priority, space, listener.wantsRegionNop()));
    }

    /** {@return the space the listener was registered on, or null} */
    AddressSpace spaceOf(MemoryListener listener) {
        for (Entry e : entries) {
            if (e.listener == listener) {
                return e.space;
            }
        }
        return null;
    }

    void remove(MemoryListener listener) {
        entries.removeIf(e -> e.listener == listener);
    }

    boolean hasListeners(AddressSpace space) {
        for (Entry e : entries) {
            if (e.space == space) {
                return true;
            }
        }
        return false;
    }

    /** {@return whether a listener of {@code space} wants {@link MemoryListener#regionNop}} */
    boolean wantsNop(AddressSpace space) {
        for (Entry e : entries) {
            if (e.space == space && e.wantsNop) {
                return true;
            }
        }
        return false;
    }

    /** {@link MemoryListener#regionNop} to the listeners of {@code space} that want it, ascending priority. */
    private void forwardNop(AddressSpace space, MemoryRegionSection s) {
        for (Entry e : List.copyOf(entries)) {
            if (e.space == space && e.wantsNop) {
                call(e.listener, l -> l.regionNop(s));
            }
        }
    }

    List<MemoryListener> of(AddressSpace space) {
        List<MemoryListener> out = new ArrayList<>();
        for (Entry e : entries) {
            if (e.space == space) {
                out.add(e.listener);
            }
        }
        return out;
    }

    List<MemoryListener> all() {
        List<MemoryListener> out = new ArrayList<>();
        for (Entry e : entries) {
            out.add(e.listener);
        }
        return out;
    }

    /** Every listener of the system, ascending priority. */
    void forwardAll(Consumer<MemoryListener> call) {
        for (Entry e : List.copyOf(entries)) {
            call(e.listener, call);
        }
    }

    /** Every listener of the system, descending priority. */
    void reverseAll(Consumer<MemoryListener> call) {
        List<Entry> copy = List.copyOf(entries);
        for (int i = copy.size() - 1; i >= 0; i--) {
            call(copy.get(i).listener, call);
        }
    }

    /** The listeners of {@code space}, ascending priority. */
    void forward(AddressSpace space, Consumer<MemoryListener> call) {
        for (Entry e : List.copyOf(entries)) {
            if (e.space == space) {
                call(e.listener, call);
            }
        }
    }

    /** The listeners of {@code space}, descending priority. */
    void reverse(AddressSpace space, Consumer<MemoryListener> call) {
        List<Entry> copy = List.copyOf(entries);
        for (int i = copy.size() - 1; i >= 0; i--) {
            if (copy.get(i).space == space) {
                call(copy.get(i).listener, call);
            }
        }
    }

    /** Calls one listener, recording (not propagating) what it throws. */
    void call(MemoryListener listener, Consumer<MemoryListener> call) {
        try {
            call.accept(listener);
        } catch (RuntimeException | Error e) {
            lock.fail(e);
        }
    }

    /**
     * {@code address_space_update_topology_pass}: deletions when {@code !adding}, the rest when
     * {@code adding}. When no listener of the space wants no-ops and {@code changed} lists the
     * address ranges where the views differ ({@link ViewPublication#diff}; null if unknown), only
     * the ranges starting in those windows are visited: every other range is the same in both
     * views and would only get a no-op.
     */
    void topologyPass(AddressSpace space, FlatView old, FlatView next, boolean adding, long[] changed) {
        boolean nops = wantsNop(space);
        if (changed == null || nops) {
            topologyPass(space, old, next, adding, nops, 0, old.rangeCount(), 0, next.rangeCount());
            return;
        }
        FlatRange[] a = old.rangeArray();
        FlatRange[] b = next.rangeArray();
        for (int w = 0; w < changed.length; w += 2) {
            long ws = changed[w];
            long wl = changed[w + 1];
            topologyPass(space, old, next, adding, false, firstStartingAtOrAfter(a, ws), firstStartingAfter(a, wl),
                    firstStartingAtOrAfter(b, ws), firstStartingAfter(b, wl));
        }
    }

    /** {@return the index of the first range of {@code r} starting at or after {@code addr}} */
    private static int firstStartingAtOrAfter(FlatRange[] r, long addr) {
        int lo = 0;
        int hi = r.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (Long.compareUnsigned(r[mid].start(), addr) < 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** {@return the index of the first range of {@code r} starting after {@code addr}} */
    private static int firstStartingAfter(FlatRange[] r, long addr) {
        return addr == -1L ? r.length : firstStartingAtOrAfter(r, addr + 1);
    }

    /** The pass over old ranges {@code [i, n)} and new ranges {@code [j, m)}; {@code nops}: a listener wants no-ops. */
    private void topologyPass(AddressSpace space, FlatView old, FlatView next, boolean adding, boolean nops, int i, int n,
                              int j, int m) {
        while (i < n || j < m) {
            FlatRange frold = i < n ? old.range(i) : null;
            FlatRange frnew = j < m ? next.range(j) : null;
            if (frold != null && (frnew == null || Long.compareUnsigned(frold.start(), frnew.start()) < 0
                    || (frold.start() == frnew.start() && !sameRange(frold, frnew)))) {
                if (!adding) {
                    MemoryRegionSection s = section(frold);
                    for (AddrRange c : coalescedOf(frold)) {
                        reverse(space, l -> l.coalescedIoDel(s, c));
                    }
                    reverse(space, l -> l.regionDel(s));
                }
                i++;
            } else if (frold != null && sameRange(frold, frnew)) {
                if (adding) {
                    int om = frold.dirtyLogMask();
                    int nm = frnew.dirtyLogMask();
                    if (om != nm || nops) {
                        MemoryRegionSection s = section(frnew);
                        forwardNop(space, s);
                        if ((nm & ~om) != 0) {
                            forward(space, l -> l.logStart(s, om, nm));
                        }
                        if ((om & ~nm) != 0) {
                            reverse(space, l -> l.logStop(s, om, nm));
                        }
                    }
                }
                i++;
                j++;
            } else {
                if (adding) {
                    MemoryRegionSection s = section(frnew);
                    forward(space, l -> l.regionAdd(s));
                    for (AddrRange c : coalescedOf(frnew)) {
                        forward(space, l -> l.coalescedIoAdd(s, c));
                    }
                }
                j++;
            }
        }
    }

    /**
     * QEMU's {@code flatview_coalesce}-side bookkeeping for one range: the region's coalesced
     * ranges that intersect it, as absolute address ranges.
     */
    static List<AddrRange> coalescedOf(FlatRange r) {
        List<AddrRange> out = new ArrayList<>();
        for (CoalescedRange c : r.region().coalescing.ranges()) {
            AddrRange part = coalescedPart(r, c);
            if (part != null) {
                out.add(part);
            }
        }
        return out;
    }

    /** The part of coalesced range {@code c} of {@code r}'s region that {@code r} shows, absolute; null if none. */
    private static AddrRange coalescedPart(FlatRange r, CoalescedRange c) {
        long cStart = c.offsets().start();
        long cLast = c.offsets().last();
        long rFirst = r.offsetInRegion();
        long rLast = r.offsetInRegion() + r.sizeMinusOne();
        long lo = Long.compareUnsigned(cStart, rFirst) > 0 ? cStart : rFirst;
        long hi = Long.compareUnsigned(cLast, rLast) < 0 ? cLast : rLast;
        if (Long.compareUnsigned(lo, hi) > 0) {
            return null;
        }
        return AddrRange.ofSizeMinusOne(r.start() + (lo - rFirst), hi - lo);
    }

    /**
     * QEMU's {@code flat_range_coalesced_io_notify}: the part of coalesced range {@code cmr} that
     * {@code fr} shows, as {@code coalescedIoAdd} (forward) or {@code coalescedIoDel} (reverse) to
     * the listeners of {@code space}.
     */
    void coalescedNotify(AddressSpace space, FlatRange fr, CoalescedRange cmr, boolean add) {
        AddrRange c = coalescedPart(fr, cmr);
        if (c == null) {
            return;
        }
        MemoryRegionSection s = section(fr);
        if (add) {
            forward(space, l -> l.coalescedIoAdd(s, c));
        } else {
            reverse(space, l -> l.coalescedIoDel(s, c));
        }
    }

    /** QEMU's {@code flatrange_equal}: everything but the dirty log mask. */
    static boolean sameRange(FlatRange a, FlatRange b) {
        return a.region() == b.region() && a.start() == b.start() && a.last() == b.last()
                && a.offsetInRegion() == b.offsetInRegion() && a.romdMode() == b.romdMode()
                && a.readonly() == b.readonly() && a.nonvolatile() == b.nonvolatile();
    }

    static MemoryRegionSection section(FlatRange r) {
        return new MemoryRegionSection(r.region(), r.start(), r.sizeMinusOne(), r.offsetInRegion(), r.readonly(),
                r.nonvolatile());
    }
}
