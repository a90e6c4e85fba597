package org.guestmem;

import java.nio.ByteOrder;
import java.util.Objects;
import org.guestmem.internal.Hex;
import org.guestmem.internal.MmioDispatcher;
import org.guestmem.listener.EventNotifier;
import org.guestmem.listener.IoEventFd;

/**
 * One region's ioeventfds, QEMU's {@code mr->ioeventfds}: an immutable array sorted by
 * {@link #before}, replaced whole by the update-lock holder, and published to the region's MMIO
 * dispatcher for the write short-circuit. Also QEMU's ordering and equality of registrations.
 */
final class RegionEventFds {
    static final IoEventFd[] NONE = new IoEventFd[0];

    private RegionEventFds() {
    }

    /**
     * QEMU's {@code memory_region_ioeventfd_before}: the sort order of a region's list and of an
     * address space's list. By start, then size, then match-data (false first), then data (only
     * when both match data; unsigned), then the notifier's serial.
     * {@code aStart}/{@code bStart} are the starts to compare (region offsets or absolute addresses).
     */
    static boolean before(long aStart, IoEventFd a, long bStart, IoEventFd b) {
        int c = Long.compareUnsigned(aStart, bStart);
        if (c != 0) {
            return c < 0;
        }
        c = Integer.compareUnsigned(a.size(), b.size());
        if (c != 0) {
            return c < 0;
        }
        if (a.matchData() != b.matchData()) {
            return !a.matchData();
        }
        if (a.matchData()) {
            c = Long.compareUnsigned(a.data(), b.data());
            if (c != 0) {
                return c < 0;
            }
        }
        return a.notifier().serial() < b.notifier().serial();
    }

    /**
     * QEMU's {@code memory_region_ioeventfd_equal}: same start and either size is 0 (a wildcard),
     * or same size, same match-data flag, same data when matching data, and the same notifier.
     */
    static boolean same(IoEventFd a, IoEventFd b) {
        return a.offset() == b.offset()
                && (a.size() == 0 || b.size() == 0
                || (a.size() == b.size() && a.matchData() == b.matchData() && (!a.matchData() || a.data() == b.data())
                && a.notifier() == b.notifier()));
    }

    /**
     * The registration {@code mr.addEventfd}/{@code delEventfd} describe: checked against the
     * region, {@code data} converted from the target's byte order to the device's and truncated.
     */
    static IoEventFd create(MemoryRegion mr, long offset, int size, boolean matchData, long data,
                            EventNotifier notifier) {
        Objects.requireNonNull(notifier, "notifier");
        if (size != 0 && size != 1 && size != 2 && size != 4 && size != 8) {
            throw new IllegalArgumentException("ioeventfd size must be 0, 1, 2, 4 or 8, got " + size);
        }
        long last = offset + Math.max(size, 1) - 1;
        if (Long.compareUnsigned(last, offset) < 0 || Long.compareUnsigned(last, mr.sizeMinus1) > 0) {
            throw new IllegalArgumentException("cannot register ioeventfd at " + Hex.of(offset) + " size " + size
                    + " on " + MemoryRegion.describe(mr) + " of size " + Hex.ofSizeMinusOne(mr.sizeMinus1)
                    + ": outside the region");
        }
        long d = data;
        if (size != 0) {
            MmioDispatcher io = mr.dispatcher();
            boolean targetBig = mr.context.targetByteOrder == ByteOrder.BIG_ENDIAN;
            boolean deviceBig = io != null ? io.bigEndian() : targetBig; // no ops: QEMU's unassigned ops are native-endian
            if (deviceBig != targetBig && size > 1) {
                d = Long.reverseBytes(d) >>> (64 - 8 * size);
            }
            d = size == 8 ? d : d & ((1L << (size * 8)) - 1);
        }
        return new IoEventFd(offset, size, matchData, d, notifier);
    }

    /** {@return {@code old} with {@code fd} inserted before the first entry it sorts before} */
    static IoEventFd[] insert(IoEventFd[] old, IoEventFd fd) {
        int i = 0;
        while (i < old.length && !before(fd.offset(), fd, old[i].offset(), old[i])) {
            i++;
        }
        IoEventFd[] next = new IoEventFd[old.length + 1];
        System.arraycopy(old, 0, next, 0, i);
        next[i] = fd;
        System.arraycopy(old, i, next, i + 1, old.length - i);
        return next;
    }

    /**
     * {@return {@code old} without its first entry {@link #same} as {@code fd}}
     *
     * @throws IllegalArgumentException if there is none (QEMU asserts)
     */
    static IoEventFd[] remove(MemoryRegion mr, IoEventFd[] old, IoEventFd fd) {
        int i = 0;
        while (i < old.length && !same(fd, old[i])) {
            i++;
        }
        if (i == old.length) {
            throw new IllegalArgumentException("cannot delete ioeventfd " + fd + " from " + MemoryRegion.describe(mr)
                    + ": no such registration");
        }
        IoEventFd[] next = new IoEventFd[old.length - 1];
        System.arraycopy(old, 0, next, 0, i);
        System.arraycopy(old, i + 1, next, i, old.length - i - 1);
        return next;
    }

    /** QEMU's {@code memory_region_add_eventfd}; see {@link MemoryRegion#addEventfd}. */
    static void add(MemoryRegion mr, long offset, int size, boolean matchData, long data, EventNotifier notifier) {
        mr.checkAlive();
        replace(mr, insert(mr.ioeventfds, create(mr, offset, size, matchData, data, notifier)));
    }

    /** QEMU's {@code memory_region_del_eventfd}; see {@link MemoryRegion#delEventfd}. */
    static void delete(MemoryRegion mr, long offset, int size, boolean matchData, long data, EventNotifier notifier) {
        mr.checkAlive();
        replace(mr, remove(mr, mr.ioeventfds, create(mr, offset, size, matchData, data, notifier)));
    }

    /**
     * Installs {@code next} as {@code mr}'s list, in its dispatcher too (the write short-circuit
     * sees it at once), recording the old list in the undo log; the address spaces' lists follow at
     * the end of the transaction.
     */
    private static void replace(MemoryRegion mr, IoEventFd[] next) {
        IoEventFd[] old = mr.ioeventfds;
        mr.recordUndo(() -> publish(mr, old));
        publish(mr, next);
        if (mr.enabled) {
            mr.context.mutations.markIoEventFdsPending();
        }
    }

    private static void publish(MemoryRegion mr, IoEventFd[] list) {
        mr.ioeventfds = list;
        MmioDispatcher io = mr.dispatcher();
        if (io != null) {
            io.publishEventfds(list);
        }
    }
}
