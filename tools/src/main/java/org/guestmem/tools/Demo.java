package org.guestmem.tools;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import org.guestmem.AddressSpace;
import org.guestmem.AliasRegion;
import org.guestmem.ContainerRegion;
import org.guestmem.Endianness;
import org.guestmem.MemoryRegion;
import org.guestmem.MemoryRegionOps;
import org.guestmem.MemorySystem;
import org.guestmem.MemoryTransaction;
import org.guestmem.MmioRegion;
import org.guestmem.RamRegion;
import org.guestmem.mtree.MtreePrinter;

/**
 * {@code guestmem demo}: the memory map of QEMU 7.2's {@code pc} machine (i440FX, {@code -m 4G})
 * built with the public API, as {@code hw/i386/pc.c}, {@code hw/pci-host/i440fx.c} and
 * {@code hw/pci-host/pam.c} build it, printed at reset and again after the firmware's first move:
 * it shadows the BIOS area into RAM (PAM) and opens SMRAM, in one transaction.
 *
 * <p>The devices are stand-ins: their registers read back what was written, except {@code io}
 * and {@code apic-msi}, which answer like QEMU's unassigned I/O (reads see all ones, writes are
 * dropped). The {@code memory} view at reset equals the one QEMU 7.2 prints for
 * {@code -M pc -m 4G}.
 */
final class Demo {
    static final long KiB = 1L << 10;
    static final long GiB = 1L << 30;
    static final long BELOW_4G = 3 * GiB;
    static final long ABOVE_4G = 1 * GiB;

    private Demo() {
    }

    /** The demo machine and the regions the demo (and its test) look at. Closing it closes the system. */
    record PcMachine(MemorySystem system, ContainerRegion systemMemory, ContainerRegion pci, RamRegion ram,
                     RamRegion pcRom, RamRegion pcBios, MmioRegion vgaLowmem, AliasRegion smramRegion,
                     ContainerRegion smram, List<Pam> pams, AddressSpace memory, AddressSpace io,
                     AddressSpace cpuSmm) implements AutoCloseable {
        @Override
        public void close() {
            system.close();
        }
    }

    /** A PAM attribute, QEMU's index into a segment's four aliases (two bits of the PAM register). */
    enum PamMode { PCI, READ_ONLY, WRITE_ONLY, READ_WRITE }

    /**
     * One PAM segment (hw/pci-host/pam.c): four aliases over the same addresses at priority 1, one
     * enabled at a time. {@code READ_ONLY} is a readonly alias of RAM, so the range renders as ROM;
     * QEMU models {@code WRITE_ONLY} as plain RAM ("XXX: should distinguish read/write cases").
     */
    static final class Pam {
        private final List<AliasRegion> aliases; // indexed by PamMode.ordinal(), QEMU's alias[]
        private PamMode current = PamMode.PCI;

        Pam(MemorySystem sys, ContainerRegion systemMemory, MemoryRegion ram, MemoryRegion pci, long start, long size) {
            AliasRegion toRam = sys.alias("pam-ram", ram, start, size);
            AliasRegion toRom = sys.alias("pam-rom", ram, start, size);
            toRom.setReadonly(true);
            AliasRegion toPci = sys.alias("pam-pci", pci, start, size);
            AliasRegion writeToRam = sys.alias("pam-pci", ram, start, size);
            aliases = List.of(toPci, toRom, writeToRam, toRam);
            for (AliasRegion a : aliases) { // QEMU adds them in index order, all disabled
                a.setEnabled(false);
                systemMemory.addSubregionOverlap(a, start, 1);
            }
            aliases.get(current.ordinal()).setEnabled(true);
        }

        /** QEMU's {@code pam_update}: disables the current alias and enables the one for {@code mode}. */
        void select(PamMode mode) {
            aliases.get(current.ordinal()).setEnabled(false);
            current = mode;
            aliases.get(mode.ordinal()).setEnabled(true);
        }

        AliasRegion alias(PamMode mode) {
            return aliases.get(mode.ordinal());
        }
    }

