package org.guestmem.mtree;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.guestmem.MemoryRegion;

/**
 * The text of an {@code info mtree -D} dump read into its blocks and region lines, before any
 * region exists. Reading checks the syntax only, line by line, and reports the first line that is
 * not what QEMU prints with {@link MtreeImportException}. It takes time linear in the text and no
 * recursion, however deep the tree.
 */
final class MtreeDump {
    private static final String OVERFLOW = "[DETECTED OVERFLOW!] ";
    private static final String ADDRESS_SPACE = "address-space: ";
    private static final String MEMORY_REGION = "memory-region: ";
    private static final String DISABLED = " [disabled]";
    private static final Pattern BODY = Pattern.compile(
            "([0-9a-f]{16})-([0-9a-f]{16}) \\(prio (-?\\d+), (nv-)?(ramd|romd|rom|ram|i/o)\\): (.*)");
    private static final Pattern ALIAS = Pattern.compile("alias (.*) ([0-9a-f]{16})-([0-9a-f]{16})");
    private static final String[] TYPES = {"ramd", "romd", "rom", "ram", "i/o"};
    private static final String REGION_SYNTAX = "'START-END (prio P, TYPE): NAME' with 16-digit hex START and END";

    /** One region line and the lines indented under it; the import plan annotates it. */
    static final class Node {
        final int lineNo;
        final Node parent;
        final long start;
        final long end;
        final int prio;
        final boolean nonvolatile;
        final String type;
        final boolean disabled;
        /** The region's name, null for an alias (whose name is in {@link #aliasText}). */
        final String name;
        /** {@code NAME @TARGET} of an alias line, else null. */
        final String aliasText;
        final long aliasStart;
        final long aliasEnd;
        /** The lines indented under this one, in print order (an immutable empty list until the first). */
        List<Node> children = List.of();

        // ---- written by ImportPlan ----
        /** Whether this line defines a region of its own (false for a line that repeats a block's region). */
        boolean canonical;
        /** The {@code memory-region:} block whose region this line repeats, or null. */
        Block sameAs;
        /** The block an alias line shows. */
        Block target;
        /** The name an alias line gives its alias. */
        String aliasName;

        // ---- written by MachineBuilder ----
        /** The region made for a canonical line. */
        MemoryRegion region;

        Node(int lineNo, Node parent, long start, long end, int prio, boolean nonvolatile, String type, boolean disabled,
             String name, String aliasText, long aliasStart, long aliasEnd) {
            this.lineNo = lineNo;
            this.parent = parent;
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

        /** {@return the size minus one as printed: {@code end - start}, modulo 2^64} */
        long sizeMinus1() {
            return end - start;
        }

        /** {@return the address within the container (for a block's root line: the address it was printed at)} */
        long relativeStart() {
            return parent == null ? start : start - parent.start;
        }

        /** {@return the line's region as messages name it: {@code region 'NAME'} or {@code alias 'NAME'}} */
        String label() {
            if (!isAlias()) {
                return "region '" + name + "'";
            }
            int at = aliasText.lastIndexOf(" @");
            return "alias '" + (aliasName != null ? aliasName : at >= 0 ? aliasText.substring(0, at) : aliasText) + "'";
        }

        /** {@return the region this line stands for, once built} */
        MemoryRegion built() {
            return canonical ? region : sameAs.root.region;
        }
    }

    /** An {@code address-space:} group or a {@code memory-region:} block. */
    static final class Block {
        final int headerLine;
        final List<String> addressSpaces = new ArrayList<>(1);
        final String memoryRegion;
        Node root;

        // ---- written by ImportPlan ----
        boolean inProgress;
        boolean expanded;
        boolean placed;
        boolean claimed;

        Block(int headerLine, String memoryRegion) {
            this.headerLine = headerLine;
            this.memoryRegion = memoryRegion;
        }

        String header() {
            return memoryRegion != null ? "'memory-region: " + memoryRegion + "'" : "'address-space: " + addressSpaces.getFirst() + "'";
        }
    }

    final String source;
    final List<Block> blocks = new ArrayList<>();

    private MtreeDump(String source) {
        this.source = source;
    }

    MtreeImportException error(int line, String reason) {
        return new MtreeImportException(source, line, reason, null);
    }

    /**
     * Reads {@code text}.
     *
     * @param source the file name for messages, or null
     * @throws MtreeImportException at the first line that is not QEMU's {@code info mtree -D}
     *                              output, or if no {@code address-space:} block is present
     */
    static MtreeDump parse(String text, String source) {
        MtreeDump d = new MtreeDump(source);
        d.read(text);
        return d;
    }

