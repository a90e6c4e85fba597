package org.guestmem.examples.rv32.board;

/** The addresses and names of QEMU 7.2's {@code virt} board that this machine uses ({@code hw/riscv/virt.c}). */
public final class VirtMap {
    /** The ACLINT software interrupt device (msip). */
    public static final long ACLINT_SWI = 0x2000000L;
    /** Its size. */
    public static final long ACLINT_SWI_SIZE = 0x4000;
    /** The ACLINT timer ({@code mtimecmp} at offset 0, {@code mtime} at 0x7ff8). */
    public static final long ACLINT_MTIMER = 0x2004000L;
    /** Its size. */
    public static final long ACLINT_MTIMER_SIZE = 0x8000;
    /** The SiFive test device (exit and reset). */
    public static final long SIFIVE_TEST = 0x100000L;
    /** Its size. */
    public static final long SIFIVE_TEST_SIZE = 0x1000;
    /** The ns16550a UART. */
    public static final long UART0 = 0x10000000L;
    /** Its size: 8 registers, one byte apart. */
    public static final long UART0_SIZE = 8;
    /** The start of RAM. */
    public static final long DRAM = 0x80000000L;
    /** The most RAM that fits below 4 GiB. */
    public static final int MAX_RAM_MIB = 2048;
    /** The default RAM size, as QEMU's {@code virt}. */
    public static final int DEFAULT_RAM_MIB = 128;

    private VirtMap() {
    }

    /**
     * {@return where QEMU 7.2 puts the device tree ({@code riscv_load_fdt}): 2 MiB aligned, below the
     * end of RAM or 3 GiB, whichever is lower} The machine passes it in {@code a1} without writing a
     * device tree there; programs must not depend on it.
     */
    public static int fdtAddress(long ramBytes) {
        long end = Math.min(DRAM + ramBytes, 3L << 30);
        return (int) ((end - 1) & ~((2L << 20) - 1));
    }
}
