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
    private final String name;
    private final ByteOrder targetByteOrder;
    private final int pageBits;
    private final boolean lenientAliasWindows;
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
    private final ArrayList<AddressSpace> addressSpaces = new ArrayList<>();
    /** Views of the last commit by flatview root (identity; null key = empty view); holds one reference each. */
    private IdentityHashMap<MemoryRegion, FlatView> flatViews = new IdentityHashMap<>();
    private boolean closed;
    private long commits;

    private MemorySystem(Builder b) {
        this.name = b.name;
        this.targetByteOrder = b.targetByteOrder;
        this.pageBits = b.pageBits;
        this.lenientAliasWindows = b.lenientAliasWindows;
        this.rcu = new RcuDomain(b.name);
        this.unassigned = new MmioDispatcher(MemoryRegionOps.UNASSIGNED, targetByteOrder);
        this.emptyView = new FlatView(this, new FlatRange[0], null, new RamBlock[0]);
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
            AddressSpace as;
            if (transactionDepth > 0) {
                emptyView.tryRetain();
                as = new AddressSpace(this, name == null ? "anonymous" : name, root, emptyView);
                updatePending = true;
            } else {
                MemoryRegion physmr = FlatViewRenderer.flatviewRoot(root);
                FlatView v = flatViews.get(physmr);
                if (v == null) {
                    v = physmr == null ? retainedEmptyView() : FlatViewRenderer.render(this, physmr);
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
            addressSpaces.add(as);
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
        updateLock.lock();
        try {
            if (as.destroyed) {
                return;
            }
            as.destroyed = true;
            addressSpaces.remove(as);
            for (MemoryRegion r = as.root(); r != null; r = r instanceof AliasRegion a ? a.target() : null) {
                r.addressSpaceRoots--;
            }
            as.publish(emptyView);
        } finally {
            updateLock.unlock();
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
            if (--transactionDepth == 0 && updatePending && !closed) {
                renderAndPublish();
                updatePending = false;
            }
        } finally {
            updateLock.unlock();
        }
    }

    void markUpdatePending() {
        updatePending = true;
    }

    /** QEMU's {@code flatviews_reset} plus {@code address_space_set_flatview} for every space. */
    private void renderAndPublish() {
        IdentityHashMap<MemoryRegion, FlatView> fresh = new IdentityHashMap<>();
        FlatView[] chosen = new FlatView[addressSpaces.size()];
        for (int i = 0; i < chosen.length; i++) {
            MemoryRegion physmr = FlatViewRenderer.flatviewRoot(addressSpaces.get(i).root());
            FlatView v = fresh.get(physmr);
            if (v == null) {
                v = physmr == null ? retainedEmptyView() : FlatViewRenderer.render(this, physmr);
                fresh.put(physmr, v);
            }
            chosen[i] = v;
        }
        for (int i = 0; i < chosen.length; i++) {
            addressSpaces.get(i).publish(chosen[i]);
        }
        IdentityHashMap<MemoryRegion, FlatView> old = flatViews;
        flatViews = fresh;
        for (FlatView v : old.values()) {
            v.release();
        }
        commits++;
    }

    private FlatView retainedEmptyView() {
        emptyView.tryRetain();
        return emptyView;
    }

    /**
     * Called after every direct RAM write of the access path (QEMU's
     * {@code invalidate_and_set_dirty}): {@code len} bytes at {@code offset} of section {@code s}'s
     * RAM block changed.
     */
    void ramWritten(FlatView view, int s, long offset, long len) {
    }

    /** The dirty-log clients rendering records for {@code mr} (QEMU's effective log mask). */
    int effectiveLogMask(MemoryRegion mr) {
        return 0;
    }

    NativeMemoryStats nativeMemoryStats() {
        return nativeStats;
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

        private Builder() {
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