    /** Builds the machine at reset, in one transaction (one render at the end instead of one per call). */
    static PcMachine build() {
        MemorySystem sys = MemorySystem.builder().name("pc").build();
        try (MemoryTransaction tx = sys.begin()) {
            // memory_map_init: the two roots and their address spaces
            ContainerRegion systemMemory = sys.container("system", MemoryRegion.SIZE_2_64);
            MmioRegion io = sys.mmio("io", 64 * KiB, UNASSIGNED_IO);
            AddressSpace memory = sys.addressSpace("memory", systemMemory);
            AddressSpace ioSpace = sys.addressSpace("I/O", io);

            // pc_memory_init: one RAM block, shown below 4 GiB up to the PCI hole and the rest above 4 GiB
            RamRegion ram = sys.ram("pc.ram", BELOW_4G + ABOVE_4G);
            systemMemory.addSubregion(sys.alias("ram-below-4g", ram, 0, BELOW_4G), 0);
            systemMemory.addSubregion(sys.alias("ram-above-4g", ram, BELOW_4G, ABOVE_4G), 4 * GiB);
            ContainerRegion pci = sys.container("pci", MemoryRegion.SIZE_2_64);
            RamRegion pcRom = sys.rom("pc.rom", 128 * KiB);
            pci.addSubregionOverlap(pcRom, 0xc0000, 1);
            RamRegion pcBios = sys.rom("pc.bios", 256 * KiB);
            AliasRegion isaBios = sys.alias("isa-bios", pcBios, 128 * KiB, 128 * KiB); // the last 128 KiB
            isaBios.setReadonly(true);
            pci.addSubregionOverlap(isaBios, 0xe0000, 1);
            pci.addSubregion(pcBios, 0x1_0000_0000L - 256 * KiB);

            // i440fx: PCI below RAM, SMRAM, PAM, the configuration ports
            systemMemory.addSubregionOverlap(pci, 0, -1);
            AliasRegion smramRegion = sys.alias("smram-region", pci, 0xa0000, 128 * KiB);
            systemMemory.addSubregionOverlap(smramRegion, 0xa0000, 1);
            ContainerRegion smram = sys.container("smram", 4 * GiB);
            smram.addSubregion(sys.alias("smram-low", ram, 0xa0000, 128 * KiB), 0xa0000);
            smram.setEnabled(false); // SMRAM register at reset: G_SMRAME clear
            List<Pam> pams = new ArrayList<>();
            pams.add(new Pam(sys, systemMemory, ram, pci, 0xf0000, 64 * KiB)); // the BIOS segment
            for (int i = 0; i < 12; i++) { // the expansion ROM segments
                pams.add(new Pam(sys, systemMemory, ram, pci, 0xc0000 + i * 16 * KiB, 16 * KiB));
            }
            io.addSubregion(sys.mmio("pci-conf-idx", 4, registers(4)), 0xcf8);
            io.addSubregion(sys.mmio("pci-conf-data", 4, registers(4)), 0xcfc);
            io.addSubregionOverlap(sys.mmio("piix3-reset-control", 1, registers(1)), 0xcf9, 1);

            // a few devices
            MmioRegion vgaLowmem = sys.mmio("vga-lowmem", 128 * KiB, registers((int) (128 * KiB)));
            pci.addSubregionOverlap(vgaLowmem, 0xa0000, 1);
            io.addSubregion(sys.mmio("pic", 2, registers(2)), 0x20);
            io.addSubregion(sys.mmio("pit", 4, registers(4)), 0x40);
            io.addSubregion(sys.mmio("rtc", 2, registers(2)), 0x70);
            systemMemory.addSubregion(sys.mmio("ioapic", 4 * KiB, registers((int) (4 * KiB))), 0xfec00000L);
            systemMemory.addSubregion(sys.mmio("hpet", 1 * KiB, registers((int) KiB)), 0xfed00000L);
            // MSI writes from devices land here; this stand-in drops them
            systemMemory.addSubregionOverlap(sys.mmio("apic-msi", 1024 * KiB, UNASSIGNED_IO), 0xfee00000L, 4096);

            // the CPU: a plain view of system memory, and an SMM view with SMRAM on top
            sys.addressSpace("cpu-memory-0", systemMemory);
            ContainerRegion smmRoot = sys.container("memory", MemoryRegion.SIZE_2_64);
            smmRoot.addSubregion(sys.alias("memory", systemMemory, 0, MemoryRegion.SIZE_2_64), 0);
            smmRoot.addSubregionOverlap(sys.alias("smram", smram, 0, 4 * GiB), 0, 1);
            AddressSpace cpuSmm = sys.addressSpace("cpu-smm-0", smmRoot);

            return new PcMachine(sys, systemMemory, pci, ram, pcRom, pcBios, vgaLowmem, smramRegion, smram,
                    List.copyOf(pams), memory, ioSpace, cpuSmm);
        } catch (RuntimeException | Error e) {
            sys.close();
            throw e;
        }
    }

