package org.guestmem.layout;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * The header of a FlatView's native tables. One contiguous block holds, in this order: this
 * header, {@code section_count} {@link SectionLayout} entries, {@code node_count}
 * {@link DispatchNodeLayout} nodes and {@code subpage_count} subpage tables of
 * {@code 2^page_bits} 32-bit section indices each (one per byte of the page, QEMU's
 * {@code sub_section}; 32 bits instead of QEMU's 16 so that views may hold more than 65536
 * sections).
 *
 * <pre>
 * offset size member
 *      0    4 magic            MAGIC
 *      4    2 version          VERSION
 *      6    1 page_bits        log2 of the target page size
 *      7    1 levels           radix levels (6 for 4 KiB pages)
 *      8    4 root             root entry, packed like a node entry
 *     12    4 section_count
 *     16    4 node_count
 *     20    4 subpage_count
 *     24    8 sections_offset  byte offset of section 0 from the header
 *     32    8 nodes_offset     byte offset of node 0
 *     40    8 subpages_offset  byte offset of subpage table 0
 *     48    8 total_bytes      size of the whole block
 *     56    8 padding
 * </pre>
 * The block is immutable once its view is published and lives until the view is destroyed, an RCU
 * grace period after its last reference is dropped.
 */
public final class DispatchHeaderLayout {
    /** {@code "GMDT"} read as a little-endian int. */
    public static final int MAGIC = 0x54444d47;
    /** Layout version. */
    public static final short VERSION = 1;

    /** The header structure. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            ValueLayout.JAVA_INT.withName("magic"),
            ValueLayout.JAVA_SHORT.withName("version"),
            ValueLayout.JAVA_BYTE.withName("page_bits"),
            ValueLayout.JAVA_BYTE.withName("levels"),
            ValueLayout.JAVA_INT.withName("root"),
            ValueLayout.JAVA_INT.withName("section_count"),
            ValueLayout.JAVA_INT.withName("node_count"),
            ValueLayout.JAVA_INT.withName("subpage_count"),
            ValueLayout.JAVA_LONG.withName("sections_offset"),
            ValueLayout.JAVA_LONG.withName("nodes_offset"),
            ValueLayout.JAVA_LONG.withName("subpages_offset"),
            ValueLayout.JAVA_LONG.withName("total_bytes"),
            MemoryLayout.paddingLayout(8)).withName("guestmem_dispatch_header");

    /** Bytes of the header. */
    public static final long BYTES = LAYOUT.byteSize();

    /** {@code magic}. */
    public static final VarHandle MAGIC_FIELD = handle("magic");
    /** {@code version}. */
    public static final VarHandle VERSION_FIELD = handle("version");
    /** {@code page_bits}. */
    public static final VarHandle PAGE_BITS = handle("page_bits");
    /** {@code levels}. */
    public static final VarHandle LEVELS = handle("levels");
    /** {@code root}. */
    public static final VarHandle ROOT = handle("root");
    /** {@code section_count}. */
    public static final VarHandle SECTION_COUNT = handle("section_count");
    /** {@code node_count}. */
    public static final VarHandle NODE_COUNT = handle("node_count");
    /** {@code subpage_count}. */
    public static final VarHandle SUBPAGE_COUNT = handle("subpage_count");
    /** {@code sections_offset}. */
    public static final VarHandle SECTIONS_OFFSET = handle("sections_offset");
    /** {@code nodes_offset}. */
    public static final VarHandle NODES_OFFSET = handle("nodes_offset");
    /** {@code subpages_offset}. */
    public static final VarHandle SUBPAGES_OFFSET = handle("subpages_offset");
    /** {@code total_bytes}. */
    public static final VarHandle TOTAL_BYTES = handle("total_bytes");

    private DispatchHeaderLayout() {
    }

    /** {@return the byte offset of a member} */
    public static long offsetOf(String member) {
        return LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement(member));
    }

    /** {@return the bytes of one subpage table for {@code pageBits}} */
    public static long subpageBytes(int pageBits) {
        return (1L << pageBits) * Integer.BYTES;
    }

    private static VarHandle handle(String name) {
        return LAYOUT.varHandle(MemoryLayout.PathElement.groupElement(name));
    }
}
