package org.guestmem;

import org.guestmem.internal.RamBlock;

/**
 * A RAM or ROM region (QEMU's {@code memory_region_init_ram}, {@code _rom}, {@code _ram_ptr},
 * {@code _ram_from_file}): guest accesses go straight to its RAM block, a {@link java.lang.foreign.MemorySegment}.
 * ROM is RAM with the readonly flag set: reads are direct, writes through an address space are
 * rejected the way QEMU 7.2 rejects them. The block's lifetime is described in
 * {@link RamBackedRegion}.
 */
public final class RamRegion extends RamBackedRegion {

    RamRegion(RegionContext context, Object owner, String name, RamBlock block, boolean readonly) {
        super(context, owner, name, block);
        this.readonly = readonly;
    }

    /** {@return whether this is ROM: RAM with the readonly flag set (QEMU's {@code memory_region_is_rom})} */
    public boolean isRom() {
        return readonly;
    }
}
