package org.guestmem.dirty;

/**
 * The clients of dirty memory tracking, QEMU's {@code DIRTY_MEMORY_*}: each keeps its own bitmap
 * per RAM block, one bit per target page.
 */
public enum DirtyLogClient {
    /** Display devices that redraw what the guest changed in video RAM. */
    VGA,
    /** The JIT: a write to a page holding translated code must invalidate that code. */
    CODE,
    /** Live migration: pages to send again. */
    MIGRATION;

    /** {@return this client's bit in a dirty log mask (QEMU's {@code 1 << DIRTY_MEMORY_X})} */
    public int bit() {
        return 1 << ordinal();
    }
}
