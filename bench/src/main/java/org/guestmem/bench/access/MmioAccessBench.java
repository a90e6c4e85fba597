package org.guestmem.bench.access;

import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.guestmem.AddressSpaceAccessor;
import org.guestmem.ContainerRegion;
import org.guestmem.MemTxResult;
import org.guestmem.MemoryRegion;
import org.guestmem.MemoryRegionOps;
import org.guestmem.MemorySystem;
import org.guestmem.MemoryTransaction;
import org.guestmem.bench.Baseline;
import org.guestmem.bench.PeerStreams;
import org.guestmem.bench.TreeMapMemory;
import org.guestmem.bench.TreeMapMemory.Region;
import org.guestmem.rcu.RcuReader;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * MMIO access: 4-byte loads and stores at random 4-aligned offsets of N 4 KiB device regions (the
 * peers' W4, generalised to N regions by {@link PeerStreams#mmio(int)}). Every device has the same
 * callbacks, so the three implementations call identical code:
 * <ul>
 * <li>guestmem ({@code mmioRead4}, {@code mmioWrite4}): the accessor, with QEMU's access-size
 * adaptation and endianness handling, a quiescent state after every chunk;</li>
 * <li>{@code treeMap*}: the hand-written {@link TreeMapMemory}, {@code floorEntry} then the
 * callback: the in-run baseline;</li>
 * <li>{@code direct*}: the callback called straight with the offset (no translation): the limit.</li>
 * </ul>
 * Reads return {@code 0x12345678 ^ offset}, so no loop can be folded; writes store into the
 * device. One operation is one access; {@value #CHUNK} accesses per invocation.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class MmioAccessBench {
    /** Accesses per invocation. */
    public static final int CHUNK = 1 << 16;

    /** A device register file stand-in: reads answer {@code 0x12345678 ^ offset}, writes are kept. */
    static final class Device {
        long last;
        final MemoryRegionOps.ReadFn read = (addr, size) -> PeerStreams.MMIO_VALUE ^ addr;
        final MemoryRegionOps.WriteFn write = (addr, value, size) -> last = value;
    }

    /** The parameters every implementation shares, the devices and the stream position. */
    @State(Scope.Thread)
    public abstract static class Params {
        /** Number of MMIO regions. */
        @Param({"1", "64", "1024", "16384"})
        public int regions;

        Device[] devices;
        long[] addrs;
        private int next;
        long failures;

        final void makeDevices() {
            devices = new Device[regions];
            for (int i = 0; i < regions; i++) {
                devices[i] = new Device();
            }
            addrs = PeerStreams.mmio(regions);
        }

        final int nextChunk() {
            int b = next;
            next = (b + CHUNK) & (addrs.length - 1);
            return b;
        }

        final void checkFailures() {
            if (failures != 0) {
                throw new IllegalStateException(failures + " accesses failed");
            }
        }
    }

    /** guestmem: N MMIO regions in a system container. */
    public static class Guest extends Params {
        MemorySystem sys;
        RcuReader reader;
        AddressSpaceAccessor acc;

        /** Builds the map, registers the thread and checks one read per device. */
        @Setup(Level.Trial)
        public void setup() {
            makeDevices();
            sys = MemorySystem.builder().name("mmio-access").build();
            ContainerRegion root = sys.container("system", MemoryRegion.SIZE_2_64);
            try (MemoryTransaction tx = sys.begin()) {
                for (int i = 0; i < regions; i++) {
                    MemoryRegionOps ops = MemoryRegionOps.builder().read(devices[i].read).write(devices[i].write).build();
                    root.addSubregion(sys.mmio("dev" + i, PeerStreams.MMIO_REGION, ops), PeerStreams.mmioRegionAddress(i));
                }
            }
            reader = sys.rcu().registerQuiescent();
            acc = sys.addressSpace("memory", root).accessor(reader);
            for (int i = 0; i < regions; i++) {
                long v = acc.ld32le(PeerStreams.mmioRegionAddress(i) + 0x40);
                if (v != (PeerStreams.MMIO_VALUE ^ 0x40)) {
                    throw new IllegalStateException("device " + i + " read 0x" + Long.toHexString(v));
                }
            }
            reader.quiescentState();
        }

        /** Releases everything and fails the trial if an access did not answer OK. */
        @TearDown(Level.Trial)
        public void tearDown() {
            reader.close();
            sys.close();
            checkFailures();
        }
    }

    /** The hand-written baseline: the same devices in a {@link TreeMapMemory}. */
    public static class HandWritten extends Params {
        TreeMapMemory mem;

        /** Maps the devices. */
        @Setup(Level.Trial)
        public void setup() {
            makeDevices();
            mem = new TreeMapMemory();
            Region[] all = new Region[regions];
            for (int i = 0; i < regions; i++) {
                all[i] = Region.mmio(PeerStreams.mmioRegionAddress(i), PeerStreams.MMIO_REGION, devices[i].read, devices[i].write);
            }
            mem.replace(new long[0], all);
        }

        /** Fails the trial if an address was not found. */
        @TearDown(Level.Trial)
        public void tearDown() {
            checkFailures();
        }
    }

    /** The limit: the devices called directly; the stream is turned into (device, offset) pairs. */
    public static class Direct extends Params {
        int[] device;
        long[] offset;

        /** Splits every stream address into its device index and offset. */
        @Setup(Level.Trial)
        public void setup() {
            makeDevices();
            device = new int[addrs.length];
            offset = new long[addrs.length];
            for (int i = 0; i < addrs.length; i++) {
                long rel = addrs[i] - PeerStreams.MMIO_BASE;
                device[i] = (int) (rel / PeerStreams.MMIO_STRIDE);
                offset[i] = rel % PeerStreams.MMIO_STRIDE;
            }
        }
    }

    /** guestmem: 4-byte little-endian MMIO loads through the accessor. */
    @Benchmark
    @OperationsPerInvocation(CHUNK)
    @Baseline("treeMapRead4")
    public long read4(Guest g) {
        AddressSpaceAccessor a = g.acc;
        long[] s = g.addrs;
        int b = g.nextChunk();
        long sum = 0;
        int bad = 0;
        for (int i = b; i < b + CHUNK; i++) {
            sum += a.ld32le(s[i]);
            if (!a.lastLoadOk()) {
                bad++;
            }
        }
        g.failures += bad;
        g.reader.quiescentState();
        return sum;
    }

    /** guestmem: 4-byte little-endian MMIO stores of the loop counter through the accessor. */
    @Benchmark
    @OperationsPerInvocation(CHUNK)
    @Baseline("treeMapWrite4")
    public long write4(Guest g) {
        AddressSpaceAccessor a = g.acc;
        long[] s = g.addrs;
        int b = g.nextChunk();
        int bad = 0;
        for (int i = b; i < b + CHUNK; i++) {
            if (a.st32le(s[i], i) != MemTxResult.OK) {
                bad++;
            }
        }
        g.failures += bad;
        g.reader.quiescentState();
        return g.devices[0].last + bad;
    }

    /** Hand-written: {@code floorEntry} plus bound check, then the device's read callback. */
    @Benchmark
    @OperationsPerInvocation(CHUNK)
    public long treeMapRead4(HandWritten h) {
        TreeMap<Long, Region> m = h.mem.map();
        long[] s = h.addrs;
        int b = h.nextChunk();
        long sum = 0;
        int bad = 0;
        for (int i = b; i < b + CHUNK; i++) {
            Region r = TreeMapMemory.find(m, s[i]);
            if (r == null) {
                bad++;
            } else {
                sum += r.read().read(s[i] - r.base(), 4) & 0xffff_ffffL;
            }
        }
        h.failures += bad;
        return sum;
    }

    /** Hand-written: {@code floorEntry} plus bound check, then the device's write callback. */
    @Benchmark
    @OperationsPerInvocation(CHUNK)
    public long treeMapWrite4(HandWritten h) {
        TreeMap<Long, Region> m = h.mem.map();
        long[] s = h.addrs;
        int b = h.nextChunk();
        int bad = 0;
        for (int i = b; i < b + CHUNK; i++) {
            Region r = TreeMapMemory.find(m, s[i]);
            if (r == null) {
                bad++;
            } else {
                r.write().write(s[i] - r.base(), i & 0xffff_ffffL, 4);
            }
        }
        h.failures += bad;
        return h.devices[0].last + bad;
    }

    /** The limit: the device's read callback called with a precomputed device and offset. */
    @Benchmark
    @OperationsPerInvocation(CHUNK)
    @Baseline(value = "treeMapRead4", gated = false)
    public long directRead4(Direct d) {
        Device[] devs = d.devices;
        int[] dev = d.device;
        long[] off = d.offset;
        int b = d.nextChunk();
        long sum = 0;
        for (int i = b; i < b + CHUNK; i++) {
            sum += devs[dev[i]].read.read(off[i], 4) & 0xffff_ffffL;
        }
        return sum;
    }

    /** The limit: the device's write callback called with a precomputed device and offset. */
    @Benchmark
    @OperationsPerInvocation(CHUNK)
    @Baseline(value = "treeMapWrite4", gated = false)
    public long directWrite4(Direct d) {
        Device[] devs = d.devices;
        int[] dev = d.device;
        long[] off = d.offset;
        int b = d.nextChunk();
        for (int i = b; i < b + CHUNK; i++) {
            devs[dev[i]].write.write(off[i], i & 0xffff_ffffL, 4);
        }
        return devs[dev[b]].last;
    }
}
