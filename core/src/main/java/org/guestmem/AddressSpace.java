package org.guestmem;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Objects;
import org.guestmem.internal.IoStatus;
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
 */
public final class AddressSpace implements GuestMemory {
    private static final VarHandle PUBLICATION;

    static {
        try {
            PUBLICATION = MethodHandles.lookup().findVarHandle(AddressSpace.class, "publication", ViewPublication.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final MemorySystem system;
    private final String name;
    private final MemoryRegion root;
    /**
     * Written only by the update-lock holder (release store in {@link #publish}), read by anyone
     * (acquire load). The space holds one reference on the publication's view.
     */
    @SuppressWarnings("unused") // accessed through PUBLICATION
    private volatile ViewPublication publication;
    // guarded by the update lock
    boolean destroyed;

    AddressSpace(MemorySystem system, String name, MemoryRegion root, FlatView initial) {
        this.system = system;
        this.name = name;
        this.root = root;
        PUBLICATION.setRelease(this, ViewPublication.first(initial));
    }

    /** {@return the name ({@code "anonymous"} when created without one, as in QEMU)} */
    public String name() {
        return name;
    }

    /** {@return the root region} */
    public MemoryRegion root() {
        return root;
    }

    /** {@return the memory system this space belongs to} */
    public MemorySystem system() {
        return system;
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
        while (true) {
            FlatView v = currentView();
            if (v.tryRetain()) {
                return new RetainedView(v);
            }
            Thread.onSpinWait();
        }
    }

    /**
     * {@return a new accessor for the thread that owns {@code reader}: the fast path to this
     * space's memory, with a translation cache of 16384 entries}
     *
     * @throws IllegalArgumentException if {@code reader} belongs to another memory system's RCU domain
     */
    public AddressSpaceAccessor accessor(RcuReader reader) {
        return accessor(reader, AddressSpaceAccessor.DEFAULT_CACHE_ENTRIES);
    }

    /**
     * {@return a new accessor with a translation cache of {@code cacheEntries} entries (a power of
     * two from 16 to 2^20)}
     *
     * @throws IllegalArgumentException if {@code reader} belongs to another domain or the size is invalid
     */
    public AddressSpaceAccessor accessor(RcuReader reader, int cacheEntries) {
        Objects.requireNonNull(reader, "reader");
        if (reader.domain() != system.rcu()) {
            throw new IllegalArgumentException("the reader of thread '" + reader.thread().getName()
                    + "' is registered with another memory system's RCU domain");
        }
        return new AddressSpaceAccessor(this, reader, cacheEntries);
    }

    /**
     * Registers {@code listener} on this space with {@code priority} (QEMU's
     * {@code memory_listener_register}) and replays the current view to it: {@code begin},
     * {@code logGlobalStart} if global dirty tracking is on, {@code regionAdd} (and
     * {@code logStart} for ranges that log) for every range, {@code commit}. See
     * {@link MemoryListener} for the calling conventions.
     *
     * @throws IllegalArgumentException if the listener is already registered (on any space)
     * @throws MemoryListenerException  if a replay callback threw (the listener stays registered)
     */
    public void registerListener(MemoryListener listener, int priority) {
        system.registerListener(this, listener, priority);
    }

    /**
     * Unregisters {@code listener} (QEMU's {@code memory_listener_unregister}): it gets
     * {@code begin}, {@code logStop} and {@code regionDel} for every range of the current view,
     * {@code commit}, and no callback after that. Does nothing if it is not registered.
     */
    public void unregisterListener(MemoryListener listener) {
        system.unregisterListener(listener);
    }

    /** {@return the listeners registered on this space, in ascending priority} */
    public java.util.List<MemoryListener> listeners() {
        return system.listenersOf(this);
    }

    /**
     * Destroys the space, QEMU's {@code address_space_destroy}: its listeners are unregistered
     * (they get the deletions), it stops showing anything (its view becomes the empty view) and it
     * no longer keeps its root from being destroyed.
     */
    public void destroy() {
        system.destroyAddressSpace(this);
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
        PUBLICATION.setRelease(this, old.next(next));
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
            return MemTxResult.ofBits(AccessPath.write(rv.view, addr, attrs, src, new IoStatus()));
        }
    }

    @Override
    public long load(long addr, int size, ByteOrder order, MemTxAttrs attrs, MemTxResult[] result) {
        AccessPath.checkSize(size);
        Objects.requireNonNull(attrs, "attrs");
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
        IoStatus st = new IoStatus();
        try (RetainedView rv = retainView()) {
            AccessPath.store(rv.view, addr, size, value, order == ByteOrder.BIG_ENDIAN, attrs, st);
            return MemTxResult.ofBits(st.bits);
        }
    }

    @Override
    public Translation translate(long addr, long length, boolean isWrite, MemTxAttrs attrs) {
        try (RetainedView rv = retainView()) {
            return AccessPath.translate(rv.view, addr, length);
        }
    }

    /**
     * Loader write, QEMU's {@code address_space_write_rom}: copies {@code src} into the memory
     * behind RAM, ROM and romd-mode ROM-device ranges (so firmware can be loaded into ROM) and
     * skips everything else, in QEMU's {@code memory_access_size} pieces.
     */
    public void writeRom(long addr, MemorySegment src) {
        try (RetainedView rv = retainView()) {
            AccessPath.writeRom(rv.view, addr, src);
        }
    }

    /** Loader write of {@code bytes}; see {@link #writeRom(long, MemorySegment)}. */
    public void writeRom(long addr, byte[] bytes) {
        writeRom(addr, MemorySegment.ofArray(bytes));
    }

    /**
     * QEMU's {@code address_space_update_ioeventfds}, under the update lock: recomputes the space's
     * ioeventfd list from its current view and tells listeners what changed.
     */
    void updateIoEventFds(ListenerRegistry listeners) {
    }

    @Override
    public String toString() {
        return "AddressSpace['" + name + "' root '" + root.name() + "']";
    }

    /** A counted reference to a {@link FlatView}; closing it drops the reference (idempotent). */
    public static final class RetainedView implements AutoCloseable {
        private final FlatView view;
        private boolean closed;

        RetainedView(FlatView view) {
            this.view = view;
        }

        /**
         * {@return the view}
         *
         * @throws IllegalStateException if the reference was closed
         */
        public synchronized FlatView view() {
            if (closed) {
                throw new IllegalStateException("the retained view was closed");
            }
            return view;
        }

        /** Drops the reference; later calls do nothing. */
        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                view.release();
            }
        }
    }
}
