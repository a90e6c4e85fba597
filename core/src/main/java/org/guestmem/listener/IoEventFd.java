package org.guestmem.listener;

import java.util.Objects;

/**
 * An ioeventfd registration, QEMU's {@code MemoryRegionIoeventfd}: a write of {@code size} bytes
 * (0: any size) at {@code offset}, optionally only with value {@code data}, signals
 * {@code notifier} instead of reaching the device (see {@link org.guestmem.MemoryRegion#addEventfd}).
 * Immutable. Registrations sort as QEMU's {@code memory_region_ioeventfd_before}: by start, then
 * size, then match-data (false first), then data (only when both match data; unsigned), then the
 * notifier's {@linkplain EventNotifier#serial() serial}.
 *
 * <p>In a region's list (and as the second argument of {@link MemoryListener#eventfdAdd} /
 * {@link MemoryListener#eventfdDel}) {@code offset} is relative to the region and {@code data} is
 * in the device's byte order, converted by {@link org.guestmem.MemoryRegion#addEventfd} from the target's
 * order exactly as QEMU's {@code adjust_endianness(..., MO_TE)} does, and truncated to
 * {@code size} bytes.
 *
 * <p>The write short-circuit (QEMU's TCG path, {@code memory_region_dispatch_write_eventfds})
 * applies to MMIO regions and ROM devices and takes effect at once, before
 * {@link org.guestmem.MemoryRegion#addEventfd} returns, on every thread; it runs after the access
 * checks of the region's {@link org.guestmem.MemoryRegionOps} (a rejected write stays rejected) and
 * before the device. Registrations on other kinds are kept and reported to listeners but never
 * short-circuit anything (writes to RAM are direct; writes to ROM and reservations are rejected
 * first), as in QEMU.
 *
 * <p>Listeners see a registration as {@link MemoryListener#eventfdAdd} (and its removal as
 * {@link MemoryListener#eventfdDel}) at the end of the outermost transaction (at the end of the
 * call outside one) if the region is enabled. A region keeps its registrations sorted in the order
 * above; the same registration may be added twice.
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
}
