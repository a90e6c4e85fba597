package org.guestmem;

/**
 * A reservation (QEMU's {@code memory_region_init_io} with NULL ops): it claims a range so that
 * nothing of lower priority shows through, and answers every access like a hole
 * ({@link MemoryRegionOps#UNASSIGNED}: reads see 0, {@link MemTxResult#DECODE_ERROR}).
 */
public final class ReservationRegion extends MemoryRegion {

    ReservationRegion(MemorySystem system, Object owner, String name, long size) {
        super(system, owner, name, size);
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
