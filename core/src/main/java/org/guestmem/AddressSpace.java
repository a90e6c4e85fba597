package org.guestmem;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A view of a region tree from one initiator (a CPU, a DMA-capable device), QEMU's
 * {@code AddressSpace}: a root region and the {@link FlatView} currently rendered from it.
 *
 * <h2 id="publication">Publication</h2>
 * The writer publishes a new view with a release store at the end of a commit; readers load it
 * with an acquire load ({@link #currentView()}), so everything the writer built into the view is
 * visible to a reader that sees it. Views are immutable.
 *
 * <h2 id="readers">Using the current view</h2>
 * <ul>
 * <li>Inside an RCU read section of the system's domain, the view returned by
 * {@link #currentView()} stays fully usable (native tables included) until the section ends,
 * without any reference count.</li>
 * <li>Outside a read section, {@link #retainView()} returns a counted reference (QEMU's
 * {@code address_space_get_flatview}): usable until it is closed, from any thread, registered or
 * not. This is the slower path for threads that never registered.</li>
 * <li>{@link #currentView()}'s ranges and {@link FlatView#lookup} are plain Java data and safe
 * to read from any thread at any time.</li>
 * </ul>
 */
public final class AddressSpace {
    private static final VarHandle VIEW;

    static {
        try {
            VIEW = MethodHandles.lookup().findVarHandle(AddressSpace.class, "view", FlatView.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final MemorySystem system;
    private final String name;
    private final MemoryRegion root;
    /** Written by the writer (release), read by anyone (acquire). The space holds one reference on it. */
    @SuppressWarnings("unused") // accessed through VIEW
    private volatile FlatView view;
    // guarded by the update lock
    boolean destroyed;

    AddressSpace(MemorySystem system, String name, MemoryRegion root, FlatView initial) {
        this.system = system;
        this.name = name;
        this.root = root;
        VIEW.setRelease(this, initial);
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
        return (FlatView) VIEW.getAcquire(this);
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
     * Destroys the space, QEMU's {@code address_space_destroy}: it stops showing anything (its
     * view becomes the empty view) and no longer keeps its root from being destroyed.
     */
    public void destroy() {
        system.destroyAddressSpace(this);
    }

    /** Writer side: publishes {@code next} (release store) and drops the space's reference on the old view. */
    void publish(FlatView next) {
        FlatView old = currentView();
        if (old == next) {
            return;
        }
        if (!next.tryRetain()) {
            throw new IllegalStateException("publishing a released FlatView");
        }
        VIEW.setRelease(this, next);
        old.release();
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
        public FlatView view() {
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
