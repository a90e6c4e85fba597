package org.guestmem.internal;

import java.nio.ByteOrder;
import org.guestmem.Endianness;
import org.guestmem.MemTxAttrs;
import org.guestmem.MemTxResult;
import org.guestmem.MemoryRegionOps;
import org.guestmem.listener.IoEventFd;

/**
 * The MMIO half of QEMU's access path for one region: {@code memory_region_access_valid},
 * {@code memory_access_size}, {@code memory_region_dispatch_read/write} with
 * {@code access_with_adjusted_size} and {@code adjust_endianness} (QEMU 7.2's {@code softmmu/memory.c}).
 * The host byte order is little-endian by definition: a request "in host order" is a
 * little-endian one.
 *
 * <p>Shared by all threads; per-call state lives in the caller's {@link IoStatus}. Everything is
 * final except the region's ioeventfd list, which the writer replaces as a whole (copy on write)
 * with a volatile store and every MMIO write reads with one volatile load: a reader sees either
 * the old or the new immutable array, never a half-updated one, and takes no lock.
 */
public final class MmioDispatcher {
    private static final int OK = 0;
    private static final int DECODE_ERROR = MemTxResult.DECODE_ERROR.bits();

    private final MemoryRegionOps ops;
    private final MemoryRegionOps.ReadFn read;
    private final MemoryRegionOps.ReadWithAttrsFn readWithAttrs;
    private final MemoryRegionOps.WriteFn write;
    private final MemoryRegionOps.WriteWithAttrsFn writeWithAttrs;
    private final MemoryRegionOps.AcceptsFn accepts;
    private final boolean bigEndian;
    private final int validMin;
    private final int validMax;
    private final boolean validUnaligned;
    private final int implMin;
    private final int implMax;
    private final boolean implUnaligned;
    private final int maxAccessSize;
    private static final IoEventFd[] NO_EVENTFDS = new IoEventFd[0];
    /** The region's ioeventfds, sorted; replaced whole by the update-lock holder (see class doc). */
    private volatile IoEventFd[] eventfds = NO_EVENTFDS;

    /** Prepares the dispatch of {@code ops} for a target of byte order {@code target}. */
    public MmioDispatcher(MemoryRegionOps ops, ByteOrder target) {
        this.ops = ops;
        this.read = ops.read();
        this.readWithAttrs = ops.readWithAttrs();
        this.write = ops.write();
        this.writeWithAttrs = ops.writeWithAttrs();
        this.accepts = ops.accepts();
        this.bigEndian = ops.endianness() == Endianness.BIG
                || (ops.endianness() == Endianness.NATIVE && target == ByteOrder.BIG_ENDIAN);
        this.validMin = ops.validMinAccessSize();
        this.validMax = ops.validMaxAccessSize();
        this.validUnaligned = ops.validUnaligned();
        this.implMin = ops.implMinAccessSize() == 0 ? 1 : ops.implMinAccessSize();
        this.implMax = ops.implMaxAccessSize() == 0 ? 4 : ops.implMaxAccessSize();
        this.implUnaligned = ops.implUnaligned();
        this.maxAccessSize = validMax == 0 ? 4 : validMax;
    }

    /** {@return the ops this dispatcher calls} */
    public MemoryRegionOps ops() {
        return ops;
    }

    /** {@return whether the device's registers are big-endian (NATIVE resolved against the target)} */
    public boolean bigEndian() {
        return bigEndian;
    }

    /**
     * Publishes the region's ioeventfd list for the write short-circuit. The array must not be
     * modified afterwards. Called by the update-lock holder.
     */
    public void publishEventfds(IoEventFd[] sorted) {
        this.eventfds = sorted.length == 0 ? NO_EVENTFDS : sorted;
    }

    /** QEMU's {@code memory_region_access_valid}. */
    public boolean accessValid(long addr, int size, boolean isWrite, MemTxAttrs attrs) {
        if (accepts != null && !accepts.accepts(addr, size, isWrite, attrs)) {
            return false;
        }
        if (!validUnaligned && (addr & (size - 1)) != 0) {
            return false;
        }
        if (validMax == 0) {
            return true;
        }
        return size <= validMax && size >= validMin;
    }

