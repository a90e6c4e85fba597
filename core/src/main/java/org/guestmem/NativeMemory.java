package org.guestmem;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.guestmem.internal.NativeMemoryStats;
import org.guestmem.internal.NativeTablePool;
import org.guestmem.internal.RamBlock;
import org.guestmem.rcu.RcuDomain;

/**
 * The native memory one system owns and when it may be freed: its RAM blocks (listed until freed,
 * so that closing the system frees what its regions still hold), the pool of dispatch tables,
 * their accounting, and deferred freeing through the system's RCU domain.
 */
final class NativeMemory {
    private final RcuDomain rcu;
    private final NativeMemoryStats stats = new NativeMemoryStats();
    private final NativeTablePool tablePool = new NativeTablePool(stats);
    /** RAM blocks guestmem allocated for this system and has not freed yet. */
    private final Set<RamBlock> ramBlocks = ConcurrentHashMap.newKeySet();

    NativeMemory(RcuDomain rcu) {
        this.rcu = rcu;
    }

    NativeMemoryStats stats() {
        return stats;
    }

    NativeTablePool tablePool() {
        return tablePool;
    }

    /** The registry a new {@link RamBlock} joins until it is freed. */
    Set<RamBlock> ramBlocks() {
        return ramBlocks;
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

    /**
     * Frees a RAM block whose count reached zero. Every view that mapped it has been destroyed
     * (each after its own grace period), so no reader can reach it: on the reclaimer thread (inside
     * a view's destruction) it is freed at once; elsewhere (a region destroyed on the writer) the
     * arena's costly close is handed to the reclaimer.
     */
    void freeRamBlock(Runnable free) {
        if (rcu.isReclaimerThread()) {
            free.run();
        } else {
            deferFree(free);
        }
    }

    /** Frees every RAM block still held and the table pool; after the RCU domain was closed. */
    void close() {
        for (RamBlock b : List.copyOf(ramBlocks)) {
            b.freeNow();
        }
        tablePool.close();
    }
}
