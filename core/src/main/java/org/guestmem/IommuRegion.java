package org.guestmem;

import java.lang.invoke.MethodHandles;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.guestmem.internal.Hex;
import org.guestmem.internal.SharedSecrets;
import org.guestmem.iommu.IommuEvent;
import org.guestmem.iommu.IommuNotifier;
import org.guestmem.iommu.IommuOps;
import org.guestmem.iommu.IommuPerm;
import org.guestmem.iommu.IommuTlbEntry;

/**
 * An IOMMU region (QEMU's {@code memory_region_init_iommu}): a terminating region whose accesses
 * are not served by the region itself but translated by its {@link IommuOps} into another (or
 * the same) address space, page by page, with permissions. Like QEMU it prints as {@code i/o} in
 * {@code info mtree}, its flat-view sections have kind {@code KIND_IOMMU} (marked {@code [iommu]}
 * in dispatch dumps), and while global dirty tracking is on it logs for MIGRATION (never CODE).
 *
 * <h2 id="translation">Translation (QEMU's {@code flatview_do_translate})</h2>
 * An access that lands on an IOMMU section asks the model for the entry of the offset within the
 * region, with {@link IommuPerm#RO} for reads and {@link IommuPerm#WO} for writes. If the entry's
 * permission lacks that access, the access goes to QEMU's unassigned region: reads see 0 and
 * everything answers {@link MemTxResult#DECODE_ERROR} (QEMU 7.2 returns a section of
 * {@code io_mem_unassigned}; {@link MemTxResult#ACCESS_ERROR} comes only from
 * {@link MemTxAttrs#memory()} accesses to what is not RAM, IOMMU-denied or not). Otherwise the
 * address becomes {@code (translatedAddr & ~addrMask) | (offset & addrMask)}, the access is cut at
 * the end of the IOMMU page, and the lookup continues in the target address space's current view
 * (acquired for the duration of the piece), repeating while it lands on IOMMUs again. guestmem
 * stops after {@value #MAX_NESTING} nested IOMMUs and treats the access as unassigned (QEMU would
 * loop forever on a cycle). Accessors never cache IOMMU pages: every access is translated.
 *
 * <h2 id="notifiers">Notifiers</h2>
 * {@link #registerNotifier} / {@link #unregisterNotifier} maintain the region's notifier list
 * (newest first, as QEMU inserts at the head) and the union of their flags;
 * {@link #notify(int, IommuEvent)} is what the model calls when it invalidates or adds mappings;
 * {@link #replay} sends a notifier the current mappings. The list is copy-on-write: registration
 * takes a lock private to the region, delivery reads a snapshot without a lock, on the thread
 * that calls {@code notify}, so a notifier registered or removed during a delivery may or may not
 * see it.
 */
public final class IommuRegion extends MemoryRegion {
    /** Nested IOMMUs followed by one access before it is treated as unassigned. */
    public static final int MAX_NESTING = 16;
    private static final IommuNotifier[] NONE = new IommuNotifier[0];
    private static final SharedSecrets.NotifierRegistration REGISTRATION = notifierRegistration();

    private final IommuOps ops;
    private final Object notifierLock = new Object();
    /** Newest first; replaced whole under {@link #notifierLock}. */
    private volatile IommuNotifier[] notifiers = NONE;
    // guarded by notifierLock
    private int notifyFlags;

    IommuRegion(RegionContext context, Object owner, String name, long size, IommuOps ops) {
        super(context, owner, name, size);
        this.ops = Objects.requireNonNull(ops, "ops");
    }

    /** The accessor {@link IommuNotifier} installs when its class is initialised (forced here). */
    private static SharedSecrets.NotifierRegistration notifierRegistration() {
        try {
            MethodHandles.lookup().ensureInitialized(IommuNotifier.class);
        } catch (IllegalAccessException e) {
            throw new ExceptionInInitializerError(e);
        }
        return SharedSecrets.notifierRegistration();
    }

    @Override
    public boolean terminates() {
        return true;
    }

    /**
     * {@return the target page size of the region's system (QEMU's {@code TARGET_PAGE_SIZE}), what
     * {@link IommuOps#minPageSize} answers by default}
     */
    public long targetPageSize() {
        return 1L << context.pageBits;
    }

    /** {@return the model} */
    public IommuOps ops() {
        return ops;
    }

    /**
     * Asks the model for the entry of {@code addr} (QEMU's {@code imrc->translate}).
     *
     * @param addr the input address: an offset within the region
     * @param flag the access asked for: RO for a read, WO for a write, NONE for the full permissions
     * @param iommuIdx the IOMMU index
      * @return the entry for {@code addr}
     * @throws IllegalStateException if the model returned null
     */
    public IommuTlbEntry translate(long addr, IommuPerm flag, int iommuIdx) {
        IommuTlbEntry e = ops.translate(this, addr, flag, iommuIdx);
        if (e == null) {
            throw new IllegalStateException("the IOMMU model of " + describe(this) + " returned no entry for "
                    + Hex.of(addr));
        }
        return e;
    }

