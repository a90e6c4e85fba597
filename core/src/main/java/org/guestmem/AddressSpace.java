package org.guestmem;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Objects;
import org.guestmem.internal.Hex;
import org.guestmem.internal.IoStatus;
import org.guestmem.internal.RamBlock;
import org.guestmem.internal.SharedSecrets;
import org.guestmem.iommu.IommuTlbEntry;
import org.guestmem.layout.PublicationLayout;
import org.guestmem.listener.MemoryListener;
import org.guestmem.rcu.RcuDomain;
import org.guestmem.rcu.RcuReader;

/**
 * A view of a region tree from one initiator (a CPU, a DMA-capable device), QEMU's
 * {@code AddressSpace}: a root region and the {@link FlatView} currently rendered from it.
 *
 * <h2 id="publication">Publication</h2>
 * The writer publishes a new view with a release store at the end of a commit; readers load it
 * with an acquire load ({@link #currentView()}), so everything the writer built into the view
 * (ranges, native tables, Java arrays) is visible to a reader that sees it. Views are immutable.
 *
 * <h2 id="access">Accessing guest memory</h2>
 * The {@link GuestMemory} methods of this class work from any thread, registered with the RCU
 * domain or not: each call takes a counted reference to the current view for its duration
 * (QEMU's {@code address_space_get_flatview}). That is the documented slower path for threads
 * that never registered. CPU threads use {@link #accessor(RcuReader)} instead: RCU read
 * sections, no reference counts, and a translation cache of their own.
 *
 * <h2 id="readers">Using the current view directly</h2>
 * <ul>
 * <li>Inside an RCU read section of the system's domain, the view returned by
 * {@link #currentView()} stays fully usable (native tables included) until the section ends.</li>
 * <li>Outside a read section, {@link #retainView()} returns a counted reference, usable until it
 * is closed, from any thread.</li>
 * <li>A view's ranges, {@link FlatView#lookup} and {@link FlatView#rootName()} are plain Java
 * data and safe to read from any thread at any time.</li>
 * </ul>
 *
 * <h2 id="generation">Generation</h2>
 * {@link #generation()} changes with every publication (acquire load, any thread): a JIT compares
 * it with what its TLB last revalidated to. Native code reads the same number, with the current
 * view's tables, from {@link #nativePublication()}.
 */
public final class AddressSpace implements GuestMemory {
    private static final VarHandle PUBLICATION;

