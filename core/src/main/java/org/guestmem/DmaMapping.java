package org.guestmem;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;
import org.guestmem.internal.RamBlock;

/**
 * A guest range mapped for bulk DMA by {@link AddressSpace#map}, QEMU's {@code address_space_map}
 * result: either a <em>direct</em> slice of the RAM block behind the range, or the system's single
 * <em>bounce buffer</em> for anything else (MMIO, ROM for writing, holes, IOMMU-denied pages).
 * End it with {@link AddressSpace#unmap}.
 *
 * <h2 id="lifetime">Lifetime</h2>
 * A direct mapping holds a reference on its RAM block, so the {@link #segment()} stays valid until
 * unmap even if the region is removed or destroyed meanwhile (QEMU refs the region); after unmap
 * the block may be freed after a grace period, and a stale access then throws
 * {@link IllegalStateException}, never touching freed memory. A bounce buffer lives in an arena of
 * its own, closed by unmap: any later access throws. The segment may be used from any thread
 * between map and unmap, but not concurrently with unmap.
 */
public final class DmaMapping {
    final AddressSpace space;
    private final long address;
    private final long length;
    private final boolean isWrite;
    private final MemorySegment segment;
    // direct mappings
    final MemoryRegion region;
    final RamBlock block;
    final long offsetInBlock;
    // bounce mappings
    final Arena bounceArena;
    final AtomicBoolean unmapped = new AtomicBoolean();

    DmaMapping(AddressSpace space, long address, long length, boolean isWrite, MemorySegment segment,
               MemoryRegion region, RamBlock block, long offsetInBlock, Arena bounceArena) {
        this.space = space;
        this.address = address;
        this.length = length;
        this.isWrite = isWrite;
        this.segment = segment;
        this.region = region;
        this.block = block;
        this.offsetInBlock = offsetInBlock;
        this.bounceArena = bounceArena;
    }

    /** {@return the guest address of the first byte} */
    public long address() {
        return address;
    }

    /**
     * {@return how many bytes were mapped (QEMU's {@code *plen} on return)} May be less than asked:
     * a direct mapping stops where the guest range stops being contiguous in one RAM region, a
     * bounce buffer holds at most one target page.
     */
    public long length() {
        return length;
    }

    /** {@return whether the mapping was made for writing (the device writes guest memory)} */
    public boolean isWrite() {
        return isWrite;
    }

    /** {@return whether this is the bounce buffer rather than guest RAM itself} */
    public boolean isBounce() {
        return bounceArena != null;
    }

    /**
     * {@return the bytes to read or write: {@link #length()} bytes} For a read mapping of the
     * bounce buffer they were read from the guest at map time; for a write mapping they reach the
     * guest at unmap.
     */
    public MemorySegment segment() {
        return segment;
    }

    /** {@return the RAM region a direct mapping shows, or null for the bounce buffer} */
    public MemoryRegion region() {
        return region;
    }

    @Override
    public String toString() {
        return "DmaMapping[0x" + Long.toHexString(address) + " +0x" + Long.toHexString(length)
                + (isWrite ? " write" : " read") + (isBounce() ? " bounce" : " direct '" + region.name() + "'") + "]";
    }
}
