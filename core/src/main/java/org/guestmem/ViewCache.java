package org.guestmem;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.function.Supplier;
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
    /** Whether a change that a rollback does not undo is among those pending (see {@link #rollBack}). */
    private boolean pendingBeyondRollback;
    /** The open transaction's changes, for a failed commit (see {@link UndoLog}). */
    private final UndoLog undo = new UndoLog();
    /** Where the open transaction's changes can show, per flatview root of the last commit. */
    private final ChangedExtents changes = new ChangedExtents();
    /** Whether every commit also renders in full and checks the incremental result against it. */
    private final boolean verify = Boolean.getBoolean(VERIFY_PROPERTY);
    /** The system property that turns on {@link #verify}. */
    static final String VERIFY_PROPERTY = "guestmem.verifyIncremental";
    private final ArrayList<AddressSpace> addressSpaces = new ArrayList<>();
    private IdentityHashMap<MemoryRegion, FlatView> flatViews = new IdentityHashMap<>();
    /**
     * An empty map for the next commit to fill as its new cache, or null: the last cache a commit
     * replaced, emptied, so that the two maps swap roles instead of one being allocated per commit.
     */
    private IdentityHashMap<MemoryRegion, FlatView> spareViews;
    private long commits;
    /** Views of a flatview root kept, spliced and rendered in full by commits so far (for tests). */
    private long viewsKept;
    private long viewsSpliced;
    private long viewsRendered;

    ViewCache(UpdateLock lock, ListenerRegistry listeners, ViewContext context) {
        this.lock = lock;
        this.listeners = listeners;
        this.eventFds = new SpaceEventFds(listeners);
        this.renderer = new FlatViewRenderer(context);
        this.emptyView = FlatView.empty(context);
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

    /** {@return how many views commits kept, spliced and rendered in full, in that order} */
    long[] renderCounts() {
        return new long[] {viewsKept, viewsSpliced, viewsRendered};
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

    /**
     * Runs {@code change} as its own (possibly nested) transaction and {@return its value} A change
     * that throws takes back what it recorded in the undo log before the exception leaves.
     */
    <T> T mutate(Supplier<T> change) {
        lock.lock();
        transactionDepth++;
        long mark = undo.mark();
        try {
            lock.checkOpen();
            T value = change.get();
            undo.countChange(mark);
            return value;
        } catch (RuntimeException | Error e) {
            undo.rollBackTo(mark);
            throw e;
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

    /**
     * Leaves one transaction level and unlocks; the outermost renders if something is pending. A
     * failure before the new views are published rolls the transaction back (see
     * {@link #rollBack}); the lock is released either way.
     */
    private void commitLocked() {
        List<Throwable> failed = List.of();
        Throwable refusal = null;
        try {
            if (--transactionDepth == 0 && !lock.isClosed()) {
                refusal = commitOutermost();
            }
        } finally {
            if (transactionDepth == 0) {
                failed = lock.drainFailures();
            }
            lock.unlockAfterChange(); // the backlog bound: a writer may wait for reclamation once it left the lock
        }
        if (refusal != null) {
            failed.forEach(refusal::addSuppressed);
            if (refusal instanceof Error err) {
                throw err;
            }
            throw (RuntimeException) refusal;
        }
        UpdateLock.throwIfAny(failed, "a commit");
    }

    /** The outermost commit: {@return null, or what to throw after a rollback} */
    private Throwable commitOutermost() {
        if (updatePending) {
            FlatView[] chosen = new FlatView[addressSpaces.size()];
            IdentityHashMap<MemoryRegion, FlatView> fresh;
            try {
                fresh = renderAll(chosen);
            } catch (RenderFailure f) {
                return rollBack(f);
            }
            updatePending = false;
            pendingBeyondRollback = false;
            changes.clear();
            ioEventFdsPending = false;
            try {
                publishAll(chosen, fresh);
            } finally {
                undo.commit(); // publication has begun: the changes stay, whatever happens now
            }
            return null;
        } else if (ioEventFdsPending) {
            for (AddressSpace as : addressSpaces) {
                eventFds.update(as);
            }
            eventFds.endBatch();
            ioEventFdsPending = false;
        }
        undo.commit();
        return null;
    }

    /**
     * Takes the failed transaction back: every recorded change undone, newest first, nothing
     * published, no listener called for it; what survives a rollback (global dirty logging changes)
     * stays pending. {@return the exception for the caller}: an {@link AliasLoopException} for a
     * structure that cannot be rendered, an {@link IllegalStateException} for another
     * exception, the {@link Error} itself with the explanation suppressed.
     */
    private Throwable rollBack(RenderFailure f) {
        int count = undo.changes();
        undo.rollBack();
        updatePending = pendingBeyondRollback;
        changes.clear();
        if (updatePending) {
            changes.markAll();
        }
        ioEventFdsPending = false;
        String what = "commit refused, its " + count + " change(s) rolled back and the published views left as they were: "
                + f.getMessage();
        return explain(what, f.getCause());
    }

    /** {@return {@code cause} explained by {@code what}, as {@link #rollBack} describes} */
    private static Throwable explain(String what, Throwable cause) {
        return switch (cause) {
            case Error e -> {
                e.addSuppressed(new IllegalStateException(what));
                yield e;
            }
            case AliasLoopException e -> new AliasLoopException(what, e);
            case IllegalArgumentException e -> new IllegalArgumentException(what + ": " + e.getMessage(), e);
            default -> new IllegalStateException(what + ": " + cause, cause);
        };
    }

    @Override
    public void markUpdatePending(MemoryRegion changed) {
        updatePending = true;
        changes.touched(changed, flatViews);
    }

    @Override
    public void markExtentStale(MemoryRegion r) {
        changes.touched(r, flatViews);
    }

    /**
     * Records that the next commit must render every view in full, for a change a rollback does
     * not undo (global dirty logging): a failed commit leaves it pending.
     */
    void markUpdatePendingBeyondRollback() {
        updatePending = true;
        pendingBeyondRollback = true;
        changes.markAll();
    }

    @Override
    public void markIoEventFdsPending() {
        ioEventFdsPending = true;
    }

    @Override
    public void countEventFdRegions(int delta) {
        eventFds.countRegions(delta);
    }

    @Override
    public void recordUndo(Runnable inverse) {
        undo.record(inverse);
    }

    /** Records how to undo a change made outside {@link #mutate} (an address space's creation), counted as one change. */
    void recordChange(Runnable inverse) {
        long mark = undo.mark();
        undo.record(inverse);
        undo.countChange(mark);
    }

    @Override
    public void deferUntilCommitted(Runnable effect) {
        undo.defer(effect);
    }

    boolean inTransaction() {
        return transactionDepth > 0;
    }

    /** A failure to render an address space's view, before anything was published. */
    private static final class RenderFailure extends RuntimeException {
        RenderFailure(String message, Throwable cause) {
            super(message, cause, false, false);
        }
    }

    /**
     * The first half of QEMU's {@code memory_region_transaction_commit} with an update pending
     * ({@code flatviews_reset}): the view of every distinct flatview root, into {@code chosen} by
     * address space. {@return the new cache} On failure every view made so far is released and
     * {@link RenderFailure} names the address space.
     */
    private IdentityHashMap<MemoryRegion, FlatView> renderAll(FlatView[] chosen) {
        IdentityHashMap<MemoryRegion, FlatView> fresh = spareViews != null ? spareViews : new IdentityHashMap<>();
        spareViews = null;
        int i = 0;
        try {
            for (; i < chosen.length; i++) {
                MemoryRegion physmr = FlatViewRenderer.flatviewRoot(addressSpaces.get(i).root());
                FlatView v = fresh.get(physmr);
                if (v == null) {
                    v = physmr == null ? retainedEmptyView() : renderOrKeep(physmr);
                    fresh.put(physmr, v);
                }
                chosen[i] = v;
            }
            return fresh;
        } catch (RuntimeException | Error e) {
            for (FlatView v : fresh.values()) {
                v.release();
            }
            fresh.clear();
            spareViews = fresh;
            AddressSpace as = addressSpaces.get(i);
            throw new RenderFailure("address space '" + as.name() + "' (root '" + as.root().name()
                    + "') cannot be rendered", e);
        }
    }

    /**
     * {@return the new view of {@code physmr} (a reference for the new cache)} The previous view
     * itself if no change reaches it, the previous view with the changed windows rendered again if
     * the changes are bounded, otherwise a full render. With {@link #VERIFY_PROPERTY} set, a view
     * that was not rendered in full is checked against a full render.
     */
    private FlatView renderOrKeep(MemoryRegion physmr) {
        FlatView previous = flatViews.get(physmr);
        long[] windows = previous == null ? null : changes.windowsOf(physmr);
        FlatView v;
        if (windows == null) {
            viewsRendered++;
            return renderer.render(physmr, previous);
        } else if (windows.length == 0 && previous.tryRetain()) {
            viewsKept++;
            v = previous;
        } else {
            viewsSpliced++;
            v = renderer.renderWindows(physmr, previous, windows);
        }
        if (verify) {
            renderer.checkAgainstFullRender(physmr, v);
        }
        return v;
    }

    /**
     * The second half: global {@code begin}, {@code address_space_set_flatview} (listener diff,
     * then publication) for every space, global {@code commit}. Listener failures are collected,
     * not propagated.
     */
    private void publishAll(FlatView[] chosen, IdentityHashMap<MemoryRegion, FlatView> fresh) {
        listeners.forwardAll(MemoryListener::begin);
        for (int i = 0; i < chosen.length; i++) {
            setFlatView(addressSpaces.get(i), chosen[i]);
            eventFds.update(addressSpaces.get(i));
        }
        eventFds.endBatch();
        IdentityHashMap<MemoryRegion, FlatView> old = flatViews;
        flatViews = fresh;
        for (FlatView v : fresh.values()) {
            v.forgetDiff();
        }
        for (FlatView v : old.values()) {
            v.release();
        }
        old.clear();
        spareViews = old;
        commits++;
        listeners.forwardAll(MemoryListener::commit);
    }

    /** QEMU's {@code address_space_set_flatview}: the listener diff against the old view, then publication. */
    private void setFlatView(AddressSpace as, FlatView next) {
        FlatView old = as.currentView();
        if (old == next) {
            if (listeners.hasListeners(as)) { // a kept view: QEMU's new view of an unchanged map gives no-ops
                listeners.topologyPass(as, old, next, true, ViewPublication.NO_CHANGES);
            }
            return;
        }
        if (listeners.hasListeners(as)) {
            long[] changed = ViewPublication.changesBetween(old, next);
            listeners.topologyPass(as, old, next, false, changed);
            listeners.topologyPass(as, old, next, true, changed);
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
    FlatView firstView(String name, MemoryRegion root) {
        if (transactionDepth > 0) {
            updatePending = true;
            return retainedEmptyView();
        }
        FlatView v;
        MemoryRegion physmr;
        try {
            physmr = FlatViewRenderer.flatviewRoot(root);
            v = flatViews.get(physmr);
            if (v == null) {
                v = physmr == null ? retainedEmptyView() : renderer.render(physmr, null);
                flatViews.put(physmr, v);
            }
        } catch (RuntimeException e) {
            throw (RuntimeException) explain("cannot create address space '" + name + "' on '" + root.name()
                    + "': its view cannot be rendered", e);
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
        root.directRoots++;
        addressSpaces.add(as);
        eventFds.update(as); // no listener can be registered yet
        eventFds.endBatch();
    }

    /** Removes a space whose listeners were unregistered: it shows the empty view from now on. */
    void remove(AddressSpace as) {
        as.destroyed = true;
        addressSpaces.remove(as);
        as.root().directRoots--;
        eventFds.remove(as);
        for (MemoryRegion r = as.root(); r != null; r = r instanceof AliasRegion a ? a.target() : null) {
            r.addressSpaceRoots--;
        }
        if (as.root() instanceof AliasRegion alias) {
            alias.target().mappedAliases.remove(alias);
        }
        as.publish(emptyView);
        emptyView.forgetDiff();
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
