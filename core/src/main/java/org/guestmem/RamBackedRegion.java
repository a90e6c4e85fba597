package org.guestmem;

import java.lang.foreign.MemorySegment;
import org.guestmem.dirty.DirtyLogClient;
import org.guestmem.dirty.DirtySnapshot;
import org.guestmem.internal.Hex;
import org.guestmem.internal.RamBlock;

/**
 * The region kinds backed by a RAM block: {@link RamRegion} (RAM and ROM) and
 * {@link RomDeviceRegion}. They share the block, its dirty bitmaps and their lifetime.
 *
 * <h2 id="lifetime">Lifetime of the RAM block</h2>
 * The block's memory is returned when the region has been {@linkplain #destroy() destroyed} and no
 * {@link FlatView} that maps it is alive any more, and never before a grace period has passed
 * after the last reader could have seen it (see {@code docs/lifetimes.md}). A caller-supplied
 * segment is never freed by guestmem. Any access through {@link #segment()} after the block was
 * freed fails with {@link IllegalStateException} (the segment's arena is closed); it never reads
 * freed memory. The dirty-bitmap methods throw the same exception once the block is freed.
 */
public abstract sealed class RamBackedRegion extends MemoryRegion permits RamRegion, RomDeviceRegion {
    final RamBlock block;

    RamBackedRegion(RegionContext context, Object owner, String name, RamBlock block) {
        super(context, owner, name, block.size());
        this.block = block;
    }

    @Override
    public final boolean terminates() {
        return true;
    }

    /**
     * {@return the whole RAM block, for loaders and devices that fill or read it directly}
     * Writes through this segment bypass dirty tracking (see {@link #setDirty}). Any thread may use
     * it; every access is refused with {@link IllegalStateException} once the block is freed.
     *
     * <p>Cost: the segment is checked, so it belongs to a shared arena of its own, made by the
     * first call (later calls return the same segment). Closing it when the block is freed is a
     * handshake with every Java thread, which the system's RAM reclaimer thread pays instead of a
     * plain {@code munmap}; a block nobody called this for has no arena. A loader that only fills
     * RAM can avoid it with {@link AddressSpace#writeRom} or {@link AddressSpace#write} once the
     * region is mapped.
     */
    public final MemorySegment segment() {
        return block.checkedSegment();
    }

    /**
     * {@return whether any page of {@code [offset, offset + length)} is dirty for {@code client}}
     * Reads the bitmap as it is (no listener sync).
     *
     * @param offset the offset within the RAM block
     * @param length the number of bytes
     * @param client the dirty-log client
     * @throws IllegalArgumentException if the range is outside the RAM block
     */
    public final boolean getDirty(long offset, long length, DirtyLogClient client) {
        return DirtyMemory.get(this, block, offset, length, client);
    }

    /**
     * Marks the range dirty for every client the region logs for (QEMU's
     * {@code memory_region_set_dirty}), e.g. after writing RAM directly through {@link #segment()}.
     *
     * @param offset the offset within the RAM block
     * @param length the number of bytes
     * @throws IllegalArgumentException if the range is outside the RAM block
     */
    public final void setDirty(long offset, long length) {
        DirtyMemory.set(this, block, offset, length);
    }

    /**
     * Clears the range's bits for {@code client} (QEMU's {@code memory_region_reset_dirty}); then
     * listeners get {@code logClear} for the sections concerned, widened to whole target pages.
     * Atomic per 64-page word: a page written meanwhile is reported now or stays dirty.
     *
     * @param offset the offset within the RAM block
     * @param length the number of bytes
     * @param client the dirty-log client
     * @return whether any page was dirty
     * @throws IllegalArgumentException if the range is outside the RAM block
     */
    public final boolean testAndClearDirty(long offset, long length, DirtyLogClient client) {
        return DirtyMemory.testAndClear(this, block, offset, length, client);
    }

    /**
     * Syncs the listeners for this region, copies and clears {@code client}'s bits for the range
     * widened to 64-page words, sends {@code logClear} for the range and then
     * {@code logGlobalAfterSync} to every listener (QEMU's
     * {@code memory_region_snapshot_and_clear_dirty}).
     *
     * @param offset the offset within the RAM block
     * @param length the number of bytes
     * @param client the dirty-log client
      * @return the snapshot
     * @throws IllegalArgumentException if the range is outside the RAM block
     */
    public final DirtySnapshot snapshotAndClearDirty(long offset, long length, DirtyLogClient client) {
        return DirtyMemory.snapshotAndClear(this, block, offset, length, client);
    }

    @Override
    final void checkResizable(long newSizeMinus1) {
        if (Long.compareUnsigned(newSizeMinus1, block.size() - 1) > 0) {
            throw new IllegalArgumentException("cannot resize " + describe(this) + " to "
                    + Hex.ofSizeMinusOne(newSizeMinus1) + ": its RAM block holds only " + Hex.of(block.size()) + " bytes");
        }
    }

    @Override
    final void onDestroy() {
        block.orphan();
    }
}
