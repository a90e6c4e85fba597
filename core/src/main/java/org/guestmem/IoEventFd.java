package org.guestmem;

import java.util.Objects;

/**
 * An ioeventfd registration, QEMU's {@code MemoryRegionIoeventfd}: a write of {@code size} bytes
 * (0: any size) at {@code offset}, optionally only with value {@code data}, signals
 * {@code notifier} instead of reaching the device (see {@link MemoryRegion#addEventfd}).
 * Immutable.
 *
 * <p>In a region's list (and as the second argument of {@link MemoryListener#eventfdAdd} /
 * {@link MemoryListener#eventfdDel}) {@code offset} is relative to the region and {@code data} is
 * in the device's byte order, converted by {@link MemoryRegion#addEventfd} from the target's
 * order exactly as QEMU's {@code adjust_endianness(..., MO_TE)} does, and truncated to
 * {@code size} bytes.
 *
 * @param offset    offset within the region (unsigned)
 * @param size      access size in bytes, or 0 for any size
 * @param matchData whether only writes of {@code data} match
 * @param data      the value to match, in the device's byte order
 * @param notifier  what a matching write signals (QEMU's {@code EventNotifier})
 */
public record IoEventFd(long offset, int size, boolean matchData, long data, EventNotifier notifier) {

    /** Validates the fields. */
    public IoEventFd {
        Objects.requireNonNull(notifier, "notifier");
        if (size != 0 && size != 1 && size != 2 && size != 4 && size != 8) {
            throw new IllegalArgumentException("ioeventfd size must be 0, 1, 2, 4 or 8, got " + size);
        }
    }

    /**
     * QEMU's {@code memory_region_ioeventfd_before}: the sort order of a region's list and of an
     * address space's list. By start, then size, then match-data (false first), then data (only
     * when both match data; unsigned), then the notifier's {@linkplain EventNotifier#serial() serial}.
     * {@code aStart}/{@code bStart} are the starts to compare (region offsets or absolute addresses).
     */
    static boolean before(long aStart, IoEventFd a, long bStart, IoEventFd b) {
        int c = Long.compareUnsigned(aStart, bStart);
        if (c != 0) {
            return c < 0;
        }
        c = Integer.compareUnsigned(a.size, b.size);
        if (c != 0) {
            return c < 0;
        }
        if (a.matchData != b.matchData) {
            return !a.matchData;
        }
        if (a.matchData) {
            c = Long.compareUnsigned(a.data, b.data);
            if (c != 0) {
                return c < 0;
            }
        }
        return a.notifier.serial() < b.notifier.serial();
    }

    /**
     * QEMU's {@code memory_region_ioeventfd_equal}: same start and either size is 0 (a wildcard),
     * or same size, same match-data flag, same data when matching data, and the same notifier.
     */
    static boolean same(IoEventFd a, IoEventFd b) {
        return a.offset == b.offset
                && (a.size == 0 || b.size == 0
                || (a.size == b.size && a.matchData == b.matchData && (!a.matchData || a.data == b.data)
                && a.notifier == b.notifier));
    }

    /** {@code v} truncated to {@code size} bytes (all of it for size 0 and 8). */
    static long truncate(long v, int size) {
        return size == 0 || size == 8 ? v : v & ((1L << (size * 8)) - 1);
    }
}
