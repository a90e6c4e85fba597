package org.guestmem;

import java.util.EnumSet;
import java.util.Set;
import org.guestmem.dirty.CodeWriteHandler;
import org.guestmem.dirty.DirtyLogClient;
import org.guestmem.dirty.GlobalDirtyReason;
import org.guestmem.internal.DirtyBitmap;
import org.guestmem.internal.RamBlock;
import org.guestmem.internal.TlbRegistry;

/**
 * One system's dirty-log state: the global tracking reasons (QEMU's
 * {@code global_dirty_tracking}), whether code writes are tracked for a JIT, the
 * {@link CodeWriteHandler}, the log mask a region answers for itself, and what a RAM write marks.
 *
 * <h2 id="threading">Threading</h2>
 * The reasons are written under the update lock; they and the handler are volatile, so
 * {@link #logMask} and {@link #markWritten} run on any thread without a lock (device threads
 * unmapping DMA, CPU threads storing to RAM), as QEMU reads its global.
 */
final class DirtyLog {
    private final boolean codeTracking;
    /** The OR of the {@link GlobalDirtyReason#bit()}s that hold. Written under the update lock. */
    private volatile int globalReasons;
    private volatile CodeWriteHandler codeWriteHandler;
    /** The live softmmu TLBs of the system ({@code org.guestmem.tlb}), flagged when bits are cleared. */
    private final TlbRegistry tlbs = new TlbRegistry();

    DirtyLog(boolean codeTracking) {
        this.codeTracking = codeTracking;
    }

    TlbRegistry tlbs() {
        return tlbs;
    }

    boolean codeTracking() {
        return codeTracking;
    }

    void setCodeWriteHandler(CodeWriteHandler handler) {
        this.codeWriteHandler = handler;
    }

    /** {@return whether global dirty tracking is on (any reason holds)} */
    boolean globalTracking() {
        return globalReasons != 0;
    }

    /** {@return the reasons that hold, as a new set} */
    EnumSet<GlobalDirtyReason> reasons() {
        return GlobalDirtyReason.of(globalReasons);
    }

    /**
     * Adds {@code reasons}; under the update lock. {@return whether tracking went from off to on}
     *
     * @throws IllegalArgumentException if {@code reasons} is empty
     */
    boolean start(Set<GlobalDirtyReason> reasons) {
        int bits = checkReasons(reasons);
        int old = globalReasons;
        globalReasons = old | bits;
        return old == 0;
    }

    /**
     * Removes {@code reasons}; under the update lock. {@return whether tracking went from on to off}
     *
     * @throws IllegalArgumentException if {@code reasons} is empty
     */
    boolean stop(Set<GlobalDirtyReason> reasons) {
        int bits = checkReasons(reasons);
        int old = globalReasons;
        globalReasons = old & ~bits;
        return old != 0 && globalReasons == 0;
    }

    private static int checkReasons(Set<GlobalDirtyReason> reasons) {
        if (reasons.isEmpty()) {
            throw new IllegalArgumentException("global dirty tracking needs at least one reason, got " + reasons);
        }
        return GlobalDirtyReason.bits(reasons);
    }

    /**
     * The dirty-log clients rendering records for {@code mr} (QEMU's
     * {@code memory_region_get_dirty_log_mask}): explicit requests, plus MIGRATION under global
     * dirty tracking and CODE under code tracking for RAM-backed regions. Any thread.
     */
    int logMask(MemoryRegion mr) {
        int mask = mr.explicitLogMaskVolatile;
        boolean ramBacked = mr instanceof RamBackedRegion;
        if (globalReasons != 0 && (ramBacked || mr instanceof IommuRegion)) {
            mask |= DirtyLogClient.MIGRATION.bit();
        }
        if (codeTracking && ramBacked) { // TCG only cares about RAM, not IOMMUs
            mask |= DirtyLogClient.CODE.bit();
        }
        return mask;
    }

    /**
     * QEMU's {@code invalidate_and_set_dirty} for a write made outside the access path (DMA
     * unmap): marks with the region's mask as of now. The write was made through {@code as} at
     * guest address {@code addr}. Any thread.
     */
    void regionWritten(AddressSpace as, long addr, MemoryRegion mr, RamBlock block, long offset, long len) {
        int mask = logMask(mr);
        if (mask != 0 && len != 0) {
            markWritten(as, addr, mr, block, mask, offset, len);
        }
    }

    /**
     * Marks {@code [offset, offset + len)} of {@code block} (region {@code mr}), written through
     * {@code as} at guest address {@code addr}, dirty for the clients of {@code mask} that still
     * have a clean page there; if CODE is among them, the {@link CodeWriteHandler} hears of it
     * first, and CODE stays clean while it answers that the range still holds translated code.
     * Lock-free, any thread. {@return whether the CODE bit was clean somewhere in the range}
     */
    boolean markWritten(AddressSpace as, long addr, MemoryRegion mr, RamBlock block, int mask, long offset, long len) {
        DirtyBitmap bits = block.dirty();
        mask = bits.cleanClients(offset, len, mask);
        boolean code = (mask & DirtyLogClient.CODE.bit()) != 0;
        if (code && codeWritten(as, addr, len, mr, offset)) {
            mask &= ~DirtyLogClient.CODE.bit();
        }
        bits.set(offset, len, mask);
        return code;
    }

    /**
     * Tells the {@link CodeWriteHandler}, if there is one, that a write hit a range whose CODE bit
     * is clean. {@return whether the range still holds translated code (false without a handler)}
     */
    boolean codeWritten(AddressSpace as, long addr, long len, MemoryRegion mr, long offset) {
        CodeWriteHandler h = codeWriteHandler;
        return h != null && h.codeWritten(as, addr, len, mr, offset);
    }
}
