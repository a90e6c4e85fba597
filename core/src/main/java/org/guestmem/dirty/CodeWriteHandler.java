package org.guestmem.dirty;

import org.guestmem.MemoryRegion;

/**
 * Told that guest code may have been overwritten, for a JIT's translation cache (QEMU's
 * {@code tb_invalidate_phys_range} in {@code invalidate_and_set_dirty}). Installed with
 * {@link org.guestmem.MemorySystem#setCodeWriteHandler}; active only in a system built with
 * {@link org.guestmem.MemorySystemBuilder#codeDirtyTracking(boolean)}.
 *
 * <p>Protocol: when the JIT translates code from a page it clears that page's CODE dirty bit
 * ({@link org.guestmem.RamRegion#testAndClearDirty}). A write through the access path to a range with a clean
 * CODE bit calls this handler before setting the bit again, so each translated page costs one
 * call per round of writes. Called on the writing thread, inside its read section; keep it short
 * and never block.
 */
@FunctionalInterface
public interface CodeWriteHandler {
    /**
     * {@code length} bytes at {@code offset} of {@code region}'s RAM were written.
     *
     * @param region the RAM-backed region written
     * @param offset the offset within the region's RAM block
     * @param length the number of bytes written
     */
    void codeWritten(MemoryRegion region, long offset, long length);
}
