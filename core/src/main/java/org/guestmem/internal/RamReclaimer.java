package org.guestmem.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.jctools.queues.atomic.MpscUnboundedAtomicArrayQueue;

/**
 * Where one memory system's RAM blocks go when they die: the registry of blocks not yet freed
 * (so that closing the system frees what its regions still hold), the accounting of what waits
 * for reclamation, and the thread that returns the memory ({@code guestmem-free-*}).
 *
 * <p>A block reaches this class when its reference count drops to zero, which happens only after
 * every view that mapped it was destroyed, each after its own grace period: nothing can reach the
 * block any more, so it needs no further grace period. Freeing it means closing its shared arena
 * if it has one (a handshake with every Java thread) and unmapping its memory; both run here, on
 * a thread of their own, so that neither the RCU reclaimer's grace-period loop nor a writer nor a
 * CPU thread ever pays for them. The thread starts with the first block to free and stops at
 * {@link #close()}.
 *
 * <h2 id="accounting">What waits</h2>
 * A block is <em>pending</em> from the moment its region is destroyed ({@link #orphaned}) until
 * its memory is returned: while views that mapped it wait for their grace period, while a counted
 * reference (a retained view, a DMA mapping) still holds it, and while it waits in this class's
 * queue. Counters are atomic; reading several of them is not one snapshot.
 *
 * <p>Thread-safety: every method may be called from any thread.
 */
public final class RamReclaimer {
    private static final System.Logger LOG = System.getLogger(RamReclaimer.class.getName());
    private static final AtomicLong IDS = new AtomicLong();

    private final String threadName;
    private final NativeMemoryStats stats;
    private final Set<RamBlock> live = ConcurrentHashMap.newKeySet();
    /** Blocks to free, and {@link CountDownLatch}es that {@link #drain()} waits for. */
    private final MpscUnboundedAtomicArrayQueue<Object> queue = new MpscUnboundedAtomicArrayQueue<>(64);
    private final Object lifecycle = new Object();
    private volatile Thread thread;
    private volatile boolean sleeping;
    private volatile boolean closed;
    private final AtomicLong liveRamBytes = new AtomicLong();
    private final AtomicLong pendingBlocks = new AtomicLong();
    private final AtomicLong pendingBytes = new AtomicLong();
    private final AtomicLong freedBlocks = new AtomicLong();
    private final AtomicLong freedBytes = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();

    /**
     * Creates the reclaimer of one system.
     *
     * @param systemName the system's name, for the thread's name
     * @param stats      the system's native memory accounting
     */
    public RamReclaimer(String systemName, NativeMemoryStats stats) {
        this.threadName = "guestmem-free-" + systemName + "-" + IDS.incrementAndGet();
        this.stats = stats;
    }

    // ------------------------------------------------------------------ called by RamBlock

    void registered(RamBlock b) {
        live.add(b);
        stats.allocated(1, b.accountedBytes());
        liveRamBytes.addAndGet(b.ownedBytes());
    }

    void orphaned(RamBlock b) {
        liveRamBytes.addAndGet(-b.ownedBytes());
        pendingBlocks.incrementAndGet();
        pendingBytes.addAndGet(b.accountedBytes());
    }

    /** The block's count reached zero: frees it on the thread, or at once once closed. */
    void free(RamBlock b) {
        if (closed) {
            freeHere(b);
            return;
        }
        queue.offer(b);
        Thread t = thread;
        if (t == null) {
            t = start();
        }
        if (sleeping) {
            LockSupport.unpark(t);
        }
        if (closed) { // raced with close(): it may have stopped before taking b
            freeQueuedAfterClose();
        }
    }

    private void freeHere(RamBlock b) {
        boolean wasOrphaned;
        try {
            wasOrphaned = b.freeMemory();
        } catch (RuntimeException | Error e) {
            failures.incrementAndGet();
            LOG.log(System.Logger.Level.WARNING, "freeing RAM block '" + b.name() + "' failed", e);
            return;
        }
        if (!live.remove(b)) {
            return; // freed before
        }
        stats.freed(1, b.accountedBytes());
        if (wasOrphaned) {
            pendingBlocks.decrementAndGet();
            pendingBytes.addAndGet(-b.accountedBytes());
        } else {
            liveRamBytes.addAndGet(-b.ownedBytes());
        }
        freedBlocks.incrementAndGet();
        freedBytes.addAndGet(b.accountedBytes());
    }

