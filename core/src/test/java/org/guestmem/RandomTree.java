package org.guestmem;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A random region tree in a lenient {@link MemorySystem}, together with the test's own shadow of
 * it: which region sits where, added when, with which flags. Property tests judge the
 * implementation against the shadow, never against what the implementation reports.
 *
 * <p>The trees hold containers, RAM, ROM devices, MMIO regions (with children: MMIO containers),
 * reservations, aliases (of aliases, with large offsets that move their base below zero, windows
 * reaching 2^64, and companion aliases that continue another alias's window so that pieces of
 * one region meet at contiguous offsets), random priorities and overlaps, disabled, readonly and
 * nonvolatile regions, regions of 2^64 bytes and regions up against 2^64, and address spaces on
 * random roots (some at non-zero addresses).
 *
 * <p>With {@code importable}, the tree avoids what QEMU's {@code info mtree} text does not show:
 * readonly is set only on RAM (printed {@code rom}) and RAM gets no subregions (their ranges would
 * print as {@code rom} too), and two overlapping siblings of one priority at different addresses
 * always follow the importer's rule for which was added later (the smaller one; at equal sizes the
 * one printed later).
 */
final class RandomTree implements AutoCloseable {
    static final long TOP = MemoryRegion.SIZE_2_64;
    private static final MemoryRegionOps OPS = MemoryRegionOps.builder().read((a, s) -> 0).write((a, v, s) -> { }).build();
    /** RAM regions share this memory: nothing in these tests touches it, and nothing is allocated per tree. */
    private static final MemorySegment BACKING = Arena.global().allocate(0x10000, 4096);

    enum Kind {
        CONTAINER, RAM, MMIO, RESERVATION, ROMD, ALIAS;

        boolean terminates() {
            return this != CONTAINER && this != ALIAS;
        }
    }

    /** The test's own record of one region. */
    static final class Node {
        final String name;
        final Kind kind;
        MemoryRegion region;
        long sizeMinus1;
        boolean enabled = true;
        boolean readonly;
        boolean nonvolatile;
        boolean romd = true;
        Node target;
        long aliasOffset;
        /** For a companion alias: the alias whose window it continues or overlaps, and by how much it is shifted. */
        Node partner;
        long shift;
        Node parent;
        long addr;
        int prio;
        long seq;
        final List<Node> children = new ArrayList<>();

        Node(String name, Kind kind, long sizeMinus1) {
            this.name = name;
            this.kind = kind;
            this.sizeMinus1 = sizeMinus1;
        }

        BigInteger size() {
            return unsigned(sizeMinus1).add(BigInteger.ONE);
        }

        /** Children in QEMU's list order: descending priority, the later-added first. */
        List<Node> listOrder() {
            return children.stream()
                    .sorted(Comparator.comparingInt((Node c) -> c.prio).reversed().thenComparing(c -> -c.seq))
                    .toList();
        }

        /** Whether {@code other} is this node or lies below it through children and alias targets. */
        boolean reaches(Node other) {
            if (this == other) {
                return true;
            }
            for (Node c : children) {
                if (c.reaches(other)) {
                    return true;
                }
            }
            return target != null && target.reaches(other);
        }

        @Override
        public String toString() {
            return name + "(" + kind + " size-1=0x" + Long.toHexString(sizeMinus1) + " @0x" + Long.toHexString(addr)
                    + " prio " + prio + (enabled ? "" : " disabled") + (readonly ? " ro" : "") + (nonvolatile ? " nv" : "")
                    + (romd ? "" : " romd-off")
                    + (target != null ? " -> " + target.name + "+0x" + Long.toHexString(aliasOffset) : "") + ")";
        }
    }

    static BigInteger unsigned(long v) {
        return new BigInteger(Long.toUnsignedString(v));
    }

