package org.guestmem;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.function.Supplier;
import org.guestmem.internal.RamBlock;
import org.guestmem.internal.RamBlockSet;
import org.guestmem.listener.MemoryListener;

/**
 * One system's views and commits: its address spaces in creation order, the transaction depth and
 * what is pending (QEMU's {@code memory_region_transaction_depth},
 * {@code memory_region_update_pending}, {@code ioeventfd_update_pending}), the FlatView cache keyed
 * by flatview root (identity; the null key is the empty view; one reference per entry), and the
 * commit that renders and publishes. Everything here is guarded by the update lock.
 */
final class ViewCache implements RegionContext.Mutations {
    private final UpdateLock lock;
    private final ListenerRegistry listeners;
    private final SpaceEventFds eventFds;
    /** Renders views; its scratch arrays are reused (writer only). */
    private final FlatViewRenderer renderer;
    private final FlatView emptyView;

    private int transactionDepth;
    private boolean updatePending;
    private boolean ioEventFdsPending;
    private final ArrayList<AddressSpace> addressSpaces = new ArrayList<>();
    private IdentityHashMap<MemoryRegion, FlatView> flatViews = new IdentityHashMap<>();
    private long commits;

    ViewCache(UpdateLock lock, ListenerRegistry listeners, ViewContext context) {
        this.lock = lock;
        this.listeners = listeners;
        this.eventFds = new SpaceEventFds(listeners);
        this.renderer = new FlatViewRenderer(context);
        this.emptyView = new FlatView(context, new FlatRange[0], null, RamBlockSet.retainAll(new RamBlock[0], 0));
    }

    FlatView emptyView() {
        return emptyView;
    }

    /** {@return the address spaces, creation order (the list itself)} */
    List<AddressSpace> spaces() {
        return addressSpaces;
    }

    long commits() {
        return commits;
    }

    SpaceEventFds eventFds() {
        return eventFds;
    }

    // ------------------------------------------------------------------ transactions

    /**
     * Opens a transaction: takes the update lock (held until the matching {@link #commit()}).
     *
     * @throws IllegalStateException if the system is closed
     */
    void begin() {
        lock.lock();
        if (lock.isClosed()) {
            lock.unlock();
            lock.checkOpen();
        }
        transactionDepth++;
    }

    @Override
    public void mutate(Runnable change) {
        mutate(() -> {
            change.run();
            return null;
        });
    }

    /** Runs {@code change} as its own (possibly nested) transaction and {@return its value} */
    <T> T mutate(Supplier<T> change) {
        lock.lock();
        transactionDepth++;
        try {
            lock.checkOpen();
            return change.get();
        } finally {
            commitLocked();
        }
    }

    /** Ends a transaction opened with {@link #begin()}. */
    void commit() {
        if (!lock.isHeldByCurrentThread()) {
            throw new IllegalStateException("commit without the update lock");
        }
        commitLocked();
    }

    /** Leaves one transaction level and unlocks; the outermost renders if something is pending. */
    private void commitLocked() {
        List<Throwable> failed = List.of();
        try {
            if (--transactionDepth == 0 && !lock.isClosed()) {
                if (updatePending) {
                    renderAndPublish();
                    updatePending = false;
                    ioEventFdsPending = false;
                } else if (ioEventFdsPending) {
                    for (AddressSpace as : addressSpaces) {
                        eventFds.update(as);
                    }
                    ioEventFdsPending = false;
                }
            }
        } finally {
            if (transactionDepth == 0) {
                failed = lock.drainFailures();
            }
            lock.unlockAndThrow(failed, "a commit");
        }
    }

    @Override
    public void markUpdatePending() {
        updatePending = true;
    }

    @Override
    public void markIoEventFdsPending() {
        ioEventFdsPending = true;
    }

    boolean inTransaction() {
        return transactionDepth > 0;
    }

