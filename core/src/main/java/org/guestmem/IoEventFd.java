package org.guestmem;

import java.util.Objects;

/**
 * An ioeventfd registration, QEMU's {@code MemoryRegionIoeventfd}: a write of {@code size} bytes
 * (0: any size) at {@code offset} of a region, optionally only with value {@code data}, signals
 * {@code notifier} instead of reaching the device (see {@link MemoryRegion#addEventfd}).
 *
 * @param offset    offset within the region
 * @param size      access size in bytes, or 0 for any size
 * @param matchData whether only writes of {@code data} match
 * @param data      the value to match, in the device's byte order as QEMU stores it
 * @param notifier  what a matching write signals (QEMU's {@code EventNotifier})
 */
public record IoEventFd(long offset, int size, boolean matchData, long data, Runnable notifier) {

    /** Validates the fields. */
    public IoEventFd {
        Objects.requireNonNull(notifier, "notifier");
        if (size != 0 && size != 1 && size != 2 && size != 4 && size != 8) {
            throw new IllegalArgumentException("ioeventfd size must be 0, 1, 2, 4 or 8, got " + size);
        }
    }
}
