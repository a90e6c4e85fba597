package org.guestmem.rcu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.guestmem.internal.Uninterruptibly;
import org.guestmem.layout.RcuDomainLayout;
import org.guestmem.layout.RcuReaderSlotLayout;
import org.jctools.queues.atomic.MpscUnboundedAtomicArrayQueue;

/**
 * An RCU domain: read sections that never block, grace periods, and deferred reclamation on one
 * reclaimer thread. Each {@code MemorySystem} has its own domain (there is no global one), so two
 * machines in one JVM never wait for each other's readers.
 *
 * <h2 id="readers">Readers</h2>
 * A thread that reads published data without reference counts registers once and gets an
 * {@link RcuReader} (one per thread per domain). It either brackets its reads with read sections
 * ({@link #register()}: {@link RcuReader#enter()}/{@link RcuReader#exit()}, nestable, a few
 * nanoseconds each), or, for CPU loops that are inside a read section almost all the time, runs in
 * quiescent-state mode ({@link #registerQuiescent()}): the reader is always "online" and reports
 * {@link RcuReader#quiescentState()} at points where it holds no reference to RCU-protected data.
 * Threads that never register must not read RCU-protected data without holding a reference count;
 * guestmem's own API gives them that slower path (see {@code AddressSpace}).
 *
 * <h2 id="protocol">Protocol and memory ordering</h2>
 * <pre>
 *  gp      domain counter, odd, starts at 1, advanced by 2 per grace period (getAndAdd: volatile RMW),
 *          in a native cell (RcuDomainLayout) so native readers can follow the protocol too
 *  ctr     per reader, in a native slot of its own (RcuReaderSlotLayout); 0 = outside every section
 *
 *  reader enter (outermost):  g = gp (acquire);  ctr = g (opaque);  fullFence
 *  reader exit  (outermost):  ctr = 0 (release)
 *  quiescent state:           fullFence;  ctr = gp (opaque);  fullFence
 *  grace period:              g' = gp += 2 (volatile RMW);  fullFence;  for each reader wait while 0 &lt; ctr &lt; g' (acquire)
 * </pre>
 * The writer publishes new data with a release store before it starts a grace period. The
 * reader's fence after storing {@code ctr} and the writer's volatile increment before reading it
 * form a Dekker pair: either the waiter sees the reader's {@code ctr} (and waits for its exit, whose
 * release store orders every read of the section before it), or the reader's later loads see the
 * new data. So when {@link #synchronize()} returns, no reader can still hold a reference it loaded
 * before the call began.
 *
 * <h2 id="reclamation">Deferred reclamation</h2>
 * {@link #defer(Runnable)} puts a callback on a multi-producer queue (JCTools'
 * {@code MpscUnboundedAtomicArrayQueue}); the reclaimer thread takes everything queued, waits for
 * one grace period, then runs the batch in FIFO order, without any lock held. When callbacks
 * were deferred while it waited for that grace period (a stream of commits), it first collects
 * for {@value #BATCH_WAIT_MICROS} &micro;s before taking the next batch, so that a stream costs
 * about a thousand grace periods per second however fast it comes, instead of one per batch of
 * a few callbacks and a thread that never sleeps (QEMU's {@code call_rcu} thread waits for 30
 * callbacks or 10 to 50 ms; guestmem keeps the latency of an isolated {@code defer} low: it is
 * served at once). During such a stream the reclaimer also waits for grace periods by parking
 * only, never spinning or yielding, so that it takes no core from CPU threads. {@link #drain()}
 * and {@link #close()} cut the collecting wait short. {@link #drain()} waits until everything
 * deferred before the call has run. A callback that throws is reported
 * through {@link System.Logger} and counted; the others still run.
 *
 * <h2 id="guarantees">Guarantees</h2>
 * <ul>
 * <li>A deferred callback runs after a grace period that began after {@code defer} was called.</li>
 * <li>Callbacks run one at a time, in the order their {@code defer} calls completed.</li>
 * <li>Read sections are wait-free; {@code defer} is lock-free; {@link #synchronize()} and
 * {@link #drain()} block, and throw {@link IllegalStateException} when called from inside a read
 * section or from a callback (they would wait for themselves).</li>
 * </ul>
 */
