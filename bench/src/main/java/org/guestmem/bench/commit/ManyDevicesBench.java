package org.guestmem.bench.commit;

import java.util.concurrent.TimeUnit;
import org.guestmem.bench.Baseline;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Booting a q35-like machine with many PCI devices ({@link PciMachine}): the chipset and the devices
 * realized in one transaction, then the firmware's BAR programming and bus-master enables, one
 * commit each (4 commits per device). One operation is one whole machine; the machine is closed
 * outside the measurement. {@code realize} alone is the in-run baseline, so the ratio is what the
 * firmware's commits cost on top of creating the machine. {@code PciMachine.main} prints the
 * commits, the FlatViews the finished machine shows and their native tables.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class ManyDevicesBench {

    /** The machine of the invocation, closed after it. */
    @State(Scope.Thread)
    public static class Machine {
        /** Number of PCI devices. */
        @Param({"16", "64", "256"})
        public int devices;

        PciMachine m;

        /** Closes the machine the invocation built. */
        @TearDown(Level.Invocation)
        public void close() {
            if (m != null) {
                m.close();
                m = null;
            }
        }
    }

    /** Realizes the machine and runs the firmware: every BAR, then every bus master, a commit each (us per machine). */
    @Benchmark
    @Baseline("realize")
    public Object boot(Machine s) {
        s.m = PciMachine.realize(s.devices);
        s.m.firmware();
        return s.m.sys;
    }

    /** Realizes the machine only: chipset and devices in one transaction, nothing programmed (us per machine). */
    @Benchmark
    public Object realize(Machine s) {
        s.m = PciMachine.realize(s.devices);
        return s.m.sys;
    }
}
