package org.guestmem.internal;

import java.util.Arrays;

/**
 * QEMU 7.2's dispatch structure for one view, rebuilt on demand for {@code info mtree -f -d}:
 * {@code flatview_add_to_dispatch}, {@code phys_page_set} and {@code address_space_dispatch_compact}
 * exactly, so the sections and radix nodes it prints are QEMU's (the tests compare them with the
 * dumps of ten real machines). Each range is split into a sub-page head, a run of whole pages and
 * a sub-page tail; pages shared by several ranges get a page-sized subpage section.
 *
 * <p>A node is 512 entries of 32 bits packed as {@code skip:6 | ptr:26} ({@link #entry},
 * {@link #skip}, {@link #ptr}; QEMU declares them as C bitfields). guestmem's own dispatch uses
 * {@link DispatchTable} instead (see its Javadoc for why). Java-only; not thread-safe: used while
 * printing, under the update lock.
 */
public final class QemuDispatch {
    /** {@link #sectionOrigin} of the unassigned section. */
    public static final int ORIGIN_UNASSIGNED = -1;
    /** {@link #sectionOrigin} of a subpage section. */
    public static final int ORIGIN_SUBPAGE = -2;
    /** Index bits per level (QEMU's {@code P_L2_BITS}). */
    public static final int BITS_PER_LEVEL = 9;
    /** Entries per node (QEMU's {@code P_L2_SIZE}). */
    public static final int ENTRIES = 1 << BITS_PER_LEVEL;
    /** The NIL node pointer (QEMU's {@code PHYS_MAP_NODE_NIL}). */
    public static final int NIL = (1 << 26) - 1;
    private static final int PTR_BITS = 26;
    private static final int PTR_MASK = (1 << PTR_BITS) - 1;
    /** Kind of a subpage section (guestmem's own tables have none). */
    public static final int KIND_SUBPAGE = -1;

    /** {@return QEMU's {@code P_L2_LEVELS} for {@code pageBits}} */
    public static int levels(int pageBits) {
        return ((64 - pageBits - 1) / BITS_PER_LEVEL) + 1;
    }

    /** {@return the entry with the given fields} */
    public static int entry(int skip, int ptr) {
        return (skip << PTR_BITS) | (ptr & PTR_MASK);
    }

    /** {@return the {@code skip} field of an entry} */
    public static int skip(int entry) {
        return entry >>> PTR_BITS;
    }

    /** {@return the {@code ptr} field of an entry} */
    public static int ptr(int entry) {
        return entry & PTR_MASK;
    }

    private final int pageBits;
    private final long pageSize;
    private final long pageMask;
    private final int levels;

    private int sectionCount;
    private long[] secStart = new long[16];
    private long[] secSize1 = new long[16];
    private long[] secOffset = new long[16];
    private long[] secAddend = new long[16];
    private int[] secRegion = new int[16];
    private int[] secAux = new int[16];
    private int[] secOrigin = new int[16];
    private byte[] secKind = new byte[16];
    private byte[] secFlags = new byte[16];
    private byte[] secMask = new byte[16];

    private int[] nodes = new int[0];
    private int nodeCount;
    /** Whether each node is a bottom-level node (all its entries are leaves, never NIL). */
    private boolean[] bottomNode = new boolean[16];
    private int root = entry(1, NIL);

    private int[][] subpages = new int[4][];
    private int subpageCount;

    // phys_page_set state, shared by the recursion like QEMU's pointers
    private long setIndex;
    private long setCount;
    private int setLeaf;

    /** Creates a builder whose section 0 is the unassigned section covering every address. */
    public QemuDispatch(int pageBits) {
        this.pageBits = pageBits;
        this.pageSize = 1L << pageBits;
        this.pageMask = pageSize - 1;
        this.levels = levels(pageBits);
        addSection(0, -1L, 0, 0, 0, 0, 0, 0, 0, ORIGIN_UNASSIGNED);
    }

