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
 */
public final class RcuReader implements AutoCloseable {
    private static final VarHandle CTR = RcuReaderSlotLayout.CTR;

    private final RcuDomain domain;
    final MemorySegment slot;
    private final Thread thread;
    private final boolean quiescentMode;
    private final ReadSection section = new ReadSection(this);
    // confined to `thread`
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
     * Enters a read section (nestable).
     *
     * @throws WrongThreadException  if called from another thread
     * @throws IllegalStateException if the reader was closed
     */
    public void enter() {
        checkOwner(); // before touching depth: another thread's call must not change the owner's state
        if (depth++ == 0) {
            if (closed) {
                depth = 0;
                throw new IllegalStateException("RCU reader of thread '" + thread.getName() + "' is closed");
            }
            if (!quiescentMode || !online) {
                epoch++;
                CTR.setOpaque(slot, 0L, domain.currentGracePeriodCounter());
                VarHandle.fullFence();
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
            epoch++;
            CTR.setRelease(slot, 0L, 0L);
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
        epoch++;
        VarHandle.fullFence();
        CTR.setOpaque(slot, 0L, domain.currentGracePeriodCounter());
        VarHandle.fullFence();
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
        online = false;
        epoch++;
        CTR.setRelease(slot, 0L, 0L);
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
        epoch++;
        CTR.setOpaque(slot, 0L, domain.currentGracePeriodCounter());
        VarHandle.fullFence();
        online = true;
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
