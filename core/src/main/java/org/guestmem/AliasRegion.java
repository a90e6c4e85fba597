package org.guestmem;

import org.guestmem.internal.Hex;

/**
 * A window onto another region (QEMU's {@code memory_region_init_alias}): the alias's
 * {@code [0, size)} shows the target's {@code [aliasOffset, aliasOffset + size)}. An alias's own
 * readonly and nonvolatile flags apply to everything seen through it. QEMU documents that
 * aliases take no subregions but does not enforce it; neither does guestmem (dumps of real
 * machines are imported as they are): rendering ignores an alias's subregions and printing shows
 * them, exactly as in QEMU.
 *
 * <p>The window must fit the target unless the system was built with
 * {@link MemorySystemBuilder#lenientAliasWindows(boolean)}: QEMU never checks, and real machines
 * have windows larger than their targets (MIPS Malta's 32 MiB {@code pci0-io} onto the 64 KiB
 * {@code io}); rendering then clips the window to the target, as QEMU does.
 *
 * <h2 id="own-container">Aliases into their own container</h2>
 * An alias may show a region that contains it, directly or further up (QEMU's Arm SSE-200 boards
 * map a window of a container inside that container): rendering shows only the window, so as
 * long as the window does not contain the alias, the recursion ends, exactly as in QEMU's
 * {@code render_memory_region}. An alias that is reached again inside its own rendering with
 * something left to show (its window contains itself, directly or through other aliases) is
 * refused when a commit renders it: the commit throws {@link AliasLoopException} naming the loop
 * and rolls its transaction back (see {@link MemoryTransaction}). QEMU recurses in that case,
 * forever or until the clip is empty; guestmem refuses every such re-entry. A structure that no
 * address space shows is not rendered and not checked.
 *
 * <p>An alias does not keep anything alive beyond what Java's garbage collector does, and no
 * {@link FlatView} refers to an alias, even one that is the flatview root of an address space: an
 * alias may be dropped as soon as it is removed from its container (see {@code docs/lifetimes.md}).
 */
public final class AliasRegion extends MemoryRegion {
    private final MemoryRegion target;
    // guarded by the update lock
    long aliasOffset;
    /** Scratch of the renderer: whether the alias's target is being rendered (see {@link FlatViewRenderer}). */
    boolean onRenderPath;
    /** Scratch of {@link ChangedExtents}: the stamp of the alias list it was last met in. */
    long extentStamp;

    AliasRegion(RegionContext context, Object owner, String name, MemoryRegion target, long offset, long size) {
        super(context, owner, name, size);
        this.target = target;
        this.aliasOffset = offset;
        checkWindow(offset, sizeMinus1, "create alias " + describe(this));
    }

    @Override
    public boolean terminates() {
        return false;
    }

    /** {@return the region this alias shows} */
    public MemoryRegion target() {
        return target;
    }

    /** {@return the offset within the target of the alias's first byte} */
    public long aliasOffset() {
        return aliasOffset;
    }

    /**
     * Moves the window within the target (QEMU's {@code memory_region_set_alias_offset}).
     *
     * @param offset the new offset within the target
     * @throws IllegalArgumentException if the window would no longer fit the target
     */
    public void setAliasOffset(long offset) {
        mutate(() -> {
            checkAlive();
            checkWindow(offset, sizeMinus1, "move the window of alias " + describe(this));
            if (offset != aliasOffset) {
                long old = aliasOffset;
                recordUndo(() -> aliasOffset = old);
                aliasOffset = offset;
                RegionFlags.markIfEnabled(this);
            }
        });
    }

    /** Re-checks the window when the alias gets mapped: its target may have shrunk meanwhile. */
    void checkWindowStillFits(String what) {
        checkWindow(aliasOffset, sizeMinus1, what);
    }

    @Override
    void checkResizable(long newSizeMinus1) {
        checkWindow(aliasOffset, newSizeMinus1, "resize alias " + describe(this));
    }

    private void checkWindow(long offset, long windowMinus1, String what) {
        long last = offset + windowMinus1;
        boolean wraps = Long.compareUnsigned(last, offset) < 0;
        if (wraps || (!context.lenientAliasWindows && Long.compareUnsigned(last, target.sizeMinus1) > 0)) {
            throw new IllegalArgumentException("cannot " + what + ": window [" + Hex.of(offset) + ", +"
                    + Hex.ofSizeMinusOne(windowMinus1) + ") does not fit target " + describe(target)
                    + " of size " + Hex.ofSizeMinusOne(target.sizeMinus1));
        }
    }
}
