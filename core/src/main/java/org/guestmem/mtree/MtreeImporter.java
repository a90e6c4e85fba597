package org.guestmem.mtree;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.guestmem.AddressSpace;
import org.guestmem.MemoryRegion;
import org.guestmem.MemorySystem;
import org.guestmem.MemorySystemBuilder;
import org.guestmem.MemoryTransaction;
import org.guestmem.RegionFactory;

/**
 * Reads QEMU's {@code info mtree -D} text back into regions and address spaces.
 *
 * <h2 id="rules">What the dump says, and what is inferred</h2>
 * <ul>
 * <li>{@code ram}, {@code rom} and {@code romd} regions get real zero-filled memory ({@code ramd}
 * is imported as RAM); i/o regions that terminate become {@link MmioStub}s that read 0, ignore
 * writes and count accesses; romd regions are ROM devices whose writes reach a stub.</li>
 * <li>Aliases resolve to their {@code memory-region:} blocks. A region in a tree whose name and
 * size equal a {@code memory-region:} block's root (and which sits where that block says) is that
 * same region: one object, placed in at most one container.</li>
 * <li>A root printed at a non-zero address keeps that address (QEMU shifts the whole address
 * space by it); {@code [disabled]} applies; address-space names may repeat.</li>
 * <li>Whether an i/o region terminates or is a pure container is not printed. When QEMU's
 * {@code info mtree -f} output for the same machine is given (the file {@code NAME.flat.txt}
 * beside {@code NAME.mtree.txt}), an i/o region terminates if and only if an i/o range with its
 * name and priority appears there; without it, leaves terminate and regions with children are
 * containers. (A range counts whether it prints as {@code i/o} or, when shown through a
 * readonly path, as {@code rom}.)</li>
 * <li>Which of two equal-priority siblings was added later (and so wins) is not printed either.
 * At the same address the one printed first is the later one (that is QEMU's print order); at
 * different addresses, for siblings that overlap, the smaller one is the later one, and at equal
 * sizes the one printed later. Conflicting guesses are resolved in favour of the exact
 * same-address order.</li>
 * </ul>
 * Alias windows may reach past their targets (QEMU allows it; the system is built with
 * {@link MemorySystemBuilder#lenientAliasWindows(boolean)}). Zero-sized regions print like one-byte regions and are imported as such. The dump must come from
 * {@code -D} (without it, children of disabled regions float without their parent and the import
 * is rejected).
 */
public final class MtreeImporter {
    private static final Pattern REGION = Pattern.compile(
            "^(?:\\[DETECTED OVERFLOW!\\] )?((?:  )+)([0-9a-f]{16})-([0-9a-f]{16}) \\(prio (-?\\d+), (nv-)?(ramd|romd|rom|ram|i/o)\\): (.*)$");
    private static final Pattern ALIAS = Pattern.compile("^alias (.*) ([0-9a-f]{16})-([0-9a-f]{16})$");
    private static final Pattern FLAT_RANGE = Pattern.compile(
            "^  ([0-9a-f]{16})-([0-9a-f]{16}) \\(prio (-?\\d+), (nv-)?(ramd|romd|rom|ram|i/o)\\): (.*?)(?: @[0-9a-f]{16})?$");
    private static final String DISABLED = " [disabled]";

    private MtreeImporter() {
    }

