package org.guestmem.examples.rv32.board;

import org.guestmem.MemoryRegionOps;

/**
 * HTIF's {@code tohost} word, mapped over RAM at the address of the ELF's {@code tohost} symbol
 * (priority 1, as QEMU's {@code htif_mm_init} does on the spike board): a store of a value
 * {@code v} with bit 0 set to its low word ends the run with exit status {@code v >> 1}. Other
 * stores are kept and read back. QEMU's {@code virt} board has no HTIF, so programs meant to run
 * on both exit through the SiFive test device.
 */
public final class Htif {
    /** The name QEMU gives the region. */
    public static final String NAME = "riscv.htif.uart";
    /** The region covers the 8-byte {@code tohost}. */
    public static final long SIZE = 8;
    private long tohost;

    /** The device with {@code tohost} 0. */
    public Htif() {
    }

    /** {@return the ops: any size (QEMU's {@code htif_mm_ops} sets no rules), target byte order} */
    public MemoryRegionOps ops() {
        return MemoryRegionOps.builder()
                .read((addr, size) -> (tohost >>> (8 * addr)) & (size == 8 ? -1L : (1L << (8 * size)) - 1))
                .write(this::write)
                .build();
    }

    private void write(long addr, long value, int size) {
        long mask = size == 8 ? -1L : (1L << (8 * size)) - 1;
        tohost = (tohost & ~(mask << (8 * addr))) | ((value & mask) << (8 * addr));
        if (addr == 0 && (value & 1) != 0) {
            throw GuestExitException.exit(NAME, (int) ((value & 0xffffffffL) >>> 1));
        }
    }
}
