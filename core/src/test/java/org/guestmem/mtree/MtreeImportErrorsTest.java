package org.guestmem.mtree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.guestmem.AliasRegion;
import org.guestmem.MemoryRegion;
import org.guestmem.MemorySystem;
import org.guestmem.RamReservationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Dumps the importer cannot build: each is one {@link MtreeImportException} naming the line (and
 * the file, for files) and saying what was expected, never a bare library exception, an
 * {@code OutOfMemoryError} or a {@code NumberFormatException}. Covers priorities outside
 * {@code int}, memory beyond the import's limit and beyond what the system can allocate, texts
 * without an address space, bytes that are not UTF-8, and copies of one region that disagree.
 */
class MtreeImportErrorsTest {
    @TempDir
    Path dir;

    private static MtreeImportException fails(String dump) {
        return assertThrows(MtreeImportException.class, () -> MtreeImporter.importText(dump, null, MemorySystem.builder()).close());
    }

    private static String oneRegion(String line) {
        return "address-space: memory\n  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n    " + line + "\n\n";
    }

    @ParameterizedTest
    @CsvSource({"1099511627776", "-2147483649", "2147483648", "99999999999999999999999999999999999999999999"})
    void shouldSayWhichLineHasAPriorityOutOfRange(String prio) {
        MtreeImportException e = fails(oneRegion("0000000000000000-0000000000000fff (prio " + prio + ", ram): ram"));
        assertEquals(3, e.line());
        assertTrue(e.reason().startsWith("priority " + prio.substring(0, Math.min(prio.length(), 40)) + (prio.length() > 40 ? "..." : "")
                + " is out of range: expected a 32-bit signed integer"), e.reason());
    }

    @Test
    void shouldNameTheLineAndSizeOfMemoryBeyondTheImportsLimit() {
        MtreeImportException e = fails(oneRegion("0000000000000000-0003ffffffffffff (prio 0, ram): ram"));
        assertEquals("line 3: ram region 'ram' of 0x4000000000000 bytes would take the import past its limit of"
                + " 0x10000000000 bytes of RAM, ROM and ROM devices in all (0x0 already allocated)", e.getMessage());
        MtreeImportException full = fails(oneRegion("0000000000000000-ffffffffffffffff (prio 0, rom): rom"));
        assertTrue(full.reason().startsWith("rom region 'rom' of 0x10000000000000000 bytes"), full.reason());
    }

    @Test
    void shouldCountEveryRegionBackedByMemoryAgainstTheLimit() {
        String dump = """
                address-space: memory
                  0000000000000000-ffffffffffffffff (prio 0, i/o): system
                    0000000000000000-0000000000008fff (prio 0, ram): a
                    0000000000010000-0000000000018fff (prio 0, romd): b

                """;
        MtreeImportException e = assertThrows(MtreeImportException.class,
                () -> MtreeImporter.importText(dump, null, MemorySystem.builder(), null, 0x10000).close());
        assertEquals("line 4: romd region 'b' of 0x9000 bytes would take the import past its limit of 0x10000 bytes"
                + " of RAM, ROM and ROM devices in all (0x9000 already allocated)", e.getMessage());
    }

    @Test
    void shouldTurnTheSystemsFailureToAllocateIntoAnErrorAtTheLine() {
        // no limit: the library's own refusal (mmap of 2^60 bytes) is what the import reports
        MtreeImportException e = assertThrows(MtreeImportException.class, () -> MtreeImporter.importText(
                oneRegion("0000000000000000-0fffffffffffffff (prio 0, ram): huge"), null, MemorySystem.builder(), "huge.txt", -1L).close());
        assertEquals(3, e.line());
        assertTrue(e.getMessage().startsWith("huge.txt:3: cannot allocate 0x1000000000000000 bytes for ram region 'huge': "),
                e.getMessage());
        assertTrue(e.getCause() instanceof RamReservationException, String.valueOf(e.getCause()));
    }

    /** {@code levels} nested containers, each holding the next at 0 and a 4 KiB device beside it: rendering recurses per level. */
    static String renderedDeep(int levels) {
        StringBuilder s = new StringBuilder("address-space: memory\n");
        for (int level = 1; level <= levels; level++) {
            s.append("  ".repeat(level)).append("0000000000000000-ffffffffffffffff (prio 0, i/o): c").append(level).append('\n');
            s.append("  ".repeat(level + 1)).append(String.format("%016x-%016x (prio 0, i/o): d%d\n", 0x1000L * level,
                    0x1000L * level + 0xfff, level));
        }
        return s.append('\n').toString();
    }

