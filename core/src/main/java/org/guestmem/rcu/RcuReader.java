package org.guestmem.rcu;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import org.guestmem.layout.RcuReaderSlotLayout;

/**
 * One thread's registration with an {@link RcuDomain}. Confined to the thread that registered:
 * every method except {@link #isOnline()}, {@link #depth()} and {@link #inReadSection()} throws
 * {@link WrongThreadException} on another thread.
 *
 * <p>In explicit mode, {@link #enter()} and {@link #exit()} bracket a read section and nest; only
 * the outermost pair touches the shared slot. In quiescent-state mode the reader is online from
 * registration: every point between {@link #online()} and {@link #offline()} is inside a read
 * section, and {@link #quiescentState()} declares that the thread holds no RCU-protected
 * reference at that point. {@code enter}/{@code exit} are allowed in both modes (they only count
 * nesting in quiescent-state mode), so code written for explicit sections runs unchanged.
 *
 * <p>Inside a read section the thread must not block for long (a writer's grace period waits for
 * it) and must not call {@link RcuDomain#synchronize()} or {@link RcuDomain#drain()}.
 *
 * <p>{@link StretchListener}s ({@link #addStretchListener}) hear, on this thread, where protected
 * stretches begin and end (the points where {@link #sectionEpoch()} changes, minus the nested
 * ones): a per-thread cache of RCU-protected data, such as the softmmu TLB of
 * {@code org.guestmem.tlb}, revalidates there instead of checking on every access.
 *
 * <p>{@link #nativeSlot()} is the reader's slot in native memory ({@code RcuReaderSlotLayout}), for
 * native code of this thread that reports quiescent states itself.
 */
public final class RcuReader implements AutoCloseable {
    private static final VarHandle CTR = RcuReaderSlotLayout.CTR;

    private final RcuDomain domain;
    final MemorySegment slot;
    private final Thread thread;
    private final boolean quiescentMode;
    private final ReadSection section = new ReadSection(this);
    private static final StretchListener[] NO_LISTENERS = new StretchListener[0];
    // confined to `thread`
    private StretchListener[] stretchListeners = NO_LISTENERS;
    private int depth;
    /** Changes at every point where this thread may stop being protected; see {@link #sectionEpoch()}. */
    private long epoch;
    private boolean online;
    private boolean closed;

    RcuReader(RcuDomain domain, MemorySegment slot, Thread thread, boolean quiescentMode) {
        this.domain = domain;
        this.slot = slot;
        this.thread = thread;
        this.quiescentMode = quiescentMode;
    }

    /** {@return the domain this reader belongs to} */
    public RcuDomain domain() {
        return domain;
    }

    /** {@return whether this reader runs in quiescent-state mode} */
    public boolean quiescentMode() {
        return quiescentMode;
    }

    /** {@return the thread that owns this reader} */
    public Thread thread() {
        return thread;
    }

    /** {@return the read-section nesting depth (explicit sections only)} */
    public int depth() {
        return depth;
    }

    /** {@return whether a quiescent-state reader is online} */
    public boolean isOnline() {
        return online;
    }

    /**
     * {@return a number that stays the same exactly as long as the thread stays in one protected
     * stretch: it changes when an outermost read section is entered or left, at every quiescent
     * state and when a quiescent-state reader goes online or offline} A reference to RCU-protected
     * data loaded while {@link #inReadSection()} may be used without re-checking for as long as
     * this value is unchanged; caches such as {@code AddressSpaceAccessor}'s rely on it. Plain
     * field, confined to the owning thread.
     */
    public long sectionEpoch() {
        return epoch;
    }

    /**
     * {@return whether the thread may read RCU-protected data now: inside an explicit read
     * section, or online in quiescent-state mode}
     */
    public boolean inReadSection() {
        return quiescentMode ? online || depth > 0 : depth > 0;
    }

