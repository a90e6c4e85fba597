package org.guestmem;

import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.guestmem.dirty.GlobalDirtyReason;
import org.guestmem.listener.CoalescedRange;
import org.guestmem.listener.MemoryListener;
import org.guestmem.rcu.RcuDomain;

/**
 * One system's listener plumbing outside commits: registration with the replay of the current
 * view, unregistration, the destruction of an address space, the global dirty-log switches and
 * syncs, and the calls regions trigger (coalesced ranges, dirty-log sync and clear). Every entry
 * point runs under the update lock through {@link UpdateLock#locked}.
 */
final class ListenerHub implements SpaceHost, RegionContext.Listeners {
    private final UpdateLock lock;
    private final ListenerRegistry listeners;
    private final ViewCache views;
    private final DirtyLog dirtyLog;
    private final RcuDomain rcu;

    ListenerHub(UpdateLock lock, ListenerRegistry listeners, ViewCache views, DirtyLog dirtyLog, RcuDomain rcu) {
        this.lock = lock;
        this.listeners = listeners;
        this.views = views;
        this.dirtyLog = dirtyLog;
        this.rcu = rcu;
    }

    @Override
    public RcuDomain rcu() {
        return rcu;
    }

    // ------------------------------------------------------------------ registration

    @Override
    public void registerListener(AddressSpace as, MemoryListener listener, int priority) {
        Objects.requireNonNull(listener, "listener");
        lock.locked("the registration of listener " + listener.name(), () -> {
            lock.checkOpen();
            if (as.destroyed) {
                throw new IllegalStateException("cannot register a listener on destroyed address space '" + as.name() + "'");
            }
            listeners.add(as, listener, priority);
            listeners.call(listener, MemoryListener::begin);
            if (dirtyLog.globalTracking()) {
                listeners.call(listener, MemoryListener::logGlobalStart);
            }
            FlatView v = as.currentView();
            for (int i = 0; i < v.rangeCount(); i++) {
                FlatRange r = v.range(i);
                MemoryRegionSection sec = ListenerRegistry.section(r);
                listeners.call(listener, l -> l.regionAdd(sec));
                if (r.dirtyLogMask() != 0) {
                    listeners.call(listener, l -> l.logStart(sec, 0, r.dirtyLogMask()));
                }
            }
            listeners.call(listener, MemoryListener::commit);
        });
    }

    @Override
    public void unregisterListener(MemoryListener listener) {
        lock.locked("the unregistration of listener " + listener.name(), () -> unregisterLocked(listener));
    }

    private void unregisterLocked(MemoryListener listener) {
        AddressSpace as = listeners.spaceOf(listener);
        if (as == null) {
            return;
        }
        listeners.call(listener, MemoryListener::begin);
        FlatView v = as.currentView();
        for (int i = 0; i < v.rangeCount(); i++) {
            FlatRange r = v.range(i);
            MemoryRegionSection sec = ListenerRegistry.section(r);
            if (r.dirtyLogMask() != 0) {
                listeners.call(listener, l -> l.logStop(sec, r.dirtyLogMask(), 0));
            }
            listeners.call(listener, l -> l.regionDel(sec));
        }
        listeners.call(listener, MemoryListener::commit);
        listeners.remove(listener);
    }

    @Override
    public List<MemoryListener> listenersOf(AddressSpace as) {
        return lock.locked("listeners()", () -> listeners.of(as));
    }

    @Override
    public void destroy(AddressSpace as) {
        lock.locked("the destruction of address space '" + as.name() + "'", () -> {
            if (as.destroyed) {
                return;
            }
            for (MemoryListener l : listeners.of(as)) {
                unregisterLocked(l);
            }
            views.remove(as);
            as.dropRoot();
        });
    }

    /**
     * The front half of closing the system: destroys every address space (their listeners get the
     * deletions), releases every cached view and marks the system closed, under the lock; does
     * nothing if it is closed already.
     *
     * @throws IllegalStateException if the calling thread is inside a transaction (nothing changes)
     */
    void closeSpaces(String systemName) {
        lock.locked("the closing of memory system '" + systemName + "'", () -> {
            if (lock.isClosed()) {
                return;
            }
            if (views.inTransaction()) {
                throw new IllegalStateException("cannot close memory system '" + systemName + "' inside a transaction");
            }
            for (AddressSpace as : List.copyOf(views.spaces())) {
                destroy(as);
            }
            views.releaseAll();
            lock.markClosed();
        });
    }

