package org.guestmem.internal;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import org.guestmem.layout.DispatchHeaderLayout;
import org.guestmem.layout.SectionLayout;

/**
 * A FlatView's native dispatch tables (layouts in {@code native-layout}): the packed section
 * table, one section per range plus the unassigned section 0, and a sorted index of section
 * starts searched without branches. Built in O(ranges) by {@link Builder}; immutable afterwards and
 * safe for any number of concurrent readers while its view is alive. Java lookups search a heap
 * copy of the index and of the section sizes written in the same pass (no bounds or liveness
 * check per probe); native readers search the native index with the same algorithm.
 *
 * <p>Why not QEMU's radix table: it costs a 2 KiB node per populated 2 MiB of a sparse address
 * space, so a view of 1024 regions 1 MiB apart needs 1 MiB of nodes, where the index needs 8
 * bytes per range; radix lookups are faster beyond a few dozen regions, but accessors serve hot
 * pages from their own caches, while every commit rebuilds the tables (docs/dispatch.md and
 * bench/README.md have the measurements). QEMU's structure is still built on demand for
 * {@code info mtree -f -d} ({@link QemuDispatch}).
 */
public final class DispatchTable {
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;

    private final MemorySegment block;
    private final long sectionsOffset;
    private final int sectionCount;
    /** The index as Java sees it: entry j is section j + 1's start XOR Long.MIN_VALUE (signed order = unsigned). */
    private final long[] keys;
    /** Each section's size minus one, by section number. */
    private final long[] size1;

    private DispatchTable(MemorySegment block, long[] keys, long[] size1) {
        this.block = block;
        this.keys = keys;
        this.size1 = size1;
        this.sectionsOffset = (long) DispatchHeaderLayout.SECTIONS_OFFSET.get(block, 0L);
        this.sectionCount = (int) DispatchHeaderLayout.SECTION_COUNT.get(block, 0L);
    }

    /** {@return the native block (header first), for native readers and diagnostics} */
    public MemorySegment block() {
        return block;
    }

    /**
     * {@return the only section that can cover {@code addr}: the one with the last start at or
     * below it, or 0 if every section starts above it} The branch-free binary search of the
     * index; {@link #covers} tells whether the candidate really covers {@code addr}.
     */
    public int candidate(long addr) {
        long key = addr ^ Long.MIN_VALUE;
        long[] k = keys;
        int base = 0;
        for (int half = k.length >>> 1; half > 0; half >>>= 1) {
            base = k[base + half] <= key ? base + half : base;
        }
        return sectionCount <= 1 || k[0] > key ? 0 : Math.min(base, sectionCount - 2) + 1;
    }

    /** The section serving {@code addr}: the range covering it, or 0 (unassigned). */
    public int find(long addr) {
        int s = candidate(addr);
        return covers(s, addr) ? s : 0;
    }

    /**
     * {@return whether one section serves every byte of {@code [first, last]} (no section starts
     * or ends inside), so a reader may cache the translation for the whole span}
     */
    public boolean uniform(long first, long last) {
        int s = candidate(first);
        return s == candidate(last) && covers(s, first) == covers(s, last);
    }

