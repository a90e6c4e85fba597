package org.guestmem;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.guestmem.dirty.CodeWriteHandler;
import org.guestmem.dirty.GlobalDirtyReason;
import org.guestmem.internal.MmioDispatcher;
import org.guestmem.internal.NativeMemoryStats;
import org.guestmem.iommu.IommuOps;
import org.guestmem.rcu.RcuDomain;

/**
 * One machine's memory: the root object that creates its regions and address spaces, opens its
 * transactions and owns its update lock, FlatView cache, dirty log, bounce buffer and RCU domain.
 * There is no process-global state: two systems in one JVM are fully independent. This class is
 * the front; the work is done by package-private parts with one job each (see
 * {@code docs/design.md}).
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
    private final String name;
    private final ByteOrder targetByteOrder;
    private final int pageBits;
    private final boolean lenientAliasWindows;
    private final RcuDomain rcu;
    private final UpdateLock lock;
    private final NativeMemory memory;
    private final DirtyLog dirtyLog;
    private final ViewContext viewContext;
    private final ViewCache views;
    private final ListenerHub hub;
    private final BounceBuffer bounce = new BounceBuffer();
    private final RegionContext regionContext;
    private final RegionFactory anonymous;

    MemorySystem(MemorySystemBuilder b) {
        this.name = b.name;
        this.targetByteOrder = b.targetByteOrder;
        this.pageBits = b.pageBits;
        this.lenientAliasWindows = b.lenientAliasWindows;
        this.rcu = new RcuDomain(b.name);
        this.memory = new NativeMemory(rcu, b.name, b.checkedAccess, b.reclamationBacklog);
        this.lock = new UpdateLock(b.name, memory::throttle);
        this.dirtyLog = new DirtyLog(b.codeDirtyTracking);
        this.viewContext = new ViewContext(pageBits, dirtyLog, new MmioDispatcher(MemoryRegionOps.UNASSIGNED, targetByteOrder),
                memory, b.checkedAccess);
        ListenerRegistry listeners = new ListenerRegistry(lock);
        this.views = new ViewCache(lock, listeners, viewContext);
        this.hub = new ListenerHub(lock, listeners, views, dirtyLog, rcu);
        this.regionContext = new RegionContext(name, targetByteOrder, pageBits, lenientAliasWindows, lock, dirtyLog, memory,
                views, hub);
        this.anonymous = new RegionFactory(regionContext, null);
    }

    /** {@return a system with the defaults: little-endian target, 4 KiB target pages} */
    public static MemorySystem create() {
        return builder().build();
    }

    /** {@return a builder} */
    public static MemorySystemBuilder builder() {
        return new MemorySystemBuilder();
    }

    /** {@return the name given at creation (used for thread names)} */
    public String name() {
        return name;
    }

    /** {@return the target's byte order: what {@link Endianness#NATIVE} means for devices} */
    public ByteOrder targetByteOrder() {
        return targetByteOrder;
    }

    /** {@return log2 of the target page size (QEMU's {@code TARGET_PAGE_BITS})} */
    public int pageBits() {
        return pageBits;
    }

    /** {@return whether alias windows may reach past their targets (see {@link MemorySystemBuilder#lenientAliasWindows})} */
    public boolean lenientAliasWindows() {
        return lenientAliasWindows;
    }

    /** {@return whether writes mark CODE dirty and call the {@link CodeWriteHandler}} */
    public boolean codeDirtyTracking() {
        return dirtyLog.codeTracking();
    }

    /**
     * {@return whether CPU threads' translation caches run in checked mode (see
     * {@link MemorySystemBuilder#checkedAccess})}
     */
    public boolean checkedAccess() {
        return viewContext.checkedAccess;
    }

    /** {@return this system's RCU domain} */
    public RcuDomain rcu() {
        return rcu;
    }

    /** {@return the shared empty view (no ranges, never destroyed)} */
    public FlatView emptyView() {
        return views.emptyView();
    }

    // ------------------------------------------------------------------ region factories

    /**
     * {@return a factory whose regions belong to {@code owner}}
     *
     * @param owner the owner given to every region the factory creates (may be null)
     */
    public RegionFactory owned(Object owner) {
        return new RegionFactory(regionContext, owner);
    }

    /**
     * See {@link RegionFactory#container}.
     *
     * @param name the region's name (may be null)
     * @param size the size, {@link MemoryRegion#SIZE_2_64} for 2<sup>64</sup>
     * @return the new owner-less region
     */
    public ContainerRegion container(String name, long size) {
        return anonymous.container(name, size);
    }

    /**
     * See {@link RegionFactory#ram(String, long)}.
     *
     * @param name the region's name (may be null)
     * @param size the size in bytes
     * @return the new owner-less region
     */
    public RamRegion ram(String name, long size) {
        return anonymous.ram(name, size);
    }

    /**
     * See {@link RegionFactory#rom}.
     *
     * @param name the region's name (may be null)
     * @param size the size in bytes
     * @return the new owner-less region
     */
    public RamRegion rom(String name, long size) {
        return anonymous.rom(name, size);
    }

    /**
     * See {@link RegionFactory#ramFromSegment}.
     *
     * @param name    the region's name (may be null)
     * @param segment the caller's memory, never freed by guestmem
     * @return the new owner-less region
     */
    public RamRegion ramFromSegment(String name, MemorySegment segment) {
        return anonymous.ramFromSegment(name, segment);
    }

    /**
     * See {@link RegionFactory#ramFromFile}.
     *
     * @param name   the region's name (may be null)
     * @param file   the file to map
     * @param size   the bytes to map
     * @param shared whether the guest's writes reach the file
     * @return the new owner-less region
     */
    public RamRegion ramFromFile(String name, Path file, long size, boolean shared) {
        return anonymous.ramFromFile(name, file, size, shared);
    }

    /**
     * See {@link RegionFactory#mmio}.
     *
     * @param name the region's name (may be null)
     * @param size the size, {@link MemoryRegion#SIZE_2_64} for 2<sup>64</sup>
     * @param ops  the device's callbacks and access rules
     * @return the new owner-less region
     */
    public MmioRegion mmio(String name, long size, MemoryRegionOps ops) {
        return anonymous.mmio(name, size, ops);
    }

    /**
     * See {@link RegionFactory#romDevice}.
     *
     * @param name the region's name (may be null)
     * @param size the size in bytes
     * @param ops  the device's callbacks for writes (and reads out of romd mode)
     * @return the new owner-less region
     */
    public RomDeviceRegion romDevice(String name, long size, MemoryRegionOps ops) {
        return anonymous.romDevice(name, size, ops);
    }

    /**
     * See {@link RegionFactory#alias}.
     *
     * @param name   the region's name (may be null)
     * @param target the region shown
     * @param offset the offset within the target of the alias's first byte
     * @param size   the window's size
     * @return the new owner-less region
     */
    public AliasRegion alias(String name, MemoryRegion target, long offset, long size) {
        return anonymous.alias(name, target, offset, size);
    }

    /**
     * See {@link RegionFactory#iommu}.
     *
     * @param name the region's name (may be null)
     * @param size the size, {@link MemoryRegion#SIZE_2_64} for 2<sup>64</sup>
     * @param ops  the IOMMU model
     * @return the new owner-less region
     */
    public IommuRegion iommu(String name, long size, IommuOps ops) {
        return anonymous.iommu(name, size, ops);
    }

    /**
     * See {@link RegionFactory#reservation}.
     *
     * @param name the region's name (may be null)
     * @param size the size, {@link MemoryRegion#SIZE_2_64} for 2<sup>64</sup>
     * @return the new owner-less region
     */
    public ReservationRegion reservation(String name, long size) {
        return anonymous.reservation(name, size);
    }

    // ------------------------------------------------------------------ address spaces

    /**
     * Creates an address space showing {@code root} (QEMU's {@code address_space_init}). Outside
     * a transaction its view is rendered (or shared) at once. Inside a transaction it shows the
     * empty view until the outermost commit, like every other change made in the transaction; if
     * that commit fails, the space is destroyed with the rest of the transaction's changes.
     *
     * @param name the space's name; null gives {@code "anonymous"}, as in QEMU
     * @param root the region the space shows
     * @return the new space
     * @throws IllegalArgumentException if {@code root} belongs to another system, or (outside a
     *                                  transaction, an {@link AliasLoopException}) its view cannot
     *                                  be rendered
     * @throws IllegalStateException    if {@code root} was destroyed or the system is closed
     */
    public AddressSpace addressSpace(String name, MemoryRegion root) {
        Objects.requireNonNull(root, "root");
        return lock.locked("the creation of address space '" + name + "'", () -> {
            lock.checkOpen();
            checkRoot(name, root);
            String spaceName = name == null ? "anonymous" : name;
            AddressSpace as = new AddressSpace(hub, viewContext, bounce, spaceName, root, views.firstView(spaceName, root));
            views.add(as);
            if (views.inTransaction()) {
                views.recordChange(() -> hub.destroy(as)); // a failed commit destroys the spaces made in it
            }
            return as;
        });
    }

    private void checkRoot(String name, MemoryRegion root) {
        if (root.context != regionContext) {
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
    }

    /** {@return the address spaces in creation order} */
    public List<AddressSpace> addressSpaces() {
        return lock.locked("addressSpaces()", () -> List.copyOf(views.spaces()));
    }

    // ------------------------------------------------------------------ transactions

    /**
     * Opens a transaction: takes the update lock (waiting for another writer if needed) and defers
     * rendering until the outermost transaction closes.
     *
     * @return the transaction, to close on this thread
     * @throws IllegalStateException if the system is closed
     */
    public MemoryTransaction begin() {
        views.begin();
        return new MemoryTransaction(views);
    }

    /** {@return whether the calling thread holds the update lock (is inside a mutator or transaction)} */
    public boolean holdsUpdateLock() {
        return lock.isHeldByCurrentThread();
    }

    /**
     * {@return how many outermost commits found a change pending and re-rendered (QEMU's
     * {@code memory_region_transaction_commit} with an update pending, which renders every address
     * space; guestmem renders only where the changes show, with the same result), even if the
     * system had no address space yet; creating an address space renders without counting}
     */
    public long commitCount() {
        return lock.locked("commitCount()", views::commits);
    }

    // ------------------------------------------------------------------ dirty logging

    /**
     * Turns on global dirty tracking for {@code reasons} (QEMU's
     * {@code memory_global_dirty_log_start}): when tracking goes from off to on, listeners get
     * {@code logGlobalStart} and every RAM-backed range starts logging for
     * {@link org.guestmem.dirty.DirtyLogClient#MIGRATION}.
     *
     * @param reasons why tracking is wanted (QEMU's {@code GLOBAL_DIRTY_*} flags)
     * @throws IllegalArgumentException if {@code reasons} is empty
     */
    public void startGlobalDirtyLog(Set<GlobalDirtyReason> reasons) {
        hub.startGlobalDirtyLog(reasons);
    }

    /**
     * Turns off global dirty tracking for {@code reasons} (QEMU's
     * {@code memory_global_dirty_log_stop}): when no reason is left, the views are re-rendered
     * without MIGRATION logging and then listeners get {@code logGlobalStop}. (QEMU postpones the
     * stop while the VM is stopped; guestmem has no VM run state and stops at once.)
     *
     * @param reasons the reasons that no longer hold
     * @throws IllegalArgumentException if {@code reasons} is empty
     */
    public void stopGlobalDirtyLog(Set<GlobalDirtyReason> reasons) {
        hub.stopGlobalDirtyLog(reasons);
    }

    /** {@return the reasons global dirty tracking is on for, as a new set (empty when it is off)} */
    public EnumSet<GlobalDirtyReason> globalDirtyLogReasons() {
        return lock.locked("globalDirtyLogReasons()", dirtyLog::reasons);
    }

    /**
     * Asks every listener to copy what it tracked into guestmem's bitmaps (QEMU's
     * {@code memory_global_dirty_log_sync}): {@code logSyncGlobal} once for listeners that sync
     * globally, else {@code logSync} for every range of its address space that logs.
     *
     * @throws org.guestmem.listener.MemoryListenerException if a listener threw (every other listener was called)
     */
    public void logSync() {
        hub.logSync();
    }

    /**
     * Tells every listener, forward, that a global sync completed (QEMU's
     * {@code memory_global_after_dirty_log_sync}, which migration calls after {@link #logSync}).
     *
     * @throws org.guestmem.listener.MemoryListenerException if a listener threw (every other listener was called)
     */
    public void afterLogSync() {
        hub.afterLogSync();
    }

    /**
     * Installs the handler told about writes to pages whose CODE dirty bit is clean (null removes
     * it). Meaningful only with {@link MemorySystemBuilder#codeDirtyTracking(boolean)}. Thread-safe (volatile).
     *
     * @param handler the handler, or null
     */
    public void setCodeWriteHandler(CodeWriteHandler handler) {
        dirtyLog.setCodeWriteHandler(handler);
    }

    // ------------------------------------------------------------------ DMA bounce buffer

    /** {@return whether the DMA bounce buffer is taken (a {@link DmaMapping.Bounce} is open)} */
    public boolean bounceBufferInUse() {
        return bounce.inUse();
    }

    /**
     * Asks to be told when {@link AddressSpace#map} may succeed again (QEMU's
     * {@code cpu_register_map_client}): {@code client} runs once, when the bounce buffer is freed,
     * on the thread that frees it ({@link AddressSpace#unmap}); if the buffer is free already it runs
     * at once on this thread. QEMU schedules a bottom half instead; guestmem has no main loop, so a
     * client that wants to run elsewhere hands the work over itself. Clients run newest first and
     * are forgotten once run. Thread-safe.
     *
     * @param client what to run
     */
    public void registerMapClient(Runnable client) {
        bounce.registerMapClient(client);
    }

    /**
     * Forgets {@code client} if it has not run yet (QEMU's {@code cpu_unregister_map_client}).
     *
     * @param client a client given to {@link #registerMapClient}
     */
    public void unregisterMapClient(Runnable client) {
        bounce.unregisterMapClient(client);
    }

    // ------------------------------------------------------------------ for tests and diagnostics

    NativeMemoryStats nativeMemoryStats() {
        return memory.stats();
    }

    /** {@return how many views commits kept, spliced and rendered in full} For tests. */
    long[] renderCounts() {
        return views.renderCounts();
    }

    ViewContext viewContext() {
        return viewContext;
    }

    /** {@return a space showing {@code initial} (which it takes over) that the system does not list} For stress fixtures. */
    AddressSpace unlistedSpace(String name, MemoryRegion root, FlatView initial) {
        return new AddressSpace(hub, viewContext, bounce, name, root, initial);
    }

    /** {@return the space-wide ioeventfd list of {@code as}, see {@link SpaceEventFds#sections}} */
    List<MemoryRegionSection> ioEventFdSections(AddressSpace as) {
        return lock.locked("ioEventFdSections", () -> views.eventFds().sections(as));
    }

    // ------------------------------------------------------------------ reclamation and closing

    /**
     * {@return what the system has reclaimed and what waits for reclamation, read now} Lock-free;
     * any thread.
     */
    public ReclamationStats reclamationStats() {
        return memory.reclamationStats();
    }

    /**
     * Waits until everything released before the call is reclaimed: a grace period has passed,
     * the views released before it are destroyed, and the memory of destroyed RAM blocks that no
     * view, retained view or DMA mapping holds any more is returned to the host (it is returned on
     * a thread of the system's own, so {@code rcu().drain()} alone does not wait for it). Blocks
     * still held by such a reference stay pending. Returns at once once the system is closed.
     *
     * @throws IllegalStateException if called inside a read section of {@link #rcu()} or from a
     *                               deferred callback (it would wait for itself)
     */
    public void awaitReclamation() {
        memory.awaitReclamation();
    }

    /**
     * Closes the system, the end of the machine: destroys its address spaces, releases every view,
     * runs everything the RCU domain has deferred, stops its threads, and then frees all native
     * memory the system still holds: the RAM blocks of regions that were never destroyed (memory
     * supplied by the caller excepted) and the table pool. Regions must not be used afterwards:
     * their mutators throw {@link IllegalStateException}, and so does any access to their RAM
     * segments (nothing reads freed memory). Closing waits for grace periods: an online
     * quiescent-state reader of the calling thread counts as quiescent and is left offline (see
     * {@link RcuDomain#close()}). Idempotent; a call after a close that failed half-way completes it.
     *
     * @throws IllegalStateException if called inside a transaction, inside a read section of
     *                               {@link #rcu()} or from a deferred callback (it would wait for
     *                               itself); nothing is closed then, and a later call from
     *                               elsewhere closes
     */
    @Override
    public void close() {
        try {
            rcu.drain(); // refuses, before anything changes, where waiting would wait for itself
        } catch (IllegalStateException e) {
            throw new IllegalStateException("cannot close memory system '" + name + "': " + e.getMessage(), e);
        }
        try {
            hub.closeSpaces(name); // a listener that throws does not stop the rest of the closing
        } finally {
            if (lock.isClosed()) {
                rcu.close();
                memory.close();
            }
        }
    }

    @Override
    public String toString() {
        return "MemorySystem['" + name + "']";
    }
}
