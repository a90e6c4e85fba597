package org.guestmem.dirty;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.guestmem.internal.Hex;

/**
 * The clients of dirty memory tracking, QEMU's {@code DIRTY_MEMORY_*}: each keeps its own bitmap
 * per RAM block, one bit per target page.
 */
public enum DirtyLogClient {
    /** Display devices that redraw what the guest changed in video RAM. */
    VGA,
    /** The JIT: a write to a page holding translated code must invalidate that code. */
    CODE,
    /** Live migration: pages to send again. */
    MIGRATION;

    private static final DirtyLogClient[] VALUES = values();
    /** {@code SETS[mask]}: the immutable set of the clients in {@code mask}. */
    private static final List<Set<DirtyLogClient>> SETS;

    static {
        List<Set<DirtyLogClient>> sets = new ArrayList<>();
        for (int mask = 0; mask < 1 << VALUES.length; mask++) {
            EnumSet<DirtyLogClient> s = EnumSet.noneOf(DirtyLogClient.class);
            for (DirtyLogClient c : VALUES) {
                if ((mask & c.bit()) != 0) {
                    s.add(c);
                }
            }
            sets.add(Collections.unmodifiableSet(s));
        }
        SETS = List.copyOf(sets);
    }

    /** {@return this client's bit in a dirty log mask (QEMU's {@code 1 << DIRTY_MEMORY_X})} */
    public int bit() {
        return 1 << ordinal();
    }

    /**
     * {@return the clients of dirty log mask {@code mask} (as {@link org.guestmem.FlatRange#dirtyLogMask()}
     * and {@link org.guestmem.listener.MemoryListener#logStart} carry them), as an unmodifiable set}
     * Allocates nothing.
     *
     * @param mask a dirty log mask: the OR of {@link #bit()}s
     * @throws IllegalArgumentException if {@code mask} has bits of no client
     */
    public static Set<DirtyLogClient> setOf(int mask) {
        if (mask < 0 || mask >= SETS.size()) {
            throw new IllegalArgumentException("dirty log mask must be within 0x7, got " + Hex.of(mask));
        }
        return SETS.get(mask);
    }
}
