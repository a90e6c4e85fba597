package org.guestmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.constraints.IntRange;

/**
 * Random region trees against a deliberately simple reference model.
 *
 * <p>The test keeps its own shadow of every tree (which region sits where, added when, with which
 * flags), so the model depends on nothing the implementation reports. For an address the model
 * walks the shadow as spec 2.2 says: a disabled node hides its subtree; a node's window is
 * intersected with every ancestor's; an alias translates by its offset (cancelling its target's
 * address) and shows its target; otherwise the children are tried in list order (descending
 * priority, the later-added first) and the node's own content comes after them if it terminates.
 * The flatview root is chosen by spec 2.1. The model computes with {@link BigInteger}, so bases
 * below zero and windows reaching 2^64 need no care.
 *
 * <p>Each try builds a tree (containers, RAM, ROM devices, MMIO, MMIO containers, reservations,
 * aliases of aliases, random priorities, overlaps, disabled and readonly/nonvolatile regions,
 * regions at the top of the address space and of size 2^64) in a lenient system, checks every
 * address space, then changes the tree a few times (inside and outside transactions) and checks
 * again. Each check probes the first, middle and last address of every range, the addresses just
 * outside it and random addresses, checks that holes are holes, that ranges are sorted, disjoint
 * and fully merged, and that spaces with the same flatview root share one view.
 */
class FlatViewPropertyTest {
    private static final BigInteger TWO_64 = BigInteger.ONE.shiftLeft(64);
    private static final long TOP = MemoryRegion.SIZE_2_64;
    private static final MemoryRegionOps OPS = MemoryRegionOps.builder().read((a, s) -> 0).write((a, v, s) -> { }).build();
    /** RAM regions share this memory: rendering never touches it, and nothing is allocated per try. */
    private static final MemorySegment BACKING = Arena.global().allocate(0x10000, 4096);

    @Property(tries = 2500)
    void shouldRenderWhatTheReferenceModelServes(@ForAll long seed, @ForAll @IntRange(min = 2, max = 32) int regionCount) {
        new Run(seed, regionCount).run();
    }

    // ------------------------------------------------------------------ the shadow tree

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

    /** What serves one address: the terminating region, the offset in it and the propagated flags. */
    record Hit(Node node, BigInteger offset, boolean readonly, boolean nonvolatile) {
    }

    static BigInteger unsigned(long v) {
        return new BigInteger(Long.toUnsignedString(v));
    }

    /** The reference walk (spec 2.2) for one address {@code x}; {@code [clipLo, clipEnd)} is the window so far. */
    static Hit serve(Node n, BigInteger base, BigInteger clipLo, BigInteger clipEnd, boolean ro, boolean nv, BigInteger x) {
        if (!n.enabled) {
            return null;
        }
        base = base.add(unsigned(n.addr));
        ro |= n.readonly;
        nv |= n.nonvolatile;
        BigInteger lo = clipLo.max(base);
        BigInteger end = clipEnd.min(base.add(n.size()));
        if (x.compareTo(lo) < 0 || x.compareTo(end) >= 0) {
            return null;
        }
        if (n.kind == Kind.ALIAS) {
            BigInteger targetBase = base.subtract(unsigned(n.target.addr)).subtract(unsigned(n.aliasOffset));
            return serve(n.target, targetBase, lo, end, ro, nv, x);
        }
        for (Node c : n.listOrder()) {
            Hit h = serve(c, base, lo, end, ro, nv, x);
            if (h != null) {
                return h;
            }
        }
        return n.kind.terminates() ? new Hit(n, x.subtract(base), ro, nv) : null;
    }

    /** Spec 2.1, on the shadow. */
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

    // ------------------------------------------------------------------ one try

