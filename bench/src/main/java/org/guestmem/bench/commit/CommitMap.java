package org.guestmem.bench.commit;

import java.lang.foreign.MemorySegment;
import org.guestmem.AliasRegion;
import org.guestmem.ContainerRegion;
import org.guestmem.MemoryRegion;
import org.guestmem.MemoryRegionOps;
import org.guestmem.MemorySystem;
import org.guestmem.MemoryTransaction;
import org.guestmem.MmioRegion;
import org.guestmem.RamRegion;

/**
 * The maps the commit suite changes. Both hold N leaf regions of 4 KiB, one every 64 KiB, in one
 * container ({@link #parent}), and 100 spare regions that the benchmarks add and remove in the
 * gaps:
 * <ul>
 * <li>{@code flat}: the leaves directly in the system container, alternately RAM and MMIO, one
 * address space;</li>
 * <li>{@code pc}: QEMU's pc machine (i440FX, 4 GiB as 2 GiB below and 2 GiB above 4 GiB), the
 * tree {@code guestmem demo} builds: RAM shown through aliases, the PCI container below RAM,
 * {@code pc.rom}, the {@code isa-bios} alias, 13 PAM segments of four aliases each, SMRAM and an
 * SMM address space that shows system memory through an alias, an I/O space; the N leaves are
 * PCI BARs in the 2 GiB PCI hole, alternately MMIO and aliases into a 16 MiB VRAM block. About 80
 * regions besides the leaves.</li>
 * </ul>
 */
final class CommitMap implements AutoCloseable {
    static final long KiB = 1L << 10;
    static final long MiB = 1L << 20;
    static final long GiB = 1L << 30;
    /** Leaf size. */
    static final long LEAF = 4 * KiB;
    /** Distance between leaves. */
    static final long STRIDE = 64 * KiB;
    /** Where the flat map starts. */
    static final long FLAT_BASE = 0x1000_0000L;
    /** Where the pc map's leaves start: the PCI hole of a machine with 2 GiB below 4 GiB. */
    static final long PC_HOLE = 2 * GiB;
    /** Spare regions. */
    static final int SPARES = 100;
    /** Offset in a leaf's slot where the moved leaf goes. */
    static final long MOVE_OFFSET = 60 * KiB;

    private static final MemoryRegionOps DEVICE = MemoryRegionOps.builder()
            .read((addr, size) -> 0)
            .write((addr, value, size) -> {
            })
            .build();

    final MemorySystem sys;
    final ContainerRegion parent;
    final MemoryRegion[] leaves;
    final long base;
    final MmioRegion[] spares;
    final long[] spareAddress;

    private CommitMap(MemorySystem sys, ContainerRegion parent, MemoryRegion[] leaves, long base) {
        this.sys = sys;
        this.parent = parent;
        this.leaves = leaves;
        this.base = base;
        int n = leaves.length;
        spares = new MmioRegion[SPARES];
        spareAddress = new long[SPARES];
        for (int k = 0; k < SPARES; k++) {
            spares[k] = sys.mmio("spare" + k, LEAF, DEVICE);
            spareAddress[k] = spareAddress(n, k);
        }
    }

    /**
     * {@return where spare {@code k} goes among {@code n} leaves: in the gap after leaf
     * {@code (k % n) * max(1, n / 100)}, 8 KiB + {@code (k / n)} 4 KiB pages into it}
     */
    long spareAddress(int n, int k) {
        long slot = (long) (k % n) * Math.max(1, n / SPARES);
        return base + slot * STRIDE + 8 * KiB + (k / n) * LEAF;
    }

    /** {@return the guest address of leaf {@code i}} */
    long leafAddress(int i) {
        return base + i * STRIDE;
    }

    /** {@return the map named {@code kind} ({@code flat} or {@code pc}) with {@code n} leaves} */
    static CommitMap build(String kind, int n) {
        if (n < 8) {
            throw new IllegalArgumentException("the commit maps need at least 8 leaves, got " + n);
        }
        return switch (kind) {
            case "flat" -> flat(n);
            case "pc" -> pc(n);
            default -> throw new IllegalArgumentException("map must be flat or pc, got " + kind);
        };
    }

    private static CommitMap flat(int n) {
        MemorySystem sys = MemorySystem.builder().name("commit-flat").build();
        ContainerRegion root = sys.container("system", MemoryRegion.SIZE_2_64);
        MemorySegment backing = sys.ram("backing", n * LEAF).segment();
        MemoryRegion[] leaves = new MemoryRegion[n];
        try (MemoryTransaction tx = sys.begin()) {
            for (int i = 0; i < n; i++) {
                leaves[i] = i % 2 == 0
                        ? sys.ramFromSegment("ram" + i, backing.asSlice(i * LEAF, LEAF))
                        : sys.mmio("mmio" + i, LEAF, DEVICE);
                root.addSubregion(leaves[i], FLAT_BASE + i * STRIDE);
            }
            sys.addressSpace("memory", root);
        }
        return new CommitMap(sys, root, leaves, FLAT_BASE);
    }

