package org.guestmem;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.guestmem.internal.MmioDispatcher;
import org.guestmem.internal.NativeMemoryStats;
import org.guestmem.internal.NativeTablePool;
import org.guestmem.internal.RamBlock;
import org.guestmem.internal.RamBlockSet;
import org.guestmem.internal.TlbRegistry;
import org.guestmem.rcu.RcuDomain;

/**
 * One machine's memory: the root object that owns its address spaces, the update lock, the
 * transaction depth, the FlatView cache and the RCU domain. There is no process-global state: two
 * systems in one JVM are fully independent.
 *
 * <h2 id="writer">One writer at a time</h2>
 * Every topology change happens under this system's update lock (QEMU's BQL, for memory only),
 * taken by each mutator and held by an open {@link MemoryTransaction}. A commit renders one
 * {@link FlatView} per distinct flatview root, publishes it to every address space whose root
 * reduces to that root (sharing the object) and releases the old views, which are destroyed after
 * an RCU grace period.
 *
 * <h2 id="readers">Readers</h2>
 * CPU and device threads never take the update lock. They read the published views (see
 * {@link AddressSpace}) inside read sections of {@link #rcu()}, or through counted references.
 *
 * {@snippet :
 * try (MemorySystem sys = MemorySystem.create()) {
 *     ContainerRegion system = sys.container("system", MemoryRegion.SIZE_2_64);
 *     RamRegion ram = sys.ram("pc.ram", 128 << 20);
 *     system.addSubregion(ram, 0);
 *     AddressSpace memory = sys.addressSpace("memory", system);
 *     FlatRange r = memory.currentView().lookup(0x1000); // pc.ram at offset 0x1000
 * }
 * }
 */
public final class MemorySystem implements AutoCloseable {
    /** Global dirty tracking flag: live migration (QEMU's {@code GLOBAL_DIRTY_MIGRATION}). */
    public static final int GLOBAL_DIRTY_MIGRATION = 1;
    /** Global dirty tracking flag: dirty-rate measurement (QEMU's {@code GLOBAL_DIRTY_DIRTY_RATE}). */
    public static final int GLOBAL_DIRTY_DIRTY_RATE = 2;
    /** Global dirty tracking flag: dirty-rate limiting (QEMU's {@code GLOBAL_DIRTY_LIMIT}). */
    public static final int GLOBAL_DIRTY_LIMIT = 4;
    private final String name;
    private final ByteOrder targetByteOrder;
    private final int pageBits;
    private final boolean lenientAliasWindows;
    private final boolean codeDirtyTracking;
    private final boolean checkedAccess;
    /** The live softmmu TLBs of this system ({@code org.guestmem.tlb}), flagged when dirty bits are cleared. */
    private final TlbRegistry tlbs = new TlbRegistry();
    private final ReentrantLock updateLock = new ReentrantLock();
    private final RcuDomain rcu;
    private final NativeMemoryStats nativeStats = new NativeMemoryStats();
    private final NativeTablePool tablePool = new NativeTablePool(nativeStats);
    /** RAM blocks guestmem allocated for this system and has not freed yet. */
    private final Set<RamBlock> ramBlocks = ConcurrentHashMap.newKeySet();
    private final RegionFactory anonymous = new RegionFactory(this, null);
    private final MmioDispatcher unassigned;
    private final FlatView emptyView;

    // ---- guarded by updateLock ----
    private int transactionDepth;
    private boolean updatePending;
    private boolean ioEventFdsPending;
    private final ArrayList<AddressSpace> addressSpaces = new ArrayList<>();
    /** Views of the last commit by flatview root (identity; null key = empty view); holds one reference each. */
    private IdentityHashMap<MemoryRegion, FlatView> flatViews = new IdentityHashMap<>();
    private boolean closed;
    private long commits;
    /** Renders views; its scratch arrays are reused (writer only, under the update lock). */
    private final FlatViewRenderer renderer = new FlatViewRenderer(this);
    /** The last mark handed out by {@link #nextViewMark()} (writer only, under the update lock). */
    private long viewMarks;
    private final ListenerRegistry listeners = new ListenerRegistry();
    /**
     * QEMU's {@code global_dirty_tracking}: the set of {@code GLOBAL_DIRTY_*} flags. Written under
     * the update lock; volatile so that {@link #effectiveLogMask} can be computed by device
     * threads (DMA unmap, {@code setDirty}) without the lock, as QEMU reads the global.
     */
    private volatile int globalDirtyFlags;
    private volatile CodeWriteHandler codeWriteHandler;
    /** QEMU 7.2's {@code bounce.in_use}: one bounce buffer per system. */
    private final java.util.concurrent.atomic.AtomicBoolean bounceInUse = new java.util.concurrent.atomic.AtomicBoolean();
    /** QEMU's {@code map_client_list}, newest first; guarded by itself. */
    private final java.util.LinkedList<Runnable> mapClients = new java.util.LinkedList<>();

