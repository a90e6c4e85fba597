package org.guestmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.guestmem.rcu.RcuReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * RAM churn beside a CPU thread, through the public API only: a writer creates a 4 MiB RAM block,
 * fills it through its segment, maps it, unmaps it and destroys it, as fast as it can, while a
 * reader loads through an accessor and reports quiescent states. What waits for reclamation must
 * stay within the bound ({@link MemorySystemBuilder#reclamationBacklog}), resident memory within
 * 1 GiB of the start, the reader must see only values the map can show, and everything must be
 * returned once the writer stops.
 *
 * <p>Each scenario runs {@value #DEFAULT_SECONDS} s by default ({@code -Dguestmem.churnSeconds=20}
 * for the full length; the churn benchmark in {@code bench} runs 20 s and reports the rates):
 * long enough for thousands of blocks on a fast machine and dozens of bound hits on a slow one.
 * The first scenario keeps its power to fail on any machine: its reader reports a quiescent state
 * only every {@value #SLOW_QUIESCENT_MILLIS} ms, so without backpressure a writer doing even 30
 * blocks a second leaves more than seven blocks behind each grace period, far above its bound of
 * two blocks.
 */
@Timeout(180)
class ReclamationChurnTest {
    static final int DEFAULT_SECONDS = 5;
    static final long SLOW_QUIESCENT_MILLIS = 250;
    private static final long MIB = 1 << 20;
    private static final long BLOCK = 4 * MIB;
    private static final long FIXED = 0x1234_5678_9abc_def0L;
    private static final long FILL = 0x5a5a_5a5a_5a5a_5a5aL;
    private static final long CHURN_AT = 0x10_0000;

    private final long seconds = Long.getLong("guestmem.churnSeconds", DEFAULT_SECONDS);

    @Test
    void theBacklogShouldStayWithinItsBoundWhenGracePeriodsAreSlow() throws Exception {
        Result r = churn(2 * BLOCK, SLOW_QUIESCENT_MILLIS);
        assertTrue(r.stats.backpressureWaits() > 0, "the writer outran reclamation and waited: " + r);
    }

    @Test
    void reclamationShouldKeepUpWithChurnUnderTheDefaultBound() throws Exception {
        churn(-1, 0);
    }

    private record Result(long blocks, long loads, long maxPending, long rssGrowth, ReclamationStats stats) {
    }

    /** Runs the scenario with {@code bound} (-1: the default) and a reader reporting a quiescent state every {@code qsMillis}. */
    private Result churn(long bound, long qsMillis) throws Exception {
        assumeTrue(Files.isReadable(Path.of("/proc/self/status")), "resident memory is read from /proc/self/status");
        MemorySystemBuilder b = MemorySystem.builder().name("churn");
        if (bound >= 0) {
            b.reclamationBacklog(bound);
        }
        try (MemorySystem sys = b.build()) {
            long allocations0 = sys.nativeMemoryStats().liveAllocations();
            ContainerRegion root = sys.container("root", MemoryRegion.SIZE_2_64);
            RamRegion fixed = sys.ram("fixed", MIB);
            root.addSubregion(fixed, 0);
            AddressSpace as = sys.addressSpace("memory", root);
            as.st64le(0x100, FIXED);
            long limit = sys.reclamationStats().backlogLimit();

            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Throwable> readerError = new AtomicReference<>();
            AtomicLong loads = new AtomicLong();
            CountDownLatch reading = new CountDownLatch(1);
            Thread reader = Thread.ofPlatform().name("churn-cpu").start(() -> {
                try (RcuReader r = sys.rcu().registerQuiescent()) {
                    AddressSpaceAccessor acc = as.accessor(r);
                    long n = 0;
                    long lastQs = System.nanoTime();
                    while (!stop.get()) {
                        for (int i = 0; i < 1024; i++) {
                            long v = acc.ld64le(0x100);
                            if (v != FIXED) {
                                throw new AssertionError("fixed RAM read " + Long.toHexString(v));
                            }
                            long c = acc.ld64le(CHURN_AT + ((long) i << 12));
                            if (c != 0 && c != FILL) {
                                throw new AssertionError("churning RAM read " + Long.toHexString(c));
                            }
                        }
                        n += 2048;
                        reading.countDown();
                        long now = System.nanoTime();
                        if (now - lastQs >= qsMillis * 1_000_000L) {
                            r.quiescentState();
                            lastQs = now;
                        }
                    }
                    r.offline();
                    loads.set(n);
                } catch (Throwable t) {
                    readerError.set(t);
                    reading.countDown();
                }
            });
            assertTrue(reading.await(30, TimeUnit.SECONDS));

            resetPeakRss();
            long rss0 = status("VmRSS");
            AtomicLong maxRss = new AtomicLong(rss0);
            AtomicLong maxPending = new AtomicLong();
            Thread monitor = Thread.ofPlatform().name("churn-monitor").start(() -> {
                while (!stop.get()) {
                    maxPending.accumulateAndGet(sys.reclamationStats().pendingBytes(), Math::max);
                    maxRss.accumulateAndGet(status("VmRSS"), Math::max);
                    try {
                        Thread.sleep(2);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });

            long blocks = 0;
            long end = System.nanoTime() + seconds * 1_000_000_000L;
            while (System.nanoTime() < end && readerError.get() == null) {
                RamRegion r = sys.ram("churn", BLOCK);
                r.segment().fill((byte) 0x5a);
                root.addSubregion(r, CHURN_AT);
                root.removeSubregion(r);
                r.destroy();
                blocks++;
                maxPending.accumulateAndGet(sys.reclamationStats().pendingBytes(), Math::max);
            }
            stop.set(true);
            reader.join(30_000);
            monitor.join(30_000);
            long peak = Math.max(maxRss.get(), status("VmHWM"));

            sys.awaitReclamation();
            ReclamationStats stats = sys.reclamationStats();
            Result result = new Result(blocks, loads.get(), maxPending.get(), peak - rss0, stats);
            System.out.println("churn " + seconds + " s, bound " + limit + ": " + result);
            assertNull(readerError.get(), "the reader saw only what the map shows");
            assertTrue(loads.get() > 0, result.toString());
            assertTrue(blocks > 0, result.toString());
            long oneBlock = BLOCK + 2 * MIB; // the block and, generously, its dirty bitmaps
            assertTrue(maxPending.get() <= limit + oneBlock,
                    "waiting for reclamation: at most the bound plus the block just destroyed: " + result);
            assertTrue(peak - rss0 < 1024 * MIB, "resident memory within 1 GiB of the start: " + result);
            assertEquals(0, stats.pendingBlocks(), "everything returned once the writer stopped: " + result);
            assertEquals(0, stats.pendingBytes(), result.toString());
            assertEquals(blocks, stats.freedBlocks(), result.toString());
            assertEquals(allocations0 + 1, sys.nativeMemoryStats().liveAllocations(), "only the fixed block is left");
            return result;
        }
    }

    /** Resets VmHWM to the current resident size where the kernel allows it (Linux 4.0 and later). */
    private static void resetPeakRss() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        } catch (IOException | SecurityException e) {
            // the monitor's samples of VmRSS still bound the peak from below
        }
    }

    /** {@return a size field of /proc/self/status, in bytes} */
    static long status(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(key + ":")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        throw new IllegalStateException(key + " not in /proc/self/status");
    }
}
