package org.guestmem.internal;

import java.math.BigInteger;

/** Formats addresses and sizes for messages: lower-case hex with a {@code 0x} prefix. */
public final class Hex {
    private static final BigInteger TWO_64 = BigInteger.ONE.shiftLeft(64);

    private Hex() {
    }

    /**
     * {@return {@code value} as unsigned hex, e.g. {@code 0xfffc0000}}
     *
     * @param value the value
     */
    public static String of(long value) {
        return "0x" + Long.toHexString(value);
    }

    /**
     * {@return the size {@code sizeMinusOne + 1} as hex; {@code 0x10000000000000000} for 2^64}
     *
     * @param sizeMinusOne the size minus one, unsigned
     */
    public static String ofSizeMinusOne(long sizeMinusOne) {
        return sizeMinusOne == -1L ? "0x" + TWO_64.toString(16) : of(sizeMinusOne + 1);
    }

    /**
     * {@return {@code value} as unsigned 32-bit hex, e.g. {@code 0x7}}
     *
     * @param value the value
     */
    public static String of(int value) {
        return "0x" + Integer.toHexString(value);
    }

    /**
     * {@return {@code value} as hex, e.g. {@code 0x10000000000000000}}
     *
     * @param value the value (non-negative)
     */
    public static String of(BigInteger value) {
        return "0x" + value.toString(16);
    }
}
