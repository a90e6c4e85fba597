package org.guestmem.examples.rv32;

import java.nio.file.Path;
import org.guestmem.examples.rv32.board.VirtMap;

/**
 * The command line: {@code emulate [--jit|--interp] [--memory guestmem|raw] [--ram MIB] [--stats]
 * [--mtree] [--max-insns N] FILE.elf}.
 *
 * @param jit      whether hot code is compiled (default) or everything interpreted
 * @param memory   the memory backend: {@code guestmem} (default) or {@code raw}
 * @param ramMib   RAM size in MiB (default 128, QEMU's {@code virt} default)
 * @param stats    whether to print statistics to stderr at the end
 * @param mtree    whether to print the board's {@code info mtree} instead of running
 * @param maxInsns the instruction limit ({@code Long.MAX_VALUE}: none)
 * @param file     the ELF executable
 */
public record Options(boolean jit, String memory, int ramMib, boolean stats, boolean mtree, long maxInsns, Path file) {
    /** The usage line. */
    public static final String USAGE =
            "usage: emulate [--jit|--interp] [--memory guestmem|raw] [--ram MIB] [--stats] [--mtree] [--max-insns N] FILE.elf";

    /**
     * {@return the options in {@code args}; a leading {@code emulate} is skipped}
     *
     * @throws IllegalArgumentException with a one-line message naming the bad argument
     */
    public static Options parse(String... args) {
        boolean jit = true;
        String memory = "guestmem";
        int ram = VirtMap.DEFAULT_RAM_MIB;
        boolean stats = false;
        boolean mtree = false;
        long max = Long.MAX_VALUE;
        Path file = null;
        int i = args.length > 0 && args[0].equals("emulate") ? 1 : 0;
        for (; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--jit" -> jit = true;
                case "--interp" -> jit = false;
                case "--stats" -> stats = true;
                case "--mtree" -> mtree = true;
                case "--memory" -> {
                    memory = value(args, ++i, a);
                    if (!memory.equals("guestmem") && !memory.equals("raw")) {
                        throw new IllegalArgumentException("--memory must be guestmem or raw, got '" + memory + "'");
                    }
                }
                case "--ram" -> {
                    ram = (int) number(args, ++i, a, 1, VirtMap.MAX_RAM_MIB);
                }
                case "--max-insns" -> max = number(args, ++i, a, 0, Long.MAX_VALUE);
                default -> {
                    if (a.startsWith("-")) {
                        throw new IllegalArgumentException("unknown option '" + a + "'");
                    }
                    if (file != null) {
                        throw new IllegalArgumentException("more than one file: '" + file + "' and '" + a + "'");
                    }
                    file = Path.of(a);
                }
            }
        }
        if (file == null) {
            throw new IllegalArgumentException("no ELF file given");
        }
        return new Options(jit, memory, ram, stats, mtree, max, file);
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    private static long number(String[] args, int i, String option, long min, long max) {
        String v = value(args, i, option);
        long n;
        try {
            n = Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " needs a number, got '" + v + "'");
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException(option + " must be within " + min + ".." + max + ", got " + n);
        }
        return n;
    }
}
