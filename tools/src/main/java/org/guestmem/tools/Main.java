package org.guestmem.tools;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.guestmem.mtree.ImportedMachine;
import org.guestmem.mtree.MtreeImporter;
import org.guestmem.mtree.MtreePrinter;

/** The {@code guestmem} command line. */
public final class Main {
    private static final String USAGE = """
            usage: guestmem <command> [args]
              mtree [--tree|--dispatch] FILE...
                                       import QEMU 'info mtree -D' dumps and print their flat views
                                       (QEMU's 'info mtree -f' format), with --dispatch also the
                                       dispatch tables ('info mtree -f -d'), or with --tree their
                                       trees ('info mtree -D'); NAME.flat.txt beside NAME.mtree.txt
                                       tells which i/o regions terminate
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
                case "mtree" -> mtree(rest, out, err);
                case "demo" -> Demo.run(out);
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

    private static int mtree(String[] args, PrintStream out, PrintStream err) {
        boolean tree = false;
        boolean dispatch = false;
        List<Path> files = new ArrayList<>();
        for (String a : args) {
            if (a.equals("--tree")) {
                tree = true;
            } else if (a.equals("--dispatch")) {
                dispatch = true;
            } else if (a.startsWith("-")) {
                err.println("guestmem mtree: unknown option '" + a + "'");
                return 2;
            } else {
                files.add(Path.of(a));
            }
        }
        if (files.isEmpty()) {
            err.println("guestmem mtree: no files given");
            err.print(USAGE);
            return 2;
        }
        int status = 0;
        for (Path f : files) {
            if (files.size() > 1) {
                out.println("==> " + f + " <==");
            }
            if (!Files.isRegularFile(f)) {
                err.println("guestmem mtree: " + f + ": no such file");
                status = 1;
                continue;
            }
            try (ImportedMachine m = MtreeImporter.importFile(f)) {
                out.print(tree ? MtreePrinter.tree(m.system(), true) : MtreePrinter.flat(m.system(), dispatch));
            } catch (RuntimeException e) {
                err.println("guestmem mtree: " + f + ": " + e.getMessage());
                status = 1;
            }
        }
        out.flush();
        return status;
    }
}
