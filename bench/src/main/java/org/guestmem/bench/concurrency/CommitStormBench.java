package org.guestmem.bench.concurrency;

import java.util.concurrent.TimeUnit;
import org.guestmem.AddressSpaceAccessor;
import org.guestmem.FlatView;
import org.guestmem.bench.Baseline;
import org.guestmem.bench.HotMachine;
import org.guestmem.rcu.RcuReader;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
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
 * Readers alone and readers during a commit storm. CPU threads read the peers' W1 hot stream
 * (8-byte loads through their accessors, a quiescent state every {@value #CHUNK} loads) while, in
 * the {@code storm} groups, a writer thread commits continuously: it toggles a device outside the
 * stream, so every commit renders and publishes a new view and retires the old one through RCU.
 *
 * <p>A reader's operation is a whole chunk of {@value #CHUNK} loads and its quiescent state
 * (divide by {@value #CHUNK} for ns per load): JMH applies {@code @OperationsPerInvocation} to
 * every method of a group, so it cannot count loads for the readers and commits for the writer.
 *
 * <p>Groups (each its own benchmark, one machine per group):
 * <ul>
 * <li>{@code quiet1}, {@code quiet2}: one or two readers, no writer;</li>
 * <li>{@code storm1}, {@code storm2}: the same readers and one writer;</li>
 * <li>{@code alone}: the writer with no reader registered.</li>
 * </ul>
 * The reader's score during a storm divided by its quiet score is the throughput cost of commits
 * for readers (the target is at least 0.9 of the quiet throughput, a ratio of at most 1.11 in
 * ns/op); the writer's score gives commits per second with readers running, against
 * {@code alone}. With two readers and a writer, the threads outnumber a 2-core machine's cores,
 * and the RCU reclaimer thread wants one too: read those rows as oversubscribed.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class CommitStormBench {
    /** Loads per reader invocation, between two quiescent states. */
    public static final int CHUNK = 4096;

    /** The machine a group shares. */
    @State(Scope.Group)
    public static class Machine {
        /** Number of RAM regions the readers read. */
        @Param({"1", "64", "1024"})
        public int regions;

        HotMachine m;

        /** Builds the machine. */
        @Setup(Level.Trial)
        public void setup() {
            m = new HotMachine("commit-storm", regions);
        }

        /** Closes it (every reader is offline by now: see {@link Cpu#offline()}). */
        @TearDown(Level.Trial)
        public void tearDown() {
            m.close();
        }
    }

    /** One CPU thread: a quiescent-state reader and its accessor. */
    @State(Scope.Thread)
    public static class Cpu {
        RcuReader reader;
        AddressSpaceAccessor acc;
        long[] addrs;
        int next;
        long failures;

        /** Registers the thread and makes its accessor. */
        @Setup(Level.Trial)
        public void setup(Machine machine) {
            reader = machine.m.sys.rcu().registerQuiescent();
            acc = machine.m.space.accessor(reader);
            addrs = machine.m.stream;
            reader.offline();
        }

        /** Goes online for the iteration. */
        @Setup(Level.Iteration)
        public void online() {
            reader.online();
        }

        /**
         * Goes offline between iterations: a thread parked by the harness must not hold grace
         * periods, and the machine's close waits for one.
         */
        @TearDown(Level.Iteration)
        public void offline() {
            reader.offline();
        }

        /** Unregisters and fails the trial if a load did not answer OK. */
        @TearDown(Level.Trial)
        public void tearDown() {
            reader.close();
            if (failures != 0) {
                throw new IllegalStateException(failures + " loads failed");
            }
        }

        long read() {
            AddressSpaceAccessor a = acc;
            long[] s = addrs;
            int b = next;
            next = (b + CHUNK) & (s.length - 1);
            long sum = 0;
            int bad = 0;
            for (int i = b; i < b + CHUNK; i++) {
                sum += a.ld64le(s[i]);
                if (!a.lastLoadOk()) {
                    bad++;
                }
            }
            failures += bad;
            reader.quiescentState();
            return sum;
        }
    }

    /** The writer's state: the device's enabled flag. */
    @State(Scope.Thread)
    public static class Writer {
        boolean enabled = true;

        FlatView toggle(Machine machine) {
            enabled = !enabled;
            machine.m.device.setEnabled(enabled);
            return machine.m.space.currentView();
        }
    }

    /** One reader, no writer: ns per chunk of {@value #CHUNK} loads and a quiescent state. */
    @Benchmark
    @Group("quiet1")
    public long quiet1Read(Cpu cpu) {
        return cpu.read();
    }

    /** One reader while a writer commits continuously: ns per chunk of {@value #CHUNK} loads and a quiescent state. */
    @Benchmark
    @Group("storm1")
    @Baseline("quiet1Read")
    public long storm1Read(Cpu cpu) {
        return cpu.read();
    }

    /** The writer beside one reader: ns per commit (toggle of a device outside the stream). */
    @Benchmark
    @Group("storm1")
    @Baseline("aloneCommit")
    public FlatView storm1Commit(Machine machine, Writer w) {
        return w.toggle(machine);
    }

    /** Two readers, no writer: ns per chunk of {@value #CHUNK} loads and a quiescent state, per thread. */
    @Benchmark
    @Group("quiet2")
    @GroupThreads(2)
    @Baseline("quiet1Read")
    public long quiet2Read(Cpu cpu) {
        return cpu.read();
    }

    /** Two readers while a writer commits continuously: ns per chunk of {@value #CHUNK} loads and a quiescent state, per thread. */
    @Benchmark
    @Group("storm2")
    @GroupThreads(2)
    @Baseline("quiet2Read")
    public long storm2Read(Cpu cpu) {
        return cpu.read();
    }

    /** The writer beside two readers: ns per commit. */
    @Benchmark
    @Group("storm2")
    @Baseline("aloneCommit")
    public FlatView storm2Commit(Machine machine, Writer w) {
        return w.toggle(machine);
    }

    /** The writer with no reader: ns per commit. */
    @Benchmark
    @Group("alone")
    public FlatView aloneCommit(Machine machine, Writer w) {
        return w.toggle(machine);
    }
}