    static {
        try {
            PUBLICATION = MethodHandles.lookup().findVarHandle(AddressSpace.class, "publication", ViewPublication.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
        SharedSecrets.setCoreAccess(new CoreAccessImpl());
    }

    private final SpaceHost host;
    /** The system's view context: page size and dirty log for DMA, and the system's identity. */
    final ViewContext views;
    private final BounceBuffer bounce;
    private final String name;
    private final String rootName;
    /** The root region until the space is destroyed, then null: a destroyed space keeps its root's name only. */
    private volatile MemoryRegion root;
    /**
     * Written only by the update-lock holder (release store in {@link #publish}), read by anyone
     * (acquire load). The space holds one reference on the publication's view.
     */
    @SuppressWarnings("unused") // accessed through PUBLICATION
    private volatile ViewPublication publication;
    /**
     * {@link PublicationLayout}: the generation and native tables of the current view, for native
     * code. Written by the writer at each publication (release stores: tables, then generation).
     * In an automatic arena, so it lives as long as this object.
     */
    private final MemorySegment publicationCell = Arena.ofAuto().allocate(PublicationLayout.BYTES, PublicationLayout.BYTES);
    // guarded by the update lock
    boolean destroyed;
    AddressSpace(SpaceHost host, ViewContext views, BounceBuffer bounce, String name, MemoryRegion root, FlatView initial) {
        this.host = host;
        this.views = views;
        this.bounce = bounce;
        this.name = name;
        this.rootName = root.name();
        this.root = root;
        ViewPublication first = ViewPublication.first(initial);
        publishCell(first);
        PUBLICATION.setRelease(this, first);
    }

    /** Writes {@code p} to the native publication cell: tables, then generation, both release stores. */
    private void publishCell(ViewPublication p) {
        PublicationLayout.TABLES.setRelease(publicationCell, 0L, p.view.nativeTables().address());
        PublicationLayout.GENERATION.setRelease(publicationCell, 0L, p.generation);
    }

    /**
     * {@return the number of the current publication: 1 for the first view, one more for every
     * view published since (acquire load, any thread)} Two calls that return the same number saw
     * the same view.
     */
    public long generation() {
        return publication().generation;
    }

    /**
     * {@return the space's publication cell in native memory ({@code PublicationLayout}): the
     * current generation and the address of the current view's native tables, for native code that
     * follows commits itself} Read-only; valid as long as this object is reachable. The tables may
     * only be used inside an RCU read section of the system's domain.
     */
    public MemorySegment nativePublication() {
        return publicationCell.asReadOnly();
    }

    /** {@return the RCU domain of the space's system} */
    RcuDomain rcu() {
        return host.rcu();
    }

    /** {@return the name ({@code "anonymous"} when created without one, as in QEMU)} */
    public String name() {
        return name;
    }

    /**
     * {@return the root region}
     *
     * @throws IllegalStateException if the space was destroyed: it no longer keeps its root (nor
     *                               keeps it reachable); {@link #toString()} still names it
     */
    public MemoryRegion root() {
        MemoryRegion r = root;
        if (r == null) {
            throw new IllegalStateException("address space '" + name + "' was destroyed; its root was '" + rootName + "'");
        }
        return r;
    }

    /** Writer side, at the end of {@link #destroy()}: forgets the root region. */
    void dropRoot() {
        root = null;
    }

    /** {@return whether {@link #destroy()} was called} */
    public boolean isDestroyed() {
        return destroyed;
    }

    /**
     * {@return the published view (acquire load)} See the class documentation for how long it may
     * be used.
     */
    public FlatView currentView() {
        return publication().view;
    }

    /** The current publication (acquire load); the accessor's fast path compares it by identity. */
    ViewPublication publication() {
        return (ViewPublication) PUBLICATION.getAcquire(this);
    }

    /**
     * {@return a counted reference to the current view, QEMU's {@code address_space_get_flatview}}
     * Lock-free: loads the view and takes a reference unless its count already dropped to zero, in
     * which case a newer view has been published and the loop retries.
     */
    public RetainedView retainView() {
        return new RetainedView(retainPublication().view);
    }

    /** {@return the current view with one more reference (the caller releases it)} Lock-free, as {@link #retainView()}. */
    FlatView retainCurrentView() {
        return retainPublication().view;
    }

    /**
     * {@return the current publication, with one more reference on its view (the caller releases
     * it)} Loads the publication and retries if its view's count already dropped to zero: a newer
     * one has been published meanwhile.
     */
    ViewPublication retainPublication() {
        while (true) {
            ViewPublication p = publication();
            if (p.view.tryRetain()) {
                return p;
            }
            Thread.onSpinWait();
        }
    }

    /**
     * {@return a new accessor for the thread that owns {@code reader}: the fast path to this
     * space's memory, with a translation cache of 65536 entries}
     * That covers 256 MiB of 4 KiB pages and takes about 2.5 MiB of heap per accessor (four longs
     * and two references per entry); a guest touching less memory can use
     * {@link #accessor(RcuReader, int)} with fewer entries, and one touching more at random pays a
     * table search and a refill per miss.
     *
     * @param reader the calling thread's reader
     * @throws IllegalArgumentException if {@code reader} belongs to another memory system's RCU domain
     */
    public AddressSpaceAccessor accessor(RcuReader reader) {
        return accessor(reader, AddressSpaceAccessor.DEFAULT_CACHE_ENTRIES);
    }

    /**
     * {@return a new accessor with a translation cache of {@code cacheEntries} entries (a power of
     * two from 16 to 2^20)}
     *
     * @param reader the calling thread's reader
     * @param cacheEntries the number of cache entries
     * @throws IllegalArgumentException if {@code reader} belongs to another domain or the size is invalid
     */
    public AddressSpaceAccessor accessor(RcuReader reader, int cacheEntries) {
        Objects.requireNonNull(reader, "reader");
        if (reader.domain() != host.rcu()) {
            throw new IllegalArgumentException("the reader of thread '" + reader.thread().getName()
                    + "' is registered with another memory system's RCU domain");
        }
        return AddressSpaceAccessor.create(this, reader, cacheEntries);
    }

    /**
     * Registers {@code listener} on this space with {@code priority} (QEMU's
     * {@code memory_listener_register}) and replays the current view to it: {@code begin},
     * {@code logGlobalStart} if global dirty tracking is on, {@code regionAdd} (and
     * {@code logStart} for ranges that log) for every range, {@code commit}. See
     * {@link MemoryListener} for the calling conventions.
     *
     * @param listener the listener
     * @param priority the priority among the siblings (ascending for listeners)
     * @throws IllegalArgumentException if the listener is already registered (on any space)
     * @throws org.guestmem.listener.MemoryListenerException  if a replay callback threw (the listener stays registered)
     */
    public void registerListener(MemoryListener listener, int priority) {
        host.registerListener(this, listener, priority);
    }

    /**
     * Unregisters {@code listener} (QEMU's {@code memory_listener_unregister}): it gets
     * {@code begin}, {@code logStop} and {@code regionDel} for every range of the current view,
     * {@code commit}, and no callback after that. Does nothing if it is not registered.
     *
     * @param listener the listener
     */
    public void unregisterListener(MemoryListener listener) {
        host.unregisterListener(listener);
    }

    /** {@return the listeners registered on this space, in ascending priority} */
    public List<MemoryListener> listeners() {
        return host.listenersOf(this);
    }

    /**
     * Destroys the space, QEMU's {@code address_space_destroy}: its listeners are unregistered
     * (they get the deletions), it stops showing anything (its view becomes the empty view) and it
     * no longer keeps its root from being destroyed, nor reachable: it keeps the root's name for
     * {@link #toString()} only, and {@link #root()} throws from now on. Idempotent.
     */
    public void destroy() {
        host.destroy(this);
    }

    /** Writer side: publishes {@code next} (release store) and drops the space's reference on the old view. */
    void publish(FlatView next) {
        ViewPublication old = publication();
        if (old.view == next) {
            return;
        }
        if (!next.tryRetain()) {
            throw new IllegalStateException("publishing a released FlatView");
        }
        ViewPublication p = old.next(next);
        publishCell(p);
        PUBLICATION.setRelease(this, p);
        old.view.release();
    }

    // ------------------------------------------------------------------ GuestMemory (counted-reference path)

    @Override
    public MemTxResult read(long addr, MemTxAttrs attrs, MemorySegment dst) {
        Objects.requireNonNull(attrs, "attrs");
        try (RetainedView rv = retainView()) {
            return MemTxResult.ofBits(AccessPath.read(rv.view, addr, attrs, dst, new IoStatus()));
        }
    }

    @Override
    public MemTxResult write(long addr, MemTxAttrs attrs, MemorySegment src) {
        Objects.requireNonNull(attrs, "attrs");
        try (RetainedView rv = retainView()) {
            return MemTxResult.ofBits(AccessPath.write(this, rv.view, addr, attrs, src, new IoStatus()));
        }
    }

    @Override
    public long load(long addr, int size, ByteOrder order, MemTxAttrs attrs, MemTxResult[] result) {
        AccessPath.checkSize(size);
        Objects.requireNonNull(attrs, "attrs");
        Objects.requireNonNull(order, "order");
        IoStatus st = new IoStatus();
        try (RetainedView rv = retainView()) {
            long v = AccessPath.load(rv.view, addr, size, order == ByteOrder.BIG_ENDIAN, attrs, st);
            if (result != null) {
                result[0] = MemTxResult.ofBits(st.bits);
            }
            return v;
        }
    }

    @Override
    public MemTxResult store(long addr, int size, long value, ByteOrder order, MemTxAttrs attrs) {
        AccessPath.checkSize(size);
        Objects.requireNonNull(attrs, "attrs");
        Objects.requireNonNull(order, "order");
        IoStatus st = new IoStatus();
        try (RetainedView rv = retainView()) {
            AccessPath.store(this, rv.view, addr, size, value, order == ByteOrder.BIG_ENDIAN, attrs, st);
            return MemTxResult.ofBits(st.bits);
        }
    }

    @Override
    public Translation translate(long addr, long length, boolean isWrite, MemTxAttrs attrs) {
        Objects.requireNonNull(attrs, "attrs");
        try (RetainedView rv = retainView()) {
            return AccessPath.translate(rv.view, addr, length, isWrite, attrs);
        }
    }

    /**
     * {@return the IOTLB entry for DMA at {@code addr}, QEMU's {@code address_space_get_iotlb_entry}}
     * The address is followed through IOMMUs to the region at the address (where QEMU stops at the
     * subpage container of a page shared by several regions; see docs/memory-model.md); the entry
     * names the final address space, covers the page given by the AND of the IOMMU page masks (the
     * target page when no IOMMU is involved) and has permission {@link org.guestmem.iommu.IommuPerm#RW}. A hole, or an
     * IOMMU that denies the access, gives {@link IommuTlbEntry#INVALID}.
     *
     * @param addr the guest address
     * @param isWrite whether the device writes guest memory
     * @param attrs the transaction attributes
     */
    public IommuTlbEntry iotlbEntry(long addr, boolean isWrite, MemTxAttrs attrs) {
        Objects.requireNonNull(attrs, "attrs");
        try (RetainedView rv = retainView()) {
            return AccessPath.iotlbEntry(this, rv.view, addr, isWrite, attrs);
        }
    }

    // ------------------------------------------------------------------ DMA

    /**
     * Maps {@code [addr, addr + length)} for bulk DMA, QEMU 7.2's {@code address_space_map}. The
     * address is translated (through IOMMUs, with {@code isWrite} choosing the permission) in the
     * current view:
     * <ul>
     * <li>if the access can be direct (RAM; for reads also ROM and ROM devices in romd mode), the
     * result is a slice of the RAM block, extended over following translations that stay in the
     * same region at contiguous offsets ({@code flatview_extend_translation}) and cut at the end of
     * the block;</li>
     * <li>otherwise the result is the system's single bounce buffer, at most one target page long,
     * filled from the guest (a read with unspecified attributes, results ignored as in QEMU) when
     * mapping for reading; if the bounce buffer is already taken, the answer is null (QEMU's NULL
     * with {@code *plen = 0}): {@link MemorySystem#registerMapClient} tells when to retry.</li>
     * </ul>
     * Thread-safe (the bounce buffer is taken with a compare-and-set).
     *
     * @param addr the guest address
     * @param length the length to map, unsigned
     * @param isWrite whether the device writes guest memory
     * @param attrs the transaction attributes
     * @return the mapping, or null if {@code length} is 0 or the bounce buffer is busy
     */
    public DmaMapping map(long addr, long length, boolean isWrite, MemTxAttrs attrs) {
        Objects.requireNonNull(attrs, "attrs");
        if (length == 0) {
            return null;
        }
        try (RetainedView rv = retainView()) {
            FlatView v = rv.view;
            IommuWalk w = AccessPath.resolve(v, addr, length, isWrite, attrs);
            try {
                int kind = w.kind();
                boolean direct = isWrite ? AccessPath.directWrite(kind) : AccessPath.directRead(kind);
                if (!direct) {
                    return mapBounce(v, addr, w.len, isWrite);
                }
                MemoryRegion mr = w.region();
                RamBlock block = w.view.sectionBlock[w.section];
                long base = w.xlat;
                long done = w.len;
                while (Long.compareUnsigned(done, length) < 0) { // flatview_extend_translation
                    IommuWalk next = AccessPath.resolve(v, addr + done, length - done, isWrite, attrs);
                    try {
                        if (next.region() != mr || next.xlat != base + done) {
                            break;
                        }
                        done += next.len;
                    } finally {
                        next.release();
                    }
                }
                long inBlock = block.size() - base; // qemu_ram_ptr_length clamps at the block's end
                if (Long.compareUnsigned(done, inBlock) > 0) {
                    done = inBlock;
                }
                if (!block.retain()) {
                    throw new IllegalStateException("RAM block '" + block.name() + "' was freed while mapped by a view");
                }
                return new DmaMapping.Direct(this, addr, done, isWrite, block.checkedSegment().asSlice(base, done), mr, block, base,
                        views.dirtyLog);
            } finally {
                w.release();
            }
        }
    }

    /**
     * {@return a cache over {@code [addr, addr + len)} for repeated device accesses, QEMU's
     * {@code address_space_cache_init}} See {@link MemoryRegionCache} for how it follows commits.
     * Its {@link MemoryRegionCache#length()} may be shorter than {@code len}.
     *
     * @param addr the guest address
     * @param len the length of the cached range
     * @param isWrite whether the device writes guest memory
     * @throws IllegalArgumentException if {@code len} is not positive
     */
    public MemoryRegionCache cache(long addr, long len, boolean isWrite) {
        return MemoryRegionCache.create(this, addr, len, isWrite);
    }

    private DmaMapping mapBounce(FlatView v, long addr, long l, boolean isWrite) {
        if (!bounce.acquire()) {
            return null;
        }
        long page = 1L << views.pageBits;
        if (Long.compareUnsigned(l, page) > 0) {
            l = page;
        }
        Arena arena = Arena.ofShared();
        try {
            MemorySegment buf = arena.allocate(l, page);
            if (!isWrite) {
                AccessPath.read(v, addr, MemTxAttrs.UNSPECIFIED, buf, new IoStatus());
            }
            return new DmaMapping.Bounce(this, addr, l, isWrite, buf, arena, bounce);
        } catch (RuntimeException | Error e) {
            arena.close();
            bounce.release();
            throw e;
        }
    }

    /**
     * Ends a mapping, QEMU's {@code address_space_unmap}; {@code accessLength} is how many bytes
     * from the start the device actually read or wrote. For a write mapping, a direct one marks
     * those bytes dirty (with the region's dirty-log clients as of now, the CODE handler included),
     * and the bounce buffer writes them back to the guest with {@link #write} (unspecified
     * attributes, result ignored as in QEMU). Then the RAM block reference is dropped, or the bounce
     * buffer is freed and the {@linkplain MemorySystem#registerMapClient map clients} run on this
     * thread.
     *
     * @param m a mapping of this space
     * @param accessLength how many bytes from the start the device read or wrote
     * @throws IllegalArgumentException if the mapping belongs to another address space or
     *                                  {@code accessLength} exceeds its length
     * @throws IllegalStateException    if it was already unmapped
     */
    public void unmap(DmaMapping m, long accessLength) {
        Objects.requireNonNull(m, "m");
        if (m.space != this) {
            throw new IllegalArgumentException(m + " belongs to address space '" + m.space.name() + "', not '" + name + "'");
        }
        if (Long.compareUnsigned(accessLength, m.length()) > 0) {
            throw new IllegalArgumentException("access length " + Hex.of(accessLength) + " exceeds " + m);
        }
        m.unmap(accessLength);
    }

    /**
     * Loader write, QEMU's {@code address_space_write_rom}: copies {@code src} into the memory
     * behind RAM, ROM and romd-mode ROM-device ranges (so firmware can be loaded into ROM) and
     * skips everything else, in QEMU's {@code memory_access_size} pieces.
     *
     * @param addr the guest address
     * @param src the bytes to load
     */
    public void writeRom(long addr, MemorySegment src) {
        try (RetainedView rv = retainView()) {
            AccessPath.writeRom(this, rv.view, addr, src);
        }
    }

    /**
     * Loader write of {@code bytes}; see {@link #writeRom(long, MemorySegment)}.
     *
     * @param addr the guest address
     * @param bytes the bytes to load
     */
    public void writeRom(long addr, byte[] bytes) {
        writeRom(addr, MemorySegment.ofArray(bytes));
    }

    @Override
    public String toString() {
        return "AddressSpace['" + name + "' root '" + rootName + "'" + (root == null ? ", destroyed" : "") + "]";
    }

    /**
     * A counted reference to a {@link FlatView}; closing it drops the reference (idempotent) and
     * the handle's pointer to the view, so a closed handle keeps nothing reachable.
     */
    public static final class RetainedView implements AutoCloseable {
        /** The view until closed, then null. */
        private FlatView view;

        RetainedView(FlatView view) {
            this.view = view;
        }

        /**
         * {@return the view}
         *
         * @throws IllegalStateException if the reference was closed
         */
        public synchronized FlatView view() {
            if (view == null) {
                throw new IllegalStateException("the retained view was closed");
            }
            return view;
        }

        /** Drops the reference; later calls do nothing. */
        @Override
        public synchronized void close() {
            FlatView v = view;
            if (v != null) {
                view = null;
                v.release();
            }
        }
    }
}
