package org.guestmem.iommu;

/**
 * Access permissions of an IOMMU mapping, QEMU's {@code IOMMUAccessFlags}: bit 0 allows reads,
 * bit 1 writes. Also the access a translation is asked for ({@link #RO} for a read, {@link #WO}
 * for a write, {@link #NONE} when the caller wants the full permissions, as QEMU's TCG path and
 * the default replay do).
 */
public enum IommuPerm {
    /** No access (QEMU's {@code IOMMU_NONE} = 0). */
    NONE,
    /** Read only ({@code IOMMU_RO} = 1). */
    RO,
    /** Write only ({@code IOMMU_WO} = 2). */
    WO,
    /** Read and write ({@code IOMMU_RW} = 3). */
    RW;

    /** {@return QEMU's value: bit 0 read, bit 1 write} */
    public int bits() {
        return ordinal();
    }

    /**
     * {@return the permission with QEMU value {@code bits} (0 to 3)}
     *
     * @param bits QEMU's bit encoding
     */
    public static IommuPerm ofBits(int bits) {
        return values()[bits & 3];
    }

    /**
     * {@return whether an access of this kind is allowed: QEMU's {@code perm & (1 << is_write)}}
     *
     * @param isWrite whether the access writes
     */
    public boolean allows(boolean isWrite) {
        return (ordinal() & (isWrite ? 2 : 1)) != 0;
    }
}