    static final class Run {
        final long seed;
        final int regionCount;
        final SplittableRandom rnd;
        final MemorySystem sys = MemorySystem.builder().name("property").lenientAliasWindows(true).build();
        final List<Node> nodes = new ArrayList<>();
        final IdentityHashMap<MemoryRegion, Node> byRegion = new IdentityHashMap<>();
        final List<AddressSpace> spaces = new ArrayList<>();
        final List<Node> spaceRoots = new ArrayList<>();
        final List<String> log = new ArrayList<>();
        long seq;
        int romDevices;

        Run(long seed, int regionCount) {
            this.seed = seed;
            this.regionCount = regionCount;
            this.rnd = new SplittableRandom(seed);
        }

        void run() {
            try {
                build();
                collectStatistics();
                check("after building");
                for (int round = 0; round < 3; round++) {
                    mutate(round);
                    check("after change round " + round);
                }
                tearDown();
            } finally {
                sys.close();
            }
        }

        // -------------------------------------------------------------- generation

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

        Node create(int i) {
            Kind kind;
            int r = rnd.nextInt(100);
            if (nodes.isEmpty() || r < 20) {
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
            nodes.add(n);
            byRegion.put(n.region, n);
            return n;
        }

        /**
         * A second alias of {@code a}'s target whose window is {@code a}'s shifted by {@code shift}
         * (right after it, or inside it), to be placed shifted by as much: the two then show the
         * same region at contiguous offsets, which simplification must merge exactly when the
         * flags agree (QEMU's PAM and SMRAM aliases over pc.ram do this).
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
            nodes.add(c);
            byRegion.put(c.region, c);
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
         * A parent: mostly a container, sometimes an MMIO or other terminating region, rarely an
         * alias (whose subregions rendering ignores); mostly one already under the root, so that
         * the trees are not mostly detached.
         */
        Node randomParent() {
            int r = rnd.nextInt(100);
            boolean underRoot = rnd.nextInt(100) < 75;
            List<Node> pool = nodes.stream().filter(n -> r < 60 ? n.kind == Kind.CONTAINER
                    : r < 80 ? n.kind == Kind.MMIO : r < 95 ? n.kind.terminates() : true)
                    .filter(n -> !underRoot || isUnderRoot(n)).toList();
            if (pool.isEmpty()) {
                pool = underRoot ? List.of(nodes.getFirst()) : nodes;
            }
            return pool.get(rnd.nextInt(pool.size()));
        }

        boolean isUnderRoot(Node n) {
            while (n.parent != null) {
                n = n.parent;
            }
            return n == nodes.getFirst();
        }

        void setFlags(Node n) {
            int r = rnd.nextInt(100);
            if (r < 10) {
                setReadonly(n, true);
            } else if (r < 18) {
                setNonvolatile(n, true);
            } else if (r < 21) {
                setReadonly(n, true);
                setNonvolatile(n, true);
            }
            if (n.kind == Kind.ROMD && rnd.nextBoolean()) {
                setRomd(n, false);
            }
            if (rnd.nextInt(100) < (n == nodes.getFirst() ? 3 : 12)) {
                setEnabled(n, false);
            }
        }

        void build() {
            Node root = new Node("root", rnd.nextInt(10) < 2 ? Kind.MMIO : Kind.CONTAINER, rnd.nextInt(10) < 2 ? 0x7fff : -1L);
            long rootSize = root.sizeMinus1 == -1L ? TOP : root.sizeMinus1 + 1;
            root.region = root.kind == Kind.MMIO ? sys.mmio("root", rootSize, OPS) : sys.container("root", rootSize);
            nodes.add(root);
            byRegion.put(root.region, root);
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
                for (int i = order.size() - 1; i > 0; i--) {
                    java.util.Collections.swap(order, i, rnd.nextInt(i + 1));
                }
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
            addSpace(nodes.getFirst());
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

        // -------------------------------------------------------------- changes

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

        /** Whether moving unmapped {@code n} is a change QEMU (and guestmem) re-render for: it is (an alias chain from) a space's root. */
        boolean isSpaceRootChain(Node n) {
            for (Node r : spaceRoots) {
                for (Node a = r; a != null; a = a.kind == Kind.ALIAS ? a.target : null) {
                    if (a == n) {
                        return true;
                    }
                }
            }
            return false;
        }

        /**
         * Whether moving {@code n} is either re-rendered or shows in no view. QEMU re-renders a move
         * only when the region is in an enabled container (both enabled), and guestmem also when an
         * unmapped region is (an alias chain from) a space's root; a region that is some space's
         * flatview root and moves without either keeps a stale view in QEMU too, so such moves are
         * not generated (TransactionTest pins the rule that no render happens).
         */
        boolean moveIsRenderedOrInvisible(Node n) {
            if (n.parent != null ? n.parent.enabled && n.enabled : isSpaceRootChain(n)) {
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

        void mutate(int round) {
            log.add("-- change round " + round);
            MemoryTransaction tx = rnd.nextBoolean() ? sys.begin() : null;
            try {
                int changes = 1 + rnd.nextInt(6);
                for (int i = 0; i < changes; i++) {
                    Node n = nodes.get(rnd.nextInt(nodes.size()));
                    switch (rnd.nextInt(9)) {
                        case 0 -> setEnabled(n, !n.enabled);
                        case 1 -> setReadonly(n, !n.readonly);
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
                            if (moveIsRenderedOrInvisible(n)) {
                                long a = randomOffset(n.sizeMinus1);
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
                            if (n.parent == null && n != nodes.getFirst()) {
                                place(randomParent(), n);
                            }
                        }
                        case 7 -> {
                            if (n.kind == Kind.CONTAINER || n.kind == Kind.MMIO) {
                                long size = randomSize(n.kind);
                                long s1 = sizeMinus1(size);
                                if (Long.compareUnsigned(n.addr + s1, n.addr) >= 0) {
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

        // -------------------------------------------------------------- checking

        /** What the generated trees contain, printed by jqwik, so that the coverage claims can be checked. */
        void collectStatistics() {
            for (Node n : nodes) {
                boolean mapped = n.parent != null;
                if (mapped && n.kind == Kind.ALIAS && n.target.kind == Kind.ALIAS) {
                    Statistics.label("features").collect("alias of alias");
                }
                if (mapped && n.sizeMinus1 == -1L) {
                    Statistics.label("features").collect("2^64 region");
                }
                if (mapped && Long.compareUnsigned(n.addr + n.sizeMinus1, -1L) == 0 && n.sizeMinus1 != -1L) {
                    Statistics.label("features").collect("ends at 2^64");
                }
                if (mapped && n.kind == Kind.ALIAS && Long.compareUnsigned(n.aliasOffset, n.addr) > 0) {
                    Statistics.label("features").collect("alias base below 0");
                }
                if (mapped && n.kind == Kind.ALIAS && n.readonly) {
                    Statistics.label("features").collect("readonly alias");
                }
                if (mapped && n.kind.terminates() && n.children.stream().anyMatch(c -> c.enabled)) {
                    Statistics.label("features").collect("MMIO/RAM container");
                }
                if (mapped && !n.enabled) {
                    Statistics.label("features").collect("disabled region");
                }
                if (mapped && n.partner != null && n.parent == n.partner.parent) {
                    Statistics.label("features").collect("companion alias");
                }
            }
            int ranges = spaces.getFirst().currentView().rangeCount();
            Statistics.label("ranges in the root's view").collect(ranges == 0 ? "0" : ranges < 5 ? "1-4" : ranges < 10 ? "5-9" : "10+");
        }

        void check(String when) {
            Map<Node, FlatView> viewOfRoot = new IdentityHashMap<>();
            for (int i = 0; i < spaces.size(); i++) {
                AddressSpace as = spaces.get(i);
                FlatView v = as.currentView();
                Node phys = flatviewRoot(spaceRoots.get(i));
                String ctx = when + ", space " + as.name() + " on " + spaceRoots.get(i).name;
                if (phys == null) {
                    expect(v == sys.emptyView(), ctx, "a root that reduces to nothing must show the empty view");
                    continue;
                }
                expect(v.hasRoot() && phys.name.equals(v.rootName()), ctx,
                        "flatview root should be " + phys.name + " but the view says " + v.rootName());
                FlatView shared = viewOfRoot.putIfAbsent(phys, v);
                if (shared != null) {
                    expect(shared == v, ctx, "spaces with flatview root " + phys.name + " must share one view");
                }
                checkStructure(v, ctx);
                for (long x : probes(v)) {
                    checkAddress(phys, v, x, ctx);
                }
            }
            // distinct flatview roots never share a view
            List<FlatView> distinct = new ArrayList<>(viewOfRoot.values());
            for (int i = 0; i < distinct.size(); i++) {
                for (int j = i + 1; j < distinct.size(); j++) {
                    if (distinct.get(i) == distinct.get(j)) {
                        expect(false, when, "two flatview roots share one view");
                    }
                }
            }
        }

        void checkStructure(FlatView v, String ctx) {
            FlatRange prev = null;
            for (FlatRange r : v.ranges()) {
                expect(Long.compareUnsigned(r.start(), r.last()) <= 0, ctx, "empty range " + r);
                expect(byRegion.containsKey(r.region()) && byRegion.get(r.region()).kind.terminates(), ctx,
                        "range of a region that does not terminate: " + r);
                expect(r.dirtyLogMask() == 0, ctx, "no dirty logging in these trees: " + r);
                if (prev != null) {
                    expect(Long.compareUnsigned(prev.last(), r.start()) < 0, ctx, "ranges overlap or are unsorted: " + prev + ", " + r);
                    boolean mergeable = prev.last() + 1 == r.start() && prev.region() == r.region()
                            && unsigned(prev.offsetInRegion()).add(unsigned(prev.sizeMinusOne())).add(BigInteger.ONE)
                                    .equals(unsigned(r.offsetInRegion()))
                            && prev.readonly() == r.readonly() && prev.nonvolatile() == r.nonvolatile()
                            && prev.romdMode() == r.romdMode();
                    expect(!mergeable, ctx, "adjacent ranges should have been merged: " + prev + ", " + r);
                }
                prev = r;
            }
        }

        List<Long> probes(FlatView v) {
            LinkedHashSet<Long> out = new LinkedHashSet<>();
            out.add(0L);
            out.add(-1L);
            for (FlatRange r : v.ranges()) {
                out.add(r.start());
                out.add(r.last());
                out.add(r.start() + (r.sizeMinusOne() >>> 1));
                if (r.start() != 0) {
                    out.add(r.start() - 1);
                }
                if (r.last() != -1L) {
                    out.add(r.last() + 1);
                }
            }
            for (int i = 0; i < 24; i++) {
                out.add((long) rnd.nextInt(0x30000));
            }
            for (int i = 0; i < 8; i++) {
                out.add(-1L - rnd.nextInt(0x30000));
            }
            for (int i = 0; i < 4; i++) {
                out.add(rnd.nextLong());
            }
            return new ArrayList<>(out);
        }

        void checkAddress(Node phys, FlatView v, long x, String ctx) {
            BigInteger bx = unsigned(x);
            Hit want = serve(phys, BigInteger.ZERO, BigInteger.ZERO, TWO_64, false, false, bx);
            FlatRange got = v.lookup(x);
            String at = ctx + ", address 0x" + Long.toHexString(x);
            if (want == null) {
                expect(got == null, at, "the model has a hole here but the view has " + got);
                return;
            }
            if (got == null) {
                expect(false, at, "the model serves " + want.node().name + " @0x" + want.offset().toString(16)
                        + " but the view has a hole");
                return;
            }
            long gotOffset = got.offsetInRegion() + (x - got.start());
            expect(got.region() == want.node().region, at, "region: model " + want.node().name + ", view " + got);
            expect(unsigned(gotOffset).equals(want.offset()), at,
                    "offset: model 0x" + want.offset().toString(16) + ", view 0x" + Long.toHexString(gotOffset) + " in " + got);
            expect(got.readonly() == want.readonly(), at, "readonly: model " + want.readonly() + ", view " + got);
            expect(got.nonvolatile() == want.nonvolatile(), at, "nonvolatile: model " + want.nonvolatile() + ", view " + got);
            expect(got.romdMode() == want.node().romd, at, "romd: model " + want.node().romd + ", view " + got);
        }

        void expect(boolean ok, String where, String what) {
            if (!ok) {
                StringBuilder sb = new StringBuilder("seed " + seed + ", " + regionCount + " regions: " + where + ": " + what
                        + "\nhow the tree was built:\n");
                log.forEach(l -> sb.append("  ").append(l).append('\n'));
                sb.append("ranges of every space:\n");
                for (AddressSpace as : spaces) {
                    sb.append("  ").append(as.name()).append(": ").append(Fixtures.ranges(as)).append('\n');
                }
                fail(sb.toString());
            }
        }
    }

    // ------------------------------------------------------------------ the model itself

    /** The model must agree with the hand-computed memory.rst example, or the property proves nothing. */
    @net.jqwik.api.Example
    void referenceModelShouldServeTheMemoryRstExample() {
        Node a = new Node("A", Kind.CONTAINER, 0x7fff);
        Node b = new Node("B", Kind.CONTAINER, 0x3fff);
        Node c = new Node("C", Kind.MMIO, 0x5fff);
        Node d = new Node("D", Kind.MMIO, 0xfff);
        Node e = new Node("E", Kind.MMIO, 0xfff);
        link(a, b, 0x2000, 2, 1);
        link(a, c, 0, 1, 2);
        link(b, d, 0, 0, 3);
        link(b, e, 0x2000, 0, 4);
        long[] at = {0, 0x1fff, 0x2000, 0x2fff, 0x3000, 0x3fff, 0x4000, 0x5000, 0x5fff, 0x6000};
        String[] want = {"C@0", "C@1fff", "D@0", "D@fff", "C@3000", "C@3fff", "E@0", "C@5000", "C@5fff", "-"};
        for (int i = 0; i < at.length; i++) {
            assertEquals(want[i], served(a, at[i]), "address 0x" + Long.toHexString(at[i]));
        }
        assertSame(a, flatviewRoot(a));
        b.enabled = false;
        assertEquals("C@2000", served(a, 0x2000), "a disabled B uncovers C");
        c.enabled = false;
        assertEquals(null, flatviewRoot(a), "no enabled child: the empty view");
        Node alias = new Node("alias", Kind.ALIAS, 0xfff);
        alias.target = e;
        alias.aliasOffset = 0x800;
        alias.readonly = true;
        Hit viaAlias = serve(alias, BigInteger.ZERO, BigInteger.ZERO, TWO_64, false, false, BigInteger.valueOf(0x10));
        // E sits at 0x2000 in B; the alias cancels that address: E's offset 0x810
        assertEquals(new Hit(e, BigInteger.valueOf(0x810), true, false), viaAlias);
        assertTrue(serve(alias, BigInteger.ZERO, BigInteger.ZERO, TWO_64, false, false, BigInteger.valueOf(0x800)) == null,
                "the window reaches past E's end");
    }

    private static String served(Node root, long x) {
        Hit h = serve(root, BigInteger.ZERO, BigInteger.ZERO, TWO_64, false, false, unsigned(x));
        return h == null ? "-" : h.node().name + "@" + h.offset().toString(16);
    }

    private static void link(Node parent, Node child, long addr, int prio, long seq) {
        child.parent = parent;
        child.addr = addr;
        child.prio = prio;
        child.seq = seq;
        parent.children.add(child);
    }
}
