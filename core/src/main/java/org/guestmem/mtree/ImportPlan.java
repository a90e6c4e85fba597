package org.guestmem.mtree;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.guestmem.mtree.MtreeDump.Block;
import org.guestmem.mtree.MtreeDump.Node;

/**
 * Decides, before any region exists, which lines of a dump are regions of their own and which
 * repeat a {@code memory-region:} block's region, which block each alias shows, and the order the
 * regions are made in. Nothing is built here, so an alias may show a block that is still being
 * planned (its own container, an ancestor): the builder makes every target before its aliases.
 *
 * <p>The walk is depth first: the address-space blocks in file order; a line that repeats a block
 * whose region was not planned yet plans that block's lines at that point, and so does an alias
 * whose target block was not planned yet (before the alias's own subregions). A line repeats a
 * block when it is no alias and its name, size and address equal the block's root line's, the
 * block is not being planned around it, and (below a root) no container has taken the block's
 * region yet. Each line that repeats a block is kept with the block for {@link RegionCopies} to
 * compare. The walk uses an explicit stack, so its depth is not limited by the thread's stack.
 */
final class ImportPlan {
    private final MtreeDump dump;
    private final Map<String, List<Block>> regionBlocks = new HashMap<>();
    /** The blocks whose root is no alias, by what identifies a copy of their region. */
    private final Map<Identity, List<Block>> byIdentity = new HashMap<>();
    /** The lines that define regions, in the order they are to be made. */
    final List<Node> canonical = new ArrayList<>();
    /** The lines that repeat a block's region ({@link Node#sameAs}), for {@link RegionCopies}. */
    final List<Node> copies = new ArrayList<>();

    private static final int RESOLVE = 0;
    private static final int RESOLVE_ROOT = 1;
    private static final int EXPAND = 2;
    private static final int EXPANDED = 3;
    private static final int CREATE = 4;
    private static final int PLACE_CHILDREN = 5;

    private record Task(int op, Node node, Block block) {
    }

    /** The block's name, its root's size and address: what a line shares with the block whose region it repeats. */
    private record Identity(String name, long sizeMinus1, long address) {
    }

    private final ArrayDeque<Task> stack = new ArrayDeque<>();

    ImportPlan(MtreeDump dump) {
        this.dump = dump;
        for (Block b : dump.blocks) {
            if (b.memoryRegion != null) {
                regionBlocks.computeIfAbsent(b.memoryRegion, k -> new ArrayList<>(1)).add(b);
                if (!b.root.isAlias()) {
                    byIdentity.computeIfAbsent(new Identity(b.memoryRegion, b.root.sizeMinus1(), b.root.start),
                            k -> new ArrayList<>(1)).add(b);
                }
            }
        }
    }

    /** Plans every address-space block and what it reaches. */
    void plan() {
        for (Block b : dump.blocks) {
            if (b.memoryRegion == null) {
                stack.push(new Task(RESOLVE_ROOT, b.root, null));
                run();
            }
        }
    }

    private void run() {
        while (!stack.isEmpty()) {
            Task t = stack.pop();
            switch (t.op) {
                case RESOLVE, RESOLVE_ROOT -> resolve(t.node, t.op == RESOLVE_ROOT);
                case EXPAND -> expand(t.block);
                case EXPANDED -> {
                    t.block.inProgress = false;
                    t.block.expanded = true;
                }
                case CREATE -> create(t.node);
                case PLACE_CHILDREN -> {
                    // the container takes its subregions once all of them are planned
                    for (Node c : t.node.children) {
                        if (c.sameAs != null) {
                            c.sameAs.placed = true;
                        }
                    }
                }
                default -> throw new AssertionError(t.op);
            }
        }
    }

    private void resolve(Node n, boolean root) {
        Block same = sameRegionBlock(n);
        if (same != null && (root || !same.placed)) {
            n.sameAs = same;
            copies.add(n);
            pushExpand(same);
            return;
        }
        stack.push(new Task(CREATE, n, null));
        if (same != null) {
            pushExpand(same); // planned first, as the region would have been made first
        }
    }

    private void pushExpand(Block b) {
        if (!b.expanded && !b.inProgress) {
            stack.push(new Task(EXPAND, null, b));
        }
    }

    private void expand(Block b) {
        if (b.expanded || b.inProgress) {
            return;
        }
        b.inProgress = true;
        stack.push(new Task(EXPANDED, null, b));
        stack.push(new Task(CREATE, b.root, null));
    }

    private void create(Node n) {
        n.canonical = true;
        canonical.add(n);
        if (!n.children.isEmpty()) {
            stack.push(new Task(PLACE_CHILDREN, n, null));
            for (int i = n.children.size() - 1; i >= 0; i--) {
                stack.push(new Task(RESOLVE, n.children.get(i), null));
            }
        }
        if (n.isAlias()) {
            claimTarget(n);
            pushExpand(n.target); // the target's lines before the alias's own subregions
        }
    }

    private Block sameRegionBlock(Node n) {
        if (n.isAlias()) {
            return null;
        }
        List<Block> candidates = byIdentity.get(new Identity(n.name, n.sizeMinus1(), n.relativeStart()));
        if (candidates == null) {
            return null;
        }
        for (Block b : candidates) {
            if (!b.inProgress) {
                return b;
            }
        }
        return null;
    }

    /**
     * Splits {@code NAME @TARGET} where {@code TARGET} is a {@code memory-region:} block's name.
     * When several blocks share that name (two distinct regions with one name, like SH4's two
     * {@code timer}s), aliases claim them in the order the walk meets them, as QEMU's print queue
     * did; a block whose region the window does not fit is not chosen while another fits.
     */
    private void claimTarget(Node n) {
        String text = n.aliasText;
        for (int i = text.indexOf(" @"); i >= 0; i = text.indexOf(" @", i + 1)) {
            List<Block> candidates = regionBlocks.get(text.substring(i + 2));
            if (candidates == null) {
                continue;
            }
            Block pick = null;
            for (Block b : candidates) {
                boolean fits = Long.compareUnsigned(n.aliasEnd, b.root.sizeMinus1()) <= 0;
                if (fits && !b.claimed) {
                    pick = b;
                    break;
                }
                if (fits && pick == null) {
                    pick = b;
                }
            }
            if (pick == null) {
                pick = candidates.getFirst();
            }
            pick.claimed = true;
            n.target = pick;
            n.aliasName = text.substring(0, i);
            return;
        }
        throw dump.error(n.lineNo, "alias '" + text + "' names no target: expected 'alias NAME @TARGET START-END'"
                + " where a 'memory-region: TARGET' block follows");
    }
}
