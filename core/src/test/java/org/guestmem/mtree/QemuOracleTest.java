package org.guestmem.mtree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.guestmem.mtree.MtreeText.AsView;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The ten QEMU 7.2 machines of the test resources' {@code qemu-oracle}: importing QEMU's {@code info mtree -D}
 * dump and printing {@code info mtree -f} must give QEMU's own flat views, and printing the tree
 * again must give QEMU's tree text, block for block.
 *
 * <p>The flat comparison normalises as QEMU's run-to-run block order requires: a
 * multiset of (AS name, {@code Root memory region:} text, tuple of range lines), so FlatView
 * numbering and the order of views and AS lines (QEMU's hash order) do not matter.
 */
class QemuOracleTest {
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"aarch64-virt", "m68k-virt", "mips-malta", "ppc64-pseries", "riscv64-virt",
            "s390x-s390-ccw-virtio", "sh4-r2d", "x86_64-pc", "x86_64-pc+4G", "x86_64-q35+devices"})
    void shouldRenderTheSameFlatViewsAsQemu(String machine) throws IOException {
        Path mtree = oracleFile(machine + ".mtree.txt");
        String qemuFlat = Files.readString(oracleFile(machine + ".flat.txt"));
        String ours;
        try (ImportedMachine m = MtreeImporter.importFile(mtree)) {
            ours = MtreePrinter.flat(m.system());
        }
        Map<AsView, Integer> want = MtreeText.views(qemuFlat);
        Map<AsView, Integer> got = MtreeText.views(ours);
        assertFalse(want.isEmpty(), "the oracle file has address spaces");
        if (!want.equals(got)) {
            fail(machine + ": flat views differ from QEMU's\n" + MtreeText.diffViews(want, got) + "\n--- guestmem printed:\n" + ours);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"aarch64-virt", "m68k-virt", "mips-malta", "ppc64-pseries", "riscv64-virt",
            "s390x-s390-ccw-virtio", "sh4-r2d", "x86_64-pc", "x86_64-pc+4G", "x86_64-q35+devices"})
    void shouldPrintQemusTreeAgainAfterImport(String machine) throws IOException {
        Path mtree = oracleFile(machine + ".mtree.txt");
        String qemuTree = Files.readString(mtree);
        String ours;
        try (ImportedMachine m = MtreeImporter.importFile(mtree)) {
            ours = MtreePrinter.tree(m.system(), true);
        }
        Map<String, Integer> want = MtreeText.blocks(qemuTree);
        Map<String, Integer> got = MtreeText.blocks(ours);
        assertFalse(want.isEmpty(), "the oracle file has blocks");
        if (!want.equals(got)) {
            fail(machine + ": tree blocks differ from QEMU's\n" + MtreeText.diffBlocks(want, got));
        }
    }

    @Test
    void textComparisonShouldNormaliseLikeTheOracleScript() {
        String text = """
                FlatView #0
                 AS "a", root: r
                 AS "b", root: r
                 Root memory region: r
                  0000000000000000-0000000000000fff (prio 0, ram): x  \s
                  Dispatch
                    Physical sections

                FlatView #1
                 AS "c", root: (none)
                 Root memory region: (none)
                  No rendered FlatView
                """;
        Map<AsView, Integer> v = MtreeText.views(text);
        assertEquals(3, v.size());
        assertEquals(1, v.get(new AsView("a", "r", List.of("  0000000000000000-0000000000000fff (prio 0, ram): x"))));
        assertEquals(1, v.get(new AsView("c", "(none)", List.of())));
        assertEquals(Map.of("x\ny\n", 2, "z\n", 1), MtreeText.blocks("x\ny\n\nz\n\nx\ny\n\n"));
    }

    static Path oracleFile(String name) {
        URL url = QemuOracleTest.class.getResource("/qemu-oracle/" + name);
        if (url == null) {
            throw new AssertionError("test resource qemu-oracle/" + name + " is missing");
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new AssertionError(e);
        }
    }
}