    /**
     * QEMU's {@code flatview_add_to_dispatch} for one range of the view, in address order.
     *
     * @param origin the caller's index for the range (returned by {@link #sectionOrigin})
     */
    public void addRange(int origin, long start, long sizeMinus1, long offsetInRegion, int kind, int flags,
                         int dirtyMask, int regionIndex, long hostAddendOfStart) {
        long remain1 = sizeMinus1;
        long off = offsetInRegion;
        long addend = hostAddendOfStart;
        if ((start & pageMask) != 0) {
            long left = ((start + pageSize - 1) & ~pageMask) - start;
            long now1 = remain1 != -1L && Long.compareUnsigned(remain1, left - 1) < 0 ? remain1 : left - 1;
            registerSubpage(origin, start, now1, off, kind, flags, dirtyMask, regionIndex, addend);
            if (now1 == remain1) {
                return;
            }
            remain1 -= now1 + 1;
            start += now1 + 1;
            off += now1 + 1;
        }
        if (remain1 == -1L || Long.compareUnsigned(remain1, pageSize - 1) >= 0) {
            long body1;
            long pages;
            if (remain1 == -1L) {
                body1 = -1L;
                pages = 1L << (64 - pageBits);
            } else {
                long body = (remain1 + 1) & ~pageMask;
                body1 = body - 1;
                pages = body >>> pageBits;
            }
            int s = addSection(start, body1, off, kind, flags, dirtyMask, regionIndex, 0, addend, origin);
            physPageSet(start >>> pageBits, pages, s);
            if (body1 == remain1) {
                return;
            }
            remain1 -= body1 + 1;
            start += body1 + 1;
            off += body1 + 1;
        }
        registerSubpage(origin, start, remain1, off, kind, flags, dirtyMask, regionIndex, addend);
    }

    private void registerSubpage(int origin, long start, long size1, long off, int kind, int flags, int mask,
                                 int regionIndex, long addend) {
        long base = start & ~pageMask;
        int existing = physPageFind(base);
        int sp;
        if (secKind[existing] != KIND_SUBPAGE) {
            if (existing != 0) {
                throw new IllegalStateException("page " + Hex.of(base) + " is already mapped whole; ranges overlap");
            }
            sp = subpageCount++;
            if (sp == subpages.length) {
                subpages = Arrays.copyOf(subpages, sp * 2);
            }
            subpages[sp] = new int[(int) pageSize];
            int container = addSection(base, pageMask, 0, KIND_SUBPAGE, 0, 0, 0, sp, 0, ORIGIN_SUBPAGE);
            physPageSet(base >>> pageBits, 1, container);
        } else {
            sp = secAux[existing];
        }
        int from = (int) (start & pageMask);
        int to = (int) (from + size1);
        int s = addSection(start, size1, off, kind, flags, mask, regionIndex, 0, addend, origin);
        Arrays.fill(subpages[sp], from, to + 1, s);
    }

    private int addSection(long start, long size1, long off, int kind, int flags, int mask, int regionIndex, int aux,
                           long addend, int origin) {
        int s = sectionCount++;
        if (s >= PTR_MASK) {
            throw new IllegalStateException("a view cannot hold more than " + PTR_MASK + " sections");
        }
        if (s == secStart.length) {
            int n = s * 2;
            secStart = Arrays.copyOf(secStart, n);
            secSize1 = Arrays.copyOf(secSize1, n);
            secOffset = Arrays.copyOf(secOffset, n);
            secAddend = Arrays.copyOf(secAddend, n);
            secRegion = Arrays.copyOf(secRegion, n);
            secAux = Arrays.copyOf(secAux, n);
            secOrigin = Arrays.copyOf(secOrigin, n);
            secKind = Arrays.copyOf(secKind, n);
            secFlags = Arrays.copyOf(secFlags, n);
            secMask = Arrays.copyOf(secMask, n);
        }
        secStart[s] = start;
        secSize1[s] = size1;
        secOffset[s] = off;
        secAddend[s] = addend;
        secRegion[s] = regionIndex;
        secAux[s] = aux;
        secOrigin[s] = origin;
        secKind[s] = (byte) kind;
        secFlags[s] = (byte) flags;
        secMask[s] = (byte) mask;
        return s;
    }

    // ------------------------------------------------------------------ the radix table

    private int allocNode(boolean leaf) {
        int n = nodeCount++;
        if (n >= NIL) {
            throw new IllegalStateException("dispatch table out of node indices");
        }
        int need = (n + 1) * ENTRIES;
        if (need > nodes.length) {
            nodes = Arrays.copyOf(nodes, Math.max(need, nodes.length * 2));
        }
        Arrays.fill(nodes, n * ENTRIES, need, leaf ? entry(0, 0) : entry(1, NIL));
        if (n == bottomNode.length) {
            bottomNode = Arrays.copyOf(bottomNode, n * 2);
        }
        bottomNode[n] = leaf;
        return n;
    }

    private int getEntry(int loc) {
        return loc < 0 ? root : nodes[loc];
    }

    private void setEntry(int loc, int e) {
        if (loc < 0) {
            root = e;
        } else {
            nodes[loc] = e;
        }
    }

