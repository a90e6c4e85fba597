package org.guestmem;

import java.util.concurrent.atomic.AtomicLong;
import org.guestmem.internal.NativeMemoryStats;
import org.guestmem.internal.NativeTablePool;
import org.guestmem.internal.RamReclaimer;
import org.guestmem.rcu.RcuDomain;
import org.guestmem.rcu.RcuReader;

/**
 * The native memory one system owns and when it may be freed: its RAM blocks (through their
 * {@link RamReclaimer}), the pool of dispatch tables, their accounting, deferred freeing through
 * the system's RCU domain, and the backlog bound: a writer that leaves the update lock while
 * more than {@link #backlogLimit()} bytes wait for reclamation waits for reclamation to catch up
 * ({@link #throttle()}).
 */
final class NativeMemory {
    /** The smallest default backlog limit: 256 MiB. */
    static final long MIN_DEFAULT_BACKLOG = 256L << 20;

    private final RcuDomain rcu;
    private final NativeMemoryStats stats = new NativeMemoryStats();
    private final NativeTablePool tablePool = new NativeTablePool(stats);
    private final RamReclaimer reclaimer;
    private final boolean checkedRam;
    /** The configured limit, or -1 for the default (see {@link #backlogLimit()}). */
    private final long configuredBacklog;
    private final AtomicLong waits = new AtomicLong();

    NativeMemory(RcuDomain rcu, String systemName, boolean checkedRam, long configuredBacklog) {
        this.rcu = rcu;
        this.reclaimer = new RamReclaimer(systemName, stats);
        this.checkedRam = checkedRam;
        this.configuredBacklog = configuredBacklog;
    }

    NativeMemoryStats stats() {
        return stats;
    }

    NativeTablePool tablePool() {
        return tablePool;
    }

    RamReclaimer reclaimer() {
        return reclaimer;
    }

    /** {@return whether new RAM blocks get a checked segment for readers (checked access mode)} */
    boolean checkedRam() {
        return checkedRam;
    }

    /**
     * Frees something after a grace period; once the system is closed (its domain drained, its
     * memory already freed) it runs at once, so references dropped late (a
     * {@link AddressSpace.RetainedView} closed after the system) still complete their bookkeeping.
     */
    void deferFree(Runnable free) {
        if (!rcu.tryDefer(free)) {
            free.run();
        }
    }

    // ------------------------------------------------------------------ the backlog

    /**
     * {@return the bytes that may wait for reclamation before writers wait}: the configured value,
     * or by default the larger of 256 MiB and a quarter of the live guest RAM (blocks guestmem
     * allocated whose regions are not destroyed)
     */
    long backlogLimit() {
        return configuredBacklog >= 0 ? configuredBacklog : Math.max(MIN_DEFAULT_BACKLOG, reclaimer.liveRamBytes() / 4);
    }

    /**
     * Called by a writer that has just left the update lock altogether: if more than
     * {@link #backlogLimit()} bytes wait for reclamation, waits for a grace period and the
     * destruction of the views released before it, then until the pending bytes are down to
     * three quarters of the limit or everything handed over for freeing is freed, whichever comes
     * first (what references still hold cannot be waited for). Never waits where waiting could
     * deadlock or would wait for itself: on the RCU reclaimer or the RAM reclaimer thread, inside a
     * read section of this system's domain (an online quiescent-state reader included), or once
     * the system is closed; the backlog then stays as it is until a writer that may wait comes by.
     */
    void throttle() {
        long limit = backlogLimit();
        if (reclaimer.pendingBytes() <= limit || !mayWait()) {
            return;
        }
        waits.incrementAndGet();
        if (drainRcu()) {
            reclaimer.drainUntil(limit - limit / 4);
        }
    }

    private boolean mayWait() {
        if (rcu.isClosed() || rcu.isReclaimerThread() || reclaimer.isReclaimerThread()) {
            return false;
        }
        RcuReader self = rcu.currentReader();
        return self == null || !self.inReadSection();
    }

    /** Waits until everything released before the call is reclaimed; see {@link MemorySystem#awaitReclamation()}. */
    void awaitReclamation() {
        if (drainRcu()) {
            reclaimer.drain();
        }
    }

    /** {@link RcuDomain#drain()}; {@return false if the domain closed meanwhile (closing reclaims everything)} */
    private boolean drainRcu() {
        try {
            rcu.drain();
            return true;
        } catch (IllegalStateException e) {
            if (rcu.isClosed()) {
                return false;
            }
            throw e;
        }
    }

    /** {@return the statistics, read now} */
    ReclamationStats reclamationStats() {
        return new ReclamationStats(reclaimer.pendingBlocks(), reclaimer.pendingBytes(), reclaimer.freedBlocks(),
                reclaimer.freedBytes(), rcu.gracePeriodCount(), waits.get(), backlogLimit());
    }

    /** Frees every RAM block still held and the table pool; after the RCU domain was closed. Idempotent. */
    void close() {
        reclaimer.close();
        tablePool.close();
    }
}
