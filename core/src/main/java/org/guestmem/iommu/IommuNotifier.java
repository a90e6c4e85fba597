package org.guestmem.iommu;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.guestmem.IommuRegion;
import org.guestmem.internal.Hex;
import org.guestmem.internal.SharedSecrets;

/**
 * A subscription to an {@link IommuRegion}'s mapping changes over the input range
 * {@code [start, end]}, QEMU's {@code IOMMUNotifier}: for every event whose type is in
 * {@link #flags()} and whose page overlaps the range, {@link #notify(IommuTlbEntry)} is called
 * with the event's entry. Register with {@link IommuRegion#registerNotifier}; a notifier belongs to
 * at most one region at a time. Immutable apart from that registration.
 */
public final class IommuNotifier {
    /** QEMU's {@code IOMMU_NOTIFIER_UNMAP}. */
    public static final int UNMAP = IommuEvent.Type.UNMAP.bit();
    /** QEMU's {@code IOMMU_NOTIFIER_MAP}. */
    public static final int MAP = IommuEvent.Type.MAP.bit();
    /** QEMU's {@code IOMMU_NOTIFIER_DEVIOTLB_UNMAP}. */
    public static final int DEVIOTLB_UNMAP = IommuEvent.Type.DEVIOTLB_UNMAP.bit();
    /** QEMU's {@code IOMMU_NOTIFIER_IOTLB_EVENTS}: MAP and UNMAP. */
    public static final int IOTLB_EVENTS = MAP | UNMAP;
    /** Every flag. */
    public static final int ALL = IOTLB_EVENTS | DEVIOTLB_UNMAP;

    private final int flags;
    private final long start;
    private final long end;
    private final int iommuIdx;
    private final Consumer<IommuTlbEntry> callback;
    /** The region this notifier is registered on, or null; set by compare-and-set. */
    private final AtomicReference<IommuRegion> registeredOn = new AtomicReference<>();

    static {
        SharedSecrets.setNotifierRegistration(new SharedSecrets.NotifierRegistration() {
            @Override
            public IommuRegion claim(IommuNotifier n, IommuRegion region) {
                return n.registeredOn.compareAndSet(null, region) ? null : n.registeredOn.get();
            }

            @Override
            public void free(IommuNotifier n) {
                n.registeredOn.set(null);
            }
        });
    }

    /**
     * QEMU's {@code iommu_notifier_init}.
     *
     * @param flags    a non-empty combination of {@link #MAP}, {@link #UNMAP}, {@link #DEVIOTLB_UNMAP}
     * @param start    first input address of interest (unsigned)
     * @param end      last input address of interest, inclusive (unsigned, {@code >= start})
     * @param iommuIdx the IOMMU index the notifier listens to (0 unless the IOMMU has several)
     * @param callback what to call with each entry, on the thread that notifies
     * @throws IllegalArgumentException if the flags are empty or unknown, or {@code end < start}
     */
    public IommuNotifier(int flags, long start, long end, int iommuIdx, Consumer<IommuTlbEntry> callback) {
        if (flags == 0 || (flags & ~ALL) != 0) {
            throw new IllegalArgumentException("IOMMU notifier flags must be a non-empty combination of 0x7, got "
                    + Hex.of(flags));
        }
        if (Long.compareUnsigned(start, end) > 0) {
            throw new IllegalArgumentException("IOMMU notifier range [" + Hex.of(start) + ", "
                    + Hex.of(end) + "] is empty");
        }
        this.flags = flags;
        this.start = start;
        this.end = end;
        this.iommuIdx = iommuIdx;
        this.callback = Objects.requireNonNull(callback, "callback");
    }

    /** {@return the events of interest} */
    public int flags() {
        return flags;
    }

    /** {@return the first input address of interest} */
    public long start() {
        return start;
    }

    /** {@return the last input address of interest, inclusive} */
    public long end() {
        return end;
    }

    /** {@return the IOMMU index listened to} */
    public int iommuIdx() {
        return iommuIdx;
    }

    /**
     * Delivers {@code entry} to the callback (QEMU's {@code n->notify}).
     *
     * @param entry the entry of the event
     */
    public void notify(IommuTlbEntry entry) {
        callback.accept(entry);
    }

    @Override
    public String toString() {
        return "IommuNotifier[flags=" + Hex.of(flags) + " [" + Hex.of(start) + ", "
                + Hex.of(end) + "] idx " + iommuIdx + "]";
    }
}
