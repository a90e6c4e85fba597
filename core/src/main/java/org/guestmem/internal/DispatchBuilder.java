package org.guestmem.internal;

import static org.guestmem.layout.DispatchNodeLayout.ENTRIES;
import static org.guestmem.layout.DispatchNodeLayout.NIL;
import static org.guestmem.layout.DispatchNodeLayout.entry;
import static org.guestmem.layout.DispatchNodeLayout.ptr;
import static org.guestmem.layout.DispatchNodeLayout.skip;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import org.guestmem.layout.DispatchHeaderLayout;
import org.guestmem.layout.DispatchNodeLayout;
import org.guestmem.layout.SectionLayout;

/**
 * Builds a {@link DispatchTable} from a view's ranges exactly as QEMU 7.2's
 * {@code flatview_add_to_dispatch}, {@code phys_page_set} and {@code address_space_dispatch_compact}
 * do, so that the sections and nodes (and {@code info mtree -f -d}) match QEMU's: each range is
 * split into a sub-page head, a run of whole pages and a sub-page tail; pages shared by several
 * ranges get a page-sized subpage section whose table maps every byte of the page to a section.
 *
 * <p>Why this structure: lookups cost a few dependent loads from tables that stay in cache
 * (level skipping removes the empty top levels), every byte of a sub-page region resolves
 * correctly, and the layout is QEMU's, so QEMU's own dispatch dumps check it. The hot path does
 * not use it at all when a reader's translation cache hits (see {@code AddressSpaceAccessor}).
 *
 * <p>Not thread-safe: used by the writer while rendering.
 */
public final class DispatchBuilder {
    /** {@link #sectionOrigin} of the unassigned section. */
    public static final int ORIGIN_UNASSIGNED = -1;
    /** {@link #sectionOrigin} of a subpage section. */
    public static final int ORIGIN_SUBPAGE = -2;

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
    private int root = entry(1, NIL);

    private int[][] subpages = new int[4][];
    private int subpageCount;

    // phys_page_set state, shared by the recursion like QEMU's pointers
    private long setIndex;
    private long setCount;
    private int setLeaf;