    /**
     * Enters a read section (nestable). If it throws, the reader is left as it was.
     *
     * @throws WrongThreadException  if called from another thread
     * @throws IllegalStateException if the reader or its domain was closed
     */
    public void enter() {
        checkOwner(); // before touching depth: another thread's call must not change the owner's state
        if (depth == 0) {
            if (closed) {
                throw new IllegalStateException("RCU reader of thread '" + thread.getName() + "' is closed");
            }
            if (!quiescentMode || !online) {
                protect();
                epoch++;
                RuntimeException failed = started();
                if (failed != null) { // undo: the section was never entered
                    addSuppressed(failed, ended());
                    epoch++;
                    unprotect();
                    throw failed;
                }
            }
        }
        depth++;
    }

    /**
     * Stores the current grace-period counter into the slot, then a full fence: from here on the
     * thread is protected. Throws, having changed nothing, if the domain was closed (the slot is
     * gone).
     */
    private void protect() {
        try {
            CTR.setOpaque(slot, 0L, domain.currentGracePeriodCounter());
        } catch (IllegalStateException e) {
            throw new IllegalStateException("the RCU domain of the reader of thread '" + thread.getName()
                    + "' is closed: " + domain, e);
        }
        VarHandle.fullFence();
    }

    /** Clears the slot (release store): the thread is no longer protected. Nothing to clear once the domain closed. */
    private void unprotect() {
        try {
            CTR.setRelease(slot, 0L, 0L);
        } catch (IllegalStateException e) {
            if (!domain.isClosed()) {
                throw e;
            }
        }
    }

    /**
     * Leaves a read section.
     *
     * @throws WrongThreadException  if called from another thread
     * @throws IllegalStateException if there is no read section to leave
     */
    public void exit() {
        checkOwner();
        if (depth <= 0) {
            throw new IllegalStateException("exit() without a matching enter() on thread '" + thread.getName() + "'");
        }
        if (--depth == 0 && (!quiescentMode || !online)) {
            RuntimeException failed = ended();
            epoch++;
            unprotect();
            if (failed != null) {
                throw failed;
            }
        }
    }

    /**
     * Enters a read section and returns a handle whose {@code close()} leaves it, for
     * try-with-resources. The handle is preallocated: this does not allocate.
     *
     * @return the handle
     */
    public ReadSection readSection() {
        enter();
        return section;
    }

    /**
     * Quiescent-state mode: declares that this thread holds no RCU-protected reference now, letting
     * a pending grace period complete. Costs two fences; call it where a CPU loop naturally pauses
     * (between translation blocks, on interrupts).
     *
     * @throws IllegalStateException if the reader is not in quiescent-state mode, is offline, or
     *                               is inside an explicit read section
     */
    public void quiescentState() {
        checkOwner();
        if (!quiescentMode || !online || depth > 0) {
            throw new IllegalStateException("quiescentState() needs an online quiescent-state reader outside explicit read sections");
        }
        VarHandle.fullFence();
        protect();
        epoch++;
        RuntimeException failed = started();
        if (failed != null) {
            throw failed;
        }
    }

    /**
     * Quiescent-state mode: the thread is about to block or idle for a while; grace periods stop
     * waiting for it until {@link #online()}.
     *
     * @throws IllegalStateException if not in quiescent-state mode or inside an explicit read section
     */
    public void offline() {
        checkOwner();
        if (!quiescentMode || depth > 0) {
            throw new IllegalStateException("offline() needs a quiescent-state reader outside explicit read sections");
        }
        RuntimeException failed = online ? ended() : null;
        online = false;
        epoch++;
        unprotect();
        if (failed != null) {
            throw failed;
        }
    }

    /**
     * Quiescent-state mode: the thread resumes reading RCU-protected data.
     *
     * @throws IllegalStateException if not in quiescent-state mode or the reader was closed
     */
    public void online() {
        checkOwner();
        if (!quiescentMode || closed) {
            throw new IllegalStateException("online() needs an open quiescent-state reader");
        }
        protect();
        epoch++;
        online = true;
        RuntimeException failed = started();
        if (failed != null) { // undo: the reader stays offline
            addSuppressed(failed, ended());
            online = false;
            epoch++;
            unprotect();
            throw failed;
        }
    }

