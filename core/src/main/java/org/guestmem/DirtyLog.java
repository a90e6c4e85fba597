package org.guestmem;

import java.util.EnumSet;
import java.util.Set;
import org.guestmem.dirty.CodeWriteHandler;
import org.guestmem.dirty.DirtyLogClient;
import org.guestmem.dirty.GlobalDirtyReason;
import org.guestmem.internal.DirtyBitmap;
import org.guestmem.internal.RamBlock;

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

    DirtyLog(boolean codeTracking) {
        this.codeTracking = codeTracking;
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
     * unmap): marks with the region's mask as of now. Any thread.
     */
    void regionWritten(MemoryRegion mr, RamBlock block, long offset, long len) {
        int mask = logMask(mr);
        if (mask != 0 && len != 0) {
            markWritten(mr, block, mask, offset, len);
        }
    }

    /**
     * Sets the bits of {@code mask}'s clients that still have a clean page in the range, after
     * telling the {@link CodeWriteHandler} if CODE is among them. Lock-free, any thread.
     */
    void markWritten(MemoryRegion mr, RamBlock block, int mask, long offset, long len) {
        DirtyBitmap bits = block.dirty();
        mask = bits.cleanClients(offset, len, mask);
        if ((mask & DirtyLogClient.CODE.bit()) != 0) {
            CodeWriteHandler h = codeWriteHandler;
            if (h != null) {
                h.codeWritten(mr, offset, len);
            }
        }
        bits.set(offset, len, mask);
    }
}
