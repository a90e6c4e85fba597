package org.guestmem.layout;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * The header of a FlatView's native dispatch tables. One contiguous block holds, in this order:
 * this header, {@code section_count} {@link SectionLayout} entries, and a search index of
 * {@code index_count} unsigned 64-bit section starts.
 *
 * <pre>
 * offset size member
 *      0    4 magic            MAGIC
 *      4    2 version          VERSION
 *      6    1 page_bits        log2 of the target page size
 *      7    1 reserved         0
 *      8    4 section_count    sections; 0 is the unassigned section, section i &gt;= 1 is the
 *                              view's i-th range in address order
 *     12    4 index_count      entries of the search index: a power of two, at least 1
 *     16    8 sections_offset  byte offset of section 0 from the header
 *     24    8 index_offset     byte offset of index entry 0
 *     32    8 total_bytes      size of the whole block
 *     40   24 padding
 * </pre>
 *
 * <h2 id="lookup">Looking an address up</h2>
 * Index entry {@code j} holds the start of section {@code j + 1} for {@code j < section_count - 1}
 * and {@link #INDEX_PADDING} after that; entries ascend (unsigned). To find the section of
 * address {@code a}: {@code base = 0}; for {@code half = index_count / 2, index_count / 4, ..., 1}:
 * {@code if (index[base + half] <= a) base += half} (unsigned compare; a branch-free binary
 * search); then {@code s = min(base + 1, section_count - 1)}; the answer is {@code s} if section
 * {@code s} covers {@code a} ({@code a - start <= size_minus_1}, unsigned), else 0. Sections are
 * byte-granular: a region smaller than a page needs nothing special.
 *
 * <p>The block is immutable once its view is published and lives until the view is destroyed, an
 * RCU grace period after its last reference is dropped.
 */
public final class DispatchHeaderLayout {
    /** {@code "GMDT"} read as a little-endian int. */
    public static final int MAGIC = 0x54444d47;
    /**
     * Layout version: 3 since sections carry their RAM block's dirty bitmap ({@code dirty_bitmap},
     * {@code dirty_pages}) and are 64 bytes long.
     */
    public static final short VERSION = 3;
    /** The value of index entries past the last section. */
    public static final long INDEX_PADDING = -1L;
    /** Bytes per index entry. */
    public static final long INDEX_ENTRY_BYTES = 8;

    /** The header structure. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            ValueLayout.JAVA_INT.withName("magic"),
            ValueLayout.JAVA_SHORT.withName("version"),
            ValueLayout.JAVA_BYTE.withName("page_bits"),
            ValueLayout.JAVA_BYTE.withName("reserved"),
            ValueLayout.JAVA_INT.withName("section_count"),
            ValueLayout.JAVA_INT.withName("index_count"),
            ValueLayout.JAVA_LONG.withName("sections_offset"),
            ValueLayout.JAVA_LONG.withName("index_offset"),
            ValueLayout.JAVA_LONG.withName("total_bytes"),
            MemoryLayout.paddingLayout(24)).withName("guestmem_dispatch_header");

    /** Bytes of the header. */
    public static final long BYTES = LAYOUT.byteSize();

    /** {@code magic}. */
    public static final VarHandle MAGIC_FIELD = handle("magic");
    /** {@code version}. */
    public static final VarHandle VERSION_FIELD = handle("version");
    /** {@code page_bits}. */
    public static final VarHandle PAGE_BITS = handle("page_bits");
    /** {@code reserved}. */
    public static final VarHandle RESERVED = handle("reserved");
    /** {@code section_count}. */
    public static final VarHandle SECTION_COUNT = handle("section_count");
    /** {@code index_count}. */
    public static final VarHandle INDEX_COUNT = handle("index_count");
    /** {@code sections_offset}. */
    public static final VarHandle SECTIONS_OFFSET = handle("sections_offset");
    /** {@code index_offset}. */
    public static final VarHandle INDEX_OFFSET = handle("index_offset");
    /** {@code total_bytes}. */
    public static final VarHandle TOTAL_BYTES = handle("total_bytes");

    private DispatchHeaderLayout() {
    }

    /**
     * {@return the byte offset of a member}
     *
     * @param member the member's name
     */
    public static long offsetOf(String member) {
        return LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement(member));
    }

    /**
     * {@return the index entries for {@code sectionCount} sections: a power of two, at least 1}
     *
     * @param sectionCount the number of sections
     */
    public static int indexCount(int sectionCount) {
        int ranges = sectionCount - 1;
        return ranges <= 1 ? 1 : Integer.highestOneBit(ranges - 1) << 1;
    }

    private static VarHandle handle(String name) {
        return LAYOUT.varHandle(MemoryLayout.PathElement.groupElement(name));
    }
}
