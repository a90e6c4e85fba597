package org.guestmem.examples.rv32.board;

import java.util.Objects;
import org.guestmem.MemoryRegionOps;

/**
 * A device on the board: its {@code info mtree} name, where it sits, its size, its priority over
 * overlapping regions and its {@link MemoryRegionOps}. The guestmem backend maps it as an
 * {@code MmioRegion}; the raw backend calls the same ops after the same {@code valid} checks.
 */
public record MappedDevice(String name, long base, long size, int priority, MemoryRegionOps ops) {
    /** Checks the arguments. */
    public MappedDevice {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(ops, "ops");
        if (size <= 0) {
            throw new IllegalArgumentException("device " + name + " has size " + size);
        }
    }

    /** {@return whether {@code addr} (unsigned 32-bit) falls in this device} */
    public boolean contains(int addr) {
        return Long.compareUnsigned(Integer.toUnsignedLong(addr) - base, size) < 0;
    }

    /**
     * QEMU's {@code memory_region_access_valid}: the {@code accepts} veto, the alignment rule, then
     * the {@code valid} sizes (a maximum of 0 accepts every size).
     */
    public boolean accessValid(long offset, int size, boolean isWrite) {
        if (ops.accepts() != null && !ops.accepts().accepts(offset, size, isWrite, org.guestmem.MemTxAttrs.UNSPECIFIED)) {
            return false;
        }
        if (!ops.validUnaligned() && (offset & (size - 1)) != 0) {
            return false;
        }
        if (ops.validMaxAccessSize() == 0) {
            return true;
        }
        return size <= ops.validMaxAccessSize() && size >= ops.validMinAccessSize();
    }
}
