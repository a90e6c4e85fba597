package org.guestmem.dirty;

import org.guestmem.AddressSpace;
import org.guestmem.MemoryRegion;

/**
 * Told that guest code may have been overwritten, for a JIT's translation cache (QEMU's
 * {@code tb_invalidate_phys_range} in {@code notdirty_write} and {@code invalidate_and_set_dirty}).
 * Installed with {@link org.guestmem.MemorySystem#setCodeWriteHandler}; active only in a system
 * built with {@link org.guestmem.MemorySystemBuilder#codeDirtyTracking(boolean)}.
 *
 * <h2 id="protocol">Protocol</h2>
 * Before the JIT reads a page's code to translate it, it clears that page's CODE dirty bit
 * ({@link org.guestmem.tlb.Tlb#protectCode}, or {@link org.guestmem.RamRegion#testAndClearDirty}
 * with {@link DirtyLogClient#CODE}). A write to a range whose CODE bit is clean, by any path (a
 * CPU's TLB, the address space, an accessor, DMA), calls this handler before the data is written;
 * the handler invalidates the translated blocks that overlap the range and answers whether any
 * block is left on the page. {@code false} sets the CODE bit again, so later writes to the page
 * cost nothing; {@code true} keeps it clean, so every write to the page calls the handler again
 * (QEMU's behaviour while translated blocks remain on a page). A CPU's store that called the
 * handler answers {@code Tlb.CODE_WRITTEN}, so generated code can leave a block it may have
 * invalidated.
 *
 * <h2 id="threading">Threading</h2>
 * Called on the writing thread (a CPU thread inside its read section, a device thread), possibly
 * on several threads at once; keep it short, never block, and do not write guest memory from it.
 */
@FunctionalInterface
public interface CodeWriteHandler {
    /**
     * {@code length} bytes at guest address {@code addr} of {@code space} were written, which are
     * {@code offset} onwards in {@code region}'s RAM block, while their CODE bit was clean.
     *
     * @param space  the address space the write went through (for a write through an IOMMU, the
     *               space the IOMMU translated into); a JIT keys its translations by its addresses
     * @param addr   the guest address of the first byte written, in {@code space}
     * @param length the number of bytes written
     * @param region the RAM-backed region written
     * @param offset the offset within the region's RAM block
     * @return whether the page still holds translated code (its CODE bit then stays clean)
     */
    boolean codeWritten(AddressSpace space, long addr, long length, MemoryRegion region, long offset);
}
