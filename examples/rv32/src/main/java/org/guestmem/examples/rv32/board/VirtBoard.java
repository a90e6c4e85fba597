package org.guestmem.examples.rv32.board;

import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalLong;
import org.guestmem.examples.rv32.cpu.Cpu;

/**
 * The devices of the board and where they sit, independent of how memory is reached: the UART,
 * the SiFive test device, the ACLINT timer and software-interrupt devices, and HTIF's
 * {@code tohost} when the program defines one. {@link GuestmemBoard} turns this into guestmem
 * regions; the raw backend dispatches to the same devices by address.
 */
public final class VirtBoard {
    private final long ramBytes;
    private final MachineTimer timer = new MachineTimer();
    private final List<MappedDevice> devices = new ArrayList<>();

    /**
     * A board with {@code ramMib} MiB of RAM whose UART writes to {@code uartOut} (flushed at each
     * newline if {@code flushLines}) and, if {@code tohost} is present, HTIF at that address.
     *
     * @throws IllegalArgumentException if the RAM size is not within 1 to 2048 MiB or
     *                                  {@code tohost} is not 8 bytes inside RAM, 8-byte aligned
     */
    public VirtBoard(int ramMib, OutputStream uartOut, boolean flushLines, OptionalLong tohost) {
        if (ramMib < 1 || ramMib > VirtMap.MAX_RAM_MIB) {
            throw new IllegalArgumentException("RAM size must be 1 to " + VirtMap.MAX_RAM_MIB + " MiB, got " + ramMib);
        }
        this.ramBytes = (long) ramMib << 20;
        devices.add(new MappedDevice(SifiveTest.NAME, VirtMap.SIFIVE_TEST, VirtMap.SIFIVE_TEST_SIZE, 0, new SifiveTest().ops()));
        devices.add(new MappedDevice(AclintSwi.NAME, VirtMap.ACLINT_SWI, VirtMap.ACLINT_SWI_SIZE, 0, new AclintSwi().ops()));
        devices.add(new MappedDevice(AclintMtimer.NAME, VirtMap.ACLINT_MTIMER, VirtMap.ACLINT_MTIMER_SIZE, 0,
                new AclintMtimer(timer).ops()));
        devices.add(new MappedDevice("serial", VirtMap.UART0, VirtMap.UART0_SIZE, 0, new Uart16550(uartOut, flushLines).ops()));
        if (tohost.isPresent()) {
            long t = tohost.getAsLong();
            if (t < VirtMap.DRAM || t + Htif.SIZE > VirtMap.DRAM + ramBytes || (t & 7) != 0) {
                throw new IllegalArgumentException("tohost at 0x" + Long.toHexString(t)
                        + " is not an aligned 8-byte word inside RAM [0x80000000, 0x" + Long.toHexString(VirtMap.DRAM + ramBytes) + ")");
            }
            devices.add(new MappedDevice(Htif.NAME, t, Htif.SIZE, 1, new Htif().ops()));
        }
        devices.sort(Comparator.comparingLong(MappedDevice::base));
    }

    /** {@return the RAM size in bytes} */
    public long ramBytes() {
        return ramBytes;
    }

    /** {@return the devices, by address} */
    public List<MappedDevice> devices() {
        return List.copyOf(devices);
    }

    /** {@return the time base shared by the ACLINT timer and the {@code time} CSR} */
    public MachineTimer timer() {
        return timer;
    }

    /**
     * Sets the state QEMU's reset vector leaves for {@code -bios none -kernel}: pc = the ELF's
     * entry, {@code a0} = hart id 0, {@code a1} = the device-tree address, {@code a2} = the
     * address of QEMU's {@code fw_dynamic_info} in the mask ROM, {@code t0} = the entry.
     */
    public void reset(Cpu cpu, int entry) {
        cpu.pc = entry;
        cpu.x[10] = 0;
        cpu.x[11] = VirtMap.fdtAddress(ramBytes);
        cpu.x[12] = 0x1028;
        cpu.x[5] = entry;
    }
}
