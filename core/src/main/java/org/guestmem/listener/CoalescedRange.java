package org.guestmem.listener;

import org.guestmem.AddrRange;

/**
 * One coalesced MMIO range of a region, QEMU's {@code CoalescedMemoryRange}: the offsets
 * within the region it covers. See {@link org.guestmem.MemoryRegion#addCoalescing}. Immutable.
 *
 * <p>Changes to a region's ranges are not transactions: when a range is added, every listener of
 * every address space whose current view shows the region gets {@link MemoryListener#coalescedIoAdd}
 * (forward) at once, for the part of the new range each of the region's flat ranges shows, in
 * address-space creation order and address order; when the ranges are cleared, listeners get
 * {@link MemoryListener#coalescedIoDel} (reverse) the same way, range by range in insertion order.
 *
 * @param offsets the region-relative offsets covered, never all 2<sup>64</sup> of them
 */
public record CoalescedRange(AddrRange offsets) {

    /**
     * Validates the range.
     *
     * @throws IllegalArgumentException if it covers all 2<sup>64</sup> offsets (QEMU asserts)
     */
    public CoalescedRange {
        if (offsets.sizeMinusOne() == -1L) {
            throw new IllegalArgumentException("a coalesced range cannot cover 2^64 bytes");
        }
    }

    /** {@return the first offset covered (QEMU's {@code addr.start})} */
    public long offset() {
        return offsets.start();
    }

    /** {@return the number of bytes covered, an unsigned value (QEMU's {@code addr.size})} */
    public long size() {
        return offsets.sizeMinusOne() + 1;
    }
}
