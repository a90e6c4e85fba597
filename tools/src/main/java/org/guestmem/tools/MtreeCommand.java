package org.guestmem.tools;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.guestmem.mtree.ImportedMachine;
import org.guestmem.mtree.MtreeImportException;
import org.guestmem.mtree.MtreeImporter;
import org.guestmem.mtree.MtreePrinter;

/**
 * {@code guestmem mtree [--tree|--dispatch] [--debug] FILE...}: imports QEMU {@code info mtree -D}
 * dumps one file at a time and prints what each became, the way {@code cat}, {@code grep} and
 * compilers treat many files. A file that cannot be imported costs only itself: one line on
 * stderr, {@code FILE:LINE: what was expected} for a dump the importer rejects, and the files
 * after it are still imported and printed; the exit status is 1 at the end if any file failed.
 * With several files each output starts with a {@code ==> FILE <==} header. No input produces a
 * Java stack trace: anything unexpected is reported as
 * {@code guestmem mtree: internal error while importing FILE: ...}, with the trace only under
 * {@code --debug}.
 *
 * <p>The files are imported on a thread of its own with a large stack, so that the final render
 * of a deeply nested dump (which recurses once per level) does not overflow.
 */
final class MtreeCommand {
    /** Stack of the import thread: deep enough for a render of the deepest dump that imports within seconds. */
    private static final long STACK_BYTES = 512L << 20;

    private final Function<Path, ImportedMachine> importer;
    private boolean tree;
    private boolean dispatch;
    private boolean debug;
    private final List<Path> files = new ArrayList<>();

    private MtreeCommand(Function<Path, ImportedMachine> importer) {
        this.importer = importer;
    }

    /** Runs the command; {@return the exit status: 0, 1 if a file failed, 2 on bad usage} */
    static int run(String[] args, PrintStream out, PrintStream err, String usage) {
        return run(args, out, err, usage, MtreeImporter::importFile);
    }

    /** {@link #run(String[], PrintStream, PrintStream, String)} with another importer (tests). */
    static int run(String[] args, PrintStream out, PrintStream err, String usage, Function<Path, ImportedMachine> importer) {
        MtreeCommand c = new MtreeCommand(importer);
        for (String a : args) {
            switch (a) {
                case "--tree" -> c.tree = true;
                case "--dispatch" -> c.dispatch = true;
                case "--debug" -> c.debug = true;
                default -> {
                    if (a.startsWith("-")) {
                        err.println("guestmem mtree: unknown option '" + a + "'");
                        err.print(usage);
                        return 2;
                    }
                    c.files.add(Path.of(a));
                }
            }
        }
        if (c.files.isEmpty()) {
            err.println("guestmem mtree: no files given");
            err.print(usage);
            return 2;
        }
        int[] status = {1};
        Thread worker = new Thread(null, () -> {
            try {
                status[0] = c.importAll(out, err);
            } catch (RuntimeException | Error e) { // not from one file's import: printing itself failed
                err.println("guestmem mtree: internal error: " + oneLine(e));
            }
        }, "guestmem-mtree", STACK_BYTES);
        worker.start();
        try {
            worker.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("guestmem mtree: interrupted");
            return 1;
        }
        out.flush();
        return status[0];
    }

    private int importAll(PrintStream out, PrintStream err) {
        int status = 0;
        for (Path f : files) {
            if (files.size() > 1) {
                out.println("==> " + f + " <==");
            }
            if (!importOne(f, out, err)) {
                status = 1;
            }
            out.flush();
        }
        return status;
    }

    /** Imports and prints one file; {@return whether it worked} */
    private boolean importOne(Path f, PrintStream out, PrintStream err) {
        if (!Files.isRegularFile(f)) {
            err.println("guestmem mtree: " + f + ": no such file");
            return false;
        }
        try (ImportedMachine m = importer.apply(f)) {
            out.print(tree ? MtreePrinter.tree(m.system(), true) : MtreePrinter.flat(m.system(), dispatch));
            return true;
        } catch (MtreeImportException e) {
            err.println(e.getMessage());
        } catch (java.io.UncheckedIOException e) {
            err.println("guestmem mtree: " + e.getMessage());
        } catch (RuntimeException | Error e) {
            err.println("guestmem mtree: internal error while importing " + f + ": " + oneLine(e)
                    + (debug ? "" : " (--debug shows the stack trace)"));
            if (debug) {
                e.printStackTrace(err);
            }
        }
        return false;
    }

    private static String oneLine(Throwable e) {
        String m = e.getMessage();
        String text = e.getClass().getName() + (m != null ? ": " + m : "");
        int nl = text.indexOf('\n');
        return nl < 0 ? text : text.substring(0, nl) + " ...";
    }
}