    /** Creates a builder whose section 0 is the unassigned section covering every address. */
    public DispatchBuilder(int pageBits) {
        this.pageBits = pageBits;
        this.pageSize = 1L << pageBits;
        this.pageMask = pageSize - 1;
        this.levels = DispatchNodeLayout.levels(pageBits);
        addSection(0, -1L, 0, SectionLayout.KIND_UNASSIGNED, 0, 0, 0, 0, 0, ORIGIN_UNASSIGNED);
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
        if (secKind[existing] != SectionLayout.KIND_SUBPAGE) {
            if (existing != 0) {
                throw new IllegalStateException("page " + Hex.of(base) + " is already mapped whole; ranges overlap");
            }
            sp = subpageCount++;
            if (sp == subpages.length) {
                subpages = Arrays.copyOf(subpages, sp * 2);
            }
            subpages[sp] = new int[(int) pageSize];
            int container = addSection(base, pageMask, 0, SectionLayout.KIND_SUBPAGE, 0, 0, 0, sp, 0, ORIGIN_SUBPAGE);
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
        if (s >= DispatchNodeLayout.PTR_MASK) {
            throw new IllegalStateException("a view cannot hold more than " + DispatchNodeLayout.PTR_MASK + " sections");
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
        long step = 1L << (level * DispatchNodeLayout.BITS_PER_LEVEL);
        int e = getEntry(loc);
        if (skip(e) != 0 && ptr(e) == NIL) {
            e = entry(skip(e), allocNode(level == 0));
            setEntry(loc, e);
        }
        int base = ptr(e) * ENTRIES;
        int slot = (int) ((setIndex >>> (level * DispatchNodeLayout.BITS_PER_LEVEL)) & (ENTRIES - 1));
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

    /** QEMU's {@code phys_page_find} on the table being built. */
    private int physPageFind(long addr) {
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
            e = nodes[ptr(e) * ENTRIES + (int) ((index >>> (i * DispatchNodeLayout.BITS_PER_LEVEL)) & (ENTRIES - 1))];
        }
        int s = ptr(e);
        long size1 = secSize1[s];
        return size1 == -1L || Long.compareUnsigned(addr - secStart[s], size1) <= 0 ? s : 0;
    }

    /** QEMU's {@code phys_page_compact}: fold nodes that have a single child into their parent entry. */
    private int compact(int e) {
        if (ptr(e) == NIL) {
            return e;
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

    /**
     * Compacts the table (QEMU's {@code address_space_dispatch_compact}) and writes it into one
     * native block from {@code pool}. The builder must not be used afterwards.
     */
    public DispatchTable build(NativeTablePool pool) {
        if (skip(root) != 0) {
            root = compact(root);
        }
        long sectionsOffset = DispatchHeaderLayout.BYTES;
        long nodesOffset = align(sectionsOffset + sectionCount * SectionLayout.BYTES, 64);
        long subpagesOffset = nodesOffset + nodeCount * DispatchNodeLayout.BYTES;
        long subpageBytes = DispatchHeaderLayout.subpageBytes(pageBits);
        long total = subpagesOffset + subpageCount * subpageBytes;
        MemorySegment b = pool.allocate(total);
        DispatchHeaderLayout.MAGIC_FIELD.set(b, 0L, DispatchHeaderLayout.MAGIC);
        DispatchHeaderLayout.VERSION_FIELD.set(b, 0L, DispatchHeaderLayout.VERSION);
        DispatchHeaderLayout.PAGE_BITS.set(b, 0L, (byte) pageBits);
        DispatchHeaderLayout.LEVELS.set(b, 0L, (byte) levels);
        DispatchHeaderLayout.ROOT.set(b, 0L, root);
        DispatchHeaderLayout.SECTION_COUNT.set(b, 0L, sectionCount);
        DispatchHeaderLayout.NODE_COUNT.set(b, 0L, nodeCount);
        DispatchHeaderLayout.SUBPAGE_COUNT.set(b, 0L, subpageCount);
        DispatchHeaderLayout.SECTIONS_OFFSET.set(b, 0L, sectionsOffset);
        DispatchHeaderLayout.NODES_OFFSET.set(b, 0L, nodesOffset);
        DispatchHeaderLayout.SUBPAGES_OFFSET.set(b, 0L, subpagesOffset);
        DispatchHeaderLayout.TOTAL_BYTES.set(b, 0L, total);
        for (int s = 0; s < sectionCount; s++) {
            long o = sectionsOffset + s * SectionLayout.BYTES;
            SectionLayout.START.set(b, o, secStart[s]);
            SectionLayout.SIZE_MINUS_1.set(b, o, secSize1[s]);
            SectionLayout.OFFSET_IN_REGION.set(b, o, secOffset[s]);
            SectionLayout.HOST_ADDEND.set(b, o, secAddend[s]);
            SectionLayout.REGION_INDEX.set(b, o, secRegion[s]);
            SectionLayout.AUX.set(b, o, secAux[s]);
            SectionLayout.KIND.set(b, o, secKind[s]);
            SectionLayout.FLAGS.set(b, o, secFlags[s]);
            SectionLayout.DIRTY_LOG_MASK.set(b, o, secMask[s]);
        }
        MemorySegment.copy(nodes, 0, b, ValueLayout.JAVA_INT, nodesOffset, nodeCount * ENTRIES);
        for (int i = 0; i < subpageCount; i++) {
            MemorySegment.copy(subpages[i], 0, b, ValueLayout.JAVA_INT, subpagesOffset + i * subpageBytes, (int) pageSize);
        }
        return new DispatchTable(b);
    }

    private static long align(long v, long a) {
        return (v + a - 1) & -a;
    }
}
