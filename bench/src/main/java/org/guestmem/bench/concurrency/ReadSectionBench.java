package org.guestmem.bench.concurrency;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.guestmem.MemorySystem;
import org.guestmem.bench.Baseline;
import org.guestmem.rcu.RcuReader;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of an RCU read section for a registered reader, with no writer: an explicit
 * {@code enter()}/{@code exit()} pair, the same through {@code readSection()} and
 * try-with-resources, and a quiescent-state reader's {@code quiescentState()}; with one thread and
 * with two (each its own reader, to show the per-reader slots share no cache line).
 *
 * <p>Baselines: {@code fence}, an opaque store to a thread-private padded slot followed by a full
 * fence, which is the least a reader can do to be seen by a grace period (the Dekker pair of
 * {@code RcuDomain}'s protocol), and, for comparison, {@code rwLockRead}, the read lock of an
 * uncontended {@link ReentrantReadWriteLock}, what a user would otherwise put around a map.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class ReadSectionBench {

    /** One system per benchmark: every thread registers its own reader of the wanted kind. */
    @State(Scope.Benchmark)
    public static class Domain {
        MemorySystem sys;

        /** Creates the system. */
        @Setup(Level.Trial)
        public void setup() {
            sys = MemorySystem.builder().name("read-sections").build();
        }

        /** Closes the system. */
        @TearDown(Level.Trial)
        public void tearDown() {
            sys.close();
        }
    }

    /** A reader with explicit read sections, registered by the benchmark thread. */
    @State(Scope.Thread)
    public static class Explicit {
        RcuReader reader;

        /** Registers the thread. */
        @Setup(Level.Trial)
        public void setup(Domain d) {
            reader = d.sys.rcu().register();
        }

        /** Unregisters it. */
        @TearDown(Level.Trial)
        public void tearDown() {
            reader.close();
        }
    }

    /** A quiescent-state reader, registered by the benchmark thread; offline between iterations. */
    @State(Scope.Thread)
    public static class Quiescent {
        RcuReader reader;

        /** Registers the thread (online from here). */
        @Setup(Level.Trial)
        public void setup(Domain d) {
            reader = d.sys.rcu().registerQuiescent();
        }

        /** Unregisters it. */
        @TearDown(Level.Trial)
        public void tearDown() {
            reader.close();
        }
    }

    /** The fence baseline's slot: one per thread, padded to its own cache lines. */
    @State(Scope.Thread)
    public static class Slot {
        private static final VarHandle CTR;

        static {
            try {
                CTR = MethodHandles.lookup().findVarHandle(Slot.class, "ctr", long.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        @SuppressWarnings("unused")
        private long p1, p2, p3, p4, p5, p6, p7;
        @SuppressWarnings("unused") // accessed through CTR
        private long ctr;
        @SuppressWarnings("unused")
        private long q1, q2, q3, q4, q5, q6, q7;
        long gp = 1;

        long publish() {
            gp += 2;
            CTR.setOpaque(this, gp);
            VarHandle.fullFence();
            return gp;
        }
    }

    /** The hand-written comparison: one read-write lock shared by the benchmark's threads. */
    @State(Scope.Benchmark)
    public static class Lock {
        final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
        long value;
    }

    /** guestmem: outermost {@code enter()} then {@code exit()} of an explicit reader. */
    @Benchmark
    @Baseline("fence")
    public long enterExit(Explicit e) {
        RcuReader r = e.reader;
        r.enter();
        r.exit();
        return r.sectionEpoch();
    }

    /** guestmem: {@code try (var s = reader.readSection()) {}}: the allocation-free handle around enter/exit. */
    @Benchmark
    @Baseline("fence")
    public long readSection(Explicit e) {
        try (RcuReader.ReadSection s = e.reader.readSection()) {
            return s.reader().sectionEpoch();
        }
    }

    /** guestmem: one {@code quiescentState()} of an online quiescent-state reader. */
    @Benchmark
    @Baseline("fence")
    public long quiescentState(Quiescent q) {
        q.reader.quiescentState();
        return q.reader.sectionEpoch();
    }

    /** guestmem: enter/exit pairs on two threads at once, each with its own reader. */
    @Benchmark
    @Threads(2)
    @Baseline("fence2Threads")
    public long enterExit2Threads(Explicit e) {
        RcuReader r = e.reader;
        r.enter();
        r.exit();
        return r.sectionEpoch();
    }

    /** The floor: an opaque store to a thread-private padded slot and a full fence. */
    @Benchmark
    public long fence(Slot s) {
        return s.publish();
    }

    /** The floor on two threads at once, each with its own slot. */
    @Benchmark
    @Threads(2)
    public long fence2Threads(Slot s) {
        return s.publish();
    }

    /** Hand-written comparison: lock and unlock the read lock of an uncontended {@link ReentrantReadWriteLock}. */
    @Benchmark
    @Baseline(value = "fence", gated = false)
    public long rwLockRead(Lock l) {
        ReentrantReadWriteLock.ReadLock rl = l.lock.readLock();
        rl.lock();
        try {
            return l.value;
        } finally {
            rl.unlock();
        }
    }
}