    /** {@return whether section {@code s} covers {@code addr}} */
    public boolean covers(int s, long addr) {
        long sz = size1[s];
        return s == 0 || Long.compareUnsigned(addr - (keys[s - 1] ^ Long.MIN_VALUE), sz) <= 0;
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

    /** {@return the number of sections (section 0 included)} */
    public int sectionCount() {
        return sectionCount;
    }

    /**
     * Writes the tables of a view's ranges, in address order, into one block from a
     * {@link NativeTablePool}. Section 0 is the unassigned section; {@link #add} appends section
     * {@code i + 1} for the {@code i}-th range.
     */
    public static final class Builder {
        private final int pageBits;
        private final MemorySegment b;
        private final long sectionsOffset;
        private final long indexOffset;
        private final int sectionCount;
        private final int indexCount;
        private final long[] keys;
        private final long[] size1;
        private int next = 1;

        /** Allocates the block for {@code ranges} ranges. */
        public Builder(NativeTablePool pool, int pageBits, int ranges) {
            this.pageBits = pageBits;
            this.sectionCount = ranges + 1;
            this.indexCount = DispatchHeaderLayout.indexCount(sectionCount);
            this.sectionsOffset = DispatchHeaderLayout.BYTES;
            this.indexOffset = (sectionsOffset + sectionCount * SectionLayout.BYTES + 63) & -64L;
            long total = indexOffset + indexCount * DispatchHeaderLayout.INDEX_ENTRY_BYTES;
            this.keys = new long[indexCount];
            this.size1 = new long[sectionCount];
            Arrays.fill(keys, ranges, indexCount, DispatchHeaderLayout.INDEX_PADDING ^ Long.MIN_VALUE); // the rest is added
            size1[0] = -1L;
            this.b = pool.allocate(total);
            b.asSlice(0, DispatchHeaderLayout.BYTES).fill((byte) 0); // pooled blocks are not zeroed: no stale header padding
            DispatchHeaderLayout.MAGIC_FIELD.set(b, 0L, DispatchHeaderLayout.MAGIC);
            DispatchHeaderLayout.VERSION_FIELD.set(b, 0L, DispatchHeaderLayout.VERSION);
            DispatchHeaderLayout.PAGE_BITS.set(b, 0L, (byte) pageBits);
            DispatchHeaderLayout.RESERVED.set(b, 0L, (byte) 0);
            DispatchHeaderLayout.SECTION_COUNT.set(b, 0L, sectionCount);
            DispatchHeaderLayout.INDEX_COUNT.set(b, 0L, indexCount);
            DispatchHeaderLayout.SECTIONS_OFFSET.set(b, 0L, sectionsOffset);
            DispatchHeaderLayout.INDEX_OFFSET.set(b, 0L, indexOffset);
            DispatchHeaderLayout.TOTAL_BYTES.set(b, 0L, total);
            write(0, 0, -1L, 0, 0, 0, SectionLayout.KIND_UNASSIGNED, 0, 0);
            for (int j = ranges; j < indexCount; j++) {
                b.set(LONG, indexOffset + j * 8L, DispatchHeaderLayout.INDEX_PADDING);
            }
        }

        /**
         * Appends {@code count} sections copied from sections {@code first} to
         * {@code first + count - 1} of {@code from} (ranges a commit left unchanged): their bytes,
         * index entries and sizes in bulk. Their region indexes are set afterwards with
         * {@link #setRegionIndex}.
         */
        public void copy(DispatchTable from, int first, int count) {
            int s = next;
            MemorySegment.copy(from.block, from.sectionsOffset + first * SectionLayout.BYTES, b,
                    sectionsOffset + s * SectionLayout.BYTES, count * SectionLayout.BYTES);
            long fromIndex = (long) DispatchHeaderLayout.INDEX_OFFSET.get(from.block, 0L);
            MemorySegment.copy(from.block, fromIndex + (first - 1) * 8L, b, indexOffset + (s - 1) * 8L, count * 8L);
            System.arraycopy(from.keys, first - 1, keys, s - 1, count);
            System.arraycopy(from.size1, first, size1, s, count);
            next += count;
        }

        /** Sets section {@code s}'s region index (a section appended by {@link #copy}). */
        public void setRegionIndex(int s, int regionIndex) {
            SectionLayout.REGION_INDEX.set(b, sectionsOffset + s * SectionLayout.BYTES, regionIndex);
        }

        /**
         * Appends the section of the next range; {@code block} is its RAM block (null if it has
         * none), whose dirty bitmap the section points to.
         */
        public void add(long start, long sizeMinus1, long offsetInRegion, long hostAddend, int regionIndex, int kind,
                        int flags, int dirtyMask, RamBlock block) {
            int s = next++;
            write(s, start, sizeMinus1, offsetInRegion, hostAddend, regionIndex, kind, flags, dirtyMask);
            if (block != null) {
                long o = sectionsOffset + s * SectionLayout.BYTES;
                SectionLayout.DIRTY_BITMAP.set(b, o, block.dirty().segment().address());
                SectionLayout.DIRTY_PAGES.set(b, o, block.dirty().pages());
            }
            b.set(LONG, indexOffset + (s - 1) * 8L, start);
            keys[s - 1] = start ^ Long.MIN_VALUE;
            size1[s] = sizeMinus1;
        }

        private void write(int s, long start, long size1, long off, long addend, int regionIndex, int kind, int flags,
                           int mask) {
            long o = sectionsOffset + s * SectionLayout.BYTES;
            SectionLayout.START.set(b, o, start);
            SectionLayout.SIZE_MINUS_1.set(b, o, size1);
            SectionLayout.OFFSET_IN_REGION.set(b, o, off);
            SectionLayout.HOST_ADDEND.set(b, o, addend);
            SectionLayout.REGION_INDEX.set(b, o, regionIndex);
            SectionLayout.KIND.set(b, o, (byte) kind);
            SectionLayout.FLAGS.set(b, o, (byte) flags);
            SectionLayout.DIRTY_LOG_MASK.set(b, o, (byte) mask);
            SectionLayout.DIRTY_BITMAP.set(b, o, 0L);
            SectionLayout.DIRTY_PAGES.set(b, o, 0L);
        }

        /** {@return the finished table} */
        public DispatchTable build() {
            if (next != sectionCount) {
                throw new IllegalStateException("expected " + (sectionCount - 1) + " ranges, got " + (next - 1));
            }
            return new DispatchTable(b, keys, size1);
        }

        /** {@return log2 of the page size recorded in the header} */
        public int pageBits() {
            return pageBits;
        }
    }
}