    // ------------------------------------------------------------------ global dirty logging

    /** QEMU's {@code memory_global_dirty_log_start}; see {@link MemorySystem#startGlobalDirtyLog}. */
    void startGlobalDirtyLog(Set<GlobalDirtyReason> reasons) {
        checkReasons(reasons);
        views.mutate(() -> {
            if (dirtyLog.start(reasons)) {
                listeners.forwardAll(MemoryListener::logGlobalStart);
                views.markUpdatePendingBeyondRollback();
            }
        });
    }

    /** QEMU's {@code memory_global_dirty_log_stop}; see {@link MemorySystem#stopGlobalDirtyLog}. */
    void stopGlobalDirtyLog(Set<GlobalDirtyReason> reasons) {
        checkReasons(reasons);
        lock.locked("logGlobalStop", () -> {
            boolean stopped = views.mutate(() -> {
                boolean s = dirtyLog.stop(reasons);
                if (s) {
                    views.markUpdatePendingBeyondRollback();
                }
                return s;
            });
            if (stopped) { // after the commit that stopped MIGRATION logging
                listeners.reverseAll(MemoryListener::logGlobalStop);
            }
        });
    }

    private static void checkReasons(Set<GlobalDirtyReason> reasons) {
        if (reasons.isEmpty()) {
            throw new IllegalArgumentException("global dirty tracking needs at least one reason, got none");
        }
    }

    /** QEMU's {@code memory_global_dirty_log_sync}. */
    void logSync() {
        lock.locked("logSync", () -> sync(null));
    }

    /** QEMU's {@code memory_global_after_dirty_log_sync}. */
    void afterLogSync() {
        lock.locked("logGlobalAfterSync", this::afterDirtyLogSync);
    }

    /** Syncs every listener, or only for the ranges of {@code region} if not null. */
    private void sync(MemoryRegion region) {
        for (AddressSpace as : views.spaces()) {
            for (MemoryListener l : listeners.of(as)) {
                if (l.syncsGlobally()) {
                    if (region == null) {
                        listeners.call(l, MemoryListener::logSyncGlobal);
                    }
                    continue;
                }
                FlatView v = as.currentView();
                for (int i = 0; i < v.rangeCount(); i++) {
                    FlatRange r = v.range(i);
                    if (r.dirtyLogMask() != 0 && (region == null || r.region() == region)) {
                        MemoryRegionSection sec = ListenerRegistry.section(r);
                        listeners.call(l, x -> x.logSync(sec));
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------ calls regions trigger

    @Override
    public void syncDirtyLog(MemoryRegion mr) {
        sync(mr);
    }

    @Override
    public void dirtyLogCleared(MemoryRegion region, long offset, long len) {
        for (AddressSpace as : views.spaces()) {
            FlatView v = as.currentView();
            for (int i = 0; i < v.rangeCount(); i++) {
                FlatRange r = v.range(i);
                if (r.region() != region || r.dirtyLogMask() == 0) {
                    continue;
                }
                long lo = Math.max(offset, r.offsetInRegion());
                long hi = Math.min(offset + len - 1, r.offsetInRegion() + r.sizeMinusOne());
                if (Long.compareUnsigned(lo, hi) > 0) {
                    continue;
                }
                MemoryRegionSection sec = new MemoryRegionSection(region, r.start() + (lo - r.offsetInRegion()), hi - lo, lo,
                        r.readonly(), r.nonvolatile());
                listeners.forward(as, l -> l.logClear(sec));
            }
        }
    }

    @Override
    public void afterDirtyLogSync() {
        listeners.forwardAll(MemoryListener::logGlobalAfterSync);
    }

    /**
     * QEMU's {@code memory_region_update_coalesced_range}: tells the listeners of every address
     * space about {@code range} of {@code mr}, for each range of its current view that shows
     * {@code mr}.
     */
    @Override
    public void coalescedRangeChanged(MemoryRegion mr, CoalescedRange range, boolean added) {
        for (AddressSpace as : views.spaces()) {
            FlatView v = as.currentView();
            for (int i = 0; i < v.rangeCount(); i++) {
                FlatRange fr = v.range(i);
                if (fr.region() == mr) {
                    listeners.coalescedNotify(as, fr, range, added);
                }
            }
        }
    }
}