    /**
     * QEMU's {@code memory_access_size}: how many of {@code l} bytes at {@code addr} one access
     * may move (a power of two, bounded by {@code valid.max} and, unless the device handles
     * unaligned accesses, by the address's alignment).
     */
    public int accessSize(long l, long addr) {
        int max = maxAccessSize;
        if (!implUnaligned) {
            int align = (int) (addr & -addr); // QEMU truncates the 64-bit alignment to unsigned int
            if (align != 0 && Integer.compareUnsigned(align, max) < 0) {
                max = align;
            }
        }
        long n = Long.compareUnsigned(l, max) > 0 ? max : l;
        return Integer.highestOneBit((int) n);
    }

    /**
     * QEMU's {@code memory_region_dispatch_read} of {@code size} bytes (1, 2, 4, 8).
     *
     * @param bigEndianRequest whether the caller wants the value in big-endian order (false for
     *                         the host-order buffer loop)
     * @return the value (not truncated to {@code size}: QEMU's callers truncate)
     */
    public long read(long addr, int size, boolean bigEndianRequest, MemTxAttrs attrs, IoStatus st) {
        if (!accessValid(addr, size, false, attrs)) {
            st.bits |= DECODE_ERROR;
            return 0;
        }
        long value = 0;
        int access = Math.max(Math.min(size, implMax), implMin);
        long mask = access == 8 ? -1L : (1L << (access * 8)) - 1;
        int r = OK;
        for (int i = 0; i < size; i += access) {
            int shift = bigEndian ? (size - access - i) * 8 : i * 8;
            long tmp;
            if (read != null) {
                tmp = read.read(addr + i, access);
            } else if (readWithAttrs != null) {
                st.data[0] = 0;
                r |= readWithAttrs.read(addr + i, access, attrs, st.data).bits();
                tmp = st.data[0];
            } else {
                tmp = 0;
            }
            value |= shift >= 0 ? (tmp & mask) << shift : (tmp & mask) >>> -shift;
        }
        st.bits |= r;
        return bigEndianRequest != bigEndian ? swap(value, size) : value;
    }

    /**
     * QEMU's {@code memory_region_dispatch_write} of {@code size} bytes.
     *
     * @param bigEndianRequest whether {@code value} is given in big-endian order
     */
    public void write(long addr, long value, int size, boolean bigEndianRequest, MemTxAttrs attrs, IoStatus st) {
        if (!accessValid(addr, size, true, attrs)) {
            st.bits |= DECODE_ERROR;
            return;
        }
        // QEMU's st{b,w,l}_internal take uint8/16/32_t: only the stored bytes reach the device
        value = size == 8 ? value : value & ((1L << (size * 8)) - 1);
        if (bigEndianRequest != bigEndian) {
            value = swap(value, size);
        }
        IoEventFd[] fds = eventfds;
        if (fds.length != 0 && signalEventfd(fds, addr, value, size)) {
            return; // MEMTX_OK: the notifier replaces the device write
        }
        int access = Math.max(Math.min(size, implMax), implMin);
        long mask = access == 8 ? -1L : (1L << (access * 8)) - 1;
        int r = OK;
        for (int i = 0; i < size; i += access) {
            int shift = bigEndian ? (size - access - i) * 8 : i * 8;
            long tmp = shift >= 0 ? (value >>> shift) & mask : (value << -shift) & mask;
            if (write != null) {
                write.write(addr + i, tmp, access);
            } else if (writeWithAttrs != null) {
                r |= writeWithAttrs.write(addr + i, tmp, access, attrs).bits();
            }
        }
        st.bits |= r;
    }

    /**
     * QEMU's {@code memory_region_dispatch_write_eventfds} (TCG; guestmem has no KVM): the first
     * registration whose offset equals {@code addr} and whose size is 0 or {@code size} with, if it
     * matches data, the same value (device order, truncated to {@code size}) is signalled.
     */
    private static boolean signalEventfd(IoEventFd[] fds, long addr, long value, int size) {
        long v = size == 8 ? value : value & ((1L << (size * 8)) - 1);
        for (IoEventFd fd : fds) {
            if (fd.offset() == addr && (fd.size() == 0 || (fd.size() == size && (!fd.matchData() || fd.data() == v)))) {
                fd.notifier().set();
                return true;
            }
        }
        return false;
    }

    /** QEMU's {@code bswap16/32/64} on the low {@code size} bytes (the upper bits are dropped). */
    static long swap(long v, int size) {
        return switch (size) {
            case 1 -> v;
            case 2 -> Short.reverseBytes((short) v) & 0xffffL;
            case 4 -> Integer.reverseBytes((int) v) & 0xffff_ffffL;
            case 8 -> Long.reverseBytes(v);
            default -> throw new IllegalArgumentException("access size must be 1, 2, 4 or 8, got " + size);
        };
    }
}
