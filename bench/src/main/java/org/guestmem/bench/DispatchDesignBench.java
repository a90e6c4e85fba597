package org.guestmem.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;
import org.guestmem.AddressSpace;
import org.guestmem.ContainerRegion;
import org.guestmem.FlatView;
import org.guestmem.MemoryRegion;
import org.guestmem.MemorySystem;
import org.guestmem.MemoryTransaction;
import org.guestmem.layout.DispatchHeaderLayout;
import org.guestmem.layout.DispatchNodeLayout;
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
 * Why the dispatch table is QEMU's radix page table: address → section lookups on the native
 * tables of a real view, against a branch-free binary search over the same view's sorted section
 * starts (the other candidate for a native structure), for the W1 layout (64 KiB regions every
 * 1 MiB) and its hot stream. Both read native memory only, as a native JIT would.
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
    private AddressSpace space;
    private MemorySegment tables;
    private int root;
    private int levels;
    private long nodesOffset;
    private long sectionsOffset;
    private Arena arena;
    private MemorySegment starts;
    private int rangeCount;
    private long[] addrs;

    /** Builds the layout and the sorted-start array from the same view. */
    @Setup(Level.Trial)
    public void setup() {
        sys = MemorySystem.create();
        ContainerRegion rootRegion = sys.container("system", MemoryRegion.SIZE_2_64);
        try (MemoryTransaction tx = sys.begin()) {
            for (int i = 0; i < regions; i++) {
                rootRegion.addSubregion(sys.ram("ram" + i, PeerStreams.HOT_REGION), PeerStreams.BASE + i * PeerStreams.HOT_STRIDE);
            }
        }
        space = sys.addressSpace("memory", rootRegion);
        FlatView v = space.currentView();
        tables = v.nativeTables();
        root = (int) DispatchHeaderLayout.ROOT.get(tables, 0L);
        levels = (byte) DispatchHeaderLayout.LEVELS.get(tables, 0L);
        nodesOffset = (long) DispatchHeaderLayout.NODES_OFFSET.get(tables, 0L);
        sectionsOffset = (long) DispatchHeaderLayout.SECTIONS_OFFSET.get(tables, 0L);
        rangeCount = v.rangeCount();
        arena = Arena.ofShared();
        int n = Integer.highestOneBit(Math.max(1, rangeCount - 1)) << 1;
        starts = arena.allocate(8L * n, 64);
        for (int i = 0; i < n; i++) {
            starts.setAtIndex(ValueLayout.JAVA_LONG, i, i < rangeCount ? v.range(i).start() : Long.MAX_VALUE);
        }
        long[] hot = PeerStreams.hotGuest(Math.min(regions, 1024));
        addrs = hot;
    }

    /** Releases the system and the search array. */
    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
        sys.close();
    }

    /** The radix lookup ({@code phys_page_find} plus the cover check) on the view's native tables. */
    @Benchmark
    @OperationsPerInvocation(PeerStreams.HOT_ENTRIES)
    public long radix() {
        MemorySegment t = tables;
        long sum = 0;
        for (long addr : addrs) {
            long index = addr >>> 12;
            int e = root;
            int i = levels;
            while (DispatchNodeLayout.skip(e) != 0) {
                i -= DispatchNodeLayout.skip(e);
                int p = DispatchNodeLayout.ptr(e);
                if (i < 0 || p == DispatchNodeLayout.NIL) {
                    e = 0;
                    break;
                }
                e = t.get(ValueLayout.JAVA_INT, nodesOffset + p * DispatchNodeLayout.BYTES + ((index >>> (i * 9)) & 511) * 4L);
            }
            long s = sectionsOffset + DispatchNodeLayout.ptr(e) * SectionLayout.BYTES;
            long start = t.get(ValueLayout.JAVA_LONG, s + SectionLayout.START_OFFSET);
            long size1 = t.get(ValueLayout.JAVA_LONG, s + SectionLayout.SIZE_MINUS_1_OFFSET);
            sum += Long.compareUnsigned(addr - start, size1) <= 0 ? DispatchNodeLayout.ptr(e) : 0;
        }
        return sum;
    }

    /** A branch-free binary search over the sorted range starts (native), then the cover check. */
    @Benchmark
    @OperationsPerInvocation(PeerStreams.HOT_ENTRIES)
    public long sortedArray() {
        MemorySegment st = starts;
        long n = st.byteSize() / 8;
        long sum = 0;
        for (long addr : addrs) {
            long base = 0;
            for (long half = n >>> 1; half > 0; half >>>= 1) {
                long probe = st.getAtIndex(ValueLayout.JAVA_LONG, base + half);
                base = probe <= addr ? base + half : base;
            }
            sum += base;
        }
        return sum;
    }
}
