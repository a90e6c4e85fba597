package org.guestmem;

import org.guestmem.internal.Hex;

/**
 * One range of a {@link FlatView}, QEMU's {@code FlatRange}: the addresses {@code [start, last]}
 * of the address space show {@code region} from {@code offsetInRegion} on. Immutable.
 *
 * @param start          first address, unsigned
 * @param last           last address, inclusive, unsigned
 * @param region         the terminating region shown (never a container or alias)
 * @param offsetInRegion offset within {@code region} of {@code start}
 * @param readonly       readonly, ORed along the path from the root (aliases included)
 * @param romdMode       the region's own romd flag (false only for a ROM device out of romd mode)
 * @param nonvolatile    nonvolatile, ORed along the path like {@code readonly}
 * @param dirtyLogMask   the dirty-log clients the region logs for, as of rendering
 */
public record FlatRange(long start, long last, MemoryRegion region, long offsetInRegion,
                        boolean readonly, boolean romdMode, boolean nonvolatile, int dirtyLogMask) {

    /** {@return {@code [start, last]}} */
    public AddrRange range() {
        return new AddrRange(start, last);
    }

    /** {@return the size minus one (unsigned; exact even for a range of 2<sup>64</sup> bytes)} */
    public long sizeMinusOne() {
        return last - start;
    }

    /**
     * {@return the offset within {@link #region()} that {@code address} of the address space maps to}
     *
     * @param address an address of the address space, unsigned
     * @throws IllegalArgumentException if the address is outside this range
     */
    public long offsetOf(long address) {
        if (!contains(address)) {
            throw new IllegalArgumentException("address " + Hex.of(address) + " is outside " + range());
        }
        return offsetInRegion + (address - start);
    }

    /**
     * {@return whether {@code address} lies in this range}
     *
     * @param address an address of the address space, unsigned
     */
    public boolean contains(long address) {
        return Long.compareUnsigned(address - start, last - start) <= 0;
    }
}
