package org.guestmem.mtree;

import java.util.ArrayDeque;
import org.guestmem.internal.Hex;
import org.guestmem.mtree.MtreeDump.Node;

/**
 * Checks that the copies of one region in a dump agree. QEMU prints a region once for every
 * place it appears: in an address space's tree and again as the {@code memory-region:} block of
 * the aliases that show it. Both copies come from the same object, so they print the same name,
 * size, address, priority, type, flags and subregions, line for line (only absolute addresses
 * and the overflow mark depend on where the copy is printed). A dump whose copies disagree was
 * edited or damaged, and importing either copy would silently drop the other: it is an error
 * naming both lines.
 */
final class RegionCopies {
    private RegionCopies() {
    }

    /**
     * Compares every line the plan took for a copy of a block's region with the block.
     *
     * @throws MtreeImportException at the first difference, naming both lines
     */
    static void check(MtreeDump dump, ImportPlan plan) {
        ArrayDeque<Node[]> pairs = new ArrayDeque<>();
        for (Node copy : plan.copies) {
            pairs.push(new Node[] {copy, copy.sameAs.root});
            while (!pairs.isEmpty()) {
                Node[] p = pairs.pop();
                compare(dump, copy.sameAs.root, p[0], p[1]);
                for (int i = p[0].children.size() - 1; i >= 0; i--) {
                    pairs.push(new Node[] {p[0].children.get(i), p[1].children.get(i)});
                }
            }
        }
    }

    private static void compare(MtreeDump dump, Node region, Node a, Node b) {
        String what = null;
        String here = null;
        String there = null;
        if (a.isAlias() != b.isAlias() || !String.valueOf(a.name).equals(String.valueOf(b.name))
                || !String.valueOf(a.aliasText).equals(String.valueOf(b.aliasText))) {
            what = "the line";
            here = a.label();
            there = b.label();
        } else if (a.relativeStart() != b.relativeStart()) {
            what = "the address in its container";
            here = Hex.of(a.relativeStart());
            there = Hex.of(b.relativeStart());
        } else if (a.sizeMinus1() != b.sizeMinus1()) {
            what = "the size";
            here = Hex.ofSizeMinusOne(a.sizeMinus1());
            there = Hex.ofSizeMinusOne(b.sizeMinus1());
        } else if (a.prio != b.prio) {
            what = "the priority";
            here = Integer.toString(a.prio);
            there = Integer.toString(b.prio);
        } else if (!a.type.equals(b.type) || a.nonvolatile != b.nonvolatile) {
            what = "the type";
            here = (a.nonvolatile ? "nv-" : "") + a.type;
            there = (b.nonvolatile ? "nv-" : "") + b.type;
        } else if (a.disabled != b.disabled) {
            what = "the region";
            here = a.disabled ? "disabled" : "enabled";
            there = b.disabled ? "disabled" : "enabled";
        } else if (a.aliasStart != b.aliasStart || a.aliasEnd != b.aliasEnd) {
            what = "the alias window";
            here = Hex.of(a.aliasStart) + "-" + Hex.of(a.aliasEnd);
            there = Hex.of(b.aliasStart) + "-" + Hex.of(b.aliasEnd);
        } else if (a.children.size() != b.children.size()) {
            what = "the number of subregions of " + a.label();
            here = Integer.toString(a.children.size());
            there = Integer.toString(b.children.size());
        }
        if (what != null) {
            throw dump.error(a.lineNo, "contradicts line " + b.lineNo + ", another copy of " + region.label()
                    + ": " + what + " is " + here + " here and " + there + " there");
        }
    }
}
