package org.guestmem.dirty;

import java.util.EnumSet;
import java.util.Set;
import org.guestmem.internal.Hex;

/**
 * Why global dirty tracking is on, QEMU's {@code GLOBAL_DIRTY_*} flags: tracking stays on while
 * at least one reason holds. See {@link org.guestmem.MemorySystem#startGlobalDirtyLog}.
 */
public enum GlobalDirtyReason {
    /** Live migration (QEMU's {@code GLOBAL_DIRTY_MIGRATION} = 1). */
    MIGRATION,
    /** Dirty-rate measurement (QEMU's {@code GLOBAL_DIRTY_DIRTY_RATE} = 2). */
    DIRTY_RATE,
    /** Dirty-rate limiting (QEMU's {@code GLOBAL_DIRTY_LIMIT} = 4). */
    LIMIT;

    private static final GlobalDirtyReason[] VALUES = values();

    /** {@return QEMU's flag value: 1, 2 or 4} */
    public int bit() {
        return 1 << ordinal();
    }

    /**
     * {@return QEMU's flags for {@code reasons}, the OR of their {@link #bit()}s}
     *
     * @param reasons the reasons
     */
    public static int bits(Set<GlobalDirtyReason> reasons) {
        int b = 0;
        for (GlobalDirtyReason r : reasons) {
            b |= r.bit();
        }
        return b;
    }

    /**
     * {@return the reasons whose bits are set in {@code bits}, as a new set}
     *
     * @param bits QEMU's flags
     * @throws IllegalArgumentException if {@code bits} has bits beyond 0x7
     */
    public static EnumSet<GlobalDirtyReason> of(int bits) {
        if ((bits & ~7) != 0) {
            throw new IllegalArgumentException("global dirty log flags must be within 0x7, got " + Hex.of(bits));
        }
        EnumSet<GlobalDirtyReason> out = EnumSet.noneOf(GlobalDirtyReason.class);
        for (GlobalDirtyReason r : VALUES) {
            if ((bits & r.bit()) != 0) {
                out.add(r);
            }
        }
        return out;
    }
}
