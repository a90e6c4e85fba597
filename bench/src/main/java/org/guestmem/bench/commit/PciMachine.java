package org.guestmem.bench.commit;

import java.util.IdentityHashMap;
import org.guestmem.AddressSpace;
import org.guestmem.AliasRegion;
import org.guestmem.ContainerRegion;
import org.guestmem.FlatView;
import org.guestmem.MemoryRegion;
import org.guestmem.MemoryRegionOps;
import org.guestmem.MemorySystem;
import org.guestmem.MemoryTransaction;
import org.guestmem.MmioRegion;
import org.guestmem.RamRegion;

/**
 * A q35-like machine with N PCI devices, built the way QEMU and the firmware build one: the chipset
 * first (RAM below and above 4 GiB through aliases, the PCI memory container under system memory at
 * priority -1, BIOS, IOAPIC, HPET, the MSI window, an I/O space), then each device as QEMU's
 * {@code do_pci_register_device} makes it: a bus-master container of 2<sup>64</sup> bytes holding a
 * disabled alias of system memory ({@code bus master}), the root of the device's own address
 * space. Then the firmware: every BAR programmed one at a time (two MMIO BARs in the PCI memory
 * container, one I/O BAR in the I/O space; each a commit of its own, as a config-space write is),
 * then bus mastering enabled device by device (a commit each).
 *
 * <p>QEMU shares one FlatView between address spaces whose flatview roots are the same region: a
 * bus-master space reduces to system memory once its alias is enabled, and to nothing before.
 */
public final class PciMachine implements AutoCloseable {
    static final long KiB = 1L << 10;
    static final long MiB = 1L << 20;
    static final long GiB = 1L << 30;
    /** Where the firmware puts the first MMIO BAR (the 32-bit PCI hole of a 2 GiB machine). */
    static final long MMIO_HOLE = 0xc000_0000L;
    /** Where the firmware puts the first I/O BAR. */
    static final long IO_BASE = 0x1000;

    private static final MemoryRegionOps DEVICE = MemoryRegionOps.builder()
            .read((addr, size) -> 0)
            .write((addr, value, size) -> {
            })
            .build();

    final MemorySystem sys;
    final ContainerRegion system;
    final ContainerRegion pciMemory;
    final ContainerRegion io;
    final MmioRegion[][] bars;
    final AliasRegion[] busMaster;
    final AddressSpace[] busMasterSpaces;

    private PciMachine(int devices) {
        sys = MemorySystem.builder().name("q35-" + devices).build();
        system = sys.container("system", MemoryRegion.SIZE_2_64);
        io = sys.container("io", 64 * KiB);
        pciMemory = sys.container("pci-memory", MemoryRegion.SIZE_2_64);
        bars = new MmioRegion[devices][3];
        busMaster = new AliasRegion[devices];
        busMasterSpaces = new AddressSpace[devices];
    }

