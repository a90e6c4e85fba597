package org.guestmem.bench.concurrency;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.guestmem.AddressSpace;
import org.guestmem.AddressSpaceAccessor;
import org.guestmem.ContainerRegion;
import org.guestmem.MemTxAttrs;
import org.guestmem.MemoryRegion;
import org.guestmem.MemorySystem;
import org.guestmem.RamRegion;
import org.guestmem.ReclamationStats;
import org.guestmem.bench.Baseline;
import org.guestmem.rcu.RcuReader;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * RAM churn beside a CPU thread: the writer creates a RAM block of {@code blockBytes}, fills it,
 * maps it, unmaps it and destroys it, as fast as it can, for 20 s (one warm-up second, then four
 * measured iterations of 5 s), while a CPU thread loads through an accessor and reports a
 * quiescent state every 2048 loads. One operation is one block: blocks per second are 10^9 over
 * the score. The system has the default reclamation bound (the larger of 256 MiB and a quarter
 * of the live RAM). At the end of each trial the fork prints, once a second, the blocks freed,
 * the bytes waiting for reclamation and the resident memory, then the peak resident growth and
 * the backpressure waits.
 * <ul>
 * <li>{@code churn}: the block filled through {@code RamRegion.segment()}, as a loader would
 * (the segment is checked: its arena costs the reclaimer a handshake with every thread);</li>
 * <li>{@code churnThroughSpace}: the block filled through the address space after it is mapped
 * ({@code AddressSpace.write}): no user segment, so freeing it is an {@code munmap};</li>
 * <li>{@code arenaBlock} (the baseline): the hand-written block, a shared {@link Arena} of its own
 * allocated, filled and closed at once (the handshake on the writer's thread).</li>
 * </ul>
 * Page faults and the kernel's work dominate; shown, not gated.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 1, time = 1)
@Measurement(iterations = 4, time = 5)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class RamChurnBench {
    private static final long FIXED = 0x1234_5678_9abc_def0L;
    private static final long CHURN_AT = 0x10_0000;

    /** The machine, the CPU thread and the monitor that records the timeline. */
    @State(Scope.Benchmark)
    public static class Churn {
        /** The size of each block. */
        @Param({"4194304", "65536"})
        public int blockBytes;

        MemorySystem sys;
        ContainerRegion root;
        AddressSpace space;
        MemorySegment fill;
        Arena fillArena;
        Thread cpu;
        Thread monitor;
        volatile boolean stop;
        volatile Throwable failure;
        long blocks;
        long rss0;
        final List<String> timeline = new ArrayList<>();

        /** Builds the machine, starts the CPU thread and the monitor. */
        @Setup(Level.Trial)
        public void setup() throws InterruptedException {
            sys = MemorySystem.builder().name("churn").build();
            root = sys.container("system", MemoryRegion.SIZE_2_64);
            root.addSubregion(sys.ram("fixed", 1 << 20), 0);
            space = sys.addressSpace("memory", root);
            space.st64le(0x100, FIXED);
            fillArena = Arena.ofShared();
            fill = fillArena.allocate(blockBytes).fill((byte) 0x5a);
            cpu = Thread.ofPlatform().name("churn-cpu").start(this::cpuLoop);
            Thread.sleep(100);
            rss0 = status("VmRSS");
            monitor = Thread.ofPlatform().daemon().name("churn-monitor").start(this::monitorLoop);
        }

        private void cpuLoop() {
            try (RcuReader r = sys.rcu().registerQuiescent()) {
                AddressSpaceAccessor acc = space.accessor(r);
                while (!stop) {
                    for (int i = 0; i < 1024; i++) {
                        if (acc.ld64le(0x100) != FIXED) {
                            throw new IllegalStateException("fixed RAM changed");
                        }
                        long v = acc.ld64le(CHURN_AT + ((long) (i << 12) & (blockBytes - 1)));
                        if (v != 0 && v != 0x5a5a_5a5a_5a5a_5a5aL) {
                            throw new IllegalStateException("churning RAM read " + Long.toHexString(v));
                        }
                    }
                    r.quiescentState();
                }
                r.offline();
            } catch (Throwable t) {
                failure = t;
            }
        }

        private void monitorLoop() {
            long t0 = System.nanoTime();
            long peak = rss0;
            long maxPending = 0;
            int second = 0;
            while (!stop) {
                ReclamationStats s = sys.reclamationStats();
                long rss = status("VmRSS");
                peak = Math.max(peak, rss);
                maxPending = Math.max(maxPending, s.pendingBytes());
                long t = System.nanoTime() - t0;
                if (t >= second * 1_000_000_000L) {
                    synchronized (timeline) {
                        timeline.add(String.format("  t=%3d s  freed %8d blocks  pending %6.1f MiB (max %6.1f)  RSS %6d MiB (peak +%d)  waits %d",
                                second, s.freedBlocks(), s.pendingBytes() / 1048576.0, maxPending / 1048576.0, rss >> 20,
                                (peak - rss0) >> 20, s.backpressureWaits()));
                    }
                    second++;
                    maxPending = 0;
                }
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        /** Stops the threads, prints the timeline, checks that everything was returned, closes the machine. */
        @TearDown(Level.Trial)
        public void tearDown(BenchmarkParams params) throws InterruptedException {
            stop = true;
            cpu.join();
            monitor.join();
            long hwm = status("VmHWM");
            sys.awaitReclamation();
            ReclamationStats s = sys.reclamationStats();
            synchronized (timeline) {
                System.out.println();
                System.out.println(params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1) + ", blocks of "
                        + blockBytes + " bytes, bound " + (s.backlogLimit() >> 20) + " MiB (the baseline frees no guestmem block):");
                timeline.forEach(System.out::println);
            }
            System.out.printf("  %d blocks; peak resident memory %d MiB above the start (VmHWM %d MiB); %d backpressure waits;"
                    + " after the writer stopped: %d blocks pending%n", blocks, (hwm - rss0) >> 20, hwm >> 20,
                    s.backpressureWaits(), s.pendingBlocks());
            sys.close();
            fillArena.close();
            if (failure != null) {
                throw new IllegalStateException("the CPU thread failed", failure);
            }
        }
    }

    /** guestmem: one block created, filled through its segment, mapped, unmapped and destroyed. */
    @Benchmark
    @Baseline(value = "arenaBlock", gated = false)
    public long churn(Churn c) {
        RamRegion r = c.sys.ram("churn", c.blockBytes);
        r.segment().copyFrom(c.fill);
        c.root.addSubregion(r, CHURN_AT);
        c.root.removeSubregion(r);
        r.destroy();
        return ++c.blocks;
    }

    /** guestmem: one block created, mapped, filled through the address space, unmapped and destroyed. */
    @Benchmark
    @Baseline(value = "arenaBlock", gated = false)
    public long churnThroughSpace(Churn c) {
        RamRegion r = c.sys.ram("churn", c.blockBytes);
        c.root.addSubregion(r, CHURN_AT);
        c.space.write(CHURN_AT, MemTxAttrs.UNSPECIFIED, c.fill);
        c.root.removeSubregion(r);
        r.destroy();
        return ++c.blocks;
    }

    /** Baseline: a block in a shared arena of its own, allocated, filled and closed at once. */
    @Benchmark
    public long arenaBlock(Churn c) {
        try (Arena a = Arena.ofShared()) {
            a.allocate(c.blockBytes, 4096).copyFrom(c.fill);
        }
        return ++c.blocks;
    }

    /** {@return a size field of /proc/self/status in bytes, or 0 where there is none} */
    static long status(String key) {
        Path p = Path.of("/proc/self/status");
        if (!Files.isReadable(p)) {
            return 0;
        }
        try {
            for (String line : Files.readAllLines(p)) {
                if (line.startsWith(key + ":")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
            return 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