    /**
     * Imports {@code mtreeFile}; if {@code NAME.flat.txt} sits beside {@code NAME.mtree.txt}, it is
     * read as the hint for which i/o regions terminate.
     *
     * @param mtreeFile a file holding QEMU's {@code info mtree -D}
      * @return the machine imported
     * @throws UncheckedIOException     if a file cannot be read
     * @throws IllegalArgumentException if the text is not QEMU's {@code info mtree -D} output
     */
    public static ImportedMachine importFile(Path mtreeFile) {
        try {
            String text = Files.readString(mtreeFile);
            String hint = null;
            String fileName = mtreeFile.getFileName().toString();
            if (fileName.endsWith(".mtree.txt")) {
                Path flat = mtreeFile.resolveSibling(fileName.substring(0, fileName.length() - ".mtree.txt".length()) + ".flat.txt");
                if (Files.isRegularFile(flat)) {
                    hint = Files.readString(flat);
                }
            }
            return importText(text, hint, MemorySystem.builder().name(fileName));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + mtreeFile, e);
        }
    }

    /**
     * Imports {@code mtreeText} into a new system built by {@code systemBuilder}.
     *
     * @param mtreeText the text of QEMU's {@code info mtree -D}
     * @param systemBuilder configures the system to build (its lenient alias windows are turned on)
     * @param flatHint QEMU's {@code info mtree -f} text for the same machine, or null
      * @return the machine imported
     * @throws IllegalArgumentException if the text is not QEMU's {@code info mtree -D} output
     */
    public static ImportedMachine importText(String mtreeText, String flatHint, MemorySystemBuilder systemBuilder) {
        List<Block> blocks = parse(mtreeText);
        Set<String> terminatingIo = flatHint == null ? null : terminatingIo(flatHint);
        MemorySystem system = systemBuilder.lenientAliasWindows(true).build();
        try {
            Builder b = new Builder(system, blocks, terminatingIo);
            return b.build();
        } catch (RuntimeException e) {
            system.close();
            throw e;
        }
    }

    // ------------------------------------------------------------------ parsing

    /** One region line and its children. */
    static final class Node {
        final int lineNo;
        final long start;
        final long end;
        final int prio;
        final boolean nonvolatile;
        final String type;
        final boolean disabled;
        final String name;
        final String aliasText;
        final long aliasStart;
        final long aliasEnd;
        final List<Node> children = new ArrayList<>();

        Node(int lineNo, long start, long end, int prio, boolean nonvolatile, String type, boolean disabled,
             String name, String aliasText, long aliasStart, long aliasEnd) {
            this.lineNo = lineNo;
            this.start = start;
            this.end = end;
            this.prio = prio;
            this.nonvolatile = nonvolatile;
            this.type = type;
            this.disabled = disabled;
            this.name = name;
            this.aliasText = aliasText;
            this.aliasStart = aliasStart;
            this.aliasEnd = aliasEnd;
        }

        boolean isAlias() {
            return aliasText != null;
        }

        long sizeMinus1() {
            return end - start;
        }
    }

    /** An {@code address-space:} group or a {@code memory-region:} block. */
    static final class Block {
        final List<String> addressSpaces = new ArrayList<>();
        String memoryRegion;
        Node root;
    }

    static List<Block> parse(String text) {
        List<Block> blocks = new ArrayList<>();
        Block cur = null;
        List<Node> stack = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            int lineNo = i + 1;
            if (line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
            }
            if (line.isBlank()) {
                cur = null;
                continue;
            }
            if (line.startsWith("address-space: ")) {
                if (cur == null || cur.root != null || cur.memoryRegion != null) {
                    cur = new Block();
                    blocks.add(cur);
                }
                cur.addressSpaces.add(line.substring("address-space: ".length()));
                continue;
            }
            if (line.startsWith("memory-region: ")) {
                cur = new Block();
                cur.memoryRegion = line.substring("memory-region: ".length());
                blocks.add(cur);
                continue;
            }
            Matcher m = REGION.matcher(line);
            if (!m.matches()) {
                throw new IllegalArgumentException("line " + lineNo + " is not an info mtree region line: " + line);
            }
            if (cur == null) {
                throw new IllegalArgumentException("line " + lineNo + ": region line outside an address-space or memory-region block");
            }
            int level = m.group(1).length() / 2;
            String rest = m.group(7);
            boolean disabled = rest.endsWith(DISABLED);
            if (disabled) {
                rest = rest.substring(0, rest.length() - DISABLED.length());
            }
            String name = rest;
            String aliasText = null;
            long aliasStart = 0;
            long aliasEnd = 0;
            Matcher a = ALIAS.matcher(rest);
            if (a.matches()) {
                aliasText = a.group(1);
                aliasStart = Long.parseUnsignedLong(a.group(2), 16);
                aliasEnd = Long.parseUnsignedLong(a.group(3), 16);
                name = null;
            }
            Node node = new Node(lineNo, Long.parseUnsignedLong(m.group(2), 16), Long.parseUnsignedLong(m.group(3), 16),
                    Integer.parseInt(m.group(4)), m.group(5) != null, m.group(6), disabled, name, aliasText, aliasStart, aliasEnd);
            if (level == 1) {
                if (cur.root != null) {
                    throw new IllegalArgumentException("line " + lineNo + ": a block has a second root region");
                }
                cur.root = node;
                stack.clear();
                stack.add(node);
            } else {
                if (level - 1 > stack.size() || cur.root == null) {
                    throw new IllegalArgumentException("line " + lineNo + ": region at depth " + level
                            + " has no parent line (was the dump made without -D?)");
                }
                while (stack.size() > level - 1) {
                    stack.removeLast();
                }
                stack.getLast().children.add(node);
                stack.add(node);
            }
        }
        for (Block b : blocks) {
            if (b.root == null) {
                throw new IllegalArgumentException("block " + (b.memoryRegion != null ? "memory-region: " + b.memoryRegion
                        : "address-space: " + b.addressSpaces) + " has no region");
            }
        }
        return blocks;
    }

    /** Names and priorities ({@code name + "\0" + prio}) of the i/o ranges of an {@code info mtree -f} dump. */
    static Set<String> terminatingIo(String flat) {
        Set<String> out = new HashSet<>();
        for (String line : flat.split("\n")) {
            Matcher m = FLAT_RANGE.matcher(line.endsWith("\r") ? line.substring(0, line.length() - 1) : line);
            // an i/o range shown through a readonly path prints as rom (QEMU's flat-mode type word)
            if (m.matches() && (m.group(5).equals("i/o") || m.group(5).equals("rom"))) {
                out.add(m.group(6) + "\0" + m.group(3));
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ building

    private static final class Builder {
        private final MemorySystem system;
        private final RegionFactory factory;
        private final List<Block> blocks;
        private final Set<String> terminatingIo;
        private final Map<String, List<Block>> regionBlocks = new LinkedHashMap<>();
        private final IdentityHashMap<Block, MemoryRegion> built = new IdentityHashMap<>();
        private final IdentityHashMap<Block, Boolean> inProgress = new IdentityHashMap<>();
        private final IdentityHashMap<MemoryRegion, MmioStub> stubs = new IdentityHashMap<>();
        private final IdentityHashMap<Block, Boolean> claimed = new IdentityHashMap<>();
        private MemoryRegion scratch;

        Builder(MemorySystem system, List<Block> blocks, Set<String> terminatingIo) {
            this.system = system;
            this.factory = system.owned(null);
            this.blocks = blocks;
            this.terminatingIo = terminatingIo;
            for (Block b : blocks) {
                if (b.memoryRegion != null) {
                    regionBlocks.computeIfAbsent(b.memoryRegion, k -> new ArrayList<>()).add(b);
                }
            }
        }

        ImportedMachine build() {
            List<AddressSpace> spaces = new ArrayList<>();
            try (MemoryTransaction tx = system.begin()) {
                for (Block b : blocks) {
                    if (b.memoryRegion != null) {
                        continue;
                    }
                    MemoryRegion root = resolve(b.root, null);
                    for (String name : b.addressSpaces) {
                        spaces.add(system.addressSpace(name, root));
                    }
                }
                if (scratch != null) {
                    scratch.destroy();
                }
            }
            return new ImportedMachine(system, spaces, stubs);
        }

        /**
         * The region for a tree node: the {@code memory-region:} block's region when the node is
         * that region, else a new one. {@code placedAt} is the node's address within its
         * container, or null for an address-space root.
         */
        private MemoryRegion resolve(Node n, Long placedAt) {
            Block same = sameRegionBlock(n, placedAt == null ? n.start : placedAt);
            if (same != null) {
                MemoryRegion r = regionOf(same);
                if (placedAt == null || r.container().isEmpty()) {
                    return r;
                }
            }
            MemoryRegion r = create(n);
            if (placedAt == null) {
                placeUnmapped(r, n);
            }
            return r;
        }

        private Block sameRegionBlock(Node n, long address) {
            if (n.isAlias()) {
                return null;
            }
            for (Block b : regionBlocks.getOrDefault(n.name, List.of())) {
                if (!b.root.isAlias() && b.root.sizeMinus1() == n.sizeMinus1() && b.root.start == address
                        && !inProgress.containsKey(b)) {
                    return b;
                }
            }
            return null;
        }

        private MemoryRegion regionOf(Block b) {
            MemoryRegion r = built.get(b);
            if (r == null) {
                inProgress.put(b, Boolean.TRUE);
                try {
                    r = create(b.root);
                    placeUnmapped(r, b.root);
                } finally {
                    inProgress.remove(b);
                }
                built.put(b, r);
            }
            return r;
        }

        /**
         * Gives a region that no container holds the address and priority its line printed. QEMU
         * keeps both after a region leaves its container; guestmem, like QEMU, only sets a priority
         * when adding a subregion, so the region visits a scratch container for a moment.
         */
        private void placeUnmapped(MemoryRegion r, Node n) {
            if (n.prio != 0) {
                if (scratch == null) {
                    scratch = factory.container("import-scratch", MemoryRegion.SIZE_2_64);
                }
                scratch.addSubregionOverlap(r, n.start, n.prio);
                scratch.removeSubregion(r);
            } else if (n.start != 0) {
                r.setAddress(n.start);
            }
        }

        private MemoryRegion create(Node n) {
            long size = n.sizeMinus1() == -1L ? MemoryRegion.SIZE_2_64 : n.sizeMinus1() + 1;
            MemoryRegion r;
            if (n.isAlias()) {
                Target t = aliasTarget(n);
                long window = n.aliasEnd - n.aliasStart;
                if (window != n.sizeMinus1()) {
                    throw new IllegalArgumentException("line " + n.lineNo + ": alias window and region size differ");
                }
                r = factory.alias(t.aliasName, regionOf(t.block), n.aliasStart, size);
            } else {
                r = switch (n.type) {
                    case "ram", "ramd" -> factory.ram(n.name, size);
                    case "rom" -> factory.rom(n.name, size);
                    case "romd" -> {
                        MmioStub stub = new MmioStub();
                        MemoryRegion rd = factory.romDevice(n.name, size, stub.ops());
                        stubs.put(rd, stub);
                        yield rd;
                    }
                    default -> {
                        boolean terminates = terminatingIo != null
                                ? terminatingIo.contains(n.name + "\0" + n.prio)
                                : n.children.isEmpty();
                        if (terminates) {
                            MmioStub stub = new MmioStub();
                            MemoryRegion io = factory.mmio(n.name, size, stub.ops());
                            stubs.put(io, stub);
                            yield io;
                        }
                        yield factory.container(n.name, size);
                    }
                };
            }
            if (n.nonvolatile) {
                r.setNonvolatile(true);
            }
            addChildren(r, n);
            if (n.disabled) {
                r.setEnabled(false);
            }
            return r;
        }

        private void addChildren(MemoryRegion parent, Node n) {
            // resolve in print order (the order QEMU's walk met them), add in list order
            IdentityHashMap<Node, MemoryRegion> regions = new IdentityHashMap<>();
            for (Node c : n.children) {
                regions.put(c, resolve(c, c.start - n.start));
            }
            List<Node> order = SiblingOrder.newestFirst(n.children);
            // QEMU puts a new region before its equal-priority siblings: add the oldest first.
            for (int i = order.size() - 1; i >= 0; i--) {
                Node c = order.get(i);
                MemoryRegion r = regions.get(c);
                long addr = c.start - n.start;
                if (c.prio == 0) {
                    parent.addSubregion(r, addr);
                } else {
                    parent.addSubregionOverlap(r, addr, c.prio);
                }
            }
        }

        private record Target(String aliasName, Block block) {
        }

        /**
         * Splits {@code NAME @TARGET} where {@code TARGET} is a {@code memory-region:} block's name.
         * When several blocks share that name (two distinct regions with one name, like SH4's two
         * {@code timer}s), aliases claim them in the order the walk meets them, as QEMU's print
         * queue did; a block whose region the window does not fit is not chosen while another fits.
         */
        private Target aliasTarget(Node n) {
            String text = n.aliasText;
            for (int i = text.indexOf(" @"); i >= 0; i = text.indexOf(" @", i + 1)) {
                List<Block> candidates = regionBlocks.get(text.substring(i + 2));
                if (candidates == null) {
                    continue;
                }
                Block pick = null;
                for (Block b : candidates) {
                    boolean fits = Long.compareUnsigned(n.aliasEnd, b.root.sizeMinus1()) <= 0;
                    if (fits && !claimed.containsKey(b)) {
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
                claimed.put(pick, Boolean.TRUE);
                return new Target(text.substring(0, i), pick);
            }
            throw new IllegalArgumentException("line " + n.lineNo + ": alias '" + text
                    + "' names no target that has a memory-region: block");
        }
    }
}
