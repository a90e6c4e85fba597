package org.guestmem.tools;

import java.io.PrintStream;
import java.util.Arrays;

/** The {@code guestmem} command line. */
public final class Main {
    private static final String USAGE = """
            usage: guestmem <command> [args]
              mtree [--tree|--dispatch] [--debug] FILE...
                                       import QEMU 'info mtree -D' dumps and print their flat views
                                       (QEMU's 'info mtree -f' format), with --dispatch also the
                                       dispatch tables ('info mtree -f -d'), or with --tree their
                                       trees ('info mtree -D'); NAME.flat.txt beside NAME.mtree.txt
                                       tells which i/o regions terminate; a file that fails gets
                                       one line on stderr (FILE:LINE: ...), the others are still
                                       printed, and the exit status is 1; --debug adds the stack
                                       trace of an internal error
              emulate [--jit|--interp] [--memory guestmem|raw] [--ram MIB] [--stats] [--mtree]
                      [--max-insns N] FILE.elf
                                       run an RV32 ELF executable on QEMU's virt board (the
                                       example in examples/rv32): the UART to stdout, the guest's
                                       exit status as ours
              demo                     build a PC-like machine and show its map before and after
                                       toggling PAM and SMRAM in one transaction
              test                     (launcher) run the whole test suite: mvn verify
              bench [--quick] [--out DIR]
                                       (launcher) run the JMH suites, print a table, write JSON and charts
              help                     this text
            """;

    private Main() {
    }

    /** Entry point; exits non-zero on bad usage or failure. */
    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs a command; {@return the exit status} */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0) {
            err.print(USAGE);
            return 2;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        try {
            return switch (args[0]) {
                case "mtree" -> MtreeCommand.run(rest, out, err, USAGE);
                case "demo" -> Demo.run(out);
                case "emulate" -> org.guestmem.examples.rv32.Main.run(rest, out, true, out, err);
                case "help", "-h", "--help" -> {
                    out.print(USAGE);
                    yield 0;
                }
                default -> {
                    err.println("guestmem: unknown command '" + args[0] + "'");
                    err.print(USAGE);
                    yield 2;
                }
            };
        } catch (RuntimeException e) {
            err.println("guestmem: " + e.getMessage());
            return 1;
        }
    }
}
