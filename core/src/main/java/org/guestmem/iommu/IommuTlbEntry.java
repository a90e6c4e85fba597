package org.guestmem.iommu;

import java.util.Objects;
import org.guestmem.AddressSpace;

/**
 * One IOMMU translation, QEMU's {@code IOMMUTLBEntry}: the page
 * {@code [iova & ~addrMask, iova | addrMask]} of the IOMMU's input maps to
 * {@code translatedAddr & ~addrMask} in {@code targetAs} with permissions {@code perm}. Immutable.
 *
 * @param targetAs       the address space the translated address belongs to; null only when
 *                       {@code perm} is {@link IommuPerm#NONE} (e.g. {@link #INVALID}, UNMAP events)
 * @param iova           the input address (page-aligned in entries IOMMU models return)
 * @param translatedAddr the output address
 * @param addrMask       the page's offset mask, {@code size - 1} (e.g. {@code 0xfff} for 4 KiB)
 * @param perm           what accesses the mapping allows
 */
public record IommuTlbEntry(AddressSpace targetAs, long iova, long translatedAddr, long addrMask, IommuPerm perm) {

    /** The all-zero entry QEMU returns for a failed translation ({@code address_space_get_iotlb_entry}). */
    public static final IommuTlbEntry INVALID = new IommuTlbEntry(null, 0, 0, 0, IommuPerm.NONE);

    /** Validates the fields. */
    public IommuTlbEntry {
        Objects.requireNonNull(perm, "perm");
        if (targetAs == null && perm != IommuPerm.NONE) {
            throw new IllegalArgumentException("an IOMMU TLB entry with permission " + perm + " needs a target address space");
        }
    }

    /** {@return the last input address of the entry's page: {@code iova + addrMask}, as QEMU computes {@code entry_end}} */
    public long iovaLast() {
        return iova + addrMask;
    }
}