    // ------------------------------------------------------------------ the thread

    private Thread start() {
        synchronized (lifecycle) {
            Thread t = thread;
            if (t == null) {
                t = Thread.ofPlatform().daemon().name(threadName).unstarted(this::loop);
                thread = t;
                t.start();
            }
            return t;
        }
    }

    private void loop() {
        while (true) {
            Object item = queue.poll();
            if (item == null) {
                if (closed) {
                    return;
                }
                sleeping = true;
                if (queue.isEmpty() && !closed) {
                    LockSupport.park(this);
                }
                sleeping = false;
                continue;
            }
            run(item);
        }
    }

    private void run(Object item) {
        if (item instanceof RamBlock b) {
            freeHere(b);
        } else {
            ((CountDownLatch) item).countDown();
        }
    }

    /**
     * Frees what is queued, on the calling thread, once {@link #close()} has set {@link #closed}:
     * the queue has one consumer at a time (the thread until it stops, then callers holding
     * {@link #lifecycle}, which {@code close()} holds until the thread has stopped).
     */
    private void freeQueuedAfterClose() {
        synchronized (lifecycle) {
            Object item;
            while ((item = queue.poll()) != null) {
                run(item);
            }
        }
    }

    /** {@return whether the calling thread is this reclaimer's thread} */
    public boolean isReclaimerThread() {
        return Thread.currentThread() == thread;
    }

    /**
     * Waits until every block handed over before the call is freed. Returns at once on the
     * reclaimer's own thread (it would wait for itself) and after {@link #close()}.
     */
    public void drain() {
        drainUntil(-1);
    }

    /**
     * Waits until every block handed over before the call is freed, or until no more than
     * {@code pendingTarget} bytes are {@linkplain #pendingBytes() pending}, whichever comes first.
     * Returns at once on the reclaimer's own thread and after {@link #close()}.
     *
     * @param pendingTarget the pending bytes at which to stop waiting; -1 to wait for all
     */
    public void drainUntil(long pendingTarget) {
        if (closed || isReclaimerThread() || (thread == null && queue.isEmpty())) {
            return;
        }
        CountDownLatch done = new CountDownLatch(1);
        queue.offer(done);
        Thread t = thread;
        if (t == null) {
            t = start();
        }
        LockSupport.unpark(t);
        if (closed) {
            freeQueuedAfterClose();
        }
        boolean interrupted = false;
        while (pendingBytes.get() > pendingTarget) {
            try {
                if (done.await(1, TimeUnit.MILLISECONDS)) {
                    break;
                }
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Frees what is queued, stops the thread, then frees every block still registered, whatever
     * its count: only when the system closes, after its RCU domain has drained (no reader can be
     * inside a read section any more). Blocks handed over later are freed on the caller's thread.
     * Idempotent.
     */
    public void close() {
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
            closed = true;
            Thread t = thread;
            if (t != null) {
                Uninterruptibly.stop(t);
            }
            freeQueuedAfterClose(); // re-entrant: this thread holds the monitor
        }
        List<RamBlock> rest = new ArrayList<>(live);
        for (RamBlock b : rest) {
            freeHere(b);
        }
    }

    // ------------------------------------------------------------------ statistics

    /** {@return bytes of RAM blocks allocated by guestmem whose regions are not destroyed} */
    public long liveRamBytes() {
        return liveRamBytes.get();
    }

    /** {@return blocks whose region was destroyed and whose memory is not returned yet} */
    public long pendingBlocks() {
        return pendingBlocks.get();
    }

    /** {@return native bytes (memory and dirty bitmaps) of the {@link #pendingBlocks()}} */
    public long pendingBytes() {
        return pendingBytes.get();
    }

    /** {@return blocks whose memory was returned so far} */
    public long freedBlocks() {
        return freedBlocks.get();
    }

    /** {@return native bytes returned so far (memory and dirty bitmaps)} */
    public long freedBytes() {
        return freedBytes.get();
    }

    /** {@return frees that threw (logged through {@link System.Logger})} */
    public long failures() {
        return failures.get();
    }
}
