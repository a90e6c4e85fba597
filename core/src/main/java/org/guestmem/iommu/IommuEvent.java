package org.guestmem.iommu;

import java.util.Objects;

/**
 * What an IOMMU model reports to notifiers when its mappings change, QEMU's {@code IOMMUTLBEvent}.
 * Immutable.
 *
 * @param type  MAP, UNMAP or DEVIOTLB_UNMAP
 * @param entry the mapping concerned; for {@link Type#UNMAP} its permission must be {@link IommuPerm#NONE}
 */
public record IommuEvent(Type type, IommuTlbEntry entry) {

    /** QEMU's {@code IOMMUNotifierFlag} values a notifier can ask for and an event carries. */
    public enum Type {
        /** A mapping was removed (QEMU's {@code IOMMU_NOTIFIER_UNMAP} = 1). */
        UNMAP(1),
        /** A mapping was added (QEMU's {@code IOMMU_NOTIFIER_MAP} = 2). */
        MAP(2),
        /** A device-IOTLB entry was invalidated (QEMU's {@code IOMMU_NOTIFIER_DEVIOTLB_UNMAP} = 4). */
        DEVIOTLB_UNMAP(4);

        private final int bit;

        Type(int bit) {
            this.bit = bit;
        }

        /** {@return QEMU's flag value} */
        public int bit() {
            return bit;
        }
    }

    /**
     * Validates the fields.
     *
     * @throws IllegalArgumentException for an UNMAP event whose entry has a permission (QEMU asserts)
     */
    public IommuEvent {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(entry, "entry");
        if (type == Type.UNMAP && entry.perm() != IommuPerm.NONE) {
            throw new IllegalArgumentException("an UNMAP event must carry permission NONE, got " + entry.perm());
        }
    }
}
