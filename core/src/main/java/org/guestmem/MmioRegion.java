package org.guestmem;

import java.util.Objects;
import org.guestmem.internal.MmioDispatcher;

/**
 * An MMIO region (QEMU's {@code memory_region_init_io}): every access goes to its
 * {@link MemoryRegionOps}. It may also have subregions ("MMIO container"): they are shown on top
 * and the region fills the gaps between them, like the PC's {@code io} region.
 */
public final class MmioRegion extends MemoryRegion {
    private final MemoryRegionOps ops;
    final MmioDispatcher dispatcher;

    MmioRegion(RegionContext context, Object owner, String name, long size, MemoryRegionOps ops) {
        super(context, owner, name, size);
        this.ops = Objects.requireNonNull(ops, "ops");
        this.dispatcher = new MmioDispatcher(ops, context.targetByteOrder);
    }

    @Override
    public boolean terminates() {
        return true;
    }

    @Override
    MmioDispatcher dispatcher() {
        return dispatcher;
    }

    /** {@return the callbacks and access rules} */
    public MemoryRegionOps ops() {
        return ops;
    }
}
