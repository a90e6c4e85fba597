package org.guestmem;

/**
 * A pure container (QEMU's {@code memory_region_init}): it only groups subregions. Where no
 * subregion covers an address, the container shows nothing, so a lower-priority sibling (or
 * nothing at all, a hole) shows through.
 */
public final class ContainerRegion extends MemoryRegion {

    ContainerRegion(RegionContext context, Object owner, String name, long size) {
        super(context, owner, name, size);
    }

    @Override
    public boolean terminates() {
        return false;
    }
}
