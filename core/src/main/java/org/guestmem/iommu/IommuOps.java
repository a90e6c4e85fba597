package org.guestmem.iommu;

import org.guestmem.IommuRegion;
import org.guestmem.MemTxAttrs;

/**
 * The model behind an {@link IommuRegion}, QEMU's {@code IOMMUMemoryRegionClass}: translation of
 * the region's input addresses, plus optional hooks with QEMU's defaults.
 *
 * <h2 id="threading">Threading</h2>
 * {@link #translate} runs on the thread making the access (CPU and device threads, concurrently,
 * inside their RCU read sections or holding a counted view reference) and must be thread-safe and
 * must not block for long; it must not change the memory topology. The other hooks run on the
 * thread that called the {@link IommuRegion} method concerned.
 */
public interface IommuOps {

    /**
     * Translates input address {@code addr} (an offset within the region) for an access of kind
     * {@code flag} ({@link IommuPerm#RO} read, {@link IommuPerm#WO} write, {@link IommuPerm#NONE}:
     * report the full permissions), QEMU's {@code translate}. The entry's {@code addrMask} gives
     * the page size; an entry whose permission lacks the requested access makes the access fail
     * as an unassigned one. Must not return null.
     *
     * @param region the IOMMU region
     * @param addr the input address: an offset within the region
     * @param flag the access asked for: RO for a read, WO for a write, NONE for the full permissions
     * @param iommuIdx the IOMMU index
      * @return the entry for {@code addr}
     */
    IommuTlbEntry translate(IommuRegion region, long addr, IommuPerm flag, int iommuIdx);

    /**
     * {@return the IOMMU index for an access with {@code attrs}} Default 0 (QEMU's default when the hook is absent).
     *
     * @param region the IOMMU region
     * @param attrs the transaction attributes
     */
    default int attrsToIndex(IommuRegion region, MemTxAttrs attrs) {
        return 0;
    }

    /**
     * {@return how many IOMMU indexes the model has} Default 1.
     *
     * @param region the IOMMU region
     */
    default int numIndexes(IommuRegion region) {
        return 1;
    }

    /**
     * {@return the smallest page the model maps} Default: the target page size (QEMU's {@code TARGET_PAGE_SIZE}).
     *
     * @param region the IOMMU region
     */
    default long minPageSize(IommuRegion region) {
        return region.targetPageSize();
    }

    /**
     * The union of the registered notifiers' flags changes from {@code oldFlags} to
     * {@code newFlags} (QEMU's {@code notify_flag_changed}). Throwing refuses a registration: it is
     * undone and the exception reaches the caller of {@link IommuRegion#registerNotifier}. Default:
     * accept.
     *
     * @param region the IOMMU region
     * @param oldFlags the union of the flags before
     * @param newFlags the union of the flags after
     */
    default void notifyFlagChanged(IommuRegion region, int oldFlags, int newFlags) {
    }

    /**
     * Sends {@code notifier} the current mappings (QEMU's {@code replay}). Default: QEMU's
     * {@code memory_region_iommu_replay} without a model hook, see
     * {@link IommuRegion#replayByTranslation(IommuNotifier)}.
     *
     * @param region the IOMMU region
     * @param notifier the notifier to send the mappings to
     */
    default void replay(IommuRegion region, IommuNotifier notifier) {
        region.replayByTranslation(notifier);
    }
}
