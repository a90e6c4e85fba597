package org.guestmem.layout;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * One entry of a FlatView's packed section table: everything a reader needs to serve an access
 * to the section, QEMU's {@code MemoryRegionSection} as the dispatch sees it. Entry 0 is always
 * the unassigned section covering all 2<sup>64</sup> addresses; entry {@code i >= 1} is the view's
 * {@code i}-th range in address order (see {@link DispatchHeaderLayout} for the lookup).
 *
 * <pre>
 * offset size member                 meaning
 *      0    8 start                  offset within the address space of the section's first byte
 *      8    8 size_minus_1           size - 1 (so a section of 2^64 bytes is representable)
 *     16    8 offset_in_region       offset within the region of the section's first byte
 *     24    8 host_addend            RAM-backed sections: host address of byte {@code a} is
 *                                    {@code a + host_addend}; 0 otherwise
 *     32    4 region_index           index into the view's Java arrays (regions, RAM segments, ops)
 *     36    4 padding
 *     40    1 kind                   one of the KIND_* constants
 *     41    1 flags                  FLAG_* bits
 *     42    1 dirty_log_mask         dirty-log clients (bit 0 VGA, 1 CODE, 2 MIGRATION)
 *     43    5 padding
 *     48    8 dirty_bitmap           RAM-backed sections: address of the block's
 *                                    {@code guestmem_dirty_bitmap} ({@link DirtyBitmapLayout}); 0 otherwise
 *     56    8 dirty_pages            the number of pages that bitmap tracks (its {@code pages}); 0 otherwise
 * </pre>
 * Entries are 64 bytes (one cache line), 8-byte aligned. All fields are written once, before the
 * view is published, and only read afterwards: plain reads are enough once the view pointer was
 * read with acquire semantics.
 *
 * <p>The dirty bitmap of a RAM-backed section lets native code that writes guest RAM set the bits
 * itself and tell, when it fills a softmmu TLB entry, whether the page's bits are all set (see
 * {@link TlbEntryLayout}): the bit of guest address {@code a} is page
 * {@code (a - start + offset_in_region) >> page_bits} of the block (a RAM-backed region's offsets
 * are its block's offsets). The bitmap lives as long as the block, which the view keeps alive.
 */
public final class SectionLayout {
    /** Nothing is mapped: reads see 0, the access answers DECODE_ERROR. */
    public static final int KIND_UNASSIGNED = 0;
    /** RAM: reads and writes go straight to host memory. */
    public static final int KIND_RAM = 1;
    /** ROM (RAM with the region's own readonly flag): reads direct, writes take the MMIO path. */
    public static final int KIND_ROM = 2;
    /** ROM device in romd mode: reads direct, writes to the device's ops. */
    public static final int KIND_ROMD = 3;
    /** MMIO (including a ROM device out of romd mode, reservations): every access to the ops. */
    public static final int KIND_MMIO = 4;
    /** An IOMMU region: translate through the IOMMU before accessing the target address space. */
    public static final int KIND_IOMMU = 5;

    /** The range is readonly, propagated along the path from the root (QEMU's section readonly). */
    public static final int FLAG_READONLY = 1;
    /** The range is nonvolatile, propagated like readonly. */
    public static final int FLAG_NONVOLATILE = 2;
    /** The region's own romd flag. */
    public static final int FLAG_ROMD_MODE = 4;
    /** The section's region is the view's flatview root (printed as {@code [ROOT]}). */
    public static final int FLAG_ROOT = 8;
    /**
     * RAM-backed, but the memory has no native address (a heap segment given to
     * {@code ramFromSegment}): {@code host_addend} is 0 and native code must not access it.
     */
    public static final int FLAG_NO_HOST = 16;

    /** The entry structure. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("start"),
            ValueLayout.JAVA_LONG.withName("size_minus_1"),
            ValueLayout.JAVA_LONG.withName("offset_in_region"),
            ValueLayout.JAVA_LONG.withName("host_addend"),
            ValueLayout.JAVA_INT.withName("region_index"),
            MemoryLayout.paddingLayout(4),
            ValueLayout.JAVA_BYTE.withName("kind"),
            ValueLayout.JAVA_BYTE.withName("flags"),
            ValueLayout.JAVA_BYTE.withName("dirty_log_mask"),
            MemoryLayout.paddingLayout(5),
            ValueLayout.JAVA_LONG.withName("dirty_bitmap"),
            ValueLayout.JAVA_LONG.withName("dirty_pages")).withName("guestmem_section");

    /** Bytes per entry. */
    public static final long BYTES = LAYOUT.byteSize();

    /** {@code start}: coordinates {@code (MemorySegment, long base)}. */
    public static final VarHandle START = handle("start");
    /** {@code size_minus_1}. */
    public static final VarHandle SIZE_MINUS_1 = handle("size_minus_1");
    /** {@code offset_in_region}. */
    public static final VarHandle OFFSET_IN_REGION = handle("offset_in_region");
    /** {@code host_addend}. */
    public static final VarHandle HOST_ADDEND = handle("host_addend");
    /** {@code region_index}. */
    public static final VarHandle REGION_INDEX = handle("region_index");
    /** {@code kind}. */
    public static final VarHandle KIND = handle("kind");
    /** {@code flags}. */
    public static final VarHandle FLAGS = handle("flags");
    /** {@code dirty_log_mask}. */
    public static final VarHandle DIRTY_LOG_MASK = handle("dirty_log_mask");
    /** {@code dirty_bitmap}. */
    public static final VarHandle DIRTY_BITMAP = handle("dirty_bitmap");
    /** {@code dirty_pages}. */
    public static final VarHandle DIRTY_PAGES = handle("dirty_pages");

    /** Byte offset of {@code start}. */
    public static final long START_OFFSET = offset("start");
    /** Byte offset of {@code size_minus_1}. */
    public static final long SIZE_MINUS_1_OFFSET = offset("size_minus_1");
    /** Byte offset of {@code offset_in_region}. */
    public static final long OFFSET_IN_REGION_OFFSET = offset("offset_in_region");
    /** Byte offset of {@code host_addend}. */
    public static final long HOST_ADDEND_OFFSET = offset("host_addend");
    /** Byte offset of {@code region_index}. */
    public static final long REGION_INDEX_OFFSET = offset("region_index");
    /** Byte offset of {@code kind}. */
    public static final long KIND_OFFSET = offset("kind");
    /** Byte offset of {@code flags}. */
    public static final long FLAGS_OFFSET = offset("flags");
    /** Byte offset of {@code dirty_log_mask}. */
    public static final long DIRTY_LOG_MASK_OFFSET = offset("dirty_log_mask");
    /** Byte offset of {@code dirty_bitmap}. */
    public static final long DIRTY_BITMAP_OFFSET = offset("dirty_bitmap");
    /** Byte offset of {@code dirty_pages}. */
    public static final long DIRTY_PAGES_OFFSET = offset("dirty_pages");

    private SectionLayout() {
    }

    private static VarHandle handle(String name) {
        return LAYOUT.varHandle(MemoryLayout.PathElement.groupElement(name));
    }

    private static long offset(String name) {
        return LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement(name));
    }
}
