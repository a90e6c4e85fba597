package org.guestmem.examples.rv32.board;

import org.guestmem.AddressSpace;
import org.guestmem.ContainerRegion;
import org.guestmem.MemoryRegion;
import org.guestmem.MemorySystem;
import org.guestmem.MemoryTransaction;
import org.guestmem.MmioRegion;
import org.guestmem.RamRegion;
import org.guestmem.mtree.MtreePrinter;

/**
 * The board as guestmem regions, named as QEMU names them: a 2<sup>64</sup> {@code system}
 * container with {@code riscv_virt_board.ram} and every {@link MappedDevice} as an
 * {@link MmioRegion}, all built in one transaction, and the address spaces {@code memory} and
 * {@code cpu-memory-0} over it. The system tracks code writes ({@code codeDirtyTracking}) for the
 * JIT.
 */
public final class GuestmemBoard implements AutoCloseable {
    /** The RAM region's name in QEMU's {@code virt}. */
    public static final String RAM_NAME = "riscv_virt_board.ram";

    private final MemorySystem system;
    private final ContainerRegion root;
    private final RamRegion ram;
    private final AddressSpace cpuMemory;

    /** Builds {@code board}'s memory map in a new memory system. */
    public GuestmemBoard(VirtBoard board) {
        this.system = MemorySystem.builder().name("rv32-virt").codeDirtyTracking(true).build();
        try (MemoryTransaction tx = system.begin()) {
            root = system.container("system", MemoryRegion.SIZE_2_64);
            ram = system.ram(RAM_NAME, board.ramBytes());
            root.addSubregion(ram, VirtMap.DRAM);
            for (MappedDevice d : board.devices()) {
                MmioRegion r = system.mmio(d.name(), d.size(), d.ops());
                root.addSubregionOverlap(r, d.base(), d.priority());
            }
            system.addressSpace("memory", root);
            cpuMemory = system.addressSpace("cpu-memory-0", root);
        }
    }

    /** {@return the memory system} */
    public MemorySystem system() {
        return system;
    }

    /** {@return the {@code system} container, where more devices can be mapped while the machine runs} */
    public ContainerRegion root() {
        return root;
    }

    /** {@return the RAM region} */
    public RamRegion ram() {
        return ram;
    }

    /** {@return the CPU's address space} */
    public AddressSpace cpuMemory() {
        return cpuMemory;
    }

    /** {@return QEMU's {@code info mtree} of the board, printed by guestmem's {@link MtreePrinter}} */
    public String mtree() {
        return MtreePrinter.tree(system, false);
    }

    /** Closes the memory system, freeing guest RAM. */
    @Override
    public void close() {
        system.close();
    }
}
