package org.guestmem.listener;

import org.guestmem.AddrRange;

/**
 * One coalesced MMIO range of a region, QEMU's {@code CoalescedMemoryRange}: the offsets
 * within the region it covers. See {@link org.guestmem.MemoryRegion#addCoalescing}. Immutable.
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
