package org.guestmem;

/**
 * A piece of an address space and the region that shows it, QEMU's {@code MemoryRegionSection}:
 * what translations return and listeners receive. Immutable.
 *
 * @param region                    the terminating region, or null for unassigned addresses
 *                                  (QEMU's {@code io_mem_unassigned})
 * @param offsetWithinAddressSpace  first address of the section
 * @param sizeMinusOne              size - 1 (unsigned; a section may span 2<sup>64</sup> bytes)
 * @param offsetWithinRegion        offset within {@code region} of the section's first byte
 * @param readonly                  readonly, propagated along the path from the root
 * @param nonvolatile               nonvolatile, propagated like readonly
 */
public record MemoryRegionSection(MemoryRegion region, long offsetWithinAddressSpace, long sizeMinusOne,
                                  long offsetWithinRegion, boolean readonly, boolean nonvolatile) {

    /** {@return the addresses the section covers} */
    public AddrRange range() {
        return new AddrRange(offsetWithinAddressSpace, offsetWithinAddressSpace + sizeMinusOne);
    }

    /** {@return whether nothing is mapped here} */
    public boolean isUnassigned() {
        return region == null;
    }
}
