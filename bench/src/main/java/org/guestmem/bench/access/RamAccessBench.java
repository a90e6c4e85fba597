package org.guestmem.bench.access;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.guestmem.AddressSpaceAccessor;
import org.guestmem.ContainerRegion;
import org.guestmem.MemTxResult;
import org.guestmem.MemoryRegion;
import org.guestmem.MemorySystem;
import org.guestmem.MemoryTransaction;
import org.guestmem.Translation;
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
 * Translation and RAM access: address to section lookup, 8-byte loads and stores, at 1 to 16,384
 * regions, on the peer workloads' hot (W1/W2) and cold (W3) streams, generalised to every region
 * count (see {@link PeerStreams}).
 *
 * <p>Three implementations of the same work, each with its own state, so a benchmark builds only
 * what it measures:
 * <ul>
 * <li>guestmem ({@code read8}, {@code write8}, {@code translate}): a quiescent-state CPU thread
 * with an {@link AddressSpaceAccessor}, reporting a quiescent state after every chunk, as an
 * emulator's CPU loop would between translation blocks;</li>
 * <li>{@code treeMap*}: the hand-written {@link TreeMapMemory} over the same regions, the same
 * pages and the same contents, the in-run baseline of the guestmem benchmarks;</li>
 * <li>{@code raw*}: the same stream on one plain segment holding the regions back to back, the
 * physical limit of the access itself.</li>
 * </ul>
 * One operation is one access. Each invocation makes {@value #CHUNK} accesses, taking the stream
 * cyclically chunk by chunk; addresses are independent, so this is throughput, not latency, as in
 * the peers' harnesses. All memory is anonymous mmap with 4 KiB pages (guestmem RAM blocks; the
 * baselines borrow such blocks instead of {@code Arena.allocate}, which would zero 1 GiB at
 * 16,384 regions), and every word the stream touches is written before timing.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class RamAccessBench {
    /** Accesses per invocation. */
    public static final int CHUNK = 1 << 16;
    private static final ValueLayout.OfLong LE64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** The parameters every implementation shares, and the stream position. */
    @State(Scope.Thread)
    public abstract static class Params {
        /** Number of RAM regions. */
        @Param({"1", "64", "1024", "16384"})
        public int regions;

        /** {@code hot}: W1/W2, a 64 KiB working set; {@code cold}: W3, 256 MiB uniformly. */
        @Param({"hot", "cold"})
        public String stream;

        long[] addrs;
        private int next;
        long failures;

        /** {@return the first index of the next chunk, advancing cyclically over the stream} */
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

    /** guestmem: the regions in a system container, read through the thread's accessor. */
    public static class Guest extends Params {
        MemorySystem sys;
        RcuReader reader;
        AddressSpaceAccessor acc;

        /** Builds the map, registers the thread, writes every stream word through the API and reads 4096 back. */
        @Setup(Level.Trial)
        public void setup() {
            RamLayout layout = new RamLayout(regions, stream);
            sys = MemorySystem.builder().name("ram-access").build();
            ContainerRegion root = sys.container("system", MemoryRegion.SIZE_2_64);
            try (MemoryTransaction tx = sys.begin()) {
                for (int i = 0; i < regions; i++) {
                    root.addSubregion(sys.ram("ram" + i, layout.size()), layout.base(i));
                }
            }
            reader = sys.rcu().registerQuiescent();
            acc = sys.addressSpace("memory", root).accessor(reader);
            addrs = layout.guestStream();
            for (long a : addrs) {
                if (acc.st64le(a, PeerStreams.initialWord(a)) != MemTxResult.OK) {
                    throw new IllegalStateException("initial write failed at 0x" + Long.toHexString(a));
                }
            }
            for (int i = 0; i < 4096; i++) {
                long v = acc.ld64le(addrs[i]);
                if (v != PeerStreams.initialWord(addrs[i])) {
                    throw new IllegalStateException("read back 0x" + Long.toHexString(v) + " at 0x" + Long.toHexString(addrs[i]));
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

    /** The hand-written baseline: the same regions in a {@link TreeMapMemory}. */
    public static class HandWritten extends Params {
        MemorySystem blocks;
        TreeMapMemory mem;

        /** Allocates one anonymous block per region, maps them in the tree map and writes every stream word. */
        @Setup(Level.Trial)
        public void setup() {
            RamLayout layout = new RamLayout(regions, stream);
            blocks = MemorySystem.builder().name("tree-map-blocks").build();
            mem = new TreeMapMemory();
            Region[] all = new Region[regions];
            for (int i = 0; i < regions; i++) {
                all[i] = Region.ram(layout.base(i), blocks.ram("ram" + i, layout.size()).segment());
            }
            mem.replace(new long[0], all);
            addrs = layout.guestStream();
            TreeMap<Long, Region> map = mem.map();
            for (long a : addrs) {
                TreeMapMemory.st64le(TreeMapMemory.find(map, a), a, PeerStreams.initialWord(a));
            }
            for (int i = 0; i < 4096; i++) {
                if (TreeMapMemory.ld64le(TreeMapMemory.find(map, addrs[i]), addrs[i]) != PeerStreams.initialWord(addrs[i])) {
                    throw new IllegalStateException("read back failed at 0x" + Long.toHexString(addrs[i]));
                }
            }
        }

        /** Frees the blocks and fails the trial if an address was not found. */
        @TearDown(Level.Trial)
        public void tearDown() {
            blocks.close();
            checkFailures();
        }
    }

    /** The limit: the stream as offsets into one segment holding the regions back to back. */
    public static class Raw extends Params {
        MemorySystem blocks;
        MemorySegment buf;

        /** Maps one anonymous block of the layout's total size and writes every stream word. */
        @Setup(Level.Trial)
        public void setup() {
            RamLayout layout = new RamLayout(regions, stream);
            blocks = MemorySystem.builder().name("raw-block").build();
            buf = blocks.ram("raw", layout.rawBytes()).segment();
            addrs = layout.rawStream();
            for (long o : addrs) {
                buf.set(LE64, o, PeerStreams.initialWord(o));
            }
        }

        /** Frees the block. */
        @TearDown(Level.Trial)
        public void tearDown() {
            blocks.close();
        }
    }

    /** guestmem: 8-byte little-endian loads through the accessor (translation cache, then RAM). */
    @Benchmark
    @OperationsPerInvocation(CHUNK)
    @Baseline("treeMapRead8")
    public long read8(Guest g) {
        AddressSpaceAccessor a = g.acc;
        long[] s = g.addrs;
        int b = g.nextChunk();
        long sum = 0;
        int bad = 0;
        for (int i = b; i < b + CHUNK; i++) {
            sum += a.ld64le(s[i]);
            if (!a.lastLoadOk()) {
                bad++;
            }
        }
        g.failures += bad;
        g.reader.quiescentState();
        return sum;
    }

    /** guestmem: 8-byte little-endian stores of the loop counter through the accessor. */
    @Benchmark
    @OperationsPerInvocation(CHUNK)
    @Baseline("treeMapWrite8")
    public long write8(Guest g) {
        AddressSpaceAccessor a = g.acc;
        long[] s = g.addrs;
        int b = g.nextChunk();
        int bad = 0;
        for (int i = b; i < b + CHUNK; i++) {
            if (a.st64le(s[i], i) != MemTxResult.OK) {
                bad++;
            }
        }
        g.failures += bad;
        g.reader.quiescentState();
        return bad;
    }

    /** guestmem: address to section lookup with {@code translate} (dispatch table, no access cache). */
    @Benchmark
    @OperationsPerInvocation(CHUNK)
    @Baseline("treeMapLookup")
    public long translate(Guest g) {
        AddressSpaceAccessor a = g.acc;
        long[] s = g.addrs;
        int b = g.nextChunk();
        long sum = 0;
        int bad = 0;
        for (int i = b; i < b + CHUNK; i++) {
            Translation t = a.translate(s[i], 8, false);
            if (t.length() < 8) {
                bad++;
            }
            sum += t.offsetInRegion();
        }
        g.failures += bad;
        g.reader.quiescentState();
        return sum;
    }

    /** Hand-written: {@code floorEntry} plus bound check, then an 8-byte load from the region's segment. */
    @Benchmark
    @OperationsPerInvocation(CHUNK)
    public long treeMapRead8(HandWritten h) {
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
                sum += TreeMapMemory.ld64le(r, s[i]);
            }
        }
        h.failures += bad;
        return sum;
    }

    /** Hand-written: {@code floorEntry} plus bound check, then an 8-byte store of the loop counter. */
    @Benchmark
    @OperationsPerInvocation(CHUNK)
    public long treeMapWrite8(HandWritten h) {
        TreeMap<Long, Region> m = h.mem.map();
        long[] s = h.addrs;
        int b = h.nextChunk();
        int bad = 0;
        for (int i = b; i < b + CHUNK; i++) {
            Region r = TreeMapMemory.find(m, s[i]);
            if (r == null) {
                bad++;
            } else {
                TreeMapMemory.st64le(r, s[i], i);
            }
        }
        h.failures += bad;
        return bad;
    }

    /** Hand-written: address to region and offset with {@code floorEntry} and a bound check, no access. */
    @Benchmark
    @OperationsPerInvocation(CHUNK)
    public long treeMapLookup(HandWritten h) {
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
                sum += s[i] - r.base();
            }
        }
        h.failures += bad;
        return sum;
    }

    /** The limit: 8-byte loads at the stream's offsets in one plain segment. */
    @Benchmark
    @OperationsPerInvocation(CHUNK)
    @Baseline(value = "treeMapRead8", gated = false)
    public long rawRead8(Raw r) {
        MemorySegment m = r.buf;
        long[] s = r.addrs;
        int b = r.nextChunk();
        long sum = 0;
        for (int i = b; i < b + CHUNK; i++) {
            sum += m.get(LE64, s[i]);
        }
        return sum;
    }

    /** The limit: 8-byte stores of the loop counter at the stream's offsets in one plain segment. */
    @Benchmark
    @OperationsPerInvocation(CHUNK)
    @Baseline(value = "treeMapWrite8", gated = false)
    public long rawWrite8(Raw r) {
        MemorySegment m = r.buf;
        long[] s = r.addrs;
        int b = r.nextChunk();
        for (int i = b; i < b + CHUNK; i++) {
            m.set(LE64, s[i], i);
        }
        return m.get(LE64, s[b]);
    }
}