    private MemorySystem(Builder b) {
        this.name = b.name;
        this.targetByteOrder = b.targetByteOrder;
        this.pageBits = b.pageBits;
        this.lenientAliasWindows = b.lenientAliasWindows;
        this.codeDirtyTracking = b.codeDirtyTracking;
        this.checkedAccess = b.checkedAccess;
        this.rcu = new RcuDomain(b.name);
        this.unassigned = new MmioDispatcher(MemoryRegionOps.UNASSIGNED, targetByteOrder);
        this.emptyView = new FlatView(this, new FlatRange[0], null, RamBlockSet.retainAll(new RamBlock[0], 0));
    }

    /** {@return a system with the defaults: little-endian target, 4 KiB target pages} */
    public static MemorySystem create() {
        return builder().build();
    }

    /** {@return a builder} */
    public static Builder builder() {
        return new Builder();
    }

    /** {@return the name given at creation (used for thread names)} */
    public String name() {
        return name;
    }

    /** {@return the target's byte order: what {@link Endianness#NATIVE} means for devices} */
    public ByteOrder targetByteOrder() {
        return targetByteOrder;
    }

    /**
     * {@return a mark no region carries yet} FlatView construction stamps each distinct region of
     * the view with it ({@link MemoryRegion#viewMark}) instead of hashing. Under the update lock.
     */
    long nextViewMark() {
        return ++viewMarks;
    }

    /** {@return log2 of the target page size (QEMU's {@code TARGET_PAGE_BITS})} */
    public int pageBits() {
        return pageBits;
    }

    /** {@return whether alias windows may reach past their targets (see {@link Builder#lenientAliasWindows})} */
    public boolean lenientAliasWindows() {
        return lenientAliasWindows;
    }

    /** {@return this system's RCU domain} */
    public RcuDomain rcu() {
        return rcu;
    }

    /** {@return whether CPU-thread accesses go through checked per-block segments (see {@link Builder#checkedAccess})} */
    public boolean checkedAccess() {
        return checkedAccess;
    }

    TlbRegistry tlbs() {
        return tlbs;
    }

    /** {@return the shared empty view (no ranges, never destroyed)} */
    public FlatView emptyView() {
        return emptyView;
    }

    // ------------------------------------------------------------------ region factories

    /** {@return a factory whose regions belong to {@code owner}} */
    public RegionFactory owned(Object owner) {
        return new RegionFactory(this, owner);
    }

    /** See {@link RegionFactory#container}. */
    public ContainerRegion container(String name, long size) {
        return anonymous.container(name, size);
    }

    /** See {@link RegionFactory#ram(String, long)}. */
    public RamRegion ram(String name, long size) {
        return anonymous.ram(name, size);
    }

    /** See {@link RegionFactory#rom}. */
    public RamRegion rom(String name, long size) {
        return anonymous.rom(name, size);
    }

    /** See {@link RegionFactory#ramFromSegment}. */
    public RamRegion ramFromSegment(String name, MemorySegment segment) {
        return anonymous.ramFromSegment(name, segment);
    }

    /** See {@link RegionFactory#ramFromFile}. */
    public RamRegion ramFromFile(String name, Path file, long size, boolean shared) {
        return anonymous.ramFromFile(name, file, size, shared);
    }

    /** See {@link RegionFactory#mmio}. */
    public MmioRegion mmio(String name, long size, MemoryRegionOps ops) {
        return anonymous.mmio(name, size, ops);
    }

