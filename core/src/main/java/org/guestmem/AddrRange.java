package org.guestmem;

import java.math.BigInteger;
import org.guestmem.internal.Hex;

/**
 * A non-empty range of guest addresses, {@code [start, last]} with both ends inclusive and
 * compared as unsigned 64-bit values.
 *
 * <p>Storing the inclusive last address instead of a size is how guestmem solves QEMU's
 * {@code Int128} case once: a range may cover the whole 64-bit space (size 2<sup>64</sup>,
 * {@code start = 0}, {@code last = 0xffffffffffffffff}) and every size from 1 to 2<sup>64</sup>
 * has exactly one representation. Code that needs the size as a number uses
 * {@link #sizeMinusOne()} (always representable) or {@link #size()} (a {@link BigInteger}).
 *
 * @param start first address of the range (unsigned)
 * @param last  last address of the range, inclusive (unsigned, {@code >= start})
 */
public record AddrRange(long start, long last) {

    /** Every address: {@code [0, 0xffffffffffffffff]}, 2<sup>64</sup> bytes. */
    public static final AddrRange ALL = new AddrRange(0, -1L);

    /**
     * Creates a range.
     *
     * @throws IllegalArgumentException if {@code last} is below {@code start} (unsigned)
     */
    public AddrRange {
        if (Long.compareUnsigned(last, start) < 0) {
            throw new IllegalArgumentException("empty address range: start " + Hex.of(start)
                    + " is above last " + Hex.of(last));
        }
    }

    /**
     * {@return the range that starts at {@code start} and holds {@code sizeMinusOne + 1} bytes}
     *
     * @param start the first address, unsigned
     * @param sizeMinusOne the size minus one, unsigned
     * @throws IllegalArgumentException if the range would reach past 2<sup>64</sup>
     */
    public static AddrRange ofSizeMinusOne(long start, long sizeMinusOne) {
        long last = start + sizeMinusOne;
        if (Long.compareUnsigned(last, start) < 0) {
            throw new IllegalArgumentException("address range at " + Hex.of(start) + " of size "
                    + Hex.ofSizeMinusOne(sizeMinusOne) + " reaches past 2^64");
        }
        return new AddrRange(start, last);
    }

    /** {@return the size minus one, an unsigned value from 0 to 2<sup>64</sup>-1} */
    public long sizeMinusOne() {
        return last - start;
    }

    /** {@return the size in bytes, from 1 to 2<sup>64</sup>} */
    public BigInteger size() {
        return new BigInteger(Long.toUnsignedString(last - start)).add(BigInteger.ONE);
    }

    /**
     * {@return whether {@code address} (unsigned) lies in this range}
     *
     * @param address the address, unsigned
     */
    public boolean contains(long address) {
        return Long.compareUnsigned(address - start, last - start) <= 0;
    }

    /**
     * {@return whether this range and {@code other} share at least one address}
     *
     * @param other the other range
     */
    public boolean overlaps(AddrRange other) {
        return Long.compareUnsigned(start, other.last) <= 0 && Long.compareUnsigned(other.start, last) <= 0;
    }

    @Override
    public String toString() {
        return "[" + Hex.of(start) + ", " + Hex.of(last) + "]";
    }
}
