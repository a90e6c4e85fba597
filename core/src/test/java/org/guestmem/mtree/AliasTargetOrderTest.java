package org.guestmem.mtree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.guestmem.AliasRegion;
import org.guestmem.MemoryRegion;
import org.guestmem.MemorySystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every alias target is made before its aliases, wherever the dump prints it: later in the file,
 * behind another alias, in a sibling container, or as the alias's own container or an ancestor.
 * The last two are QEMU's Arm SSE-200 pattern (an alias in container C showing a window of C that
 * does not contain the alias), which imports and renders as QEMU renders it. Aliases that show
 * themselves, directly or through other aliases, can never render: the importer refuses alias
 * chains that loop, and the render refuses an alias whose window contains it, each naming the
 * alias's line.
 */
class AliasTargetOrderTest {
    @TempDir
    Path dir;

    private static ImportedMachine importText(String dump) {
        return MtreeImporter.importText(dump, null, MemorySystem.builder());
    }

    private MtreeImportException importFileFails(String name, String dump) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, dump);
        return assertThrows(MtreeImportException.class, () -> MtreeImporter.importFile(f).close());
    }

    private static List<String> flatLines(ImportedMachine m) {
        return MtreePrinter.flat(m.system()).lines().filter(l -> l.startsWith("  ")).toList();
    }

    @Test
    void shouldMakeTargetsPrintedLaterAndTargetsInSiblingContainersFirst() {
        String dump = """
                address-space: memory
                  0000000000000000-ffffffffffffffff (prio 0, i/o): system
                    0000000000000000-0000000000000fff (prio 0, ram): alias early @late 0000000000000000-0000000000000fff
                    0000000000001000-0000000000001fff (prio 0, ram): alias chain @hop 0000000000000000-0000000000000fff
                    0000000000010000-000000000001ffff (prio 0, i/o): bus-a
                      0000000000018000-0000000000018fff (prio 0, i/o): alias peek @bus-b 0000000000000000-0000000000000fff
                    0000000000020000-000000000002ffff (prio 0, i/o): bus-b
                      0000000000020000-0000000000020fff (prio 0, ram): b-ram

                memory-region: late
                  0000000000000000-0000000000000fff (prio 0, ram): late

                memory-region: hop
                  0000000000000000-0000000000000fff (prio 0, ram): alias hop @last 0000000000000800-00000000000017ff

                memory-region: bus-b
                  0000000000020000-000000000002ffff (prio 0, i/o): bus-b
                    0000000000020000-0000000000020fff (prio 0, ram): b-ram

                memory-region: last
                  0000000000000000-0000000000001fff (prio 0, ram): last

                """;
        try (ImportedMachine m = importText(dump)) {
            MemoryRegion system = m.addressSpaces().getFirst().root();
            AliasRegion chain = (AliasRegion) system.subregions().stream().filter(r -> "chain".equals(r.name())).findFirst().orElseThrow();
            AliasRegion hop = assertInstanceOf(AliasRegion.class, chain.target(), "an alias of an alias printed later");
            assertEquals("last", hop.target().name());
            MemoryRegion busB = system.subregions().stream().filter(r -> "bus-b".equals(r.name())).findFirst().orElseThrow();
            MemoryRegion busA = system.subregions().stream().filter(r -> "bus-a".equals(r.name())).findFirst().orElseThrow();
            assertSame(busB, ((AliasRegion) busA.subregions().getFirst()).target(), "peek shows the sibling container itself");
            assertEquals(List.of(
                    "  0000000000000000-0000000000000fff (prio 0, ram): late",
                    "  0000000000001000-0000000000001fff (prio 0, ram): last @0000000000000800",
                    "  0000000000018000-0000000000018fff (prio 0, ram): b-ram",
                    "  0000000000020000-0000000000020fff (prio 0, ram): b-ram"), flatLines(m));
            assertEquals(MtreeText.blocks(dump), MtreeText.blocks(MtreePrinter.tree(m.system(), true)));
        }
    }

    /** The SSE-200 pattern, as the Arm mps2/mps3/musca boards' dumps print it. */
    private static final String SSE_200 = """
            address-space: memory
              0000000000000000-ffffffffffffffff (prio 0, i/o): system
                0000000000000000-00000000ffffffff (prio 0, i/o): container
                  0000000000000000-0000000000ffffff (prio 0, ram): sram
                  0000000010000000-000000001fffffff (prio -1500, i/o): alias alias 1 @container 0000000000000000-000000000fffffff
                  0000000020000000-0000000020ffffff (prio 0, ram): ssram
                  0000000030000000-000000003fffffff (prio -1500, i/o): alias alias 2 @container 0000000020000000-000000002fffffff
                  0000000040000000-000000004fffffff (prio 0, i/o): periph
                    0000000040000000-0000000040000fff (prio 0, i/o): uart
                    0000000048000000-0000000048000fff (prio -1500, i/o): alias alias 3 @container 0000000040000000-0000000040000fff

            memory-region: container
              0000000000000000-00000000ffffffff (prio 0, i/o): container
                0000000000000000-0000000000ffffff (prio 0, ram): sram
                0000000010000000-000000001fffffff (prio -1500, i/o): alias alias 1 @container 0000000000000000-000000000fffffff
                0000000020000000-0000000020ffffff (prio 0, ram): ssram
                0000000030000000-000000003fffffff (prio -1500, i/o): alias alias 2 @container 0000000020000000-000000002fffffff
                0000000040000000-000000004fffffff (prio 0, i/o): periph
                  0000000040000000-0000000040000fff (prio 0, i/o): uart
                  0000000048000000-0000000048000fff (prio -1500, i/o): alias alias 3 @container 0000000040000000-0000000040000fff

            """;

    @Test
    void shouldImportTheSse200PatternAndRenderItAsQemuDoes() throws IOException {
        Path f = dir.resolve("sse-200.mtree.txt");
        Files.writeString(f, SSE_200);
        try (ImportedMachine m = MtreeImporter.importFile(f)) {
            AliasRegion alias1 = (AliasRegion) m.system().addressSpaces().getFirst().root().subregions().getFirst()
                    .subregions().stream().filter(r -> "alias 1".equals(r.name())).findFirst().orElseThrow();
            assertSame(alias1.container().orElseThrow(), alias1.target(), "one object: the alias lives in its own target");
            assertEquals(List.of(
                    "  0000000000000000-0000000000ffffff (prio 0, ram): sram",
                    "  0000000010000000-0000000010ffffff (prio 0, ram): sram",
                    "  0000000020000000-0000000020ffffff (prio 0, ram): ssram",
                    "  0000000030000000-0000000030ffffff (prio 0, ram): ssram",
                    "  0000000040000000-0000000040000fff (prio 0, i/o): uart",
                    "  0000000048000000-0000000048000fff (prio 0, i/o): uart"), flatLines(m));
            assertEquals(MtreeText.blocks(SSE_200), MtreeText.blocks(MtreePrinter.tree(m.system(), true)));
        }
    }

    @Test
    void shouldImportAnAliasIntoAnAncestorContainer() {
        String dump = """
                address-space: memory
                  0000000000000000-ffffffffffffffff (prio 0, i/o): system
                    0000000000000000-00000000000fffff (prio 0, i/o): bus
                      0000000000080000-0000000000080fff (prio 0, i/o): alias up @system 0000000000100000-0000000000100fff
                    0000000000100000-0000000000100fff (prio 0, ram): ram

                memory-region: system
                  0000000000000000-ffffffffffffffff (prio 0, i/o): system
                    0000000000000000-00000000000fffff (prio 0, i/o): bus
                      0000000000080000-0000000000080fff (prio 0, i/o): alias up @system 0000000000100000-0000000000100fff
                    0000000000100000-0000000000100fff (prio 0, ram): ram

                """;
        try (ImportedMachine m = importText(dump)) {
            assertEquals(List.of("  0000000000080000-0000000000080fff (prio 0, ram): ram",
                    "  0000000000100000-0000000000100fff (prio 0, ram): ram"), flatLines(m), "up shows system's ram");
        }
    }

    @Test
    void shouldReportAContainerHoldingAnAliasOfItsWholeSelfAtTheAliasLine() throws IOException {
        MtreeImportException e = importFileFails("mirror.mtree.txt", """
                address-space: memory
                  0000000000000000-ffffffffffffffff (prio 0, i/o): system
                    0000000000000000-000000000000ffff (prio 0, i/o): box
                      0000000000000000-000000000000ffff (prio 1, i/o): alias mirror @box 0000000000000000-000000000000ffff
                    0000000000010000-0000000000010fff (prio 0, ram): ram

                memory-region: box
                  0000000000000000-000000000000ffff (prio 0, i/o): box
                    0000000000000000-000000000000ffff (prio 1, i/o): alias mirror @box 0000000000000000-000000000000ffff

                """);
        assertEquals(9, e.line(), e.getMessage());
        assertTrue(e.reason().startsWith("commit refused"), e.reason());
        assertTrue(e.reason().contains("alias 'mirror' in 'box' shows itself inside its own window")
                && e.reason().contains("'mirror' -> 'box' -> 'mirror'"), e.reason());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void shouldRefuseAnAliasThatShowsItselfNamingItsLine() throws IOException {
        MtreeImportException e = importFileFails("self.mtree.txt", """
                address-space: memory
                  0000000000000000-ffffffffffffffff (prio 0, i/o): system
                    0000000000000000-0000000000000fff (prio 0, i/o): alias a @a 0000000000000000-0000000000000fff

                memory-region: a
                  0000000000000000-0000000000000fff (prio 0, i/o): alias a @a 0000000000000000-0000000000000fff

                """);
        assertEquals(6, e.line());
        assertEquals("alias 'a' shows itself: it is the root of 'memory-region: a', its own target;"
                + " expected an alias of another region", e.reason());
    }

    @Test
    void shouldRefuseAliasesThatShowEachOtherNamingEveryLineOfTheCycle() {
        MtreeImportException two = assertThrows(MtreeImportException.class, () -> importText("""
                address-space: memory
                  0000000000000000-ffffffffffffffff (prio 0, i/o): system
                    0000000000000000-0000000000000fff (prio 0, i/o): alias x @y 0000000000000000-0000000000000fff

                memory-region: y
                  0000000000000000-0000000000000fff (prio 0, i/o): alias y @x 0000000000000000-0000000000000fff

                memory-region: x
                  0000000000000000-0000000000000fff (prio 0, i/o): alias x @y 0000000000000000-0000000000000fff

                """));
        assertEquals("line 6: aliases show each other in a cycle with no container between them:"
                + " alias 'y' (line 6) -> alias 'x' (line 9) -> alias 'y'", two.getMessage());
        MtreeImportException three = assertThrows(MtreeImportException.class, () -> importText("""
                address-space: memory
                  0000000000000000-ffffffffffffffff (prio 0, i/o): system
                    0000000000000000-0000000000000fff (prio 0, i/o): alias p @q 0000000000000000-0000000000000fff

                memory-region: q
                  0000000000000000-0000000000000fff (prio 0, i/o): alias q @r 0000000000000000-0000000000000fff

                memory-region: r
                  0000000000000000-0000000000000fff (prio 0, i/o): alias r @s 0000000000000000-0000000000000fff

                memory-region: s
                  0000000000000000-0000000000000fff (prio 0, i/o): alias s @q 0000000000000000-0000000000000fff

                """));
        assertEquals("line 6: aliases show each other in a cycle with no container between them:"
                + " alias 'q' (line 6) -> alias 'r' (line 9) -> alias 's' (line 12) -> alias 'q'", three.getMessage());
    }
}