    /** See {@link RegionFactory#romDevice}. */
    public RomDeviceRegion romDevice(String name, long size, MemoryRegionOps ops) {
        return anonymous.romDevice(name, size, ops);
    }

    /** See {@link RegionFactory#alias}. */
    public AliasRegion alias(String name, MemoryRegion target, long offset, long size) {
        return anonymous.alias(name, target, offset, size);
    }

    /** See {@link RegionFactory#iommu}. */
    public IommuRegion iommu(String name, long size, IommuOps ops) {
        return anonymous.iommu(name, size, ops);
    }

    /** See {@link RegionFactory#reservation}. */
    public ReservationRegion reservation(String name, long size) {
        return anonymous.reservation(name, size);
    }

    // ------------------------------------------------------------------ address spaces

    /**
     * Creates an address space showing {@code root} (QEMU's {@code address_space_init}). Outside
     * a transaction its view is rendered (or shared) at once. Inside a transaction it shows the
     * empty view until the outermost commit, like every other change made in the transaction.
     *
     * @throws IllegalArgumentException if {@code root} belongs to another system
     * @throws IllegalStateException    if {@code root} was destroyed or the system is closed
     */
    public AddressSpace addressSpace(String name, MemoryRegion root) {
        Objects.requireNonNull(root, "root");
        updateLock.lock();
        try {
            checkOpen();
            if (root.system != this) {
                throw new IllegalArgumentException("cannot create address space '" + name + "': "
                        + MemoryRegion.describe(root) + " belongs to another memory system");
            }
            root.checkAlive();
            for (MemoryRegion r = root; r instanceof AliasRegion a; r = a.target()) {
                if (a.target().isDestroyed()) {
                    throw new IllegalStateException("cannot create address space '" + name + "': alias "
                            + MemoryRegion.describe(a) + " targets " + MemoryRegion.describe(a.target())
                            + ", which has been destroyed");
                }
            }
            if (root instanceof AliasRegion alias) {
                alias.checkWindowStillFits("create address space '" + name + "' on " + MemoryRegion.describe(root));
            }
            AddressSpace as;
            if (transactionDepth > 0) {
                emptyView.tryRetain();
                as = new AddressSpace(this, name == null ? "anonymous" : name, root, emptyView);
                updatePending = true;
            } else {
                MemoryRegion physmr = FlatViewRenderer.flatviewRoot(root);
                FlatView v = flatViews.get(physmr);
                if (v == null) {
                    v = physmr == null ? retainedEmptyView() : renderer.render(physmr, null);
                    flatViews.put(physmr, v);
                }
                if (!v.tryRetain()) {
                    throw new IllegalStateException("cached FlatView was released");
                }
                as = new AddressSpace(this, name == null ? "anonymous" : name, root, v);
            }
            for (MemoryRegion r = root; r != null; r = r instanceof AliasRegion a ? a.target() : null) {
                r.addressSpaceRoots++;
            }
            if (root instanceof AliasRegion alias) {
                alias.target().mappedAliases.add(alias);
            }
            addressSpaces.add(as);
            as.updateIoEventFds(listeners); // QEMU's address_space_init; no listener can be registered yet
            return as;
        } finally {
            updateLock.unlock();
        }
    }

    /** {@return the address spaces in creation order} */
    public List<AddressSpace> addressSpaces() {
        updateLock.lock();
        try {
            return List.copyOf(addressSpaces);
        } finally {
            updateLock.unlock();
        }
    }

