package org.guestmem.internal;

import static org.guestmem.layout.DispatchNodeLayout.NIL;
import static org.guestmem.layout.DispatchNodeLayout.ptr;
import static org.guestmem.layout.DispatchNodeLayout.skip;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.guestmem.layout.DispatchHeaderLayout;
import org.guestmem.layout.DispatchNodeLayout;
import org.guestmem.layout.SectionLayout;

/**
 * A FlatView's packed section table and radix dispatch table in native memory (layouts in
 * {@code native-layout}), and the lookups that read them. Immutable after
 * {@link DispatchBuilder#build}; safe for any number of concurrent readers while its view is
 * alive. The Java fields only cache header values.
 */
public final class DispatchTable {
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    private static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;

    private final MemorySegment block;
    private final int root;
    private final int levels;
    private final int pageBits;
    private final long pageMask;
    private final long sectionsOffset;
    private final long nodesOffset;
    private final long subpagesOffset;
    private final int sectionCount;
    private final int nodeCount;
    private final int subpageCount;

    DispatchTable(MemorySegment block) {
        this.block = block;
        this.root = (int) DispatchHeaderLayout.ROOT.get(block, 0L);
        this.levels = (byte) DispatchHeaderLayout.LEVELS.get(block, 0L);
        this.pageBits = (byte) DispatchHeaderLayout.PAGE_BITS.get(block, 0L);
        this.pageMask = (1L << pageBits) - 1;
        this.sectionsOffset = (long) DispatchHeaderLayout.SECTIONS_OFFSET.get(block, 0L);
        this.nodesOffset = (long) DispatchHeaderLayout.NODES_OFFSET.get(block, 0L);
        this.subpagesOffset = (long) DispatchHeaderLayout.SUBPAGES_OFFSET.get(block, 0L);
        this.sectionCount = (int) DispatchHeaderLayout.SECTION_COUNT.get(block, 0L);
        this.nodeCount = (int) DispatchHeaderLayout.NODE_COUNT.get(block, 0L);
        this.subpageCount = (int) DispatchHeaderLayout.SUBPAGE_COUNT.get(block, 0L);
    }

    /** {@return the native block (header first), for native readers and diagnostics} */
    public MemorySegment block() {
        return block;
    }

    /**
     * QEMU's {@code phys_page_find}: the section mapped at {@code addr}'s page, possibly a
     * subpage section (not resolved).
     */
    public int findPage(long addr) {
        long index = addr >>> pageBits;
        int e = root;
        int i = levels;
        while (skip(e) != 0) {
            i -= skip(e);
            if (i < 0) {
                break;
            }
            int p = ptr(e);
            if (p == NIL) {
                return 0;
            }
            e = block.get(INT, nodesOffset + p * DispatchNodeLayout.BYTES + ((index >>> (i * 9)) & 511) * 4L);
        }
        int s = ptr(e);
        if (s >= sectionCount) {
            return 0;
        }
        return covers(s, addr) ? s : 0;
    }

    /** The section serving {@code addr}, subpages resolved (QEMU's lookup with {@code resolve_subpage}). */
    public int find(long addr) {
        int s = findPage(addr);
        if (kind(s) == SectionLayout.KIND_SUBPAGE) {
            s = block.get(INT, subpagesOffset + (aux(s) * (pageMask + 1) + (addr & pageMask)) * 4L);
        }
        return s;
    }

    /** {@return whether section {@code s} covers {@code addr}} */
    public boolean covers(int s, long addr) {
        long size1 = sizeMinusOne(s);
        return size1 == -1L || Long.compareUnsigned(addr - start(s), size1) <= 0;
    }

    private long sec(int s) {
        return sectionsOffset + s * SectionLayout.BYTES;
    }

    /** {@return section {@code s}'s offset within the address space} */
    public long start(int s) {
        return block.get(LONG, sec(s) + SectionLayout.START_OFFSET);
    }

    /** {@return section {@code s}'s size minus one} */
    public long sizeMinusOne(int s) {
        return block.get(LONG, sec(s) + SectionLayout.SIZE_MINUS_1_OFFSET);
    }

    /** {@return section {@code s}'s offset within its region} */
    public long offsetInRegion(int s) {
        return block.get(LONG, sec(s) + SectionLayout.OFFSET_IN_REGION_OFFSET);
    }

    /** {@return section {@code s}'s host addend (RAM-backed native sections), else 0} */
    public long hostAddend(int s) {
        return block.get(LONG, sec(s) + SectionLayout.HOST_ADDEND_OFFSET);
    }

    /** {@return section {@code s}'s region index} */
    public int regionIndex(int s) {
        return block.get(INT, sec(s) + SectionLayout.REGION_INDEX_OFFSET);
    }

    /** {@return section {@code s}'s aux field (subpage table index)} */
    public int aux(int s) {
        return block.get(INT, sec(s) + SectionLayout.AUX_OFFSET);
    }

    /** {@return section {@code s}'s kind (SectionLayout.KIND_*)} */
    public int kind(int s) {
        return block.get(BYTE, sec(s) + SectionLayout.KIND_OFFSET);
    }

    /** {@return section {@code s}'s flags (SectionLayout.FLAG_*)} */
    public int flags(int s) {
        return block.get(BYTE, sec(s) + SectionLayout.FLAGS_OFFSET) & 0xff;
    }

    /** {@return section {@code s}'s dirty log mask} */
    public int dirtyLogMask(int s) {
        return block.get(BYTE, sec(s) + SectionLayout.DIRTY_LOG_MASK_OFFSET) & 0xff;
    }

    /** {@return the root entry} */
    public int root() {
        return root;
    }

    /** {@return entry {@code i} of node {@code n}} */
    public int nodeEntry(int n, int i) {
        return block.get(INT, nodesOffset + n * DispatchNodeLayout.BYTES + i * 4L);
    }

    /** {@return the number of sections (section 0 included)} */
    public int sectionCount() {
        return sectionCount;
    }

    /** {@return the number of nodes, bypassed ones included} */
    public int nodeCount() {
        return nodeCount;
    }

    /** {@return the number of subpage tables} */
    public int subpageCount() {
        return subpageCount;
    }

    /** {@return the radix levels} */
    public int levels() {
        return levels;
    }

    /** {@return log2 of the page size} */
    public int pageBits() {
        return pageBits;
    }
}
