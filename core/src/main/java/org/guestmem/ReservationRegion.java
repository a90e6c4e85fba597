package org.guestmem;

/**
 * A reservation (QEMU's {@code memory_region_init_io} with NULL ops): it claims a range so that
 * nothing of lower priority shows through, and answers every access like a hole
 * ({@link MemoryRegionOps#UNASSIGNED}: reads see 0, {@link MemTxResult#DECODE_ERROR}).
 */
public final class ReservationRegion extends MemoryRegion {

    ReservationRegion(RegionContext context, Object owner, String name, long size) {
        super(context, owner, name, size);
    }

    @Override
    public boolean terminates() {
        return true;
    }

    /** {@return {@link MemoryRegionOps#UNASSIGNED}} */
    public MemoryRegionOps ops() {
        return MemoryRegionOps.UNASSIGNED;
    }
}