    /** The chipset and {@code devices} devices as QEMU realizes them (one transaction), bus mastering off, no BAR mapped. */
    static PciMachine realize(int devices) {
        PciMachine m = new PciMachine(devices);
        MemorySystem sys = m.sys;
        try (MemoryTransaction tx = sys.begin()) {
            sys.addressSpace("memory", m.system);
            sys.addressSpace("I/O", m.io);
            RamRegion ram = sys.ram("pc.ram", 4 * GiB);
            m.system.addSubregion(sys.alias("ram-below-4g", ram, 0, 2 * GiB), 0);
            m.system.addSubregion(sys.alias("ram-above-4g", ram, 2 * GiB, 2 * GiB), 4 * GiB);
            m.system.addSubregionOverlap(m.pciMemory, 0, -1);
            RamRegion bios = sys.rom("pc.bios", 256 * KiB);
            m.pciMemory.addSubregion(bios, 0x1_0000_0000L - 256 * KiB);
            AliasRegion isaBios = sys.alias("isa-bios", bios, 128 * KiB, 128 * KiB);
            isaBios.setReadonly(true);
            m.pciMemory.addSubregionOverlap(isaBios, 0xe0000, 1);
            m.system.addSubregion(sys.mmio("ioapic", 4 * KiB, DEVICE), 0xfec00000L);
            m.system.addSubregion(sys.mmio("hpet", 1 * KiB, DEVICE), 0xfed00000L);
            m.system.addSubregionOverlap(sys.mmio("apic-msi", 1024 * KiB, DEVICE), 0xfee00000L, 4096);
            m.io.addSubregion(sys.mmio("pci-conf-idx", 4, DEVICE), 0xcf8);
            m.io.addSubregion(sys.mmio("pci-conf-data", 4, DEVICE), 0xcfc);
            for (int d = 0; d < devices; d++) {
                m.bars[d][0] = sys.mmio("dev" + d + ".bar0", 16 * KiB, DEVICE);
                m.bars[d][1] = sys.mmio("dev" + d + ".msix", 4 * KiB, DEVICE);
                m.bars[d][2] = sys.mmio("dev" + d + ".io", 32, DEVICE);
                ContainerRegion container = sys.container("bus master container", MemoryRegion.SIZE_2_64);
                AliasRegion alias = sys.alias("bus master", m.system, 0, MemoryRegion.SIZE_2_64);
                alias.setEnabled(false);
                container.addSubregion(alias, 0);
                m.busMaster[d] = alias;
                m.busMasterSpaces[d] = sys.addressSpace("dev" + d, container);
            }
        }
        return m;
    }

    /** {@return the address the firmware gives MMIO BAR {@code bar} (0 or 1) of device {@code d}} */
    static long mmioBarAddress(int d, int bar) {
        return MMIO_HOLE + d * 32 * KiB + bar * 16 * KiB;
    }

    /** {@return the I/O port the firmware gives device {@code d}'s I/O BAR} */
    static long ioBarAddress(int d) {
        return IO_BASE + d * 32L;
    }

    /** The firmware: every BAR programmed one at a time, then bus mastering on, device by device (a commit each). */
    void firmware() {
        for (int d = 0; d < bars.length; d++) {
            pciMemory.addSubregion(bars[d][0], mmioBarAddress(d, 0));
            pciMemory.addSubregion(bars[d][1], mmioBarAddress(d, 1));
            io.addSubregion(bars[d][2], ioBarAddress(d));
        }
        for (AliasRegion a : busMaster) {
            a.setEnabled(true);
        }
    }

    /** {@return the distinct FlatViews the address spaces show} */
    IdentityHashMap<FlatView, Boolean> viewsShown() {
        IdentityHashMap<FlatView, Boolean> views = new IdentityHashMap<>();
        for (AddressSpace as : sys.addressSpaces()) {
            views.put(as.currentView(), Boolean.TRUE);
        }
        return views;
    }

    /** {@return the bytes of native dispatch tables of the views shown} */
    long nativeTableBytes() {
        long bytes = 0;
        for (FlatView v : viewsShown().keySet()) {
            bytes += v.nativeTables().byteSize();
        }
        return bytes;
    }

    /**
     * Prints, for each device count given (default 16, 64, 256), the commits of a boot, the
     * FlatViews the booted machine shows and the bytes of their native tables.
     *
     * @param args device counts
     */
    public static void main(String[] args) {
        String[] counts = args.length > 0 ? args : new String[] {"16", "64", "256"};
        for (String c : counts) {
            try (PciMachine m = realize(Integer.parseInt(c))) {
                long before = m.sys.commitCount();
                m.firmware();
                System.out.printf("devices=%s commits=%d spaces=%d views=%d nativeTableBytes=%d%n", c,
                        m.sys.commitCount() - before, m.sys.addressSpaces().size(), m.viewsShown().size(),
                        m.nativeTableBytes());
            }
        }
    }

    @Override
    public void close() {
        sys.close();
    }
}
