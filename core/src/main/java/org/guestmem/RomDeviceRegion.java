package org.guestmem;

import java.lang.foreign.MemorySegment;
import java.util.Objects;
import org.guestmem.internal.Hex;
import org.guestmem.internal.MmioDispatcher;
import org.guestmem.internal.RamBlock;

/**
 * A ROM device (QEMU's {@code memory_region_init_rom_device}), such as a flash chip: in romd mode
 * (the default) reads come straight from its RAM block and writes go to its ops; out of romd mode
 * every access goes to the ops. The device switches modes with {@link #setRomdMode}, which
 * re-renders like any topology change. Its RAM block follows the lifetime rules of
 * {@link RamRegion}.
 */
public final class RomDeviceRegion extends MemoryRegion {
    final RamBlock block;
    private final MemoryRegionOps ops;
    final MmioDispatcher dispatcher;
    // guarded by the update lock
    boolean romdMode = true;

    RomDeviceRegion(MemorySystem system, Object owner, String name, RamBlock block, MemoryRegionOps ops) {
        super(system, owner, name, block.size());
        this.block = block;
        this.ops = Objects.requireNonNull(ops, "ops");
        this.dispatcher = new MmioDispatcher(ops, system.targetByteOrder());
    }

    @Override
    public boolean terminates() {
        return true;
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

    /** {@return the RAM block that romd-mode reads come from} */
    public MemorySegment segment() {
        return block.segment();
    }

    /** Switches romd mode (QEMU's {@code memory_region_rom_device_set_romd}). */
    public void setRomdMode(boolean value) {
        system.mutate(() -> {
            checkAlive();
            if (romdMode != value) {
                romdMode = value;
                if (enabled) {
                    system.markUpdatePending();
                }
            }
        });
    }

    /**
     * {@return whether any page of {@code [offset, offset + length)} is dirty for {@code client}}
     * Reads the bitmap as it is (no listener sync).
     *
     * @throws IllegalArgumentException if the range is outside the RAM block
     */
    public boolean getDirty(long offset, long length, DirtyLogClient client) {
        return DirtyMemory.get(this, block, offset, length, client);
    }

    /**
     * Marks the range dirty for every client the region logs for (QEMU's
     * {@code memory_region_set_dirty}), e.g. after writing RAM directly through {@link #segment()}.
     *
     * @throws IllegalArgumentException if the range is outside the RAM block
     */
    public void setDirty(long offset, long length) {
        DirtyMemory.set(this, block, offset, length);
    }

    /**
     * Clears the range's bits for {@code client} (QEMU's {@code memory_region_reset_dirty}); then
     * listeners get {@code logClear} for the sections concerned, widened to whole target pages.
     * Atomic per 64-page word: a page written meanwhile is reported now or stays dirty.
     *
     * @return whether any page was dirty
     * @throws IllegalArgumentException if the range is outside the RAM block
     */
    public boolean testAndClearDirty(long offset, long length, DirtyLogClient client) {
        return DirtyMemory.testAndClear(this, block, offset, length, client);
    }

    /**
     * Syncs the listeners for this region, copies and clears {@code client}'s bits for the range
     * widened to 64-page words, sends {@code logClear} for the range and then
     * {@code logGlobalAfterSync} to every listener (QEMU's
     * {@code memory_region_snapshot_and_clear_dirty}).
     *
     * @throws IllegalArgumentException if the range is outside the RAM block
     */
    public DirtySnapshot snapshotAndClearDirty(long offset, long length, DirtyLogClient client) {
        return DirtyMemory.snapshotAndClear(this, block, offset, length, client);
    }

    @Override
    void checkResizable(long newSizeMinus1) {
        if (Long.compareUnsigned(newSizeMinus1, block.size() - 1) > 0) {
            throw new IllegalArgumentException("cannot resize " + describe(this) + " to "
                    + Hex.ofSizeMinusOne(newSizeMinus1) + ": its RAM block holds only " + Hex.of(block.size()) + " bytes");
        }
    }

    @Override
    void onDestroy() {
        block.release();
    }
}
