package org.guestmem.bench.emulator;

import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.Arrays;
import org.guestmem.examples.rv32.Machine;
import org.guestmem.examples.rv32.Options;
import org.guestmem.examples.rv32.RunResult;
import org.guestmem.examples.rv32.elf.ElfFile;

/**
 * One variant of the emulator benchmark in a JVM of its own (as JMH forks): runs a guest program
 * {@code RUNS} times on a fresh machine each time and prints, per run, a line
 * {@code run INSTRUCTIONS NANOS EXIT-STATUS OUTPUT-HASH}. Started by {@link EmulatorBench}:
 * {@code EmulatorRun --interp|--jit guestmem|raw RUNS FILE.elf}.
 */
public final class EmulatorRun {
    private EmulatorRun() {
    }

    /** Entry point; exits 0 when every run ended with the guest's own exit, 1 otherwise. */
    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: EmulatorRun --interp|--jit guestmem|raw RUNS FILE.elf");
            System.exit(2);
        }
        int runs = Integer.parseInt(args[2]);
        Path file = Path.of(args[3]);
        Options o = Options.parse(args[0], "--memory", args[1], file.toString());
        ElfFile elf = ElfFile.read(file);
        int status = 0;
        for (int i = 0; i < runs; i++) {
            ByteArrayOutputStream uart = new ByteArrayOutputStream();
            RunResult r;
            try (Machine m = new Machine(o, elf, uart, false)) {
                r = m.run();
            }
            if (r.outcome() != RunResult.Outcome.EXIT) {
                System.err.println("EmulatorRun: " + file + ": " + r.message());
                status = 1;
            }
            System.out.println("run " + r.instructions() + " " + r.nanos() + " " + r.exitStatus() + " "
                    + Integer.toHexString(Arrays.hashCode(uart.toByteArray())));
            System.out.flush();
        }
        System.exit(status);
    }
}
