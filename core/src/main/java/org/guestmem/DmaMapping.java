package org.guestmem;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;
import org.guestmem.internal.Hex;
import org.guestmem.internal.RamBlock;

/**
 * A guest range mapped for bulk DMA by {@link AddressSpace#map}, QEMU's {@code address_space_map}
 * result: either a {@link Direct} slice of the RAM block behind the range, or the system's single
 * {@link Bounce} buffer for anything else (MMIO, ROM for writing, holes, IOMMU-denied pages). End
 * it with {@link AddressSpace#unmap}; each kind knows how it ends.
 *
 * <h2 id="lifetime">Lifetime</h2>
 * A direct mapping holds a reference on its RAM block, so the {@link #segment()} stays valid until
 * unmap even if the region is removed or destroyed meanwhile (QEMU refs the region); after unmap
 * the block may be freed after a grace period, and a stale access then throws
 * {@link IllegalStateException}, never touching freed memory. A bounce buffer lives in an arena of
 * its own, closed by unmap: any later access throws. The segment may be used from any thread
 * between map and unmap, but not concurrently with unmap.
 */
public abstract sealed class DmaMapping permits DmaMapping.Direct, DmaMapping.Bounce {
    final AddressSpace space;
    private final long address;
    private final long length;
    private final boolean isWrite;
    private final MemorySegment segment;
    private final AtomicBoolean unmapped = new AtomicBoolean();

    private DmaMapping(AddressSpace space, long address, long length, boolean isWrite, MemorySegment segment) {
        this.space = space;
        this.address = address;
        this.length = length;
        this.isWrite = isWrite;
        this.segment = segment;
    }

    /** {@return the guest address of the first byte} */
    public final long address() {
        return address;
    }

    /**
     * {@return how many bytes were mapped (QEMU's {@code *plen} on return)} May be less than asked:
     * a direct mapping stops where the guest range stops being contiguous in one RAM region, a
     * bounce buffer holds at most one target page.
     */
    public final long length() {
        return length;
    }

    /** {@return whether the mapping was made for writing (the device writes guest memory)} */
    public final boolean isWrite() {
        return isWrite;
    }

    /** {@return whether this is the bounce buffer rather than guest RAM itself} */
    public final boolean isBounce() {
        return this instanceof Bounce;
    }

    /**
     * {@return the bytes to read or write: {@link #length()} bytes} For a read mapping of the
     * bounce buffer they were read from the guest at map time; for a write mapping they reach the
     * guest at unmap.
     */
    public final MemorySegment segment() {
        return segment;
    }

    /**
     * Ends the mapping once; {@link AddressSpace#unmap} has checked the arguments.
     *
     * @throws IllegalStateException if it was already unmapped
     */
    final void unmap(long accessLength) {
        if (!unmapped.compareAndSet(false, true)) {
            throw new IllegalStateException(this + " was already unmapped");
        }
        end(accessLength);
    }

    /** What unmapping does for this kind: {@code accessLength} bytes from the start were used. */
    abstract void end(long accessLength);

    @Override
    public String toString() {
        return "DmaMapping[" + Hex.of(address) + " +" + Hex.of(length) + (isWrite ? " write" : " read") + kind() + "]";
    }

    abstract String kind();

    /**
     * A slice of a RAM block. Unmapping a write mapping marks the bytes written dirty (with the
     * region's dirty-log clients as of then, the code-write handler included); then the block
     * reference is dropped.
     */
    public static final class Direct extends DmaMapping {
        private final MemoryRegion region;
        private final RamBlock block;
        private final long offsetInBlock;
        private final DirtyLog dirtyLog;

        Direct(AddressSpace space, long address, long length, boolean isWrite, MemorySegment segment, MemoryRegion region,
               RamBlock block, long offsetInBlock, DirtyLog dirtyLog) {
            super(space, address, length, isWrite, segment);
            this.region = region;
            this.block = block;
            this.offsetInBlock = offsetInBlock;
            this.dirtyLog = dirtyLog;
        }

        /** {@return the RAM region the mapping shows} */
        public MemoryRegion region() {
            return region;
        }

        @Override
        void end(long accessLength) {
            try {
                if (isWrite()) {
                    dirtyLog.regionWritten(space, address(), region, block, offsetInBlock, accessLength);
                }
            } finally {
                block.release();
            }
        }

        @Override
        String kind() {
            return " direct '" + region.name() + "'";
        }
    }

    /**
     * The system's bounce buffer. Unmapping a write mapping writes the bytes used back to the
     * guest ({@link AddressSpace#write}, unspecified attributes, result ignored as in QEMU); then
     * the buffer is freed and the map clients run on the unmapping thread.
     */
    public static final class Bounce extends DmaMapping {
        private final Arena arena;
        private final BounceBuffer buffer;

        Bounce(AddressSpace space, long address, long length, boolean isWrite, MemorySegment segment, Arena arena,
               BounceBuffer buffer) {
            super(space, address, length, isWrite, segment);
            this.arena = arena;
            this.buffer = buffer;
        }

        @Override
        void end(long accessLength) {
            try {
                if (isWrite() && accessLength != 0) {
                    space.write(address(), MemTxAttrs.UNSPECIFIED, segment().asSlice(0, accessLength));
                }
            } finally {
                arena.close();
                buffer.release();
            }
        }

        @Override
        String kind() {
            return " bounce";
        }
    }
}
