package org.guestmem;

import org.guestmem.internal.Hex;

/**
 * The host refused to reserve the memory of a new RAM block: {@link RegionFactory#ram},
 * {@link RegionFactory#rom} and {@link RegionFactory#romDevice} (and the system's shortcuts)
 * throw it instead of an {@link OutOfMemoryError}. guestmem reserves guest RAM with an anonymous
 * {@code mmap(MAP_NORESERVE)} (as QEMU does), which costs nothing until the guest writes, so this
 * happens when the size exceeds what the host's address space or its overcommit policy allows
 * (on x86-64 Linux, user space is 2<sup>47</sup> bytes: {@code ram(1L << 50)} fails with
 * {@code ENOMEM}). The message names the region, the size in hex and the {@code errno}. Nothing
 * is left allocated and the system is unchanged.
 */
public final class RamReservationException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    /** The size asked for, in bytes. */
    private final long size;
    /** The host's {@code errno}. */
    private final int errno;

    RamReservationException(String region, long size, int errno, Throwable cause) {
        super("cannot reserve " + Hex.of(size) + " bytes for RAM block '" + region + "': " + cause.getMessage(), cause);
        this.size = size;
        this.errno = errno;
    }

    /** {@return the size of the RAM block that was asked for, in bytes} */
    public long size() {
        return size;
    }

    /** {@return the host's {@code errno} for the refusal ({@code ENOMEM} is 12 on Linux and macOS)} */
    public int errno() {
        return errno;
    }
}