    /**
     * The firmware's first move, as one transaction: every PAM segment of 0xc0000-0xfffff to RAM
     * read/write (the BIOS gets shadowed), and SMRAM open (i440FX's D_OPEN: {@code smram-region}
     * off, so non-SMM CPUs see RAM at 0xa0000).
     */
    static void shadowBiosAndOpenSmram(PcMachine m) {
        try (MemoryTransaction tx = m.system().begin()) {
            for (Pam pam : m.pams()) {
                pam.select(PamMode.READ_WRITE);
            }
            m.smramRegion().setEnabled(false);
        }
    }

    static int run(PrintStream out) {
        try (PcMachine m = build()) {
            out.println("guestmem demo: QEMU 7.2's pc machine (i440FX, -m 4G), built with guestmem's public API");
            out.println();
            out.println("==== at reset: info mtree ====");
            out.print(MtreePrinter.tree(m.system(), false));
            out.println("==== at reset: info mtree -f ====");
            out.print(MtreePrinter.flat(m.system()));

            long before = m.system().commitCount();
            shadowBiosAndOpenSmram(m);
            long after = m.system().commitCount();
            out.println("==== one transaction: " + m.pams().size() + " PAM segments pam-pci -> pam-ram, smram-region off;"
                    + " commits " + before + " -> " + after + " ====");
            out.println();
            out.println("==== after: info mtree ====");
            out.print(MtreePrinter.tree(m.system(), false));
            out.println("==== after: info mtree -f ====");
            out.print(MtreePrinter.flat(m.system()));
            out.println("What changed: 0xa0000-0xfffff showed VGA, option ROM and BIOS from PCI; now RAM shows there,"
                    + " so 0-0xbfffffff is one pc.ram range.");
        }
        out.flush();
        return 0;
    }

    /** QEMU's {@code unassigned_io_ops}: reads see all ones, writes are dropped. */
    private static final MemoryRegionOps UNASSIGNED_IO = MemoryRegionOps.builder()
            .endianness(Endianness.LITTLE)
            .read((addr, size) -> -1L)
            .write((addr, value, size) -> {
            })
            .build();

    /** A stand-in device: {@code bytes} bytes of little-endian registers that read back what was written. */
    private static MemoryRegionOps registers(int bytes) {
        byte[] regs = new byte[bytes];
        return MemoryRegionOps.builder()
                .endianness(Endianness.LITTLE)
                .valid(1, 4, false)
                .read((addr, size) -> {
                    long v = 0;
                    synchronized (regs) {
                        for (int i = size - 1; i >= 0; i--) {
                            v = v << 8 | (addr + i < bytes ? regs[(int) addr + i] & 0xff : 0);
                        }
                    }
                    return v;
                })
                .write((addr, value, size) -> {
                    synchronized (regs) {
                        for (int i = 0; i < size && addr + i < bytes; i++) {
                            regs[(int) addr + i] = (byte) (value >>> 8 * i);
                        }
                    }
                })
                .build();
    }
}
