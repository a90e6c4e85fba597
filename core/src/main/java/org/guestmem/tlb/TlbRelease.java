package org.guestmem.tlb;

import org.guestmem.internal.TlbRegistry;

/**
 * Frees a {@link Tlb}'s native memory: leaves the system's registry, waits for threads flagging
 * its entries, closes its arena. Run once, by {@link Tlb#close()} or, for a TLB its owner dropped
 * without closing it, by a cleaner once the TLB is unreachable (then no thread can probe it any
 * more). References no {@link Tlb}, so that it does not keep one reachable.
 */
final class TlbRelease implements Runnable {
    private final TlbRegistry registry;
    private final DirtyFlagging flagging;
    private final TlbTable table;

    TlbRelease(TlbRegistry registry, DirtyFlagging flagging, TlbTable table) {
        this.registry = registry;
        this.flagging = flagging;
        this.table = table;
    }

    @Override
    public void run() {
        registry.remove(flagging);
        flagging.close();
        table.free();
    }
}