    void destroyAddressSpace(AddressSpace as) {
        List<Throwable> failed;
        updateLock.lock();
        try {
            if (as.destroyed) {
                return;
            }
            for (MemoryListener l : listeners.of(as)) {
                unregisterLocked(l);
            }
            as.destroyed = true;
            addressSpaces.remove(as);
            as.clearIoEventFds();
            for (MemoryRegion r = as.root(); r != null; r = r instanceof AliasRegion a ? a.target() : null) {
                r.addressSpaceRoots--;
            }
            if (as.root() instanceof AliasRegion alias) {
                alias.target().mappedAliases.remove(alias);
            }
            as.publish(emptyView);
            dropUnusedCachedViews();
        } finally {
            failed = listeners.drainFailures();
            updateLock.unlock();
        }
        ListenerRegistry.throwIfAny(failed, "the destruction of address space '" + as.name() + "'");
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

    // ------------------------------------------------------------------ transactions

    /**
     * Opens a transaction: takes the update lock (waiting for another writer if needed) and defers
     * rendering until the outermost transaction closes.
     *
     * @throws IllegalStateException if the system is closed
     */
    public MemoryTransaction begin() {
        updateLock.lock();
        if (closed) {
            updateLock.unlock();
            throw new IllegalStateException("memory system '" + name + "' is closed");
        }
        transactionDepth++;
        return new MemoryTransaction(this);
    }

    /** {@return whether the calling thread holds the update lock (is inside a mutator or transaction)} */
    public boolean holdsUpdateLock() {
        return updateLock.isHeldByCurrentThread();
    }

    /**
     * {@return how many outermost commits found a change pending and re-rendered every address
     * space (QEMU's {@code memory_region_transaction_commit} with an update pending), even if the
     * system had no address space yet; creating an address space renders without counting}
     */
    public long commitCount() {
        updateLock.lock();
        try {
            return commits;
        } finally {
            updateLock.unlock();
        }
    }

    /** Runs {@code change} as its own (possibly nested) transaction. */
    void mutate(Runnable change) {
        updateLock.lock();
        transactionDepth++;
        try {
            checkOpen();
            change.run();
        } finally {
            commitLocked();
        }
    }

    /** Runs a region constructor under the update lock (it may read other regions' attributes). */
    <T extends MemoryRegion> T create(Supplier<T> constructor) {
        updateLock.lock();
        try {
            checkOpen();
            return constructor.get();
        } finally {
            updateLock.unlock();
        }
    }

    void commit() {
        if (!updateLock.isHeldByCurrentThread()) {
            throw new IllegalStateException("commit without the update lock");
        }
        commitLocked();
    }

    private void commitLocked() {
        try {
            if (--transactionDepth == 0 && !closed) {
                if (updatePending) {
                    renderAndPublish();
                    updatePending = false;
                    ioEventFdsPending = false;
                } else if (ioEventFdsPending) {
                    for (AddressSpace as : addressSpaces) {
                        as.updateIoEventFds(listeners);
                    }
                    ioEventFdsPending = false;
                }
            }
        } finally {
            List<Throwable> failed = transactionDepth == 0 ? listeners.drainFailures() : List.of();
            updateLock.unlock();
            ListenerRegistry.throwIfAny(failed, "a commit");
        }
    }

    /** Marks the ioeventfd lists stale (QEMU's {@code ioeventfd_update_pending}). */
    void markIoEventFdsPending() {
        ioEventFdsPending = true;
    }

    void markUpdatePending() {
        updatePending = true;
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
            addressSpaces.get(i).updateIoEventFds(listeners);
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

    /**
     * Called after every direct RAM write of the access path (QEMU's
     * {@code invalidate_and_set_dirty}): {@code len} bytes at {@code offset} of section {@code s}'s
     * RAM block changed. Uses the mask the view rendered for the section.
     */
    void ramWritten(FlatView view, int s, long offset, long len) {
        int mask = view.dispatch.dirtyLogMask(s);
        if (mask == 0 || len == 0) {
            return;
        }
        markWritten(view.sectionRegion[s], view.sectionBlock[s], mask, offset, len);
    }

    /**
     * QEMU's {@code invalidate_and_set_dirty} for writes made outside the access path (DMA
     * unmap): uses the region's effective mask as of now, readable from any thread.
     */
    void regionWritten(MemoryRegion mr, RamBlock block, long offset, long len) {
        int mask = effectiveLogMask(mr);
        if (mask == 0 || len == 0) {
            return;
        }
        markWritten(mr, block, mask, offset, len);
    }

    /**
     * A softmmu TLB's store wrote a page whose CODE bit was clean: tells the handler (with the
     * region and offset; the guest physical address is not passed on yet). {@return whether the
     * page still holds translated code}
     */
    boolean codeWritten(AddressSpace space, long addr, long len, MemoryRegion mr, long offset) {
        CodeWriteHandler h = codeWriteHandler;
        if (h != null) {
            h.codeWritten(mr, offset, len);
        }
        return false;
    }

    /**
     * Sets the bits of {@code mask}'s clients that still have a clean page in the range, after
     * telling the {@link CodeWriteHandler} if CODE is among them. Lock-free.
     */
    private void markWritten(MemoryRegion mr, RamBlock block, int mask, long offset, long len) {
        org.guestmem.internal.DirtyBitmap bits = block.dirty();
        mask = bits.cleanClients(offset, len, mask);
        if ((mask & DirtyLogClient.CODE.bit()) != 0) {
            CodeWriteHandler h = codeWriteHandler;
            if (h != null) {
                h.codeWritten(mr, offset, len);
            }
        }
        bits.set(offset, len, mask);
    }

    // ------------------------------------------------------------------ DMA bounce buffer and map clients

    /**
     * Takes the system's single bounce buffer (QEMU 7.2's global {@code bounce.in_use}, here per
     * system). {@return false if it is in use} Lock-free.
     */
    boolean acquireBounce() {
        return bounceInUse.compareAndSet(false, true);
    }

    /**
     * Frees the bounce buffer and runs every registered map client, newest first, on the calling
     * thread, each removed before it runs (QEMU's {@code cpu_notify_map_clients}, which schedules
     * them as bottom halves).
     */
    void releaseBounce() {
        bounceInUse.set(false);
        runMapClients();
    }

    private void runMapClients() {
        List<Runnable> ready;
        synchronized (mapClients) {
            if (bounceInUse.get() || mapClients.isEmpty()) {
                return;
            }
            ready = new ArrayList<>(mapClients);
            mapClients.clear();
        }
        RuntimeException first = null;
        for (Runnable r : ready) {
            try {
                r.run();
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** {@return whether the DMA bounce buffer is taken (a {@link DmaMapping} of non-RAM memory is open)} */
    public boolean bounceBufferInUse() {
        return bounceInUse.get();
    }

    /**
     * Asks to be told when {@link AddressSpace#map} may succeed again (QEMU's
     * {@code cpu_register_map_client}): {@code client} runs once, when the bounce buffer is freed,
     * on the thread that frees it ({@link AddressSpace#unmap}); if the buffer is free already it runs
     * at once on this thread. QEMU schedules a bottom half instead; guestmem has no main loop, so a
     * client that wants to run elsewhere hands the work over itself. Clients run newest first and
     * are forgotten once run. Thread-safe.
     */
    public void registerMapClient(Runnable client) {
        Objects.requireNonNull(client, "client");
        synchronized (mapClients) {
            mapClients.addFirst(client);
        }
        runMapClients();
    }

    /** Forgets {@code client} if it has not run yet (QEMU's {@code cpu_unregister_map_client}). */
    public void unregisterMapClient(Runnable client) {
        synchronized (mapClients) {
            mapClients.remove(client);
        }
    }

    /**
     * The dirty-log clients rendering records for {@code mr} (QEMU's
     * {@code memory_region_get_dirty_log_mask}): explicit requests, plus MIGRATION under global
     * dirty tracking and CODE under code tracking for RAM-backed regions.
     */
    int effectiveLogMask(MemoryRegion mr) {
        int mask = mr.explicitLogMaskVolatile;
        boolean ramBacked = FlatView.blockOf(mr) != null;
        if (globalDirtyFlags != 0 && (ramBacked || mr instanceof IommuRegion)) {
            mask |= DirtyLogClient.MIGRATION.bit();
        }
        if (codeDirtyTracking && ramBacked) { // TCG only cares about RAM, not IOMMUs
            mask |= DirtyLogClient.CODE.bit();
        }
        return mask;
    }

    /** {@return whether writes mark CODE dirty and call the {@link CodeWriteHandler}} */
    public boolean codeDirtyTracking() {
        return codeDirtyTracking;
    }

    /**
     * Installs the handler told about writes to pages whose CODE dirty bit is clean (null removes
     * it). Meaningful only with {@link Builder#codeDirtyTracking(boolean)}. Thread-safe (volatile).
     */
    public void setCodeWriteHandler(CodeWriteHandler handler) {
        this.codeWriteHandler = handler;
    }

    // ------------------------------------------------------------------ listeners and dirty logging

    void registerListener(AddressSpace as, MemoryListener listener, int priority) {
        Objects.requireNonNull(listener, "listener");
        List<Throwable> failed;
        updateLock.lock();
        try {
            checkOpen();
            if (as.destroyed) {
                throw new IllegalStateException("cannot register a listener on destroyed address space '" + as.name() + "'");
            }
            listeners.add(as, listener, priority);
            listeners.call(listener, MemoryListener::begin);
            if (globalDirtyFlags != 0) {
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
        } finally {
            failed = listeners.drainFailures();
            updateLock.unlock();
        }
        ListenerRegistry.throwIfAny(failed, "the registration of listener " + listener.name());
    }

    void unregisterListener(MemoryListener listener) {
        List<Throwable> failed;
        updateLock.lock();
        try {
            unregisterLocked(listener);
        } finally {
            failed = listeners.drainFailures();
            updateLock.unlock();
        }
        ListenerRegistry.throwIfAny(failed, "the unregistration of listener " + listener.name());
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

    /** {@return the listeners registered on {@code as}, ascending priority} */
    List<MemoryListener> listenersOf(AddressSpace as) {
        updateLock.lock();
        try {
            return listeners.of(as);
        } finally {
            updateLock.unlock();
        }
    }

    ListenerRegistry listenerRegistry() {
        return listeners;
    }

    /**
     * Turns on global dirty tracking for {@code flags} (QEMU's
     * {@code memory_global_dirty_log_start}): when tracking goes from off to on, listeners get
     * {@code logGlobalStart} and every RAM-backed range starts logging for MIGRATION.
     *
     * @throws IllegalArgumentException if {@code flags} is empty or has unknown bits
     */
    public void startGlobalDirtyLog(int flags) {
        checkDirtyFlags(flags);
        mutate(() -> {
            int old = globalDirtyFlags;
            globalDirtyFlags |= flags;
            if (old == 0 && globalDirtyFlags != 0) {
                listeners.forwardAll(MemoryListener::logGlobalStart);
                markUpdatePending();
            }
        });
    }

    /**
     * Turns off global dirty tracking for {@code flags} (QEMU's
     * {@code memory_global_dirty_log_stop}): when no flag is left, the views are re-rendered
     * without MIGRATION logging and then listeners get {@code logGlobalStop}. (QEMU postpones the
     * stop while the VM is stopped; guestmem has no VM run state and stops at once.)
     *
     * @throws IllegalArgumentException if {@code flags} is empty or has unknown bits
     */
    public void stopGlobalDirtyLog(int flags) {
        checkDirtyFlags(flags);
        boolean[] stopped = new boolean[1];
        mutate(() -> {
            int old = globalDirtyFlags;
            globalDirtyFlags &= ~flags;
            if (old != 0 && globalDirtyFlags == 0) {
                markUpdatePending();
                stopped[0] = true;
            }
        });
        if (stopped[0]) {
            List<Throwable> failed;
            updateLock.lock();
            try {
                listeners.reverseAll(MemoryListener::logGlobalStop);
            } finally {
                failed = listeners.drainFailures();
                updateLock.unlock();
            }
            ListenerRegistry.throwIfAny(failed, "logGlobalStop");
        }
    }

    /** {@return the global dirty tracking flags currently on} */
    public int globalDirtyLogFlags() {
        updateLock.lock();
        try {
            return globalDirtyFlags;
        } finally {
            updateLock.unlock();
        }
    }

    private static void checkDirtyFlags(int flags) {
        if (flags == 0 || (flags & ~(GLOBAL_DIRTY_MIGRATION | GLOBAL_DIRTY_DIRTY_RATE | GLOBAL_DIRTY_LIMIT)) != 0) {
            throw new IllegalArgumentException("global dirty log flags must be a non-empty combination of 0x7, got 0x"
                    + Integer.toHexString(flags));
        }
    }

    /**
     * Asks every listener to copy what it tracked into guestmem's bitmaps (QEMU's
     * {@code memory_global_dirty_log_sync}): {@code logSyncGlobal} once for listeners that sync
     * globally, else {@code logSync} for every range of its address space that logs.
     */
    public void logSync() {
        List<Throwable> failed;
        updateLock.lock();
        try {
            syncLocked(null);
        } finally {
            failed = listeners.drainFailures();
            updateLock.unlock();
        }
        ListenerRegistry.throwIfAny(failed, "logSync");
    }

    /** Syncs every listener, or only for the ranges of {@code region} if not null. */
    void syncLocked(MemoryRegion region) {
        for (AddressSpace as : addressSpaces) {
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

    /** Calls {@code logClear} for the sections of {@code region} that overlap its {@code [offset, offset+len)}. */
    void logClearLocked(MemoryRegion region, long offset, long len) {
        for (AddressSpace as : addressSpaces) {
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

    /** Tells every listener a global sync completed (QEMU's {@code memory_global_after_dirty_log_sync}). */
    public void afterLogSync() {
        List<Throwable> failed;
        updateLock.lock();
        try {
            listeners.forwardAll(MemoryListener::logGlobalAfterSync);
        } finally {
            failed = listeners.drainFailures();
            updateLock.unlock();
        }
        ListenerRegistry.throwIfAny(failed, "logGlobalAfterSync");
    }

    /** Runs {@code body} under the update lock (no transaction), rethrowing listener failures after. */
    void locked(Runnable body) {
        locked("a dirty-log operation", body);
    }

    /**
     * Runs {@code body} under the update lock (no transaction). Listener failures are rethrown
     * afterwards, unless the calling thread holds an outer lock level (a transaction or a
     * mutator): then they are left for that level to rethrow.
     */
    void locked(String what, Runnable body) {
        List<Throwable> failed;
        updateLock.lock();
        try {
            checkOpen();
            body.run();
        } finally {
            failed = updateLock.getHoldCount() == 1 ? listeners.drainFailures() : List.of();
            updateLock.unlock();
        }
        ListenerRegistry.throwIfAny(failed, what);
    }

    /**
     * QEMU's {@code memory_region_update_coalesced_range}: tells the listeners of every address
     * space about coalesced range {@code cmr} of {@code mr}, for each range of its current view
     * that shows {@code mr}. Under the update lock.
     */
    void updateCoalescedRange(MemoryRegion mr, long[] cmr, boolean add) {
        for (AddressSpace as : addressSpaces) {
            FlatView v = as.currentView();
            for (int i = 0; i < v.rangeCount(); i++) {
                FlatRange fr = v.range(i);
                if (fr.region() == mr) {
                    listeners.coalescedNotify(as, fr, cmr, add);
                }
            }
        }
    }

    NativeMemoryStats nativeMemoryStats() {
        return nativeStats;
    }

    /**
     * Frees something after a grace period; once the system is closed (its domain drained, its
     * memory already freed) it runs at once, so references dropped late (a {@link
     * AddressSpace.RetainedView} closed after the system) still complete their bookkeeping.
     */
    void deferFree(Runnable free) {
        if (!rcu.tryDefer(free)) {
            free.run();
        }
    }

    /**
     * Frees a RAM block whose count reached zero. Every view that mapped it has been destroyed
     * (each after its own grace period), so no reader can reach it: on the reclaimer thread (inside
     * a view's destruction) it is freed at once; elsewhere (a region destroyed on the writer) the
     * arena's costly close is handed to the reclaimer.
     */
    void freeRamBlock(Runnable free) {
        if (rcu.isReclaimerThread()) {
            free.run();
        } else {
            deferFree(free);
        }
    }

    Set<RamBlock> ramBlocks() {
        return ramBlocks;
    }

    NativeTablePool tablePool() {
        return tablePool;
    }

    /** Where accesses to holes, ROM writes and RAM-straddling MMIO-path accesses go (QEMU's {@code io_mem_unassigned}). */
    MmioDispatcher unassignedDispatcher() {
        return unassigned;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("memory system '" + name + "' is closed");
        }
    }

    /**
     * Closes the system, the end of the machine: destroys its address spaces, releases every view,
     * runs everything the RCU domain has deferred, stops its reclaimer thread, and then frees all
     * native memory the system still holds: the RAM blocks of regions that were never destroyed
     * (memory supplied by the caller excepted) and the table pool. Regions must not be used
     * afterwards: their mutators throw {@link IllegalStateException}, and so does any access to
     * their RAM segments (the arenas are closed; nothing reads freed memory). Idempotent.
     *
     * @throws IllegalStateException if called while a transaction is open on another level
     */
    @Override
    public void close() {
        updateLock.lock();
        try {
            if (closed) {
                return;
            }
            if (transactionDepth > 0) {
                throw new IllegalStateException("cannot close memory system '" + name + "' inside a transaction");
            }
            for (AddressSpace as : List.copyOf(addressSpaces)) {
                destroyAddressSpace(as);
            }
            for (FlatView v : flatViews.values()) {
                v.release();
            }
            flatViews = new IdentityHashMap<>();
            closed = true;
        } finally {
            updateLock.unlock();
        }
        rcu.close();
        for (RamBlock b : List.copyOf(ramBlocks)) {
            b.freeNow();
        }
        tablePool.close();
    }

    @Override
    public String toString() {
        return "MemorySystem['" + name + "']";
    }

    /** Configures a {@link MemorySystem}. */
    public static final class Builder {
        private String name = "guestmem";
        private ByteOrder targetByteOrder = ByteOrder.LITTLE_ENDIAN;
        private int pageBits = 12;
        private boolean lenientAliasWindows;
        private boolean codeDirtyTracking;
        private boolean checkedAccess = Boolean.getBoolean("guestmem.checkedAccess");

        private Builder() {
        }

        /**
         * Checked mode for CPU threads' translation caches ({@code org.guestmem.tlb.Tlb} and the
         * accessors built on it): every RAM access of a CPU thread goes through the RAM block's own
         * {@code MemorySegment}, which throws {@link IllegalStateException} instead of touching memory
         * that was freed, and checks the owner thread; slower than the default fast mode, where the
         * cache holds raw host addends that RCU keeps valid (see {@code docs/lifetimes.md}). The
         * default is the system property {@code guestmem.checkedAccess} ({@code true} or not).
         */
        public Builder checkedAccess(boolean value) {
            this.checkedAccess = value;
            return this;
        }

        /**
         * Tracks writes to guest code for a JIT, as QEMU does under TCG: every RAM-backed range
         * logs for {@link DirtyLogClient#CODE}, and writes to pages whose CODE bit is clean call the
         * {@link CodeWriteHandler}. Off by default: such writes cannot take the accessors' direct
         * path, so RAM writes cost more.
         */
        public Builder codeDirtyTracking(boolean value) {
            this.codeDirtyTracking = value;
            return this;
        }

        /**
         * Lets alias windows reach past the end of their targets, as QEMU does (it never checks);
         * rendering clips them to the target. Off by default: such a window is usually a bug, so
         * {@link RegionFactory#alias} and {@link AliasRegion#setAliasOffset} reject it. The
         * importer of QEMU dumps turns it on, because real machines have such aliases.
         */
        public Builder lenientAliasWindows(boolean value) {
            this.lenientAliasWindows = value;
            return this;
        }

        /** Sets the name (used in thread names and messages). */
        public Builder name(String value) {
            this.name = Objects.requireNonNull(value, "value");
            return this;
        }

        /** Sets the target's byte order (what {@link Endianness#NATIVE} devices use). */
        public Builder targetByteOrder(ByteOrder value) {
            this.targetByteOrder = Objects.requireNonNull(value, "value");
            return this;
        }

        /**
         * Sets log2 of the target page size, QEMU's {@code TARGET_PAGE_BITS}.
         *
         * @throws IllegalArgumentException unless {@code 10 <= value <= 16}
         */
        public Builder pageBits(int value) {
            if (value < 10 || value > 16) {
                throw new IllegalArgumentException("page bits must be within 10..16 (QEMU's range), got " + value);
            }
            this.pageBits = value;
            return this;
        }

        /** {@return the new system} */
        public MemorySystem build() {
            return new MemorySystem(this);
        }
    }
}
