package org.guestmem.bench;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.guestmem.AddressSpace;
import org.guestmem.ContainerRegion;
import org.guestmem.MemoryRegion;
import org.guestmem.MemoryRegionOps;
import org.guestmem.MemorySystem;
import org.guestmem.MemoryTransaction;
import org.guestmem.MmioRegion;
import org.guestmem.RamRegion;

/**
 * A machine with the peers' W1 layout (N RAM regions of 64 KiB, 1 MiB apart), every word of the
 * hot stream written with its initial value, and one MMIO device at {@link PeerStreams#MMIO_BASE},
 * outside the stream, for writers to change while readers run. Used by the concurrency suites.
 */
public final class HotMachine implements AutoCloseable {
    private static final ValueLayout.OfLong LE64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** The system. */
    public final MemorySystem sys;
    /** The system container. */
    public final ContainerRegion root;
    /** The address space readers read. */
    public final AddressSpace space;
    /** The device writers toggle: not in the stream, so readers' cached pages stay valid. */
    public final MmioRegion device;
    /** The hot stream's guest addresses. */
    public final long[] stream;

    /** Builds the machine with {@code regions} RAM regions. */
    public HotMachine(String name, int regions) {
        sys = MemorySystem.builder().name(name).build();
        root = sys.container("system", MemoryRegion.SIZE_2_64);
        RamRegion[] ram = new RamRegion[regions];
        try (MemoryTransaction tx = sys.begin()) {
            for (int i = 0; i < regions; i++) {
                ram[i] = sys.ram("ram" + i, PeerStreams.HOT_REGION);
                root.addSubregion(ram[i], PeerStreams.hotRegionAddress(i));
            }
            device = sys.mmio("device", 0x1000, MemoryRegionOps.builder()
                    .read((addr, size) -> PeerStreams.MMIO_VALUE)
                    .write((addr, value, size) -> {
                    })
                    .build());
            root.addSubregion(device, PeerStreams.MMIO_BASE);
        }
        space = sys.addressSpace("memory", root);
        stream = PeerStreams.hotGuest(regions);
        for (long a : stream) {
            long rel = a - PeerStreams.BASE;
            ram[(int) (rel / PeerStreams.HOT_STRIDE)].segment().set(LE64, rel % PeerStreams.HOT_STRIDE, PeerStreams.initialWord(a));
        }
    }

    @Override
    public void close() {
        sys.close();
    }
}
