package org.guestmem.bench.concurrency;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.guestmem.AddressSpaceAccessor;
import org.guestmem.bench.Baseline;
import org.guestmem.bench.HotMachine;
import org.guestmem.rcu.RcuDomain;
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

/**
 * Grace-period and reclamation latency, with one CPU thread reading guest memory in the
 * background the whole time: {@code quiescent} (it reports a quiescent state every 1024 loads)
 * or {@code explicit} (it reads in read sections of 1024 loads).
 * <ul>
 * <li>{@code synchronize}: the writer's {@link RcuDomain#synchronize()}, from the call to the
 * return;</li>
 * <li>{@code deferToCallback}: reclamation latency, from {@link RcuDomain#defer} to the callback
 * having run on the reclaimer thread (which first waits for a grace period).</li>
 * </ul>
 * Baselines, with the same background thread: {@code handshake} asks the CPU thread to
 * acknowledge a counter at the very points where it reports quiescent states or leaves its
 * sections, which is the least any "wait until every reader has moved on" can cost;
 * {@code executorHandoff} runs the callback on a single-thread executor, the hand-written way to
 * free something on another thread, without the wait for readers. All four wait the same way for
 * the other thread (spin, then yield, so the other threads get a core on a small machine).
 *
 * <p>These latencies are the scheduler's as much as guestmem's: on a shared 2-core machine the
 * same code measured 4 &micro;s and 1.6 ms for {@code synchronize} within twenty minutes, as the
 * CPU thread and the reclaimer waited for a core. They are shown, not gated ({@code gated = false}):
 * a gate on them would fail at random on shared CI runners. Read them on a quiet machine.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class GracePeriodBench {
    /** Loads between two quiescent states (or in one read section) of the background reader. */
    static final int SECTION = 1024;

    /** The machine, the background CPU thread and the executor of the baseline. */
    @State(Scope.Benchmark)
    public static class Background {
        /** How the background CPU thread reads: {@code quiescent} or {@code explicit}. */
        @Param({"quiescent", "explicit"})
        public String reader;

        HotMachine m;
        RcuDomain rcu;
        Thread cpu;
        ExecutorService executor;
        volatile boolean stop;
        volatile long request;
        volatile long ack;
        volatile long ran;
        volatile Throwable failure;
        final Runnable tick = () -> ran++;
        long sink;

        /** Builds the machine, starts the CPU thread and waits until it reads. */
        @Setup(Level.Trial)
        public void setup() throws InterruptedException {
            boolean quiescent = switch (reader) {
                case "quiescent" -> true;
                case "explicit" -> false;
                default -> throw new IllegalArgumentException("reader must be quiescent or explicit, got " + reader);
            };
            m = new HotMachine("grace-period", 1);
            rcu = m.sys.rcu();
            executor = Executors.newSingleThreadExecutor();
            cpu = Thread.ofPlatform().name("background-cpu").start(() -> cpuLoop(quiescent));
            request = 1;
            while (ack != 1 && failure == null) {
                Thread.sleep(1);
            }
        }

        private void cpuLoop(boolean quiescent) {
            try (RcuReader r = quiescent ? rcu.registerQuiescent() : rcu.register()) {
                AddressSpaceAccessor acc = m.space.accessor(r);
                long[] s = m.stream;
                int next = 0;
                long sum = 0;
                while (!stop) {
                    if (!quiescent) {
                        r.enter();
                    }
                    for (int i = next; i < next + SECTION; i++) {
                        sum += acc.ld64le(s[i]);
                    }
                    next = (next + SECTION) & (s.length - 1);
                    if (quiescent) {
                        r.quiescentState();
                    } else {
                        r.exit();
                    }
                    long q = request;
                    if (q != ack) {
                        ack = q;
                    }
                }
                sink = sum;
            } catch (Throwable t) {
                failure = t;
            }
        }

        /** Stops the CPU thread and the executor, closes the machine. */
        @TearDown(Level.Trial)
        public void tearDown() throws InterruptedException {
            stop = true;
            cpu.join();
            executor.shutdown();
            m.close();
            if (failure != null) {
                throw new IllegalStateException("the background CPU thread failed", failure);
            }
        }
    }

    /** Waits the same way in every benchmark: spin briefly, then yield. */
    static void await(Background b, long target, boolean forRan) {
        int spins = 0;
        while ((forRan ? b.ran : b.ack) < target) {
            if (++spins < 100) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
    }

    /** guestmem: one {@code synchronize()} while a CPU thread reads (grace-period latency). */
    @Benchmark
    @Baseline(value = "handshake", gated = false)
    public long synchronize(Background b) {
        b.rcu.synchronize();
        return b.rcu.gracePeriodCount();
    }

    /** guestmem: {@code defer(callback)} until the callback has run (reclamation latency). */
    @Benchmark
    @Baseline(value = "executorHandoff", gated = false)
    public long deferToCallback(Background b) {
        long target = b.ran + 1;
        b.rcu.defer(b.tick);
        await(b, target, true);
        return target;
    }

    /** Baseline: ask the CPU thread to acknowledge at its next quiescent point, and wait for it. */
    @Benchmark
    public long handshake(Background b) {
        long target = b.request + 1;
        b.request = target;
        await(b, target, false);
        return target;
    }

    /** Baseline: run the callback on a single-thread executor and wait until it has run. */
    @Benchmark
    public long executorHandoff(Background b) {
        long target = b.ran + 1;
        b.executor.execute(b.tick);
        await(b, target, true);
        return target;
    }
}