    /**
     * QEMU's {@code memory_region_transaction_commit} with an update pending: {@code flatviews_reset},
     * global {@code begin}, {@code address_space_set_flatview} (listener diff, then publication) for
     * every space, global {@code commit}. Listener failures are collected, not propagated.
     */
    private void renderAndPublish() {
        IdentityHashMap<MemoryRegion, FlatView> fresh = new IdentityHashMap<>();
        FlatView[] chosen = new FlatView[addressSpaces.size()];
        for (int i = 0; i < chosen.length; i++) {
            MemoryRegion physmr = FlatViewRenderer.flatviewRoot(addressSpaces.get(i).root());
            FlatView v = fresh.get(physmr);
            if (v == null) {
                v = physmr == null ? retainedEmptyView() : renderer.render(physmr, flatViews.get(physmr));
                fresh.put(physmr, v);
            }
            chosen[i] = v;
        }
        listeners.forwardAll(MemoryListener::begin);
        for (int i = 0; i < chosen.length; i++) {
            setFlatView(addressSpaces.get(i), chosen[i]);
            eventFds.update(addressSpaces.get(i));
        }
        IdentityHashMap<MemoryRegion, FlatView> old = flatViews;
        flatViews = fresh;
        for (FlatView v : old.values()) {
            v.release();
        }
        commits++;
        listeners.forwardAll(MemoryListener::commit);
    }

    /** QEMU's {@code address_space_set_flatview}: the listener diff against the old view, then publication. */
    private void setFlatView(AddressSpace as, FlatView next) {
        FlatView old = as.currentView();
        if (old == next) {
            return;
        }
        if (listeners.hasListeners(as)) {
            listeners.topologyPass(as, old, next, false);
            listeners.topologyPass(as, old, next, true);
        }
        as.publish(next);
    }

    private FlatView retainedEmptyView() {
        emptyView.tryRetain();
        return emptyView;
    }

    // ------------------------------------------------------------------ address spaces

    /**
     * {@return the first view of a new space showing {@code root}, with a reference for the space}
     * Inside a transaction the empty view (the space shows its root at the outermost commit);
     * otherwise the cached view of its flatview root, rendered now if there is none.
     */
    FlatView firstView(MemoryRegion root) {
        if (transactionDepth > 0) {
            updatePending = true;
            return retainedEmptyView();
        }
        MemoryRegion physmr = FlatViewRenderer.flatviewRoot(root);
        FlatView v = flatViews.get(physmr);
        if (v == null) {
            v = physmr == null ? retainedEmptyView() : renderer.render(physmr, null);
            flatViews.put(physmr, v);
        }
        if (!v.tryRetain()) {
            throw new IllegalStateException("cached FlatView was released");
        }
        return v;
    }

    /** Adds a new space (QEMU's {@code address_space_init}, after its first view). */
    void add(AddressSpace as) {
        MemoryRegion root = as.root();
        for (MemoryRegion r = root; r != null; r = r instanceof AliasRegion a ? a.target() : null) {
            r.addressSpaceRoots++;
        }
        if (root instanceof AliasRegion alias) {
            alias.target().mappedAliases.add(alias);
        }
        addressSpaces.add(as);
        eventFds.update(as); // no listener can be registered yet
    }

    /** Removes a space whose listeners were unregistered: it shows the empty view from now on. */
    void remove(AddressSpace as) {
        as.destroyed = true;
        addressSpaces.remove(as);
        eventFds.remove(as);
        for (MemoryRegion r = as.root(); r != null; r = r instanceof AliasRegion a ? a.target() : null) {
            r.addressSpaceRoots--;
        }
        if (as.root() instanceof AliasRegion alias) {
            alias.target().mappedAliases.remove(alias);
        }
        as.publish(emptyView);
        dropUnusedCachedViews();
    }

    /** Releases cached views no address space shows any more (their regions' memory may then go). */
    private void dropUnusedCachedViews() {
        IdentityHashMap<FlatView, Boolean> shown = new IdentityHashMap<>();
        for (AddressSpace a : addressSpaces) {
            shown.put(a.currentView(), Boolean.TRUE);
        }
        var it = flatViews.entrySet().iterator();
        while (it.hasNext()) {
            FlatView v = it.next().getValue();
            if (!shown.containsKey(v)) {
                it.remove();
                v.release();
            }
        }
    }

    /** Releases every cached view; the system is closing and its spaces are gone. */
    void releaseAll() {
        for (FlatView v : flatViews.values()) {
            v.release();
        }
        flatViews = new IdentityHashMap<>();
    }
}
