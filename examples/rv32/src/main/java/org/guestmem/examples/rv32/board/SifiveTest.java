package org.guestmem.examples.rv32.board;

import org.guestmem.Endianness;
import org.guestmem.MemoryRegionOps;

/**
 * The SiFive test device ({@code hw/misc/sifive_test.c}): a write of 0x5555 to offset 0 exits with
 * status 0, {@code (code << 16) | 0x3333} exits with {@code code}, 0x7777 asks for a reset. Reads
 * answer 0. QEMU's ops: 2- or 4-byte accesses, aligned, target byte order.
 */
public final class SifiveTest {
    /** The name QEMU gives the region. */
    public static final String NAME = "riscv.sifive.test";

    /** The device. */
    public SifiveTest() {
    }

    /** {@return the ops} */
    public MemoryRegionOps ops() {
        return MemoryRegionOps.builder()
                .read((addr, size) -> 0)
                .write((addr, value, size) -> write(addr, value))
                .endianness(Endianness.NATIVE)
                .valid(2, 4, false)
                .build();
    }

    private static void write(long addr, long value) {
        if (addr != 0) {
            return;
        }
        int status = (int) value & 0xffff;
        int code = (int) (value >>> 16) & 0xffff;
        switch (status) {
            case 0x3333 -> throw GuestExitException.exit(NAME, code);
            case 0x5555 -> throw GuestExitException.exit(NAME, 0);
            case 0x7777 -> throw GuestExitException.reset(NAME);
            default -> { } // QEMU logs a guest error and goes on
        }
    }
}