    private static CommitMap pc(int n) {
        MemorySystem sys = MemorySystem.builder().name("commit-pc").build();
        MemoryRegion[] leaves = new MemoryRegion[n];
        ContainerRegion pci;
        try (MemoryTransaction tx = sys.begin()) {
            ContainerRegion system = sys.container("system", MemoryRegion.SIZE_2_64);
            MmioRegion io = sys.mmio("io", 64 * KiB, DEVICE);
            sys.addressSpace("memory", system);
            sys.addressSpace("I/O", io);

            RamRegion ram = sys.ram("pc.ram", 4 * GiB);
            system.addSubregion(sys.alias("ram-below-4g", ram, 0, 2 * GiB), 0);
            system.addSubregion(sys.alias("ram-above-4g", ram, 2 * GiB, 2 * GiB), 4 * GiB);
            pci = sys.container("pci", MemoryRegion.SIZE_2_64);
            pci.addSubregionOverlap(sys.rom("pc.rom", 128 * KiB), 0xc0000, 1);
            RamRegion bios = sys.rom("pc.bios", 256 * KiB);
            AliasRegion isaBios = sys.alias("isa-bios", bios, 128 * KiB, 128 * KiB);
            isaBios.setReadonly(true);
            pci.addSubregionOverlap(isaBios, 0xe0000, 1);
            pci.addSubregion(bios, 0x1_0000_0000L - 256 * KiB);
            system.addSubregionOverlap(pci, 0, -1);

            system.addSubregionOverlap(sys.alias("smram-region", pci, 0xa0000, 128 * KiB), 0xa0000, 1);
            ContainerRegion smram = sys.container("smram", 4 * GiB);
            smram.addSubregion(sys.alias("smram-low", ram, 0xa0000, 128 * KiB), 0xa0000);
            smram.setEnabled(false);
            pam(sys, system, ram, pci, 0xf0000, 64 * KiB);
            for (int i = 0; i < 12; i++) {
                pam(sys, system, ram, pci, 0xc0000 + i * 16 * KiB, 16 * KiB);
            }
            io.addSubregion(sys.mmio("pci-conf-idx", 4, DEVICE), 0xcf8);
            io.addSubregion(sys.mmio("pci-conf-data", 4, DEVICE), 0xcfc);
            pci.addSubregionOverlap(sys.mmio("vga-lowmem", 128 * KiB, DEVICE), 0xa0000, 1);
            system.addSubregion(sys.mmio("ioapic", 4 * KiB, DEVICE), 0xfec00000L);
            system.addSubregion(sys.mmio("hpet", 1 * KiB, DEVICE), 0xfed00000L);
            system.addSubregionOverlap(sys.mmio("apic-msi", 1024 * KiB, DEVICE), 0xfee00000L, 4096);

            RamRegion vram = sys.ram("vram", 16 * MiB);
            for (int i = 0; i < n; i++) {
                leaves[i] = i % 2 == 0
                        ? sys.mmio("bar" + i, LEAF, DEVICE)
                        : sys.alias("vram-window" + i, vram, (i % 4096) * LEAF, LEAF);
                pci.addSubregion(leaves[i], PC_HOLE + i * STRIDE);
            }

            sys.addressSpace("cpu-memory-0", system);
            ContainerRegion smmRoot = sys.container("memory", MemoryRegion.SIZE_2_64);
            smmRoot.addSubregion(sys.alias("memory", system, 0, MemoryRegion.SIZE_2_64), 0);
            smmRoot.addSubregionOverlap(sys.alias("smram", smram, 0, 4 * GiB), 0, 1);
            sys.addressSpace("cpu-smm-0", smmRoot);
        }
        return new CommitMap(sys, pci, leaves, PC_HOLE);
    }

    /** One PAM segment: four aliases at priority 1, the PCI one enabled (hw/pci-host/pam.c at reset). */
    private static void pam(MemorySystem sys, ContainerRegion system, MemoryRegion ram, MemoryRegion pci, long start, long size) {
        AliasRegion toRom = sys.alias("pam-rom", ram, start, size);
        toRom.setReadonly(true);
        AliasRegion[] aliases = {
            sys.alias("pam-pci", pci, start, size), toRom, sys.alias("pam-pci", ram, start, size),
            sys.alias("pam-ram", ram, start, size)};
        for (AliasRegion a : aliases) {
            a.setEnabled(false);
            system.addSubregionOverlap(a, start, 1);
        }
        aliases[0].setEnabled(true);
    }

    @Override
    public void close() {
        sys.close();
    }
}
