package org.guestmem.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;
import org.guestmem.mtree.ImportedMachine;
import org.guestmem.mtree.MtreeImporter;
import org.guestmem.mtree.MtreePrinter;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code guestmem mtree} over many files, as {@code cat}, {@code grep} and compilers behave: a
 * file that cannot be imported gets one line on stderr ({@code FILE:LINE: ...} for a dump the
 * importer rejects) and costs only itself; the others are printed with their headers; the exit
 * status is 1 at the end. No input shows a stack trace unless {@code --debug} asks for it.
 */
class MtreeCommandTest {
    @TempDir
    Path dir;
    /** QEMU's dumps of the ten machines, kept with core's tests (Maven runs this module's tests from tools/). */
    private static final Path ORACLE = Path.of("..", "core", "src", "test", "resources", "qemu-oracle");
    private Path good;
    private Path other;
    private final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
    private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();

    @BeforeEach
    void copyTwoQemuDumps() throws IOException, URISyntaxException {
        good = dir.resolve("x86_64-pc.mtree.txt");
        other = dir.resolve("sh4-r2d.mtree.txt");
        for (Path p : List.of(good, other)) {
            Files.copy(ORACLE.resolve(p.getFileName().toString()), p);
        }
    }

    private int run(String... args) {
        return Main.run(args, new PrintStream(outBytes, true, StandardCharsets.UTF_8), new PrintStream(errBytes, true, StandardCharsets.UTF_8));
    }

    private String out() {
        return outBytes.toString(StandardCharsets.UTF_8);
    }

    private List<String> errLines() {
        return errBytes.toString(StandardCharsets.UTF_8).lines().toList();
    }

    private static String flatOf(Path f) {
        try (ImportedMachine m = MtreeImporter.importFile(f)) {
            return MtreePrinter.flat(m.system());
        }
    }

    @Test
    void shouldPrintEveryGoodFileAndOneErrorLinePerBadFileAndExitNonZero() throws IOException {
        Path badPrio = Files.writeString(dir.resolve("bad-prio.mtree.txt"), Files.readString(good)
                .replaceFirst("\\(prio 0, ram\\): pc.ram", "(prio 9999999999, ram): pc.ram"));
        int badLine = 1 + (int) Files.readString(good).substring(0, Files.readString(good).indexOf("(prio 0, ram): pc.ram"))
                .chars().filter(c -> c == '\n').count();
        Path empty = Files.writeString(dir.resolve("empty.mtree.txt"), "");
        Path missing = dir.resolve("missing.mtree.txt");

        int status = run("mtree", good.toString(), badPrio.toString(), empty.toString(), missing.toString(), other.toString());

        assertEquals(1, status);
        assertEquals("==> " + good + " <==\n" + flatOf(good)
                + "==> " + badPrio + " <==\n"
                + "==> " + empty + " <==\n"
                + "==> " + missing + " <==\n"
                + "==> " + other + " <==\n" + flatOf(other), out());
        assertEquals(List.of(
                badPrio + ":" + badLine + ": priority 9999999999 is out of range: expected a 32-bit signed integer,"
                        + " -2147483648 to 2147483647",
                empty + ":1: no address space in " + empty + ": expected an 'address-space: NAME' line and its region tree",
                "guestmem mtree: " + missing + ": no such file"), errLines());
    }

    @Test
    void shouldReportAnAliasCycleInOneLineAndStillPrintTheNextTree() throws IOException {
        Path cycle = Files.writeString(dir.resolve("cycle.mtree.txt"), """
                address-space: memory
                  0000000000000000-ffffffffffffffff (prio 0, i/o): system
                    0000000000000000-0000000000000fff (prio 0, i/o): alias a @a 0000000000000000-0000000000000fff

                memory-region: a
                  0000000000000000-0000000000000fff (prio 0, i/o): alias a @a 0000000000000000-0000000000000fff

                """);
        assertEquals(1, run("mtree", "--tree", cycle.toString(), good.toString()));
        assertEquals(List.of(cycle + ":6: alias 'a' shows itself: it is the root of 'memory-region: a', its own target;"
                + " expected an alias of another region"), errLines());
        assertTrue(out().endsWith("==> " + good + " <==\n" + treeOf(good)), out());
    }

    private static String treeOf(Path f) {
        try (ImportedMachine m = MtreeImporter.importFile(f)) {
            return MtreePrinter.tree(m.system(), true);
        }
    }

    @Test
    void shouldPrintOneFileWithoutAHeaderAndExitZero() {
        assertEquals(0, run("mtree", good.toString()));
        assertEquals(flatOf(good), out());
        assertEquals(List.of(), errLines());
    }

    @Test
    void shouldTurnAnUnexpectedExceptionIntoOneLineAndShowItsTraceOnlyWithDebug() {
        Function<Path, ImportedMachine> broken = f -> {
            if (f.equals(good)) {
                throw new IllegalStateException("boom\nsecond line");
            }
            return MtreeImporter.importFile(f);
        };
        PrintStream out = new PrintStream(outBytes, true, StandardCharsets.UTF_8);
        PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);
        assertEquals(1, MtreeCommand.run(new String[] {good.toString(), other.toString()}, out, err, "usage\n", broken));
        assertEquals(List.of("guestmem mtree: internal error while importing " + good
                + ": java.lang.IllegalStateException: boom ... (--debug shows the stack trace)"), errLines());
        assertTrue(out().endsWith(flatOf(other)), "the next file is still printed");

        errBytes.reset();
        assertEquals(1, MtreeCommand.run(new String[] {"--debug", good.toString()}, out, err, "usage\n", broken));
        List<String> lines = errLines();
        assertEquals("guestmem mtree: internal error while importing " + good + ": java.lang.IllegalStateException: boom ...",
                lines.getFirst());
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("\tat ")), "--debug prints the trace: " + lines);
    }

    @Test
    void shouldRejectBadUsageWithStatusTwo() {
        assertEquals(2, run("mtree"));
        assertEquals("guestmem mtree: no files given", errLines().getFirst());
        errBytes.reset();
        assertEquals(2, run("mtree", "--frobnicate", good.toString()));
        assertEquals("guestmem mtree: unknown option '--frobnicate'", errLines().getFirst());
        assertFalse(out().contains("FlatView"), "nothing imported");
    }
}
