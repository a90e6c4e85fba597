package org.guestmem;

import org.guestmem.internal.Hex;

/**
 * Attributes of a memory transaction, QEMU's {@code MemTxAttrs}. Immutable.
 *
 * @param unspecified   no attributes were given by the initiator ({@link #UNSPECIFIED})
 * @param secure        the access is from the secure world (Arm TrustZone)
 * @param user          the access is at user privilege
 * @param memory        the access may only reach RAM: anything else answers {@link MemTxResult#ACCESS_ERROR}
 * @param requesterId   the PCI requester id, 16 bits
 * @param byteSwap      the initiator asks the target to swap bytes
 * @param targetTlbBits target-specific TLB bits 0 to 2
 */
public record MemTxAttrs(boolean unspecified, boolean secure, boolean user, boolean memory,
                         int requesterId, boolean byteSwap, int targetTlbBits) {

    /** QEMU's {@code MEMTXATTRS_UNSPECIFIED}: only {@code unspecified} is set. */
    public static final MemTxAttrs UNSPECIFIED = new MemTxAttrs(true, false, false, false, 0, false, 0);

    /** Plain attributes: nothing set, not even {@code unspecified}. */
    public static final MemTxAttrs NONE = new MemTxAttrs(false, false, false, false, 0, false, 0);

    /**
     * Validates the bit fields.
     *
     * @throws IllegalArgumentException if {@code requesterId} does not fit 16 bits or
     *                                  {@code targetTlbBits} does not fit 3 bits
     */
    public MemTxAttrs {
        if ((requesterId & ~0xffff) != 0) {
            throw new IllegalArgumentException("requesterId must fit 16 bits, got " + Hex.of(requesterId));
        }
        if ((targetTlbBits & ~7) != 0) {
            throw new IllegalArgumentException("targetTlbBits must fit 3 bits, got " + Hex.of(targetTlbBits));
        }
    }

    /**
     * {@return a copy with {@code secure} set as given and {@code unspecified} cleared}
     *
     * @param value the new value
     */
    public MemTxAttrs withSecure(boolean value) {
        return new MemTxAttrs(false, value, user, memory, requesterId, byteSwap, targetTlbBits);
    }

    /**
     * {@return a copy with {@code user} set as given and {@code unspecified} cleared}
     *
     * @param value the new value
     */
    public MemTxAttrs withUser(boolean value) {
        return new MemTxAttrs(false, secure, value, memory, requesterId, byteSwap, targetTlbBits);
    }

    /**
     * {@return a copy with {@code memory} set as given and {@code unspecified} cleared}
     *
     * @param value the new value
     */
    public MemTxAttrs withMemory(boolean value) {
        return new MemTxAttrs(false, secure, user, value, requesterId, byteSwap, targetTlbBits);
    }

    /**
     * {@return a copy with the given requester id and {@code unspecified} cleared}
     *
     * @param value the new value
     */
    public MemTxAttrs withRequesterId(int value) {
        return new MemTxAttrs(false, secure, user, memory, value, byteSwap, targetTlbBits);
    }
}
