package org.guestmem;

import org.guestmem.dirty.DirtyLogClient;

/**
 * A region's explicit dirty-log requests, QEMU's {@code memory_region_set_log}: counted per client
 * (QEMU counts VGA requests in {@code vga_logging_count}), so logging for a client stops when every
 * request was withdrawn. The counts live in {@link MemoryRegion#logCounts}, and their mask in
 * {@link MemoryRegion#explicitLogMaskVolatile} for readers outside the update lock.
 */
final class LogRequests {
    private LogRequests() {
    }

    /** Adds ({@code log}) or withdraws a request of {@code client} on {@code r}; see {@link MemoryRegion#setLog}. */
    static void change(MemoryRegion r, boolean log, DirtyLogClient client) {
        r.checkAlive();
        int c = client.ordinal();
        int before = r.logCounts[c];
        if (!log && before == 0) {
            throw new IllegalStateException("setLog(false, " + client + ") on " + MemoryRegion.describe(r)
                    + " without a matching setLog(true, " + client + ")");
        }
        r.recordUndo(() -> {
            r.logCounts[c] = before;
            r.explicitLogMaskVolatile = mask(r);
        });
        r.logCounts[c] += log ? 1 : -1;
        r.explicitLogMaskVolatile = mask(r);
        if ((before == 0) != (r.logCounts[c] == 0) && r.enabled) {
            r.markUpdatePending();
        }
    }

    /** {@return the clients with a request on {@code r}, as a mask of {@link DirtyLogClient#bit()}s} */
    static int mask(MemoryRegion r) {
        int m = 0;
        for (int c = 0; c < r.logCounts.length; c++) {
            if (r.logCounts[c] > 0) {
                m |= 1 << c;
            }
        }
        return m;
    }
}
