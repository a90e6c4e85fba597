package org.guestmem;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import org.guestmem.listener.IoEventFd;

/**
 * The space-wide ioeventfd lists of one system's address spaces (QEMU's {@code as->ioeventfds})
 * and their diff into listener calls. Under the update lock.
 */
final class SpaceEventFds {
    private static final SpaceEventFd[] NONE = new SpaceEventFd[0];

    /** One entry of a space-wide list: a region's registration at absolute {@code address}. */
    private record SpaceEventFd(long address, IoEventFd fd, FlatRange range) {
        boolean before(SpaceEventFd o) {
            return RegionEventFds.before(address, fd, o.address, o.fd);
        }

        MemoryRegionSection section() {
            return new MemoryRegionSection(range.region(), address, fd.size() == 0 ? 0 : fd.size() - 1, fd.offset(),
                    range.readonly(), range.nonvolatile());
        }
    }

    private final ListenerRegistry listeners;
    private final IdentityHashMap<AddressSpace, SpaceEventFd[]> lists = new IdentityHashMap<>();
    /**
     * The list each view gives, computed once per batch of {@link #update} calls (a commit): it
     * depends only on the view and its regions' registrations, which do not change during a
     * commit, so the spaces sharing a view share the list. Emptied by {@link #endBatch()}.
     */
    private final IdentityHashMap<FlatView, SpaceEventFd[]> byView = new IdentityHashMap<>();

    SpaceEventFds(ListenerRegistry listeners) {
        this.listeners = listeners;
    }

    /**
     * QEMU's {@code address_space_update_ioeventfds}: rebuilds the list of {@code as} from its
     * current view (for each range in address order, each registration of its region, in the
     * region's order, shifted to the space's addresses and kept if it intersects the range; not
     * clipped, not re-sorted), then walks the old and new lists as a sorted symmetric difference
     * ({@code address_space_add_del_ioeventfds}): entries only in the old list get
     * {@link org.guestmem.listener.MemoryListener#eventfdDel} in <em>forward</em> order, entries only in the new list
     * {@link org.guestmem.listener.MemoryListener#eventfdAdd} in <em>reverse</em> order (QEMU 7.2's inversion of the
     * general rule), equal entries nothing. Entries compare as {@link RegionEventFds#before} on the
     * absolute address; the region does not take part.
     */
    void update(AddressSpace as) {
        FlatView view = as.currentView();
        SpaceEventFd[] next = byView.get(view);
        if (next == null) {
            next = listOf(view);
            byView.put(view, next);
        }
        SpaceEventFd[] old = lists.getOrDefault(as, NONE);
        lists.put(as, next);
        if (old == next) {
            return;
        }
        int i = 0;
        int j = 0;
        while (i < old.length || j < next.length) {
            if (i < old.length && (j == next.length || old[i].before(next[j]))) {
                SpaceEventFd e = old[i++];
                MemoryRegionSection sec = e.section();
                listeners.forward(as, l -> l.eventfdDel(sec, e.fd));
            } else if (j < next.length && (i == old.length || next[j].before(old[i]))) {
                SpaceEventFd e = next[j++];
                MemoryRegionSection sec = e.section();
                listeners.reverse(as, l -> l.eventfdAdd(sec, e.fd));
            } else {
                i++;
                j++;
            }
        }
    }

    /** Ends a batch of {@link #update} calls: the lists computed per view are forgotten (they reference regions). */
    void endBatch() {
        byView.clear();
    }

    /** The space-wide list {@code view} gives (see {@link #update}). */
    private static SpaceEventFd[] listOf(FlatView view) {
        ArrayList<SpaceEventFd> fresh = new ArrayList<>();
        for (int r = 0; r < view.rangeCount(); r++) {
            FlatRange fr = view.range(r);
            for (IoEventFd fd : fr.region().ioeventfds) {
                if (intersects(fr, fd)) {
                    fresh.add(new SpaceEventFd(fr.start() + (fd.offset() - fr.offsetInRegion()), fd, fr));
                }
            }
        }
        return fresh.isEmpty() ? NONE : fresh.toArray(SpaceEventFd[]::new);
    }

    /**
     * Whether the bytes of {@code fd}, seen through {@code fr}, intersect the range (QEMU's
     * {@code addrrange_intersects(fr->addr, shifted fd)}). A registration that would start before
     * the address space's address 0 is left out (QEMU would abort converting its negative start).
     */
    private static boolean intersects(FlatRange fr, IoEventFd fd) {
        if (Long.compareUnsigned(fd.offset(), fr.offsetInRegion()) >= 0) {
            return Long.compareUnsigned(fd.offset() - fr.offsetInRegion(), fr.sizeMinusOne()) <= 0;
        }
        long back = fr.offsetInRegion() - fd.offset(); // it starts `back` bytes before the range
        return Long.compareUnsigned(back, fd.size()) < 0 && Long.compareUnsigned(back, fr.start()) <= 0;
    }

    /** Forgets the list of {@code as} (it was destroyed; its listeners were unregistered first). */
    void remove(AddressSpace as) {
        lists.remove(as);
    }

    /**
     * {@return the list of {@code as} as {@code (absolute address, registration)} sections: each
     * section's region is the registering region, its offset within the address space the absolute
     * address} For tests and diagnostics.
     */
    List<MemoryRegionSection> sections(AddressSpace as) {
        List<MemoryRegionSection> out = new ArrayList<>();
        for (SpaceEventFd e : lists.getOrDefault(as, NONE)) {
            out.add(e.section());
        }
        return out;
    }
}
