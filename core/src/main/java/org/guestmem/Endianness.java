package org.guestmem;

/** The byte order a device's registers use, QEMU's {@code enum device_endian}. */
public enum Endianness {
    /** The target's byte order, as configured on the {@link MemorySystem}. */
    NATIVE,
    /** Most significant byte first. */
    BIG,
    /** Least significant byte first. */
    LITTLE
}
