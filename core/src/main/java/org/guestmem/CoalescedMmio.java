package org.guestmem;

import java.util.ArrayList;
import java.util.List;
import org.guestmem.internal.Hex;
import org.guestmem.listener.CoalescedRange;

/**
 * One region's coalesced MMIO bookkeeping: its ranges in insertion order and QEMU's
 * {@code flush_coalesced_mmio} flag (QEMU's {@code memory_region_set_coalescing},
 * {@code _add_coalescing}, {@code _clear_coalescing}, {@code _set/clear_flush_coalesced}). Every
 * change is told at once to the listeners of the address spaces showing the region. Under the
 * update lock.
 */
final class CoalescedMmio {
    private final MemoryRegion region;
    private final ArrayList<CoalescedRange> ranges = new ArrayList<>(0);
    private boolean flush;

    CoalescedMmio(MemoryRegion region) {
        this.region = region;
    }

    /** {@return the ranges themselves, insertion order (do not modify)} */
    List<CoalescedRange> ranges() {
        return ranges;
    }

    boolean flush() {
        return flush;
    }

    void setFlush() {
        flush = true;
    }

    /** Clears the flush flag unless ranges remain (QEMU's {@code memory_region_clear_flush_coalesced}). */
    void clearFlush() {
        if (ranges.isEmpty()) {
            flush = false;
        }
    }

    /** QEMU's {@code memory_region_set_coalescing}: clear, then the whole region. */
    void setWhole() {
        if (region.sizeMinus1 == -1L) {
            throw new IllegalStateException("cannot make " + MemoryRegion.describe(region) + " coalesced: its size is 2^64");
        }
        clear();
        add(0, region.sizeMinus1 + 1);
    }

    /** QEMU's {@code memory_region_add_coalescing}, with its arguments checked. */
    void addChecked(long offset, long size) {
        long last = offset + size - 1;
        if (size == 0 || Long.compareUnsigned(last, offset) < 0 || Long.compareUnsigned(last, region.sizeMinus1) > 0) {
            throw new IllegalArgumentException("cannot add coalesced range [" + Hex.of(offset) + ", +" + Hex.of(size)
                    + ") to " + MemoryRegion.describe(region) + " of size " + Hex.ofSizeMinusOne(region.sizeMinus1));
        }
        add(offset, size);
    }

    private void add(long offset, long size) {
        CoalescedRange r = new CoalescedRange(AddrRange.ofSizeMinusOne(offset, size - 1));
        ranges.add(r);
        region.context.listeners.coalescedRangeChanged(region, r, true);
        flush = true;
    }

    /** QEMU's {@code memory_region_clear_coalescing}. */
    void clear() {
        if (ranges.isEmpty()) {
            return;
        }
        flush = false;
        while (!ranges.isEmpty()) {
            region.context.listeners.coalescedRangeChanged(region, ranges.removeFirst(), false);
        }
    }
}
