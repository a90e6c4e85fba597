package org.guestmem.bench;

import java.util.concurrent.TimeUnit;
import org.guestmem.AddressSpace;
import org.guestmem.ContainerRegion;
import org.guestmem.FlatRange;
import org.guestmem.FlatView;
import org.guestmem.MemoryRegion;
import org.guestmem.MemorySystem;
import org.guestmem.MemoryTransaction;
import org.guestmem.internal.DispatchTable;
import org.guestmem.internal.NativeMemoryStats;
import org.guestmem.internal.NativeTablePool;
import org.guestmem.internal.QemuDispatch;
import org.guestmem.layout.SectionLayout;
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
 * Why guestmem's dispatch is a sorted section index and not QEMU's radix page table: for the W1
 * layout (64 KiB RAM regions every 1 MiB), the cost of one address → section lookup over its hot
 * stream and the cost of building the structure for a whole view, which every commit pays for
 * every changed view. {@code radix*} is QEMU 7.2's algorithm ({@link QemuDispatch}, as QEMU
 * builds it in {@code flatview_add_to_dispatch} and compacts it); {@code index*} is what guestmem
 * publishes ({@link DispatchTable}). Both are built from the same view's ranges. The radix table
 * lives in Java arrays here, the index in native memory, as in production.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class DispatchDesignBench {
    /** Regions in the W1 layout. */
    @Param({"1", "64", "1024", "16384"})
    public int regions;

    private MemorySystem sys;
    private FlatRange[] ranges;
    private int pageBits;
    private NativeTablePool pool;
    private DispatchTable index;
    private QemuDispatch radix;
    private long[] addrs;

    /** Builds the layout once and both structures from its view. */
    @Setup(Level.Trial)
    public void setup() {
        sys = MemorySystem.create();
        ContainerRegion root = sys.container("system", MemoryRegion.SIZE_2_64);
        try (MemoryTransaction tx = sys.begin()) {
            for (int i = 0; i < regions; i++) {
                root.addSubregion(sys.ram("ram" + i, PeerStreams.HOT_REGION), PeerStreams.BASE + i * PeerStreams.HOT_STRIDE);
            }
        }
        AddressSpace space = sys.addressSpace("memory", root);
        FlatView v = space.currentView();
        ranges = v.ranges().toArray(FlatRange[]::new);
        pageBits = sys.pageBits();
        pool = new NativeTablePool(new NativeMemoryStats());
        index = buildIndex();
        radix = buildRadix();
        addrs = PeerStreams.hotGuest(Math.min(regions, 1024));
    }

    /** Releases the system and the pool. */
    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
        sys.close();
    }

    /** QEMU's {@code phys_page_find} plus the cover check, per address of the hot stream. */
    @Benchmark
    @OperationsPerInvocation(PeerStreams.HOT_ENTRIES)
    public long radixLookup() {
        QemuDispatch d = radix;
        long sum = 0;
        for (long addr : addrs) {
            sum += d.physPageFind(addr);
        }
        return sum;
    }

    /** The branch-free binary search of the native index plus the cover check. */
    @Benchmark
    @OperationsPerInvocation(PeerStreams.HOT_ENTRIES)
    public long indexLookup() {
        DispatchTable d = index;
        long sum = 0;
        for (long addr : addrs) {
            sum += d.find(addr);
        }
        return sum;
    }

    /** QEMU's build of the radix table for the whole view, compaction included. */
    @Benchmark
    public QemuDispatch radixBuild() {
        return buildRadix();
    }

    /** guestmem's build of the native section table and index for the whole view (block returned to the pool). */
    @Benchmark
    public long indexBuild() {
        DispatchTable t = buildIndex();
        long bytes = t.block().byteSize();
        pool.free(t.block());
        return bytes;
    }

    private DispatchTable buildIndex() {
        DispatchTable.Builder b = new DispatchTable.Builder(pool, pageBits, ranges.length);
        for (int i = 0; i < ranges.length; i++) {
            FlatRange r = ranges[i];
            b.add(r.start(), r.sizeMinusOne(), r.offsetInRegion(), 0, i, SectionLayout.KIND_RAM, 0, 0, null);
        }
        return b.build();
    }

    private QemuDispatch buildRadix() {
        QemuDispatch q = new QemuDispatch(pageBits);
        for (int i = 0; i < ranges.length; i++) {
            FlatRange r = ranges[i];
            q.addRange(i, r.start(), r.sizeMinusOne(), r.offsetInRegion(), SectionLayout.KIND_RAM, 0, 0, i, 0);
        }
        q.compact();
        return q;
    }
}