    /**
     * {@return QEMU's {@code memory_region_iommu_attrs_to_index}}
     *
     * @param attrs the transaction attributes
     */
    public int attrsToIndex(MemTxAttrs attrs) {
        return ops.attrsToIndex(this, attrs);
    }

    /** {@return QEMU's {@code memory_region_iommu_num_indexes}} */
    public int numIndexes() {
        return ops.numIndexes(this);
    }

    /** {@return QEMU's {@code memory_region_iommu_get_min_page_size}} */
    public long minPageSize() {
        return ops.minPageSize(this);
    }

    /** {@return the union of the registered notifiers' flags (QEMU's {@code iommu_notify_flags})} */
    public int notifyFlags() {
        synchronized (notifierLock) {
            return notifyFlags;
        }
    }

    /** {@return the registered notifiers, newest first} */
    public List<IommuNotifier> notifiers() {
        return List.of(notifiers);
    }

    /**
     * Registers {@code n} (QEMU's {@code memory_region_register_iommu_notifier}): it goes to the
     * head of the list, and if the union of flags changes the model's
     * {@link IommuOps#notifyFlagChanged} is told; if that throws, the registration is undone and
     * the exception propagates.
     *
     * @param n the notifier
     * @throws IllegalArgumentException if {@code n} is already registered (here or elsewhere) or its
     *                                  IOMMU index is not below {@link #numIndexes()}
     */
    public void registerNotifier(IommuNotifier n) {
        Objects.requireNonNull(n, "n");
        synchronized (notifierLock) {
            int indexes = numIndexes();
            if (n.iommuIdx() < 0 || n.iommuIdx() >= indexes) {
                throw new IllegalArgumentException(n + ": IOMMU index must be within [0, " + indexes + ") for "
                        + describe(this));
            }
            IommuRegion holder = REGISTRATION.claim(n, this);
            if (holder != null) {
                throw new IllegalArgumentException(n + " is already registered on " + describe(holder));
            }
            IommuNotifier[] old = notifiers;
            IommuNotifier[] next = new IommuNotifier[old.length + 1];
            next[0] = n;
            System.arraycopy(old, 0, next, 1, old.length);
            try {
                updateFlags(next);
            } catch (RuntimeException | Error e) {
                REGISTRATION.free(n);
                throw e;
            }
            notifiers = next;
        }
    }

    /**
     * Unregisters {@code n} (QEMU's {@code memory_region_unregister_iommu_notifier}); the model is
     * told if the union of flags changes (a failure there is ignored, as in QEMU). Does nothing if
     * {@code n} is not registered on this region.
     *
     * @param n the notifier
     */
    public void unregisterNotifier(IommuNotifier n) {
        synchronized (notifierLock) {
            IommuNotifier[] old = notifiers;
            List<IommuNotifier> rest = new ArrayList<>(old.length);
            for (IommuNotifier x : old) {
                if (x != n) {
                    rest.add(x);
                }
            }
            if (rest.size() == old.length) {
                return;
            }
            IommuNotifier[] next = rest.toArray(IommuNotifier[]::new);
            notifiers = next;
            REGISTRATION.free(n);
            try {
                updateFlags(next);
            } catch (RuntimeException e) {
                // QEMU passes errp = NULL here: the failure is dropped and the flags are not updated
            }
        }
    }

    /** QEMU's {@code memory_region_update_iommu_notify_flags} for list {@code list}. */
    private void updateFlags(IommuNotifier[] list) {
        int flags = 0;
        for (IommuNotifier x : list) {
            flags |= x.flags();
        }
        if (flags != notifyFlags) {
            ops.notifyFlagChanged(this, notifyFlags, flags);
        }
        notifyFlags = flags;
    }