    /** Runs {@code task} on a thread with a stack of {@code bytes} and returns what it returned or threw. */
    private static Object onStack(long bytes, java.util.concurrent.Callable<Object> task) throws InterruptedException {
        Object[] result = new Object[1];
        Thread t = new Thread(null, () -> {
            try {
                result[0] = task.call();
            } catch (Throwable e) {
                result[0] = e;
            }
        }, "stack-" + bytes, bytes);
        t.start();
        t.join();
        return result[0];
    }

    @Test
    void shouldImportAndPrintNestingDeeperThanASmallStackCouldRecurse() throws Exception {
        String dump = renderedDeep(3000); // 3001 levels: a recursive render or print overflows 256 KiB
        Object small = onStack(256 << 10, () -> {
            try (ImportedMachine m = MtreeImporter.importText(dump, null, MemorySystem.builder())) {
                String tree = MtreePrinter.tree(m.system(), true);
                assertTrue(tree.contains("  ".repeat(3001) + "0000000000bb8000-0000000000bb8fff (prio 0, i/o): d3000\n"));
                return m.addressSpaces().getFirst().currentView().rangeCount();
            }
        });
        assertEquals(3000, small, "one range per device");
    }

    @Test
    void shouldReportATextWithoutAnAddressSpaceAtLineOne() throws IOException {
        for (String text : new String[] {"", "\n\n  \n", "memory-region: x\n  0000000000000000-0000000000000fff (prio 0, ram): x\n"}) {
            assertEquals("line 1: no address space in the text: expected an 'address-space: NAME' line and its region tree",
                    fails(text).getMessage());
        }
        Path empty = Files.writeString(dir.resolve("empty.mtree.txt"), "");
        MtreeImportException e = assertThrows(MtreeImportException.class, () -> MtreeImporter.importFile(empty).close());
        assertEquals(empty + ":1: no address space in " + empty + ": expected an 'address-space: NAME' line and its region tree",
                e.getMessage());
    }

    @Test
    void shouldReportTheLineOfTheFirstByteThatIsNotUtf8() throws IOException {
        byte[] bytes = (oneRegion("0000000000000000-0000000000000fff (prio 0, ram): r\u00e9gion") + "\u00ff").getBytes(StandardCharsets.UTF_8);
        bytes[bytes.length - 2] = (byte) 0xff; // line 5's two-byte character loses its lead byte; line 3's é stays valid
        Path f = Files.write(dir.resolve("bad.mtree.txt"), bytes);
        MtreeImportException e = assertThrows(MtreeImportException.class, () -> MtreeImporter.importFile(f).close());
        assertEquals(f + ":5: byte 0xff is not UTF-8 text: expected QEMU's info mtree output", e.getMessage());
    }

    @Test
    void shouldQuoteAnUnreadableLineOnOneLineWithControlCharactersEscaped() {
        MtreeImportException e = fails("address-space: memory\n\u0001\u0002garbage\u0007 " + "x".repeat(200) + "\n");
        assertEquals(2, e.line());
        assertTrue(e.reason().startsWith("expected an indented region line, 'address-space: NAME', 'memory-region: NAME'"
                + " or a blank line, got '\\x01\\x02garbage\\x07 xxx"), e.reason());
        assertTrue(e.reason().endsWith("'..."), e.reason());
        assertEquals("expected an even number of spaces before a region line (two per level), got 3",
                fails("address-space: memory\n   0000000000000000-0000000000000fff (prio 0, ram): r\n").reason());
        assertEquals("region line outside a block: expected 'address-space: NAME' or 'memory-region: NAME' before it",
                fails("address-space: memory\n  0000000000000000-0000000000000fff (prio 0, ram): r\n\n"
                        + "  0000000000000000-0000000000000fff (prio 0, ram): s\n").reason());
    }

    /**
     * A machine whose {@code bus} is printed in the tree (lines 3-5) and as an alias target (lines
     * 9-11); the tree's copy is compared with the block, so errors are at the tree's line and name
     * the block's ("here" is the tree, "there" the block).
     */
    private static final String COPIES = """
            address-space: memory
              0000000000000000-ffffffffffffffff (prio 0, i/o): system
                0000000000100000-00000000001fffff (prio 1, i/o): bus
                  0000000000100000-0000000000100fff (prio 0, ram): dev-ram
                  0000000000180000-0000000000180fff (prio 0, ram): alias dev-win @dev-ram 0000000000000000-0000000000000fff
                0000000000200000-0000000000200fff (prio 0, i/o): alias bus-mirror @bus 0000000000000000-0000000000000fff

            memory-region: bus
              0000000000100000-00000000001fffff (prio 1, i/o): bus
                0000000000100000-0000000000100fff (prio 0, ram): dev-ram
                0000000000180000-0000000000180fff (prio 0, ram): alias dev-win @dev-ram 0000000000000000-0000000000000fff

            memory-region: dev-ram
              0000000000000000-0000000000000fff (prio 0, ram): dev-ram

            """;

