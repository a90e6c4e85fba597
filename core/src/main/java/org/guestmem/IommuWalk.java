package org.guestmem;

import org.guestmem.internal.DispatchTable;
import org.guestmem.iommu.IommuPerm;
import org.guestmem.iommu.IommuTlbEntry;
import org.guestmem.layout.SectionLayout;

/**
 * QEMU 7.2's {@code address_space_translate_iommu} loop, started from an IOMMU section of a view:
 * the outcome of following one address through nested IOMMUs. Allocated per walk (IOMMU accesses
 * are the slow path; accessors never cache them). {@link #plain} wraps a translation that met no
 * IOMMU in the same shape, for callers that handle both alike (DMA mapping, caches).
 *
 * <p>On success {@link #view} is the target address space's current view, holding a counted
 * reference that {@link #release()} drops, so the walk is safe on threads with or without an RCU
 * read section; intermediate views are released as soon as the next hop is found. On failure
 * (permission denied, or more than {@link IommuRegion#MAX_NESTING} nested IOMMUs) the outcome is
 * section 0 of the starting view, QEMU's {@code io_mem_unassigned}, with the offset and length as
 * the failing hop left them.
 */
final class IommuWalk {
    /** The view {@link #section} indexes: retained (success) or the caller's (failure). */
    final FlatView view;
    /** The section reached; 0 (unassigned) when the walk failed. */
    final int section;
    /** The offset within the section's region (QEMU's {@code *xlat}). */
    final long xlat;
    /** The length the access may cover (QEMU's {@code *plen}), unsigned. */
    final long len;
    /** The AND of the IOMMU pages' masks (QEMU's {@code page_mask}); meaningful on success. */
    final long pageMask;
    /** The last IOMMU's target address space; null on failure and for {@link #plain} results. */
    final AddressSpace target;
    private final boolean retained;
    private final boolean ok;

    private IommuWalk(FlatView view, int section, long xlat, long len, long pageMask, AddressSpace target,
                      boolean retained, boolean ok) {
        this.view = view;
        this.section = section;
        this.xlat = xlat;
        this.len = len;
        this.pageMask = pageMask;
        this.target = target;
        this.retained = retained;
        this.ok = ok;
    }

    /** A translation that met no IOMMU: section {@code s} of {@code v} (not retained). */
    static IommuWalk plain(FlatView v, int s, long xlat, long len) {
        return new IommuWalk(v, s, xlat, len, (1L << v.context.pageBits) - 1, null, false, true);
    }

    /** {@return whether the walk ended on a real section (not the unassigned fallback of a denied IOMMU)} */
    boolean ok() {
        return ok;
    }

    /** {@return the region of the section reached (null for unassigned)} */
    MemoryRegion region() {
        return view.sectionRegion[section];
    }

    /** {@return the kind of the section reached} */
    int kind() {
        return view.dispatch.kind(section);
    }

    /** Drops the reference on the final view, if the walk holds one. */
    void release() {
        if (retained) {
            view.release();
        }
    }

    /**
     * Walks from section {@code s} of {@code v} (an IOMMU section) for address {@code addr} of
     * {@code v}'s address space.
     *
     * @param plen            the length requested (unsigned; -1 for "as much as possible")
     * @param isWrite         whether the access writes (asks the IOMMUs for WO, else RO)
     * @param resolveSubpage  QEMU's {@code is_mmio}; guestmem's tables are byte-granular, so sections
     *                        are always resolved (where QEMU would stop at a subpage container)
     */
    static IommuWalk walk(FlatView v, int s, long addr, long plen, boolean isWrite, boolean resolveSubpage,
                          MemTxAttrs attrs) {
        DispatchTable d = v.dispatch;
        IommuRegion iommu = (IommuRegion) v.sectionRegion[s];
        long xlat = addr - d.start(s) + d.offsetInRegion(s);
        long pageMask = -1L;
        FlatView held = null;
        IommuPerm flag = isWrite ? IommuPerm.WO : IommuPerm.RO;
        try {
            for (int depth = 0; depth < IommuRegion.MAX_NESTING; depth++) {
                IommuTlbEntry tlb = iommu.translate(xlat, flag, iommu.attrsToIndex(attrs));
                if (!tlb.perm().allows(isWrite)) {
                    break;
                }
                long mask = tlb.addrMask();
                long a = (tlb.translatedAddr() & ~mask) | (xlat & mask);
                pageMask &= mask;
                long rem1 = (a | mask) - a; // bytes left in the IOMMU page, minus one
                if (rem1 != -1L && Long.compareUnsigned(plen, rem1 + 1) > 0) {
                    plen = rem1 + 1;
                }
                AddressSpace target = tlb.targetAs();
                if (target.views != v.context) {
                    throw new IllegalStateException("the IOMMU model of region '" + iommu.name()
                            + "' translated into address space '" + target.name() + "' of another memory system");
                }
                FlatView tv = target.retainCurrentView();
                if (held != null) {
                    held.release();
                }
                held = tv;
                DispatchTable td = tv.dispatch;
                int ts = td.find(a); // byte-granular: guestmem has no subpage containers to stop at
                xlat = a - td.start(ts) + td.offsetInRegion(ts);
                int kind = td.kind(ts);
                if (AccessPath.isRam(kind)) {
                    long left1 = td.sizeMinusOne(ts) - (a - td.start(ts));
                    if (left1 != -1L && Long.compareUnsigned(plen, left1 + 1) > 0) {
                        plen = left1 + 1;
                    }
                }
                if (kind != SectionLayout.KIND_IOMMU) {
                    IommuWalk done = new IommuWalk(tv, ts, xlat, plen, pageMask, target, true, true);
                    held = null; // handed over to the result
                    return done;
                }
                iommu = (IommuRegion) tv.sectionRegion[ts];
            }
        } finally {
            if (held != null) { // failure or exception: nothing keeps the last target view
                held.release();
            }
        }
        return new IommuWalk(v, 0, xlat, plen, pageMask, null, false, false);
    }
}
