package org.guestmem.mtree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The ten QEMU 7.2 machines of {@code ../shared/qemu-oracle}: importing QEMU's {@code info mtree -D}
 * dump and printing {@code info mtree -f} must give QEMU's own flat views, and printing the tree
 * again must give QEMU's tree text, block for block.
 *
 * <p>The flat comparison normalises exactly as {@code ../shared/tools/qemu-oracle-check} does: a
 * multiset of (AS name, {@code Root memory region:} text, tuple of range lines), so FlatView
 * numbering and the order of views and AS lines (QEMU's hash order) do not matter.
 */
class QemuOracleTest {
    private static final Pattern RANGE = Pattern.compile("^  [0-9a-f]{16}-[0-9a-f]{16} .*");

    /** One AS as the oracle script sees it. */
    record AsView(String addressSpace, String root, List<String> ranges) {
    }

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
        Map<AsView, Integer> want = views(qemuFlat);
        Map<AsView, Integer> got = views(ours);
        assertFalse(want.isEmpty(), "the oracle file has address spaces");
        if (!want.equals(got)) {
            fail(machine + ": flat views differ from QEMU's\n" + diff(want, got) + "\n--- guestmem printed:\n" + ours);
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
        Map<String, Integer> want = blocks(qemuTree);
        Map<String, Integer> got = blocks(ours);
        assertFalse(want.isEmpty(), "the oracle file has blocks");
        if (!want.equals(got)) {
            StringBuilder msg = new StringBuilder(machine + ": tree blocks differ from QEMU's\n");
            want.forEach((b, n) -> {
                if (!n.equals(got.get(b))) {
                    msg.append("--- QEMU block (x").append(n).append(", guestmem x").append(got.getOrDefault(b, 0))
                            .append("):\n").append(b).append('\n');
                }
            });
            got.forEach((b, n) -> {
                if (!want.containsKey(b)) {
                    msg.append("+++ guestmem-only block (x").append(n).append("):\n").append(b).append('\n');
                }
            });
            fail(msg.toString());
        }
    }

    // ------------------------------------------------------------------ normalisation

    /** The oracle script's {@code views()}: every AS of every view, with its root text and range lines. */
    static Map<AsView, Integer> views(String text) {
        Map<AsView, Integer> out = new HashMap<>();
        List<String> ases = new ArrayList<>();
        String root = null;
        List<String> lines = new ArrayList<>();
        for (String raw : text.split("\n", -1)) {
            String line = raw.stripTrailing();
            if (line.startsWith("FlatView #")) {
                flush(out, ases, root, lines);
                ases = new ArrayList<>();
                root = null;
                lines = new ArrayList<>();
            } else if (line.startsWith(" AS \"") && line.contains("\", root: ")) {
                ases.add(line.substring(5, line.indexOf("\", root: ")));
            } else if (line.startsWith(" Root memory region: ")) {
                root = line.substring(" Root memory region: ".length());
            } else if (RANGE.matcher(line).matches()) {
                lines.add(line);
            }
        }
        flush(out, ases, root, lines);
        return out;
    }

    private static void flush(Map<AsView, Integer> out, List<String> ases, String root, List<String> lines) {
        for (String as : ases) {
            out.merge(new AsView(as, root, List.copyOf(lines)), 1, Integer::sum);
        }
    }

    /** Blank-line-separated blocks (trailing whitespace of the text ignored), as a multiset. */
    static Map<String, Integer> blocks(String text) {
        Map<String, Integer> out = new TreeMap<>();
        StringBuilder cur = new StringBuilder();
        for (String line : text.split("\n", -1)) {
            if (line.isEmpty()) {
                if (!cur.isEmpty()) {
                    out.merge(cur.toString(), 1, Integer::sum);
                    cur.setLength(0);
                }
            } else {
                cur.append(line).append('\n');
            }
        }
        if (!cur.isEmpty()) {
            out.merge(cur.toString(), 1, Integer::sum);
        }
        return out;
    }

    private static String diff(Map<AsView, Integer> want, Map<AsView, Integer> got) {
        StringBuilder sb = new StringBuilder();
        want.forEach((v, n) -> {
            if (!n.equals(got.get(v))) {
                sb.append("QEMU has (x").append(n).append(") but guestmem not: AS \"").append(v.addressSpace())
                        .append("\" root ").append(v.root()).append('\n');
                v.ranges().forEach(l -> sb.append("    ").append(l).append('\n'));
                got.keySet().stream().filter(g -> g.addressSpace().equals(v.addressSpace())).forEach(g -> {
                    sb.append("  guestmem's AS \"").append(g.addressSpace()).append("\" root ").append(g.root()).append('\n');
                    g.ranges().forEach(l -> sb.append("    ").append(l).append('\n'));
                });
            }
        });
        got.forEach((v, n) -> {
            if (!want.containsKey(v) && want.keySet().stream().noneMatch(w -> w.addressSpace().equals(v.addressSpace()))) {
                sb.append("guestmem-only AS \"").append(v.addressSpace()).append("\"\n");
            }
        });
        return sb.toString();
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

    @org.junit.jupiter.api.Test
    void shouldNormaliseLikeTheOracleScript() {
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
        Map<AsView, Integer> v = views(text);
        assertEquals(3, v.size());
        assertEquals(1, v.get(new AsView("a", "r", List.of("  0000000000000000-0000000000000fff (prio 0, ram): x"))));
        assertEquals(1, v.get(new AsView("c", "(none)", List.of())));
        assertEquals(Map.of("x\ny\n", 2, "z\n", 1), blocks("x\ny\n\nz\n\nx\ny\n\n"));
    }
}
