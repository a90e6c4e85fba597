package org.guestmem.examples.rv32.board;

import org.guestmem.Endianness;
import org.guestmem.MemoryRegionOps;

/**
 * The ACLINT machine timer of hart 0 ({@code hw/intc/riscv_aclint.c}): {@code mtimecmp} at offset
 * 0, {@code mtime} at 0x7ff8, each readable and writable as two 4-byte halves or one 8-byte word.
 * {@code mtimecmp} is stored but raises no interrupt (none are modelled). Other offsets read 0.
 */
public final class AclintMtimer {
    /** The name QEMU gives the region. */
    public static final String NAME = "riscv.aclint.mtimer";
    private static final long MTIME = 0x7ff8;

    private final MachineTimer timer;
    private long mtimecmp;

    /** A timer reading {@code timer}. */
    public AclintMtimer(MachineTimer timer) {
        this.timer = timer;
    }

    /** {@return the ops: little-endian, valid and implemented sizes 4 and 8} */
    public MemoryRegionOps ops() {
        return MemoryRegionOps.builder()
                .read(this::read)
                .write(this::write)
                .endianness(Endianness.LITTLE)
                .valid(4, 8, false)
                .impl(4, 8, false)
                .build();
    }

    private long read(long addr, int size) {
        if (addr == 0) {
            return size == 4 ? mtimecmp & 0xffffffffL : mtimecmp;
        } else if (addr == 4) {
            return mtimecmp >>> 32;
        } else if (addr == MTIME) {
            long t = timer.mtime();
            return size == 4 ? t & 0xffffffffL : t;
        } else if (addr == MTIME + 4) {
            return timer.mtime() >>> 32;
        }
        return 0;
    }

    private void write(long addr, long value, int size) {
        if (addr == 0) {
            mtimecmp = size == 4 ? (mtimecmp & ~0xffffffffL) | (value & 0xffffffffL) : value;
        } else if (addr == 4) {
            mtimecmp = (mtimecmp & 0xffffffffL) | (value << 32);
        } else if (addr == MTIME) {
            long t = timer.mtime();
            timer.setMtime(size == 4 ? (t & ~0xffffffffL) | (value & 0xffffffffL) : value);
        } else if (addr == MTIME + 4) {
            long t = timer.mtime();
            timer.setMtime((t & 0xffffffffL) | (value << 32));
        }
    }
}