    /**
     * Registers {@code listener} to hear where this reader's protected stretches begin and end
     * (see {@link StretchListener}). A listener added while the reader is protected hears about
     * the stretch's end but not its start.
     *
     * @param listener the listener
     * @throws WrongThreadException     if called from another thread
     * @throws IllegalArgumentException if the listener is already registered
     */
    public void addStretchListener(StretchListener listener) {
        checkOwner();
        java.util.Objects.requireNonNull(listener, "listener");
        for (StretchListener l : stretchListeners) {
            if (l == listener) {
                throw new IllegalArgumentException("stretch listener " + listener + " is already registered with the reader of thread '"
                        + thread.getName() + "'");
            }
        }
        StretchListener[] a = java.util.Arrays.copyOf(stretchListeners, stretchListeners.length + 1);
        a[a.length - 1] = listener;
        stretchListeners = a;
    }

    /**
     * Unregisters {@code listener}; does nothing if it is not registered.
     *
     * @param listener the listener
     * @throws WrongThreadException if called from another thread
     */
    public void removeStretchListener(StretchListener listener) {
        checkOwner();
        StretchListener[] a = stretchListeners;
        for (int i = 0; i < a.length; i++) {
            if (a[i] == listener) {
                StretchListener[] b = new StretchListener[a.length - 1];
                System.arraycopy(a, 0, b, 0, i);
                System.arraycopy(a, i + 1, b, i, a.length - i - 1);
                stretchListeners = b;
                return;
            }
        }
    }

    /**
     * {@return the reader's slot in native memory ({@code RcuReaderSlotLayout}), for native code of
     * this thread that follows the read-side protocol itself} Valid until the domain closes. Native
     * code may report quiescent states through it only while this reader is online (or inside a
     * read section) and the Java side of the thread holds no RCU-protected reference.
     */
    public MemorySegment nativeSlot() {
        return slot;
    }

    /** Calls every listener's {@code stretchStarted}; {@return the first failure (later ones suppressed), or null} */
    private RuntimeException started() {
        RuntimeException failed = null;
        for (StretchListener l : stretchListeners) {
            try {
                l.stretchStarted(this);
            } catch (RuntimeException e) {
                failed = addSuppressed(failed, e);
            }
        }
        return failed;
    }

    /** Calls every listener's {@code stretchEnded}; {@return the first failure (later ones suppressed), or null} */
    private RuntimeException ended() {
        RuntimeException failed = null;
        for (StretchListener l : stretchListeners) {
            try {
                l.stretchEnded(this);
            } catch (RuntimeException e) {
                failed = addSuppressed(failed, e);
            }
        }
        return failed;
    }

    private static RuntimeException addSuppressed(RuntimeException first, RuntimeException next) {
        if (first == null) {
            return next;
        }
        if (next != null && next != first) {
            first.addSuppressed(next);
        }
        return first;
    }

    /** Whether this reader keeps the grace period that advanced the counter to {@code target} from ending. */
    boolean holdsGracePeriod(long target) {
        long c = (long) CTR.getAcquire(slot, 0L);
        return c != 0 && c < target;
    }

    /**
     * Unregisters the reader.
     *
     * @throws IllegalStateException if called inside a read section
     */
    @Override
    public void close() {
        checkOwner();
        if (closed) {
            return;
        }
        if (depth > 0) {
            throw new IllegalStateException("cannot unregister an RCU reader inside a read section");
        }
        if (online) {
            offline();
        }
        closed = true;
        domain.unregister(this);
    }

    private void checkOwner() {
        if (Thread.currentThread() != thread) {
            throw new WrongThreadException("RCU reader of thread '" + thread.getName() + "' used from thread '"
                    + Thread.currentThread().getName() + "'");
        }
    }

    /** A read section opened by {@link #readSection()}; closing it leaves the section. */
    public static final class ReadSection implements AutoCloseable {
        private final RcuReader reader;

        private ReadSection(RcuReader reader) {
            this.reader = reader;
        }

        /** {@return the reader this section belongs to} */
        public RcuReader reader() {
            return reader;
        }

        /** Leaves the read section. */
        @Override
        public void close() {
            reader.exit();
        }
    }
}
