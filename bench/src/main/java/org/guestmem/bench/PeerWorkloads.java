package org.guestmem.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.EnumSet;
import java.util.concurrent.TimeUnit;
import org.guestmem.AddressSpace;
import org.guestmem.AddressSpaceAccessor;
import org.guestmem.ContainerRegion;
import org.guestmem.FlatView;
import org.guestmem.MemTxResult;
import org.guestmem.MemoryRegion;
import org.guestmem.MemoryRegionOps;
import org.guestmem.MemorySystem;
import org.guestmem.MemorySystemBuilder;
import org.guestmem.MemoryTransaction;
import org.guestmem.RamRegion;
import org.guestmem.dirty.GlobalDirtyReason;
import org.guestmem.rcu.RcuReader;
import org.guestmem.tlb.Tlb;
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
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * The peer workloads W1 to W5 ({@code bench/README.md}): same layouts, address
 * streams and initial contents as the C (Unicorn) and Rust (vm-memory) harnesses, so the numbers
 * sit beside theirs, and the raw baselines ({@code raw*}: the same streams on one plain
 * {@link MemorySegment}, the physical limit) measured in the same run.
 *
 * <p>One operation is one access (the benchmark loops over the precomputed stream) or one
 * add+remove pair. The {@code tlb*} methods run W1 to W3 through the softmmu TLB's static
 * fast-path methods, called from the loop as generated code would call them ({@code Checked}:
 * the same in checked mode; {@code CodeTracked}: a system with code tracking and no translated
 * code in the written pages; {@code Logged}: migration logging on, every page already dirty). The CPU thread is a quiescent-state RCU reader, as an emulator's CPU loop would
 * be, reporting a quiescent state once per pass over the stream. Parameter {@code regions}: the
 * peers measured W1/W2 at 1, 64, 1024, W3 at 1, 64, W4 at 1 and W5 at 16, 1024.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class PeerWorkloads {
    private static final ValueLayout.OfLong LE64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Number of regions in the layout. */
    @Param({"1", "16", "64", "1024"})
    public int regions;

    private MemorySystem sys;
    private ContainerRegion root;
    private AddressSpace space;
    private RcuReader reader;
    private AddressSpaceAccessor acc;
    private Tlb tlb;
    private long[] addrs;
    private Arena rawArena;
    private MemorySegment raw;
    private RamRegion mapRegion;
    private long mapAddress;
    private long failures;

    /** Builds only what the benchmark about to run needs. */
    @Setup(Level.Trial)
    public void setup(BenchmarkParams params) {
        String b = params.getBenchmark();
        String name = b.substring(b.lastIndexOf('.') + 1);
        switch (name) {
            case "tlbRead8Hot", "tlbWrite8Hot" -> tlbGuest(PeerStreams.hotGuest(regions), hotLayout(b()), HOT_TLB_ENTRIES);
            case "tlbRead8HotChecked", "tlbWrite8HotChecked" ->
                    tlbGuest(PeerStreams.hotGuest(regions), hotLayout(b().checkedAccess(true)), HOT_TLB_ENTRIES);
            case "tlbWrite8HotCodeTracked" ->
                    tlbGuest(PeerStreams.hotGuest(regions), hotLayout(b().codeDirtyTracking(true)), HOT_TLB_ENTRIES);
            case "tlbWrite8HotLogged" -> {
                long[][] layout = hotLayout(b());
                sys.startGlobalDirtyLog(EnumSet.of(GlobalDirtyReason.MIGRATION));
                tlbGuest(PeerStreams.hotGuest(regions), layout, HOT_TLB_ENTRIES);
            }
            case "tlbRead8Cold" -> tlbGuest(PeerStreams.coldGuest(regions), coldLayout(), COLD_TLB_ENTRIES);
            case "ramRead8Hot", "ramWrite8Hot" -> guest(PeerStreams.hotGuest(regions), hotLayout());
            case "ramRead8Cold" -> guest(PeerStreams.coldGuest(regions), coldLayout());
            case "rawRead8Hot" -> raw(PeerStreams.hotRaw(regions), PeerStreams.HOT_REGION * regions);
            case "rawRead8Cold" -> raw(PeerStreams.coldRaw(regions), PeerStreams.COLD_TOTAL);
            case "mmioRead4" -> mmioLayout();
            case "mapUnmap" -> mapLayout();
            default -> throw new IllegalStateException("no setup for " + name);
        }
    }

    /**
     * TLB entries for W1/W2: 2^16 (2 MiB, transparent huge pages). The hot pages of 1,024 regions 1
     * MiB apart span 2^18 page numbers, so four of them share each direct index they use: three in
     * four accesses at 1,024 regions find their page at its second index (bench/README.md).
     */
    static final int HOT_TLB_ENTRIES = 1 << 16;
    /** TLB entries for W3: 2^17, one per page of the 256 MiB (plus the holes) it reads at random. */
    static final int COLD_TLB_ENTRIES = 1 << 17;

    private static MemorySystemBuilder b() {
        return MemorySystem.builder().checkedAccess(false);
    }

    private long[][] hotLayout() {
        return hotLayout(b());
    }

    private long[][] hotLayout(MemorySystemBuilder builder) {
        sys = builder.name("peer-hot").build();
        root = sys.container("system", MemoryRegion.SIZE_2_64);
        long[][] words = new long[regions][];
        try (MemoryTransaction tx = sys.begin()) {
            for (int i = 0; i < regions; i++) {
                root.addSubregion(sys.ram("ram" + i, PeerStreams.HOT_REGION), PeerStreams.BASE + i * PeerStreams.HOT_STRIDE);
                words[i] = new long[] {PeerStreams.BASE + i * PeerStreams.HOT_STRIDE, PeerStreams.HOT_REGION};
            }
        }
        return words;
    }

    private long[][] coldLayout() {
        sys = MemorySystem.builder().name("peer-cold").build();
        root = sys.container("system", MemoryRegion.SIZE_2_64);
        long size = PeerStreams.COLD_TOTAL / regions;
        long[][] words = new long[regions][];
        try (MemoryTransaction tx = sys.begin()) {
            for (int i = 0; i < regions; i++) {
                long at = PeerStreams.coldRegionAddress(regions, i);
                root.addSubregion(sys.ram("ram" + i, size), at);
                words[i] = new long[] {at, size};
            }
        }
        return words;
    }

    /** Registers the CPU thread, fills RAM through the API, and checks the first 4096 stream addresses. */
    private void guest(long[] stream, long[][] ramRanges) {
        space = sys.addressSpace("memory", root);
        reader = sys.rcu().registerQuiescent();
        acc = space.accessor(reader);
        for (long[] r : ramRanges) {
            for (long a = r[0]; a < r[0] + r[1]; a += 8) {
                if (acc.st64le(a, PeerStreams.initialWord(a)) != MemTxResult.OK) {
                    throw new IllegalStateException("initial write failed at 0x" + Long.toHexString(a));
                }
            }
        }
        for (int i = 0; i < 4096; i++) {
            long v = acc.ld64le(stream[i]);
            if (v != PeerStreams.initialWord(stream[i])) {
                throw new IllegalStateException("read back 0x" + Long.toHexString(v) + " at 0x" + Long.toHexString(stream[i]));
            }
        }
        addrs = stream;
    }

    /** {@link #guest}, through a TLB: fills RAM through the slow path, checks the stream's first 4096 loads. */
    private void tlbGuest(long[] stream, long[][] ramRanges, int entries) {
        space = sys.addressSpace("memory", root);
        reader = sys.rcu().registerQuiescent();
        tlb = Tlb.builder(reader).index(space).entries(entries).build();
        for (long[] r : ramRanges) {
            for (long a = r[0]; a < r[0] + r[1]; a += 8) {
                if (Tlb.st64le(tlb, 0, a, PeerStreams.initialWord(a)) != 0) {
                    throw new IllegalStateException("initial write failed at 0x" + Long.toHexString(a));
                }
            }
        }
        for (int i = 0; i < 4096; i++) {
            long v = Tlb.ld64le(tlb, 0, stream[i]);
            if (v != PeerStreams.initialWord(stream[i])) {
                throw new IllegalStateException("read back 0x" + Long.toHexString(v) + " at 0x" + Long.toHexString(stream[i]));
            }
        }
        addrs = stream;
    }

    private void raw(long[] offsets, long bytes) {
        rawArena = Arena.ofShared();
        raw = rawArena.allocate(bytes, 4096);
        for (long o = 0; o < bytes; o += 8) {
            raw.set(LE64, o, PeerStreams.initialWord(o));
        }
        addrs = offsets;
    }

    private void mmioLayout() {
        sys = MemorySystem.builder().name("peer-mmio").build();
        root = sys.container("system", MemoryRegion.SIZE_2_64);
        root.addSubregion(sys.mmio("mmio", 0x1000, MemoryRegionOps.builder()
                .read((addr, size) -> PeerStreams.MMIO_VALUE).build()), PeerStreams.MMIO_BASE);
        space = sys.addressSpace("memory", root);
        reader = sys.rcu().registerQuiescent();
        acc = space.accessor(reader);
        addrs = PeerStreams.mmio();
        if (acc.ld32le(addrs[0]) != PeerStreams.MMIO_VALUE) {
            throw new IllegalStateException("MMIO read-back failed");
        }
    }

    private void mapLayout() {
        hotLayout();
        space = sys.addressSpace("memory", root);
        mapRegion = sys.ram("hotplug", 0x1000);
        mapAddress = PeerStreams.mapUnmapAddress(regions);
        root.addSubregion(mapRegion, mapAddress);
        if (space.translate(mapAddress, 8, false).section().region() != mapRegion) {
            throw new IllegalStateException("the added region is not visible");
        }
        root.removeSubregion(mapRegion);
    }

    /** Checks that no access failed and releases everything. */
    @TearDown(Level.Trial)
    public void tearDown() {
        if (tlb != null) {
            if (Tlb.loadFault(tlb) != 0) {
                failures++;
            }
            tlb.close();
        }
        if (reader != null) {
            reader.close();
        }
        if (sys != null) {
            sys.close();
        }
        if (rawArena != null) {
            rawArena.close();
        }
        if (failures != 0) {
            throw new IllegalStateException(failures + " accesses did not answer OK");
        }
    }

    /** W1: 8-byte little-endian reads of the hot stream through an {@link AddressSpaceAccessor}. */
    @Benchmark
    @OperationsPerInvocation(PeerStreams.HOT_ENTRIES)
    public long ramRead8Hot() {
        AddressSpaceAccessor a = acc;
        long sum = 0;
        for (long addr : addrs) {
            sum += a.ld64le(addr);
            if (!a.lastLoadOk()) {
                failures++;
            }
        }
        reader.quiescentState();
        return sum;
    }

    /** W2: 8-byte little-endian writes of the loop counter at the hot stream's addresses. */
    @Benchmark
    @OperationsPerInvocation(PeerStreams.HOT_ENTRIES)
    public long ramWrite8Hot() {
        AddressSpaceAccessor a = acc;
        long[] s = addrs;
        for (int i = 0; i < s.length; i++) {
            if (a.st64le(s[i], i) != MemTxResult.OK) {
                failures++;
            }
        }
        reader.quiescentState();
        return failures;
    }

    /** W3: 8-byte reads at random offsets over 256 MiB of RAM in {@code regions} regions. */
    @Benchmark
    @OperationsPerInvocation(PeerStreams.COLD_ENTRIES)
    public long ramRead8Cold() {
        AddressSpaceAccessor a = acc;
        long sum = 0;
        for (long addr : addrs) {
            sum += a.ld64le(addr);
            if (!a.lastLoadOk()) {
                failures++;
            }
        }
        reader.quiescentState();
        return sum;
    }

    /** W1 through the TLB's fast path: {@code Tlb.ld64le} per access, as generated code calls it. */
    @Benchmark
    @OperationsPerInvocation(PeerStreams.HOT_ENTRIES)
    public long tlbRead8Hot() {
        return tlbRead(addrs);
    }

    /** W1 in checked mode: every access through the slow path and the block's segment. */
    @Benchmark
    @OperationsPerInvocation(PeerStreams.HOT_ENTRIES)
    public long tlbRead8HotChecked() {
        return tlbRead(addrs);
    }

    /** W3 through the TLB's fast path. */
    @Benchmark
    @OperationsPerInvocation(PeerStreams.COLD_ENTRIES)
    public long tlbRead8Cold() {
        return tlbRead(addrs);
    }

    private long tlbRead(long[] s) {
        Tlb t = tlb;
        long sum = 0;
        for (long addr : s) {
            sum += Tlb.ld64le(t, 0, addr);
        }
        reader.quiescentState();
        return sum;
    }

    /** W2 through the TLB's fast path: {@code Tlb.st64le} per access. */
    @Benchmark
    @OperationsPerInvocation(PeerStreams.HOT_ENTRIES)
    public long tlbWrite8Hot() {
        return tlbWrite(addrs);
    }

    /** W2 in checked mode. */
    @Benchmark
    @OperationsPerInvocation(PeerStreams.HOT_ENTRIES)
    public long tlbWrite8HotChecked() {
        return tlbWrite(addrs);
    }

    /** W2 with code tracking on and no translated code in the written pages. */
    @Benchmark
    @OperationsPerInvocation(PeerStreams.HOT_ENTRIES)
    public long tlbWrite8HotCodeTracked() {
        return tlbWrite(addrs);
    }

    /** W2 with migration logging on, every page already dirty. */
    @Benchmark
    @OperationsPerInvocation(PeerStreams.HOT_ENTRIES)
    public long tlbWrite8HotLogged() {
        return tlbWrite(addrs);
    }

    private long tlbWrite(long[] s) {
        Tlb t = tlb;
        for (int i = 0; i < s.length; i++) {
            if (Tlb.st64le(t, 0, s[i], i) != 0) {
                failures++;
            }
        }
        reader.quiescentState();
        return failures;
    }

    /** W4: 4-byte reads of a 4 KiB MMIO region whose callback returns a constant. */
    @Benchmark
    @OperationsPerInvocation(PeerStreams.HOT_ENTRIES)
    public long mmioRead4() {
        AddressSpaceAccessor a = acc;
        long sum = 0;
        for (long addr : addrs) {
            long v = a.ld32le(addr);
            if (v != PeerStreams.MMIO_VALUE) {
                failures++;
            }
            sum += v;
        }
        reader.quiescentState();
        return sum;
    }

    /** W5: add and remove one 4 KiB RAM region, each a committed, published change. */
    @Benchmark
    public FlatView mapUnmap() {
        root.addSubregion(mapRegion, mapAddress);
        root.removeSubregion(mapRegion);
        return space.currentView();
    }

    /** W1 baseline: the hot stream on one raw segment holding the regions back to back. */
    @Benchmark
    @OperationsPerInvocation(PeerStreams.HOT_ENTRIES)
    public long rawRead8Hot() {
        MemorySegment m = raw;
        long sum = 0;
        for (long off : addrs) {
            sum += m.get(LE64, off);
        }
        return sum;
    }

    /** W3 baseline: the cold stream on one raw 256 MiB segment. */
    @Benchmark
    @OperationsPerInvocation(PeerStreams.COLD_ENTRIES)
    public long rawRead8Cold() {
        MemorySegment m = raw;
        long sum = 0;
        for (long off : addrs) {
            sum += m.get(LE64, off);
        }
        return sum;
    }
}