    /**
     * Delivers {@code event} to the notifiers of index {@code iommuIdx} (QEMU's
     * {@code memory_region_notify_iommu}), newest first, on the calling thread. A notifier gets the
     * entry if its range overlaps the entry's page {@code [iova, iova + addrMask]} and the event's
     * type is in its flags. DEVIOTLB_UNMAP notifiers get the entry cropped to their range; any other
     * overlapping notifier must contain the whole page (QEMU 7.2 asserts it; guestmem checks every
     * notifier before delivering to any and throws instead).
     *
     * @param iommuIdx the IOMMU index
     * @param event the event
     * @throws IllegalArgumentException if an overlapping non-DEVIOTLB notifier does not contain the page
     */
    public void notify(int iommuIdx, IommuEvent event) {
        Objects.requireNonNull(event, "event");
        IommuNotifier[] list = notifiers;
        IommuTlbEntry e = event.entry();
        long last = e.iovaLast();
        for (IommuNotifier n : list) {
            if (n.iommuIdx() == iommuIdx && overlaps(n, e.iova(), last) && (n.flags() & IommuNotifier.DEVIOTLB_UNMAP) == 0
                    && (Long.compareUnsigned(e.iova(), n.start()) < 0 || Long.compareUnsigned(last, n.end()) > 0)) {
                throw new IllegalArgumentException("IOMMU event for [" + Hex.of(e.iova()) + ", "
                        + Hex.of(last) + "] straddles the range of " + n + " on " + describe(this));
            }
        }
        for (IommuNotifier n : list) {
            if (n.iommuIdx() == iommuIdx) {
                notifyOne(n, event);
            }
        }
    }

    /**
     * QEMU's {@code memory_region_notify_iommu_one}: delivers {@code event} to {@code n} alone, with
     * the rules of {@link #notify(int, IommuEvent)} (IOMMU index not checked).
     *
     * @param n the notifier
     * @param event the event
     * @throws IllegalArgumentException if {@code n} is not DEVIOTLB and does not contain the page it overlaps
     */
    public void notifyOne(IommuNotifier n, IommuEvent event) {
        IommuTlbEntry e = event.entry();
        long last = e.iovaLast();
        if (!overlaps(n, e.iova(), last)) {
            return;
        }
        IommuTlbEntry out = e;
        if ((n.flags() & IommuNotifier.DEVIOTLB_UNMAP) != 0) {
            long iova = Long.compareUnsigned(e.iova(), n.start()) >= 0 ? e.iova() : n.start();
            long end = Long.compareUnsigned(last, n.end()) <= 0 ? last : n.end();
            out = new IommuTlbEntry(e.targetAs(), iova, e.translatedAddr(), end - iova, e.perm());
        } else if (Long.compareUnsigned(e.iova(), n.start()) < 0 || Long.compareUnsigned(last, n.end()) > 0) {
            throw new IllegalArgumentException("IOMMU event for [" + Hex.of(e.iova()) + ", "
                    + Hex.of(last) + "] straddles the range of " + n + " on " + describe(this));
        }
        if ((event.type().bit() & n.flags()) != 0) {
            n.notify(out);
        }
    }

    /**
     * QEMU's {@code memory_region_unmap_iommu_notifier_range}: sends {@code n} an UNMAP of its whole
     * range (target address space null, permission NONE).
     *
     * @param n the notifier
     */
    public void unmapNotifierRange(IommuNotifier n) {
        notifyOne(n, new IommuEvent(IommuEvent.Type.UNMAP,
                new IommuTlbEntry(null, n.start(), 0, n.end() - n.start(), IommuPerm.NONE)));
    }

    private static boolean overlaps(IommuNotifier n, long iova, long last) {
        return Long.compareUnsigned(n.start(), last) <= 0 && Long.compareUnsigned(n.end(), iova) >= 0;
    }

    /**
     * Sends {@code n} the current mappings (QEMU's {@code memory_region_iommu_replay}): the model's
     * {@link IommuOps#replay}, which by default is {@link #replayByTranslation}.
     *
     * @param n the notifier
     */
    public void replay(IommuNotifier n) {
        ops.replay(this, Objects.requireNonNull(n, "n"));
    }

    /**
     * QEMU's default replay: for every {@link #minPageSize()} step from 0 to the region's size,
     * translate with {@link IommuPerm#NONE} and index {@code n.iommuIdx()}, and hand every entry
     * whose permission is not NONE to {@code n} directly, whatever its flags and range (as QEMU does).
     *
     * @param n the notifier
     */
    public void replayByTranslation(IommuNotifier n) {
        long granularity = minPageSize();
        if (granularity <= 0) {
            throw new IllegalStateException("the IOMMU model of " + describe(this) + " reports a minimum page size of "
                    + granularity);
        }
        long size1 = sizeMinusOne(); // QEMU: addr < memory_region_size(mr), UINT64_MAX for 2^64
        long limit = size1 == -1L ? -1L : size1 + 1;
        for (long addr = 0; Long.compareUnsigned(addr, limit) < 0; addr += granularity) {
            IommuTlbEntry e = translate(addr, IommuPerm.NONE, n.iommuIdx());
            if (e.perm() != IommuPerm.NONE) {
                n.notify(e);
            }
            if (Long.compareUnsigned(addr + granularity, addr) < 0) {
                break;
            }
        }
    }
}
