package org.guestmem;

import java.math.BigInteger;
import org.guestmem.internal.Hex;

/**
 * Sizes and addresses of regions: QEMU's size encoding ({@code UINT64_MAX} for 2<sup>64</sup>), the
 * rule that a region must not reach past 2<sup>64</sup>, and {@code memory_region_set_size} with
 * its checks. Messages give every value in hex.
 */
final class RegionExtent {
    private static final BigInteger TWO_64 = BigInteger.ONE.shiftLeft(64);

    private RegionExtent() {
    }

    /** See {@link MemoryRegion#encodeSize}. */
    static long encodeSize(BigInteger bytes) {
        if (bytes.signum() <= 0) {
            throw new IllegalArgumentException("region size must be at least 1 byte, got " + Hex.of(bytes));
        }
        int c = bytes.compareTo(TWO_64);
        if (c > 0) {
            throw new IllegalArgumentException("region size " + Hex.of(bytes) + " is above 2^64");
        }
        if (c == 0) {
            return MemoryRegion.SIZE_2_64;
        }
        if (bytes.equals(TWO_64.subtract(BigInteger.ONE))) {
            throw new IllegalArgumentException("region size " + Hex.of(bytes)
                    + " cannot be expressed: as in QEMU, UINT64_MAX means 2^64");
        }
        return bytes.longValue();
    }

    /** Converts a QEMU-style size of region {@code name} to size-1, rejecting 0. */
    static long sizeMinusOne(long size, String name) {
        if (size == 0) {
            throw new IllegalArgumentException("region '" + name + "': size must be at least 1 byte, got 0x0");
        }
        return size == MemoryRegion.SIZE_2_64 ? -1L : size - 1;
    }

    /** Refuses {@code [offset, offset + sizeMinus1]} if it reaches past 2^64; {@code what} says what was attempted. */
    static void checkFits(long offset, long sizeMinus1, String what) {
        if (Long.compareUnsigned(offset + sizeMinus1, offset) < 0) {
            throw new IllegalArgumentException("cannot " + what + ": [" + Hex.of(offset) + ", +"
                    + Hex.ofSizeMinusOne(sizeMinus1) + ") reaches past 2^64");
        }
    }

    /** QEMU's {@code memory_region_set_size}, checked: the kind allows it, it fits, mapped alias windows still fit. */
    static void resize(MemoryRegion r, long size) {
        r.checkAlive();
        long s1 = sizeMinusOne(size, r.name());
        r.checkResizable(s1);
        checkFits(r.addr, s1, "resize " + MemoryRegion.describe(r) + " to " + Hex.ofSizeMinusOne(s1));
        checkMappedAliasWindows(r, s1);
        if (s1 != r.sizeMinus1) {
            r.markUpdatePending(); // what it covered before
            long old = r.sizeMinus1;
            r.recordUndo(() -> r.sizeMinus1 = old);
            r.sizeMinus1 = s1;
            r.markUpdatePending();
        }
    }

    /** In a strict system, the windows of {@code r}'s mapped aliases must still fit it at the new size. */
    private static void checkMappedAliasWindows(MemoryRegion r, long newSizeMinus1) {
        if (r.context.lenientAliasWindows) {
            return;
        }
        for (AliasRegion a : r.mappedAliases) {
            long last = a.aliasOffset + a.sizeMinus1;
            if (Long.compareUnsigned(last, newSizeMinus1) > 0) {
                throw new IllegalArgumentException("cannot resize " + MemoryRegion.describe(r) + " to "
                        + Hex.ofSizeMinusOne(newSizeMinus1) + ": the window [" + Hex.of(a.aliasOffset) + ", +"
                        + Hex.ofSizeMinusOne(a.sizeMinus1) + ") of mapped alias " + MemoryRegion.describe(a)
                        + " would no longer fit");
            }
        }
    }
}
