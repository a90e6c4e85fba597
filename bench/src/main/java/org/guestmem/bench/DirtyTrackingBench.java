package org.guestmem.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.guestmem.AddressSpace;
import org.guestmem.AddressSpaceAccessor;
import org.guestmem.ContainerRegion;
import org.guestmem.MemTxResult;
import org.guestmem.MemoryRegion;
import org.guestmem.MemorySystem;
import org.guestmem.MemoryTransaction;
import org.guestmem.RamRegion;
import org.guestmem.dirty.DirtyLogClient;
import org.guestmem.dirty.GlobalDirtyReason;
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
 * What dirty tracking costs the W2 workload ({@code ramWrite8Hot} of {@link PeerWorkloads}: 8-byte
 * stores of the hot stream through an {@link AddressSpaceAccessor}), against the same stores
 * without logging, measured in the same run ({@code logging=off} is the baseline).
 *
 * <p>{@code logging}:
 * <ul>
 * <li>{@code off}: no client logs; stores take the accessor's direct path;</li>
 * <li>{@code vga}: {@code setLog(true, VGA)} on every region;</li>
 * <li>{@code migration}: global dirty tracking ({@code GLOBAL_DIRTY_MIGRATION});</li>
 * <li>{@code migration-clear}: the same, with every region's MIGRATION bits cleared
 * (snapshot-and-clear, as a migration pass does) before each invocation, so each invocation pays
 * for setting bits again and not only for checking them;</li>
 * <li>{@code code}: a system built with code dirty tracking and no handler (the JIT case).</li>
 * </ul>
 * Logged RAM cannot take the accessor's direct store path: every store goes through the access
 * path, which reads the section's mask and checks (and if needed sets) the bitmap words.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class DirtyTrackingBench {

    /** Number of regions in the W1/W2 layout. */
    @Param({"1", "64"})
    public int regions;

    /** Which logging is on (see the class documentation). */
    @Param({"off", "vga", "migration", "migration-clear", "code"})
    public String logging;

    private MemorySystem sys;
    private AddressSpace space;
    private RcuReader reader;
    private AddressSpaceAccessor acc;
    private long[] addrs;
    private final List<RamRegion> rams = new ArrayList<>();
    private long failures;

    /** Builds the W1/W2 layout and turns the requested logging on. */
    @Setup(Level.Trial)
    public void setup() {
        sys = MemorySystem.builder().name("dirty-bench").codeDirtyTracking(logging.equals("code")).build();
        ContainerRegion root = sys.container("system", MemoryRegion.SIZE_2_64);
        try (MemoryTransaction tx = sys.begin()) {
            for (int i = 0; i < regions; i++) {
                RamRegion r = sys.ram("ram" + i, PeerStreams.HOT_REGION);
                root.addSubregion(r, PeerStreams.BASE + i * PeerStreams.HOT_STRIDE);
                rams.add(r);
            }
        }
        space = sys.addressSpace("memory", root);
        switch (logging) {
            case "off", "code" -> { }
            case "vga" -> rams.forEach(r -> r.setLog(true, DirtyLogClient.VGA));
            case "migration", "migration-clear" -> sys.startGlobalDirtyLog(Set.of(GlobalDirtyReason.MIGRATION));
            default -> throw new IllegalArgumentException("unknown logging " + logging);
        }
        reader = sys.rcu().registerQuiescent();
        acc = space.accessor(reader);
        addrs = PeerStreams.hotGuest(regions);
    }

    /** {@code migration-clear}: a migration pass harvests and clears every region's bits. */
    @Setup(Level.Invocation)
    public void clearBits() {
        if (logging.equals("migration-clear")) {
            for (RamRegion r : rams) {
                r.snapshotAndClearDirty(0, PeerStreams.HOT_REGION, DirtyLogClient.MIGRATION);
            }
        }
    }

    /** Checks that every store answered OK and that logging did its job, then releases everything. */
    @TearDown(Level.Trial)
    public void tearDown() {
        try {
            if (!logging.equals("off")) {
                DirtyLogClient c = switch (logging) {
                    case "vga" -> DirtyLogClient.VGA;
                    case "code" -> DirtyLogClient.CODE;
                    default -> DirtyLogClient.MIGRATION;
                };
                for (RamRegion r : rams) {
                    if (!r.getDirty(0, PeerStreams.HOT_REGION, c)) {
                        throw new IllegalStateException("region " + r.name() + " shows no " + c + " dirty page");
                    }
                }
            }
        } finally {
            reader.close();
            sys.close();
        }
        if (failures != 0) {
            throw new IllegalStateException(failures + " stores did not answer OK");
        }
    }

    /** W2 with the chosen logging: 8-byte little-endian stores of the loop counter. */
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
}