    @Test
    void shouldMergeIdenticalCopiesIntoOneRegion() {
        try (ImportedMachine m = MtreeImporter.importText(COPIES, null, MemorySystem.builder())) {
            MemoryRegion system = m.addressSpaces().getFirst().root();
            MemoryRegion bus = system.subregions().stream().filter(r -> "bus".equals(r.name())).findFirst().orElseThrow();
            AliasRegion mirror = (AliasRegion) system.subregions().stream().filter(r -> "bus-mirror".equals(r.name())).findFirst().orElseThrow();
            assertSame(bus, mirror.target());
            assertEquals(MtreeText.blocks(COPIES), MtreeText.blocks(MtreePrinter.tree(m.system(), true)));
        }
    }

    /** {@link #COPIES} with the first occurrence of {@code from} (the tree's copy) replaced. */
    private static String inTree(String from, String to) {
        int at = COPIES.indexOf(from);
        assertTrue(at >= 0 && at < COPIES.indexOf("memory-region: bus"), from);
        return COPIES.substring(0, at) + to + COPIES.substring(at + from.length());
    }

    /** {@link #COPIES} with the last occurrence of {@code from} (the memory-region block's copy) replaced. */
    private static String inBlock(String from, String to) {
        int at = COPIES.lastIndexOf(from);
        assertTrue(at > COPIES.indexOf("memory-region: bus"), from);
        return COPIES.substring(0, at) + to + COPIES.substring(at + from.length());
    }

    @Test
    void shouldRejectCopiesOfOneRegionThatDisagreeNamingBothLines() {
        String prefix = "contradicts line ";
        assertEquals("line 3: " + prefix + "9, another copy of region 'bus': the priority is 1 here and 2 there",
                fails(inBlock("(prio 1, i/o): bus", "(prio 2, i/o): bus")).getMessage());
        assertEquals("line 4: " + prefix + "10, another copy of region 'bus': the size is 0x1000 here and 0x2000 there",
                fails(inBlock("0000000000100000-0000000000100fff (prio 0, ram): dev-ram",
                        "0000000000100000-0000000000101fff (prio 0, ram): dev-ram")).getMessage());
        assertEquals("line 5: " + prefix + "11, another copy of region 'bus': the address in its container is 0x80000 here and 0x90000 there",
                fails(inBlock("0000000000180000-0000000000180fff", "0000000000190000-0000000000190fff")).getMessage());
        assertEquals("line 4: " + prefix + "10, another copy of region 'bus': the type is ram here and rom there",
                fails(inBlock("(prio 0, ram): dev-ram\n    ", "(prio 0, rom): dev-ram\n    ")).getMessage());
        assertEquals("line 4: " + prefix + "10, another copy of region 'bus': the type is ram here and nv-ram there",
                fails(inBlock("(prio 0, ram): dev-ram\n    ", "(prio 0, nv-ram): dev-ram\n    ")).getMessage());
        assertEquals("line 5: " + prefix + "11, another copy of region 'bus': the alias window is 0x0-0xfff here and 0x800-0x17ff there",
                fails(inBlock("@dev-ram 0000000000000000-0000000000000fff", "@dev-ram 0000000000000800-00000000000017ff")).getMessage());
        assertEquals("line 4: " + prefix + "10, another copy of region 'bus': the region is disabled here and enabled there",
                fails(inTree("(prio 0, ram): dev-ram\n", "(prio 0, ram): dev-ram [disabled]\n")).getMessage());
        assertEquals("line 4: " + prefix + "10, another copy of region 'bus': the line is region 'dev-rom' here and region 'dev-ram' there",
                fails(inTree("(prio 0, ram): dev-ram\n", "(prio 0, ram): dev-rom\n")).getMessage());
        String extra = inTree("0000000000000fff\n    0000000000200000", "0000000000000fff\n"
                + "      0000000000190000-0000000000190fff (prio 0, i/o): stray\n    0000000000200000");
        MtreeImportException e = fails(extra);
        assertEquals("line 3: " + prefix + "10, another copy of region 'bus': the number of subregions of region 'bus' is 3 here and 2 there",
                e.getMessage());
        assertEquals(3, e.line());
    }
}