    private void read(String text) {
        Block cur = null;
        List<Node> stack = new ArrayList<>();
        Matcher body = BODY.matcher(text);
        int lineNo = 0;
        boolean anySpace = false;
        for (int at = 0; at <= text.length(); ) {
            int ls = at;
            int nl = text.indexOf('\n', ls);
            int le = nl < 0 ? text.length() : nl;
            at = le + 1;
            if (le > ls && text.charAt(le - 1) == '\r') {
                le--;
            }
            lineNo++;
            int p = text.startsWith(OVERFLOW, ls) ? ls + OVERFLOW.length() : ls;
            int spaces = 0;
            while (p + spaces < le && text.charAt(p + spaces) == ' ') {
                spaces++;
            }
            if (p == ls && blank(text, p + spaces, le)) {
                cur = null;
                continue;
            }
            if (text.startsWith(ADDRESS_SPACE, ls)) {
                if (cur == null || cur.root != null || cur.memoryRegion != null) {
                    cur = new Block(lineNo, null);
                    blocks.add(cur);
                }
                cur.addressSpaces.add(text.substring(ls + ADDRESS_SPACE.length(), le));
                anySpace = true;
                continue;
            }
            if (text.startsWith(MEMORY_REGION, ls)) {
                cur = new Block(lineNo, text.substring(ls + MEMORY_REGION.length(), le));
                blocks.add(cur);
                continue;
            }
            if (spaces == 0) {
                throw error(lineNo, "expected an indented region line, 'address-space: NAME', 'memory-region: NAME' or a blank line, got "
                        + quote(text, ls, le));
            }
            if (spaces % 2 != 0) {
                throw error(lineNo, "expected an even number of spaces before a region line (two per level), got " + spaces);
            }
            if (!body.region(p + spaces, le).matches()) {
                throw error(lineNo, "expected a region line " + REGION_SYNTAX + ", got " + quote(text, p + spaces, le));
            }
            if (cur == null) {
                throw error(lineNo, "region line outside a block: expected 'address-space: NAME' or 'memory-region: NAME' before it");
            }
            int level = spaces / 2;
            if (level == 1 && cur.root != null) {
                throw error(lineNo, "a second root region in the block of line " + cur.headerLine
                        + ": expected a blank line and a new 'address-space:' or 'memory-region:' header first");
            }
            if (level > 1 && (cur.root == null || level - 1 > stack.size())) {
                throw error(lineNo, "region at depth " + level + " has no parent line at depth " + (level - 1)
                        + " (was the dump made without -D?)");
            }
            while (stack.size() > level - 1) {
                stack.removeLast();
            }
            Node parent = level == 1 ? null : stack.getLast();
            Node node = node(lineNo, parent, body, text);
            if (parent == null) {
                cur.root = node;
            } else {
                if (parent.children.isEmpty()) {
                    parent.children = new ArrayList<>(4);
                }
                parent.children.add(node);
            }
            stack.add(node);
        }
        for (Block b : blocks) {
            if (b.root == null) {
                throw error(b.headerLine, b.header() + " has no region line under it: expected an indented region line");
            }
        }
        if (!anySpace) {
            throw error(1, "no address space in " + (source != null ? source : "the text")
                    + ": expected an 'address-space: NAME' line and its region tree");
        }
    }

    private static boolean blank(String text, int from, int to) {
        for (int i = from; i < to; i++) {
            if (!Character.isWhitespace(text.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private Node node(int lineNo, Node parent, Matcher m, String text) {
        int prio;
        try {
            prio = Integer.parseInt(text, m.start(3), m.end(3), 10);
        } catch (NumberFormatException e) {
            throw error(lineNo, "priority " + abbreviate(m.group(3)) + " is out of range: expected a 32-bit signed integer, "
                    + Integer.MIN_VALUE + " to " + Integer.MAX_VALUE);
        }
        String rest = m.group(6);
        boolean disabled = rest.endsWith(DISABLED);
        if (disabled) {
            rest = rest.substring(0, rest.length() - DISABLED.length());
        }
        String name = rest;
        String aliasText = null;
        long aliasStart = 0;
        long aliasEnd = 0;
        Matcher a = rest.startsWith("alias ") ? ALIAS.matcher(rest) : null;
        if (a != null && a.matches()) {
            aliasText = a.group(1);
            aliasStart = Long.parseUnsignedLong(rest, a.start(2), a.end(2), 16);
            aliasEnd = Long.parseUnsignedLong(rest, a.start(3), a.end(3), 16);
            name = null;
        }
        return new Node(lineNo, parent, Long.parseUnsignedLong(text, m.start(1), m.end(1), 16),
                Long.parseUnsignedLong(text, m.start(2), m.end(2), 16), prio, m.start(4) >= 0, type(text, m.start(5)),
                disabled, name, aliasText, aliasStart, aliasEnd);
    }

    /** {@return the type word at {@code at}, as one of the shared constants} */
    private static String type(String text, int at) {
        for (String t : TYPES) {
            if (text.startsWith(t, at) && text.charAt(at + t.length()) == ')') {
                return t;
            }
        }
        throw new AssertionError("the pattern admits only these types");
    }

    private static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }

    /**
     * {@return {@code text[from, to)} in quotes for a one-line message: at most 60 characters,
     * control characters escaped}
     */
    static String quote(String text, int from, int to) {
        StringBuilder b = new StringBuilder("'");
        int end = Math.min(to, from + 60);
        for (int i = from; i < end; i++) {
            char c = text.charAt(i);
            if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
                b.append(String.format("\\x%02x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append(to > end ? "'..." : "'").toString();
    }
}
