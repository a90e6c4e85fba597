package org.guestmem.examples.rv32;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import org.guestmem.examples.rv32.board.GuestmemBoard;
import org.guestmem.examples.rv32.board.VirtBoard;
import org.guestmem.examples.rv32.elf.ElfException;
import org.guestmem.examples.rv32.elf.ElfFile;

/**
 * {@code emulate [--jit|--interp] [--memory guestmem|raw] [--ram MIB] [--stats] [--mtree]
 * [--max-insns N] FILE.elf}: runs an RV32 ELF executable on QEMU's {@code virt} board, copies the
 * UART to stdout and exits with the guest's exit status.
 *
 * <p>Exit statuses: the guest's (its low 8 bits); 64 for a bad command line, 65 for a file that
 * cannot be loaded, 123 if the guest asked for a reset, 124 when {@code --max-insns} was reached,
 * 125 for a trap taken before the guest installed a trap handler. {@code --mtree} prints the
 * board's {@code info mtree} (with {@code tohost} if the ELF has it) and exits 0 without running.
 */
public final class Main {
    /** Bad command line. */
    public static final int EXIT_USAGE = 64;
    /** The ELF file cannot be loaded. */
    public static final int EXIT_BAD_FILE = 65;

    private Main() {
    }

    /** Runs the command line and exits with its status. */
    public static void main(String[] args) {
        OutputStream uart = new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16);
        int status = run(args, uart, true, System.out, System.err);
        System.exit(status);
    }

    /**
     * Runs the command line with the UART writing to {@code uart}, {@code --mtree} to {@code out}
     * and messages to {@code err}; {@return the exit status}
     */
    public static int run(String[] args, OutputStream uart, boolean flushLines, PrintStream out, PrintStream err) {
        Options o;
        try {
            o = Options.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("emulate: " + e.getMessage());
            err.println(Options.USAGE);
            return EXIT_USAGE;
        }
        ElfFile elf;
        try {
            elf = ElfFile.read(o.file());
        } catch (ElfException e) {
            err.println("emulate: " + o.file() + ": " + e.getMessage());
            return EXIT_BAD_FILE;
        }
        if (o.mtree()) {
            try (GuestmemBoard b = new GuestmemBoard(new VirtBoard(o.ramMib(), uart, false, elf.symbol("tohost")))) {
                out.print(b.mtree());
                out.flush();
                return 0;
            } catch (IllegalArgumentException e) {
                err.println("emulate: " + o.file() + ": " + e.getMessage());
                return EXIT_BAD_FILE;
            }
        }
        try (Machine m = new Machine(o, elf, uart, flushLines)) {
            RunResult r = m.run();
            if (r.message() != null) {
                err.println("emulate: " + r.message());
            }
            if (o.stats()) {
                err.print(m.stats(r));
            }
            return r.exitStatus();
        } catch (ElfException e) {
            err.println("emulate: " + o.file() + ": " + e.getMessage());
            return EXIT_BAD_FILE;
        }
    }
}
