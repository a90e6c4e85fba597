package org.guestmem;

import java.util.Objects;
import org.guestmem.internal.MmioDispatcher;
import org.guestmem.internal.RamBlock;

/**
 * A ROM device (QEMU's {@code memory_region_init_rom_device}), such as a flash chip: in romd mode
 * (the default) reads come straight from its RAM block and writes go to its ops; out of romd mode
 * every access goes to the ops. The device switches modes with {@link #setRomdMode}, which
 * re-renders like any topology change. Romd-mode reads come from {@link #segment()}; the
 * block's lifetime is described in {@link RamBackedRegion}.
 */
public final class RomDeviceRegion extends RamBackedRegion {
    private final MemoryRegionOps ops;
    final MmioDispatcher dispatcher;
    // guarded by the update lock
    boolean romdMode = true;

    RomDeviceRegion(RegionContext context, Object owner, String name, RamBlock block, MemoryRegionOps ops) {
        super(context, owner, name, block);
        this.ops = Objects.requireNonNull(ops, "ops");
        this.dispatcher = new MmioDispatcher(ops, context.targetByteOrder);
    }

    @Override
    MmioDispatcher dispatcher() {
        return dispatcher;
    }

    @Override
    public boolean isRomdMode() {
        return romdMode;
    }

    /** {@return the callbacks that receive writes (and reads out of romd mode)} */
    public MemoryRegionOps ops() {
        return ops;
    }

    /**
     * Switches romd mode (QEMU's {@code memory_region_rom_device_set_romd}).
     *
     * @param value true for romd mode
     */
    public void setRomdMode(boolean value) {
        mutate(() -> {
            checkAlive();
            if (romdMode != value) {
                recordUndo(() -> romdMode = !value);
                romdMode = value;
                RegionFlags.markIfEnabled(this);
            }
        });
    }
}