    private void physPageSet(long index, long count, int leaf) {
        setIndex = index;
        setCount = count;
        setLeaf = leaf;
        setLevel(-1, levels - 1);
    }

    /** QEMU's {@code phys_page_set_level}; {@code loc} is -1 for the root entry, else an index into {@link #nodes}. */
    private void setLevel(int loc, int level) {
        long step = 1L << (level * BITS_PER_LEVEL);
        int e = getEntry(loc);
        if (skip(e) != 0 && ptr(e) == NIL) {
            e = entry(skip(e), allocNode(level == 0));
            setEntry(loc, e);
        }
        int base = ptr(e) * ENTRIES;
        int slot = (int) ((setIndex >>> (level * BITS_PER_LEVEL)) & (ENTRIES - 1));
        while (setCount != 0 && slot < ENTRIES) {
            if ((setIndex & (step - 1)) == 0 && Long.compareUnsigned(setCount, step) >= 0) {
                nodes[base + slot] = entry(0, setLeaf);
                setIndex += step;
                setCount -= step;
            } else {
                setLevel(base + slot, level - 1);
            }
            slot++;
        }
    }

    /**
     * QEMU's {@code phys_page_find}: the section of the page holding {@code addr} (a subpage
     * section where ranges share the page), or 0 if nothing covers {@code addr}.
     */
    public int physPageFind(long addr) {
        long index = addr >>> pageBits;
        int e = root;
        int i = levels;
        while (skip(e) != 0) {
            i -= skip(e);
            if (i < 0) {
                break;
            }
            if (ptr(e) == NIL) {
                return 0;
            }
            e = nodes[ptr(e) * ENTRIES + (int) ((index >>> (i * BITS_PER_LEVEL)) & (ENTRIES - 1))];
        }
        int s = ptr(e);
        long size1 = secSize1[s];
        return size1 == -1L || Long.compareUnsigned(addr - secStart[s], size1) <= 0 ? s : 0;
    }

    /** QEMU's {@code phys_page_compact}: fold nodes that have a single child into their parent entry. */
    private int compact(int e) {
        if (ptr(e) == NIL || bottomNode[ptr(e)]) {
            return e; // a bottom node's 512 entries are all leaves (never NIL): it never folds
        }
        int base = ptr(e) * ENTRIES;
        int valid = 0;
        int validIndex = -1;
        for (int i = 0; i < ENTRIES; i++) {
            int c = nodes[base + i];
            if (ptr(c) == NIL) {
                continue;
            }
            validIndex = i;
            valid++;
            if (skip(c) != 0) {
                nodes[base + i] = compact(c);
            }
        }
        if (valid != 1) {
            return e;
        }
        int only = nodes[base + validIndex];
        if (levels >= (1 << 6) && skip(e) + skip(only) >= (1 << 6)) {
            return e;
        }
        return skip(only) == 0 ? entry(0, ptr(only)) : entry(skip(e) + skip(only), ptr(only));
    }

    // ------------------------------------------------------------------ output

    /** {@return where section {@code s} came from: a range's origin, {@link #ORIGIN_UNASSIGNED} or {@link #ORIGIN_SUBPAGE}} */
    public int sectionOrigin(int s) {
        return secOrigin[s];
    }

    /** {@return the number of sections so far} */
    public int sectionCount() {
        return sectionCount;
    }

    /** Compacts the table (QEMU's {@code address_space_dispatch_compact}); call once, after the last range. */
    public void compact() {
        if (skip(root) != 0) {
            root = compact(root);
        }
    }

    /** {@return section {@code s}'s first address} */
    public long sectionStart(int s) {
        return secStart[s];
    }

    /** {@return section {@code s}'s size minus one} */
    public long sectionSizeMinusOne(int s) {
        return secSize1[s];
    }

    /** {@return section {@code s}'s kind as given to {@link #addRange}, or {@link #KIND_SUBPAGE}} */
    public int sectionKind(int s) {
        return secKind[s];
    }

    /** {@return section {@code s}'s flags as given to {@link #addRange}} */
    public int sectionFlags(int s) {
        return secFlags[s];
    }

    /** {@return the root entry} */
    public int root() {
        return root;
    }

    /** {@return the number of nodes, bypassed ones included} */
    public int nodeCount() {
        return nodeCount;
    }

    /** {@return entry {@code i} of node {@code n}} */
    public int nodeEntry(int n, int i) {
        return nodes[n * ENTRIES + i];
    }

    /** {@return the radix levels} */
    public int levels() {
        return levels;
    }
}