public final class RcuDomain implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(RcuDomain.class.getName());
    private static final VarHandle GP = RcuDomainLayout.GP;
    private static final VarHandle SLEEPING;
    private static final AtomicLong DOMAIN_IDS = new AtomicLong();
    /** How long the reclaimer collects callbacks before the next batch while they keep coming. */
    static final long BATCH_WAIT_MICROS = 1000;

    static {
        try {
            SLEEPING = MethodHandles.lookup().findVarHandle(RcuDomain.class, "sleeping", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final String name;
    /**
     * The grace-period counter {@code gp} ({@link RcuDomainLayout}), in memory of an automatic
     * arena: it lives as long as the domain is reachable, so a native reader holding a reference to
     * the domain (through a TLB descriptor's owner) never reads freed memory, even after close.
     */
    private final MemorySegment gpCell = Arena.ofAuto().allocate(RcuDomainLayout.LAYOUT.byteSize(), 128);
    /** Created with the first registration; guarded by {@link #registry}. */
    private Arena slotArena;
    private final Object registry = new Object();
    private final ArrayDeque<MemorySegment> freeSlots = new ArrayDeque<>();
    /**
     * Copy-on-write under {@link #registry}; read without a lock by the grace-period waiter. It is
     * also how a thread finds its own reader ({@link #currentReader()}): the domain keeps no
     * thread-local state, so a closed domain is garbage once its users drop it, even if readers
     * were never closed and their threads live on.
     */
    private volatile RcuReader[] readers = new RcuReader[0];
    private final ReentrantLock gracePeriodLock = new ReentrantLock();

    private final MpscUnboundedAtomicArrayQueue<Runnable> queue = new MpscUnboundedAtomicArrayQueue<>(256);
    private final Object lifecycle = new Object();
    private volatile Thread reclaimer;
    @SuppressWarnings("unused") // accessed through SLEEPING
    private volatile boolean sleeping;
    private volatile boolean closed;
    private final AtomicLong gracePeriods = new AtomicLong();
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong callbacksRun = new AtomicLong();
    private final AtomicLong callbacksFailed = new AtomicLong();

    /**
     * Creates a domain; its reclaimer thread starts with the first {@link #defer}.
     *
     * @param name the name, used in thread names
     */
    public RcuDomain(String name) {
        this.name = Objects.requireNonNull(name, "name") + "-" + DOMAIN_IDS.incrementAndGet();
        GP.setRelease(gpCell, 0L, 1L);
    }

    /**
     * {@return the domain's grace-period counter cell, laid out as {@link RcuDomainLayout}, for
     * native readers} Read-only view; its address may be handed to native code, which must only
     * read it (acquire loads). Valid as long as the domain object is reachable.
     */
    public MemorySegment nativeGracePeriodCounter() {
        return gpCell.asReadOnly();
    }

    // ------------------------------------------------------------------ readers

    /**
     * Registers the calling thread as a reader with explicit read sections.
     *
      * @return the calling thread's reader
     * @throws IllegalStateException if the thread is already registered with this domain or the
     *                               domain is closed
     */
    public RcuReader register() {
        return register(false);
    }

    /**
     * Registers the calling thread as a quiescent-state reader: it is online (inside a read
     * section) from now on and reports {@link RcuReader#quiescentState()} periodically.
     *
      * @return the calling thread's reader
     * @throws IllegalStateException as {@link #register()}
     */
    public RcuReader registerQuiescent() {
        return register(true);
    }

    private RcuReader register(boolean quiescent) {
        if (currentReader() != null) {
            throw new IllegalStateException("thread '" + Thread.currentThread().getName()
                    + "' is already registered with RCU domain " + name);
        }
        RcuReader r;
        synchronized (registry) {
            checkOpen();
            MemorySegment slot = freeSlots.poll();
            if (slot == null) {
                if (slotArena == null) {
                    slotArena = Arena.ofShared();
                }
                slot = slotArena.allocate(RcuReaderSlotLayout.LAYOUT.byteSize(), RcuReaderSlotLayout.SLOT_BYTES);
            }
            RcuReaderSlotLayout.CTR.setRelease(slot, 0L, 0L);
            r = new RcuReader(this, slot, Thread.currentThread(), quiescent);
            RcuReader[] a = Arrays.copyOf(readers, readers.length + 1);
            a[a.length - 1] = r;
            readers = a;
        }
        if (quiescent) {
            r.online();
        }
        return r;
    }

    void unregister(RcuReader r) {
        synchronized (registry) {
            RcuReader[] a = readers;
            int i = Arrays.asList(a).indexOf(r);
            if (i < 0) {
                return;
            }
            RcuReader[] b = new RcuReader[a.length - 1];
            System.arraycopy(a, 0, b, 0, i);
            System.arraycopy(a, i + 1, b, i, a.length - i - 1);
            readers = b;
            if (!closed) {
                freeSlots.add(r.slot);
            }
        }
    }

    /**
     * {@return the reader the calling thread registered with this domain, or null} Looks through
     * the registered readers: linear in their number, not meant for hot paths.
     */
    public RcuReader currentReader() {
        Thread t = Thread.currentThread();
        for (RcuReader r : readers) {
            if (r.thread() == t) {
                return r;
            }
        }
        return null;
    }

    /** {@return the number of registered readers} */
    public int readerCount() {
        return readers.length;
    }

    long currentGracePeriodCounter() {
        return (long) GP.getAcquire(gpCell, 0L);
    }

    // ------------------------------------------------------------------ grace periods

    /**
     * Waits for a grace period: returns once every reader that was inside a read section when the
     * call began has left it (or, in quiescent-state mode, reported a quiescent state or gone
     * offline). A quiescent-state reader calling this goes offline for the wait.
     *
     * @throws IllegalStateException if the calling thread is inside a read section, or is the
     *                               reclaimer thread
     */
    public void synchronize() {
        checkMayWait("synchronize()");
        RcuReader self = offlineForWait();
        try {
            waitForGracePeriod(false);
        } finally {
            if (self != null) {
                self.online();
            }
        }
    }

    /**
     * Takes the calling thread's quiescent-state reader offline if it is online (it cannot report
     * a quiescent state while it waits) and {@return it, or null if nothing was changed}
     */
    private RcuReader offlineForWait() {
        RcuReader self = currentReader();
        if (self != null && self.quiescentMode() && self.isOnline()) {
            self.offline();
            return self;
        }
        return null;
    }

    /**
     * Starts a grace period and waits for it. A {@code patient} waiter (the reclaimer during a
     * stream of defers, which it already collects for a millisecond) parks between checks from the
     * start; an impatient one ({@link #synchronize()}, the reclaimer serving an isolated defer)
     * spins, then yields, then parks. On a machine with fewer cores than busy threads, every yield
     * hands the core to a CPU thread and back.
     */
    private void waitForGracePeriod(boolean patient) {
        gracePeriodLock.lock();
        try {
            long target = (long) GP.getAndAdd(gpCell, 0L, 2L) + 2L;
            // QEMU's smp_mb(): orders the writer's earlier release store of the new data before
            // the reads of the reader slots below, whatever the RMW above promises on its own
            VarHandle.fullFence();
            for (RcuReader r : readers) {
                int spins = 0;
                while (r.holdsGracePeriod(target)) {
                    backoff(patient ? spins++ + PATIENT_START : spins++);
                }
            }
            gracePeriods.incrementAndGet();
        } finally {
            gracePeriodLock.unlock();
        }
    }

    /** Where a patient waiter starts in {@link #backoff}'s schedule: parking at once. */
    private static final int PATIENT_START = 96;

    private static void backoff(int spins) {
        if (spins < 64) {
            Thread.onSpinWait();
        } else if (spins < 96) {
            Thread.yield();
        } else {
            LockSupport.parkNanos(Math.min(1_000_000L, 10_000L << Math.min(6, (spins - 96) / 16)));
        }
    }

    // ------------------------------------------------------------------ deferred reclamation

    /**
     * Runs {@code callback} on the reclaimer thread after a grace period. Lock-free; may be called
     * from any thread, including from inside a read section and from another callback.
     *
     * @param callback what to run after the grace period
     * @throws IllegalStateException if the domain is closed
     */
    public void defer(Runnable callback) {
        Objects.requireNonNull(callback, "callback");
        checkOpen();
        enqueue(callback);
    }

    private void enqueue(Runnable callback) {
        queue.offer(callback);
        Thread t = reclaimer;
        if (t == null) {
            t = startReclaimer();
        }
        if ((boolean) SLEEPING.getVolatile(this)) {
            LockSupport.unpark(t);
        }
    }

    /**
     * Like {@link #defer} but answers false instead of throwing when the domain is closed.
     *
     * @param callback what to run after the grace period
     * @return whether the callback was queued
     */
    public boolean tryDefer(Runnable callback) {
        Objects.requireNonNull(callback, "callback");
        if (closed) {
            return false;
        }
        enqueue(callback);
        return true;
    }

    /**
     * Waits until every callback deferred (by any thread) before this call has run. A
     * quiescent-state reader of the calling thread that is online goes offline for the wait, as
     * in {@link #synchronize()}. Returns at once once the domain is closed (closing ran everything).
     *
     * @throws IllegalStateException if called from inside a read section or from a callback
     */
    public void drain() {
        checkMayWait("drain()");
        if (closed || (reclaimer == null && queue.isEmpty())) {
            return;
        }
        CountDownLatch done = new CountDownLatch(1);
        if (!tryDefer(done::countDown)) {
            return; // closed meanwhile: closing ran everything
        }
        RcuReader self = offlineForWait();
        try {
            LockSupport.unpark(reclaimer); // cut a batching wait short
            Uninterruptibly.await(done);
        } finally {
            if (self != null) {
                self.online();
            }
        }
    }

    /** {@return grace periods completed so far} */
    public long gracePeriodCount() {
        return gracePeriods.get();
    }

    /** {@return batches of deferred callbacks the reclaimer has run so far (one grace period each)} */
    public long batchCount() {
        return batches.get();
    }

    /** {@return callbacks run so far (including those that threw)} */
    public long callbacksRun() {
        return callbacksRun.get();
    }

    /** {@return callbacks that threw} */
    public long callbacksFailed() {
        return callbacksFailed.get();
    }

    /** {@return whether the calling thread is this domain's reclaimer thread} */
    public boolean isReclaimerThread() {
        return Thread.currentThread() == reclaimer;
    }

    private Thread startReclaimer() {
        synchronized (lifecycle) {
            Thread t = reclaimer;
            if (t == null) {
                t = Thread.ofPlatform().daemon().name("guestmem-rcu-" + name).unstarted(this::reclaimLoop);
                reclaimer = t;
                t.start();
            }
            return t;
        }
    }

    private void reclaimLoop() {
        ArrayList<Runnable> batch = new ArrayList<>();
        boolean streaming = false;
        while (true) {
            if (streaming && !closed) {
                LockSupport.parkNanos(this, BATCH_WAIT_MICROS * 1000); // collect; drain() and close() unpark
            }
            queue.drain(batch::add);
            if (batch.isEmpty()) {
                streaming = false;
                if (closed) {
                    return;
                }
                SLEEPING.setVolatile(this, true);
                if (queue.isEmpty() && !closed) {
                    LockSupport.park(this);
                }
                SLEEPING.setVolatile(this, false);
                continue;
            }
            waitForGracePeriod(streaming); // an isolated defer is served fast; a stream is not in a hurry
            // more arrived while we waited: a stream, so the next batch collects first
            streaming = !queue.isEmpty();
            batches.incrementAndGet();
            for (Runnable r : batch) {
                runCallback(r);
            }
            batch.clear();
        }
    }

    private void runCallback(Runnable r) {
        try {
            r.run();
        } catch (Throwable t) {
            callbacksFailed.incrementAndGet();
            LOG.log(System.Logger.Level.WARNING, "deferred callback failed in RCU domain " + name, t);
        } finally {
            callbacksRun.incrementAndGet();
        }
    }

    // ------------------------------------------------------------------ lifecycle

    /**
     * Runs everything still deferred (including what those callbacks defer while the domain
     * closes), stops the reclaimer thread and frees the reader slots. Idempotent. Readers still
     * registered cannot enter read sections afterwards (their slot is gone: {@code enter()},
     * {@code online()} and {@code quiescentState()} throw {@link IllegalStateException} and leave
     * the reader as it was), but may still leave them and be closed.
     *
     * <p>Closing waits for a grace period, like {@link #drain()}: it refuses, changing nothing,
     * inside a read section or on the reclaimer thread. A quiescent-state reader of the calling
     * thread that is online counts as quiescent: it is taken offline first, and stays offline.
     *
     * @throws IllegalStateException if called inside a read section or from a callback
     */
    @Override
    public void close() {
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
            checkMayWait("close()");
            RcuReader self = currentReader();
            if (self != null && self.quiescentMode() && self.isOnline()) {
                self.offline();
            }
            drain();
            closed = true;
            Thread t = reclaimer;
            if (t != null) {
                Uninterruptibly.stop(t);
            }
            // callbacks deferred while the thread was stopping: no reader section can need them any more
            ArrayList<Runnable> rest = new ArrayList<>();
            while (queue.drain(rest::add) > 0) {
                for (Runnable r : rest) {
                    runCallback(r);
                }
                rest.clear();
            }
        }
        synchronized (registry) {
            freeSlots.clear();
            if (slotArena != null) {
                slotArena.close();
            }
        }
    }

    /** {@return whether {@link #close()} was called} */
    public boolean isClosed() {
        return closed;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("RCU domain " + name + " is closed");
        }
    }

    private void checkMayWait(String what) {
        if (Thread.currentThread() == reclaimer) {
            throw new IllegalStateException(what + " called from a deferred callback of RCU domain " + name
                    + " would wait for itself: call it from another thread");
        }
        RcuReader self = currentReader();
        if (self != null && self.depth() > 0) {
            throw new IllegalStateException(what + " called inside a read section of RCU domain " + name
                    + " would wait for itself: leave the read section first");
        }
    }

    @Override
    public String toString() {
        return "RcuDomain[" + name + ", readers=" + readers.length + ", gracePeriods=" + gracePeriods.get() + "]";
    }
}
