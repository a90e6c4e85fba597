package org.guestmem.examples.rv32.board;

import org.guestmem.Endianness;
import org.guestmem.MemoryRegionOps;

/**
 * The ACLINT software-interrupt device of hart 0: {@code msip} at offset 0 keeps its low bit (no
 * interrupt is delivered); other offsets read 0. QEMU's ops: 4-byte aligned accesses only.
 */
public final class AclintSwi {
    /** The name QEMU gives the region. */
    public static final String NAME = "riscv.aclint.swi";
    private int msip;

    /** The device with {@code msip} clear. */
    public AclintSwi() {
    }

    /** {@return the ops} */
    public MemoryRegionOps ops() {
        return MemoryRegionOps.builder()
                .read((addr, size) -> addr == 0 ? msip : 0)
                .write((addr, value, size) -> {
                    if (addr == 0) {
                        msip = (int) value & 1;
                    }
                })
                .endianness(Endianness.LITTLE)
                .valid(4, 4, false)
                .build();
    }
}
