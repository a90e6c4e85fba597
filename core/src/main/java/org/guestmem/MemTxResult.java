package org.guestmem;

import org.guestmem.internal.Hex;

/**
 * The outcome of a memory transaction, QEMU's {@code MemTxResult}: a set of error bits that
 * accesses split into several pieces OR together.
 *
 * <p>There are exactly eight values (every combination of {@link #ERROR}, {@link #DECODE_ERROR}
 * and {@link #ACCESS_ERROR}); they are preallocated, so combining results never allocates and
 * values may be compared with {@code ==}.
 */
public final class MemTxResult {
    private static final int ERROR_BIT = 1;
    private static final int DECODE_ERROR_BIT = 2;
    private static final int ACCESS_ERROR_BIT = 4;
    private static final MemTxResult[] VALUES = new MemTxResult[8];

    static {
        for (int i = 0; i < VALUES.length; i++) {
            VALUES[i] = new MemTxResult(i);
        }
    }

    /** The access succeeded ({@code MEMTX_OK}). */
    public static final MemTxResult OK = VALUES[0];
    /** The device reported an error ({@code MEMTX_ERROR}). */
    public static final MemTxResult ERROR = VALUES[ERROR_BIT];
    /** Nothing decodes the address, or the device rejected the access ({@code MEMTX_DECODE_ERROR}). */
    public static final MemTxResult DECODE_ERROR = VALUES[DECODE_ERROR_BIT];
    /** The access is not permitted, e.g. an IOMMU denied it ({@code MEMTX_ACCESS_ERROR}). */
    public static final MemTxResult ACCESS_ERROR = VALUES[ACCESS_ERROR_BIT];

    private final int bits;

    private MemTxResult(int bits) {
        this.bits = bits;
    }

    /**
     * {@return the result with QEMU's bit encoding {@code bits} (0 to 7)}
     *
     * @param bits QEMU's bit encoding
     */
    public static MemTxResult ofBits(int bits) {
        if ((bits & ~7) != 0) {
            throw new IllegalArgumentException("MemTxResult bits must be within 0x7, got " + Hex.of(bits));
        }
        return VALUES[bits];
    }

    /** {@return QEMU's encoding: OK 0, ERROR 1, DECODE_ERROR 2, ACCESS_ERROR 4, OR-ed} */
    public int bits() {
        return bits;
    }

    /**
     * {@return this result combined with {@code other}, as QEMU ORs the results of split accesses}
     *
     * @param other the result to combine with
     */
    public MemTxResult or(MemTxResult other) {
        return VALUES[bits | other.bits];
    }

    /** {@return whether this is {@link #OK}} */
    public boolean isOk() {
        return bits == 0;
    }

    /**
     * {@return whether every bit of {@code other} is set in this result}
     *
     * @param other the result to combine with
     */
    public boolean contains(MemTxResult other) {
        return (bits & other.bits) == other.bits;
    }

    @Override
    public String toString() {
        if (bits == 0) {
            return "OK";
        }
        StringBuilder sb = new StringBuilder();
        if ((bits & ERROR_BIT) != 0) {
            sb.append("ERROR");
        }
        if ((bits & DECODE_ERROR_BIT) != 0) {
            sb.append(sb.isEmpty() ? "" : "|").append("DECODE_ERROR");
        }
        if ((bits & ACCESS_ERROR_BIT) != 0) {
            sb.append(sb.isEmpty() ? "" : "|").append("ACCESS_ERROR");
        }
        return sb.toString();
    }
}