    /** Spec 2.1 on the shadow: the region a space's view is rendered from, or null for the empty view. */
    static Node flatviewRoot(Node n) {
        while (n != null && n.enabled) {
            if (n.kind == Kind.ALIAS) {
                if (n.aliasOffset == 0 && n.size().compareTo(n.target.size()) >= 0) {
                    n = n.target;
                    continue;
                }
                return n;
            }
            if (!n.kind.terminates()) {
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

    final long seed;
    final int regionCount;
    final boolean importable;
    final SplittableRandom rnd;
    final MemorySystem sys = MemorySystem.builder().name("random-tree").lenientAliasWindows(true).build();
    final List<Node> nodes = new ArrayList<>();
    final IdentityHashMap<MemoryRegion, Node> byRegion = new IdentityHashMap<>();
    final List<AddressSpace> spaces = new ArrayList<>();
    final List<Node> spaceRoots = new ArrayList<>();
    final List<String> log = new ArrayList<>();
    private long seq;
    private int romDevices;

    RandomTree(long seed, int regionCount, boolean importable) {
        this.seed = seed;
        this.regionCount = regionCount;
        this.importable = importable;
        this.rnd = new SplittableRandom(seed);
    }

    Node root() {
        return nodes.getFirst();
    }

    @Override
    public void close() {
        sys.close();
    }

    /** {@return how the tree was built and changed, one step a line, for failure messages} */
    String history() {
        StringBuilder sb = new StringBuilder("seed " + seed + ", " + regionCount + " regions" + (importable ? ", importable" : "")
                + "; how the tree was built:\n");
        log.forEach(l -> sb.append("  ").append(l).append('\n'));
        return sb.toString();
    }

    // ------------------------------------------------------------------ generation

    long randomSize(Kind kind) {
        int r = rnd.nextInt(100);
        boolean mayBeHuge = kind == Kind.CONTAINER || kind == Kind.MMIO || kind == Kind.RESERVATION || kind == Kind.ALIAS;
        if (mayBeHuge && r < 8) {
            return TOP;
        }
        if (r < 14) {
            return 1 + rnd.nextInt(0x20);
        }
        return 0x100L * (1 + rnd.nextInt(0x40));
    }

    static long sizeMinus1(long size) {
        return size == TOP ? -1L : size - 1;
    }

    /** An offset at which a region of {@code sizeMinus1 + 1} bytes still ends at or below 2^64. */
    long randomOffset(long sizeMinus1) {
        if (sizeMinus1 == -1L) {
            return 0;
        }
        int r = rnd.nextInt(100);
        long off;
        if (r < 65) {
            off = 0x100L * rnd.nextInt(0x50);
        } else if (r < 80) {
            off = rnd.nextInt(0x3000);
        } else if (r < 88) {
            off = 0;
        } else {
            off = -(sizeMinus1 + 1) - 0x100L * rnd.nextInt(4); // up against 2^64
        }
        if (Long.compareUnsigned(off + sizeMinus1, off) < 0) {
            off = -(sizeMinus1 + 1);
        }
        return off;
    }

    private void register(Node n) {
        nodes.add(n);
        byRegion.put(n.region, n);
    }

    Node create(int i) {
        Kind kind;
        int r = rnd.nextInt(100);
        if (r < 20) {
            kind = Kind.CONTAINER;
        } else if (r < 38) {
            kind = Kind.RAM;
        } else if (r < 60) {
            kind = Kind.MMIO;
        } else if (r < 65) {
            kind = Kind.RESERVATION;
        } else if (r < 69 && romDevices < 1) {
            kind = Kind.ROMD;
        } else {
            kind = Kind.ALIAS;
        }
        String name = "r" + i;
        long size = randomSize(kind);
        Node n = new Node(name, kind, sizeMinus1(size));
        n.region = switch (kind) {
            case CONTAINER -> sys.container(name, size);
            case RAM -> sys.ramFromSegment(name, BACKING.asSlice(0, size));
            case MMIO -> sys.mmio(name, size, OPS);
            case RESERVATION -> sys.reservation(name, size);
            case ROMD -> {
                romDevices++;
                yield sys.romDevice(name, size, OPS);
            }
            case ALIAS -> {
                n.target = nodes.get(rnd.nextInt(nodes.size()));
                int o = rnd.nextInt(100);
                long off = o < 30 ? 0 : o < 70 ? 0x100L * rnd.nextInt(0x40) : o < 80 ? rnd.nextInt(0x2000)
                        : -0x100L * (1 + rnd.nextInt(0x40)); // large: the alias's base goes below zero
                if (Long.compareUnsigned(off + n.sizeMinus1, off) < 0) {
                    off = -1L - n.sizeMinus1; // the window ends exactly at 2^64
                }
                n.aliasOffset = off;
                yield sys.alias(name, n.target.region, off, size);
            }
        };
        log.add("create " + n);
        register(n);
        return n;
    }

    /**
     * A second alias of {@code a}'s target whose window is {@code a}'s shifted by {@code shift}
     * (right after it, or inside it), to be placed shifted by as much: the two then show the same
     * region at contiguous offsets, which simplification must merge exactly when the flags agree
     * (QEMU's PAM and SMRAM aliases over pc.ram do this).
     */
    void companion(Node a, int i) {
        long shift = a.sizeMinus1 != -1L && rnd.nextInt(10) < 4 ? a.sizeMinus1 + 1 : 0x100L * rnd.nextInt(0x10);
        long size = 0x100L * (1 + rnd.nextInt(0x20));
        long off = a.aliasOffset + shift;
        if (Long.compareUnsigned(off, a.aliasOffset) < 0 || Long.compareUnsigned(off + size - 1, off) < 0) {
            return;
        }
        String name = "r" + i + "c";
        Node c = new Node(name, Kind.ALIAS, size - 1);
        c.target = a.target;
        c.aliasOffset = off;
        c.partner = a;
        c.shift = shift;
        c.region = sys.alias(name, a.target.region, off, size);
        log.add("create " + c + " companion of " + a.name + " shifted by 0x" + Long.toHexString(shift));
        register(c);
    }

    int randomPriority() {
        return switch (rnd.nextInt(8)) {
            case 0 -> -1;
            case 1 -> 1;
            case 2 -> 2;
            default -> 0;
        };
    }

    /** Adds {@code child} to {@code parent} in both the system and the shadow, unless that would make a cycle. */
    boolean place(Node parent, Node child) {
        return place(parent, child, randomOffset(child.sizeMinus1), randomPriority());
    }

    boolean place(Node parent, Node child, long off, int prio) {
        if (child.reaches(parent)) {
            return false;
        }
        if (!(parent.enabled && child.enabled) && isFlatviewRootOfASpace(child)) {
            // QEMU does not re-render this addition, so a new address would leave the space's view stale
            off = child.addr;
        }
        if (importable && !importerCanOrder(parent, child, off, child.sizeMinus1, prio)) {
            prio = 1000 + (int) seq; // a priority of its own: no sibling order to infer
        }
        if (prio == 0 && rnd.nextBoolean()) {
            parent.region.addSubregion(child.region, off);
        } else {
            parent.region.addSubregionOverlap(child.region, off, prio);
        }
        child.parent = parent;
        child.addr = off;
        child.prio = prio;
        child.seq = ++seq;
        parent.children.add(child);
        log.add("add " + child.name + " to " + parent.name + " at 0x" + Long.toHexString(off) + " prio " + prio);
        return true;
    }

    /**
     * Whether the importer infers the right order when {@code child} becomes the newest sibling in
     * {@code parent} at {@code off} with {@code sizeMinus1} and {@code prio}: every overlapping
     * sibling of that priority at another address must be larger, or as large and printed
     * earlier (at a lower address).
     */
    boolean importerCanOrder(Node parent, Node child, long off, long sizeMinus1, int prio) {
        for (Node s : parent.children) {
            if (s == child || s.prio != prio || s.addr == off) {
                continue;
            }
            boolean overlap = Long.compareUnsigned(off, s.addr + s.sizeMinus1) <= 0
                    && Long.compareUnsigned(s.addr, off + sizeMinus1) <= 0;
            if (!overlap) {
                continue;
            }
            int c = Long.compareUnsigned(sizeMinus1, s.sizeMinus1);
            if (c > 0 || (c == 0 && Long.compareUnsigned(off, s.addr) < 0)) {
                return false;
            }
        }
        return true;
    }

    /** Whether the importer infers the right order for every overlapping pair of equal priority among {@code parent}'s children. */
    boolean importerCanOrderAll(Node parent) {
        for (Node a : parent.children) {
            for (Node b : parent.children) {
                if (a != b && a.seq > b.seq && a.prio == b.prio && a.addr != b.addr) {
                    boolean overlap = Long.compareUnsigned(a.addr, b.addr + b.sizeMinus1) <= 0
                            && Long.compareUnsigned(b.addr, a.addr + a.sizeMinus1) <= 0;
                    int c = Long.compareUnsigned(a.sizeMinus1, b.sizeMinus1);
                    if (overlap && (c > 0 || (c == 0 && Long.compareUnsigned(a.addr, b.addr) < 0))) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    /**
     * A parent: mostly a container, sometimes an MMIO or other terminating region, rarely an alias
     * (whose subregions rendering ignores); mostly one already under the root, so that the trees
     * are not mostly detached.
     */
    Node randomParent() {
        int r = rnd.nextInt(100);
        boolean underRoot = rnd.nextInt(100) < 75;
        List<Node> pool = nodes.stream().filter(n -> r < 60 ? n.kind == Kind.CONTAINER
                : r < 80 ? n.kind == Kind.MMIO : r < 95 ? n.kind.terminates() : true)
                .filter(n -> !underRoot || isUnderRoot(n))
                .filter(n -> !importable || n.kind != Kind.RAM).toList();
        if (pool.isEmpty()) {
            pool = underRoot ? List.of(root()) : nodes;
        }
        return pool.get(rnd.nextInt(pool.size()));
    }

    boolean isUnderRoot(Node n) {
        while (n.parent != null) {
            n = n.parent;
        }
        return n == root();
    }

    /** Whether readonly may be set on {@code n}: always, except in importable trees, where only RAM shows it. */
    boolean mayBeReadonly(Node n) {
        return !importable || n.kind == Kind.RAM;
    }

    void setFlags(Node n) {
        int r = rnd.nextInt(100);
        if (r < 10 && mayBeReadonly(n)) {
            setReadonly(n, true);
        } else if (r < 18) {
            setNonvolatile(n, true);
        } else if (r < 21 && mayBeReadonly(n)) {
            setReadonly(n, true);
            setNonvolatile(n, true);
        }
        if (n.kind == Kind.ROMD && rnd.nextBoolean()) {
            setRomd(n, false);
        }
        if (rnd.nextInt(100) < (n == root() ? 3 : 12)) {
            setEnabled(n, false);
        }
    }

    void build() {
        Node root = new Node("root", rnd.nextInt(10) < 2 ? Kind.MMIO : Kind.CONTAINER, rnd.nextInt(10) < 2 ? 0x7fff : -1L);
        long rootSize = root.sizeMinus1 == -1L ? TOP : root.sizeMinus1 + 1;
        root.region = root.kind == Kind.MMIO ? sys.mmio("root", rootSize, OPS) : sys.container("root", rootSize);
        register(root);
        log.add("create " + root);
        for (int i = 1; i < regionCount; i++) {
            Node n = create(i);
            if (n.kind == Kind.ALIAS && rnd.nextInt(10) < 3) {
                companion(n, i);
            }
        }
        // some regions that stay unmapped get an address (they may become address-space roots)
        for (Node n : nodes) {
            if (rnd.nextInt(10) == 0) {
                long a = randomOffset(n.sizeMinus1);
                n.region.setAddress(a);
                n.addr = a;
                log.add("set address of " + n.name + " to 0x" + Long.toHexString(a));
            }
        }
        boolean spacesFirst = rnd.nextBoolean();
        if (spacesFirst) {
            createSpaces();
        }
        MemoryTransaction tx = rnd.nextBoolean() ? sys.begin() : null;
        try {
            List<Node> order = new ArrayList<>(nodes.subList(1, nodes.size()));
            Collections.shuffle(order, new java.util.Random(rnd.nextLong()));
            for (Node n : order) {
                if (n.partner == null && rnd.nextInt(100) < 85) {
                    for (int attempt = 0; attempt < 3; attempt++) {
                        if (place(randomParent(), n)) {
                            break;
                        }
                    }
                }
            }
            for (Node c : order) {
                Node a = c.partner;
                if (a == null || rnd.nextInt(100) >= 90) {
                    continue;
                }
                long at = a.addr + c.shift;
                boolean fits = a.parent != null && Long.compareUnsigned(at, a.addr) >= 0
                        && Long.compareUnsigned(at + c.sizeMinus1, at) >= 0;
                if (!fits || !place(a.parent, c, at, a.prio + rnd.nextInt(2))) {
                    place(randomParent(), c);
                }
            }
            for (Node n : nodes) {
                setFlags(n);
            }
        } finally {
            if (tx != null) {
                tx.close();
            }
        }
        if (!spacesFirst) {
            createSpaces();
        }
    }

    void createSpaces() {
        addSpace(root());
        int extra = rnd.nextInt(4);
        for (int i = 0; i < extra; i++) {
            addSpace(nodes.get(rnd.nextInt(nodes.size())));
        }
    }

    void addSpace(Node root) {
        spaces.add(sys.addressSpace("as" + spaces.size(), root.region));
        spaceRoots.add(root);
        log.add("address space as" + (spaces.size() - 1) + " on " + root.name);
    }

    // ------------------------------------------------------------------ changes

    void setEnabled(Node n, boolean v) {
        n.region.setEnabled(v);
        n.enabled = v;
        log.add("set enabled of " + n.name + " to " + v);
    }

    void setReadonly(Node n, boolean v) {
        n.region.setReadonly(v);
        n.readonly = v;
        log.add("set readonly of " + n.name + " to " + v);
    }

    void setNonvolatile(Node n, boolean v) {
        n.region.setNonvolatile(v);
        n.nonvolatile = v;
        log.add("set nonvolatile of " + n.name + " to " + v);
    }

    void setRomd(Node n, boolean v) {
        ((RomDeviceRegion) n.region).setRomdMode(v);
        n.romd = v;
        log.add("set romd of " + n.name + " to " + v);
    }

    /**
     * Whether moving {@code n} is either re-rendered or shows in no view. QEMU, and guestmem with
     * it, re-renders a move only when the region is in an enabled container (both enabled); a
     * region that is some space's flatview root and moves without that keeps a stale view until
     * the next re-rendering commit, so such moves are not generated (RenderingTest and
     * TransactionTest pin the rule that no render happens).
     */
    boolean moveIsRenderedOrInvisible(Node n) {
        if (n.parent != null && n.parent.enabled && n.enabled) {
            return true;
        }
        return !isFlatviewRootOfASpace(n);
    }

    boolean isFlatviewRootOfASpace(Node n) {
        for (Node r : spaceRoots) {
            if (flatviewRoot(r) == n) {
                return true;
            }
        }
        return false;
    }

    /** Changes the tree 1 to 6 times, inside one transaction or not. */
    void mutate(int round) {
        log.add("-- change round " + round);
        MemoryTransaction tx = rnd.nextBoolean() ? sys.begin() : null;
        try {
            int changes = 1 + rnd.nextInt(6);
            for (int i = 0; i < changes; i++) {
                Node n = nodes.get(rnd.nextInt(nodes.size()));
                switch (rnd.nextInt(9)) {
                    case 0 -> setEnabled(n, !n.enabled);
                    case 1 -> {
                        if (mayBeReadonly(n)) {
                            setReadonly(n, !n.readonly);
                        }
                    }
                    case 2 -> setNonvolatile(n, !n.nonvolatile);
                    case 3 -> {
                        if (n.kind == Kind.ROMD) {
                            setRomd(n, !n.romd);
                        } else if (n.kind == Kind.ALIAS) {
                            long off = 0x100L * rnd.nextInt(0x40);
                            if (Long.compareUnsigned(off + n.sizeMinus1, off) >= 0) {
                                ((AliasRegion) n.region).setAliasOffset(off);
                                n.aliasOffset = off;
                                log.add("set alias offset of " + n.name + " to 0x" + Long.toHexString(off));
                            }
                        }
                    }
                    case 4 -> {
                        long a = randomOffset(n.sizeMinus1);
                        boolean orderable = n.parent == null || a == n.addr
                                || !importable || importerCanOrder(n.parent, n, a, n.sizeMinus1, n.prio);
                        if (moveIsRenderedOrInvisible(n) && orderable) {
                            n.region.setAddress(a);
                            if (n.parent != null && a != n.addr) {
                                n.seq = ++seq; // re-added: the newest of its priority
                            }
                            n.addr = a;
                            log.add("set address of " + n.name + " to 0x" + Long.toHexString(a));
                        }
                    }
                    case 5 -> {
                        if (n.parent != null) {
                            n.parent.region.removeSubregion(n.region);
                            n.parent.children.remove(n);
                            log.add("remove " + n.name + " from " + n.parent.name);
                            n.parent = null;
                        }
                    }
                    case 6 -> {
                        if (n.parent == null && n != root()) {
                            place(randomParent(), n);
                        }
                    }
                    case 7 -> {
                        if (n.kind == Kind.CONTAINER || n.kind == Kind.MMIO) {
                            long size = randomSize(n.kind);
                            long s1 = sizeMinus1(size);
                            long old = n.sizeMinus1;
                            n.sizeMinus1 = s1;
                            boolean ok = Long.compareUnsigned(n.addr + s1, n.addr) >= 0
                                    && (!importable || n.parent == null || importerCanOrderAll(n.parent));
                            n.sizeMinus1 = old;
                            if (ok) {
                                n.region.setSize(size);
                                n.sizeMinus1 = s1;
                                log.add("set size of " + n.name + " to size-1 0x" + Long.toHexString(s1));
                            }
                        }
                    }
                    default -> {
                        if (spaces.size() < 6) {
                            addSpace(n);
                        }
                    }
                }
            }
        } finally {
            if (tx != null) {
                tx.close();
            }
        }
    }

    /** Destroys every space and region (returning the ROM device's memory), through the public API. */
    void tearDown() {
        for (AddressSpace as : spaces) {
            as.destroy();
        }
        for (Node n : nodes) {
            if (n.parent != null) {
                n.parent.region.removeSubregion(n.region);
            }
        }
        for (Node n : nodes) {
            n.region.destroy();
        }
    }
}
