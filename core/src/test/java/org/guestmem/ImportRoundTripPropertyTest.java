package org.guestmem;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.statistics.Statistics;
import org.guestmem.RandomTree.Kind;
import org.guestmem.RandomTree.Node;
import org.guestmem.mtree.ImportedMachine;
import org.guestmem.mtree.MtreeImporter;
import org.guestmem.mtree.MtreePrinter;
import org.guestmem.mtree.MtreeText;

/**
 * Import round trip on random machines: print a random tree as QEMU would ({@code info mtree -D}
 * and {@code -f}), import the tree text with the flat text as hint, and print again. The flat
 * views must be the same (compared like the QEMU oracle check) and the tree text the same, block
 * for block.
 *
 * <p>The trees are {@link RandomTree}s restricted to what the dump determines under the import
 * rules of the importer: readonly only on RAM without subregions (the only place the text shows it),
 * overlapping equal-priority siblings added in the order the importer infers, and no machine
 * whose flatview roots depend on an i/o region the flat view never shows. Everything else
 * (aliases of aliases, MMIO containers, disabled regions, nonvolatile, romd off, roots at
 * non-zero addresses, 2^64) is as random as in {@link FlatViewPropertyTest}.
 */
class ImportRoundTripPropertyTest {

    @Property(tries = 1000)
    void shouldImportWhatItPrintsAndRenderTheSame(@ForAll long seed, @ForAll @IntRange(min = 2, max = 32) int regionCount) {
        try (RandomTree t = new RandomTree(seed, regionCount, true)) {
            t.build();
            roundTrip(t, "after building");
            for (int round = 0; round < 2; round++) {
                t.mutate(round);
                roundTrip(t, "after change round " + round);
            }
        }
    }

    private static final Pattern IO_RANGE = Pattern.compile("^  [0-9a-f]{16}-[0-9a-f]{16} \\(prio (-?\\d+), (?:nv-)?i/o\\): (\\S+)");

    /**
     * Whether the import rules decide every space's flatview root as the machine does. They make
     * an i/o region terminate only if the flat view shows it; one that never shows becomes a
     * container, which changes nothing rendered except spec 2.1's choice of root (a container
     * with a single child at 0 reduces to the child, dropping its flags). Such machines are not
     * determined by their dump, so they are not compared.
     */
    private static boolean rootsDeterminedByDump(RandomTree t, String flat) {
        Set<String> shown = new HashSet<>();
        for (String line : flat.split("\n")) {
            Matcher m = IO_RANGE.matcher(line);
            if (m.find()) {
                shown.add(m.group(2) + "\0" + m.group(1));
            }
        }
        for (Node root : t.spaceRoots) {
            if (RandomTree.flatviewRoot(root) != importedRoot(root, shown)) {
                return false;
            }
        }
        return true;
    }

    /** Spec 2.1 with the importer's idea of which i/o regions terminate. */
    private static Node importedRoot(Node n, Set<String> shown) {
        while (n != null && n.enabled) {
            boolean io = n.kind == Kind.MMIO || n.kind == Kind.RESERVATION || (n.kind == Kind.ROMD && !n.romd);
            boolean terminates = n.kind.terminates() && !(io && !shown.contains(n.name + "\0" + n.prio));
            if (n.kind == Kind.ALIAS) {
                if (n.aliasOffset == 0 && n.size().compareTo(n.target.size()) >= 0) {
                    n = n.target;
                    continue;
                }
                return n;
            }
            if (!terminates) {
                List<Node> enabled = n.children.stream().filter(c -> c.enabled).toList();
                if (enabled.isEmpty()) {
                    return null;
                }
                Node only = enabled.getFirst();
                if (enabled.size() == 1 && only.addr == 0 && n.size().compareTo(only.size()) >= 0) {
                    n = only;
                    continue;
                }
            }
            return n;
        }
        return null;
    }

    private static void roundTrip(RandomTree t, String when) {
        String tree = MtreePrinter.tree(t.sys, true);
        String flat = MtreePrinter.flat(t.sys);
        if (!rootsDeterminedByDump(t, flat)) {
            Statistics.label("machines").collect("flatview root not determined by the dump (skipped)");
            return;
        }
        Statistics.label("machines").collect("compared");
        String tree2;
        String flat2;
        try (ImportedMachine m = MtreeImporter.importText(tree, flat, MemorySystem.builder())) {
            tree2 = MtreePrinter.tree(m.system(), true);
            flat2 = MtreePrinter.flat(m.system());
        } catch (RuntimeException e) {
            throw new AssertionError(when + ": the import failed: " + e + "\n" + t.history() + "--- tree:\n" + tree, e);
        }
        Map<MtreeText.AsView, Integer> wantViews = MtreeText.views(flat);
        Map<MtreeText.AsView, Integer> gotViews = MtreeText.views(flat2);
        if (!wantViews.equals(gotViews)) {
            fail(when + ": the imported machine renders differently\n" + MtreeText.diffViews(wantViews, gotViews)
                    + t.history() + "--- tree:\n" + tree + "--- flat:\n" + flat + "--- imported flat:\n" + flat2);
        }
        Map<String, Integer> wantBlocks = MtreeText.blocks(tree);
        Map<String, Integer> gotBlocks = MtreeText.blocks(tree2);
        if (!wantBlocks.equals(gotBlocks)) {
            fail(when + ": the imported machine prints another tree\n" + MtreeText.diffBlocks(wantBlocks, gotBlocks)
                    + t.history() + "--- tree:\n" + tree);
        }
    }
}
