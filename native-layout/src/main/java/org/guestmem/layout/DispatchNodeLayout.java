package org.guestmem.layout;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * A node of the dispatch radix table, QEMU's {@code Node}: 512 page-table entries of 32 bits.
 *
 * <p>An entry packs two fields, decoded only by {@link #skip(int)} and {@link #ptr(int)}:
 * <pre>
 *  31        26 25                          0
 * +------------+-----------------------------+
 * |    skip    |             ptr             |
 * +------------+-----------------------------+
 *  skip = 0: leaf, ptr is a section index
 *  skip > 0: ptr is a node index (or NIL), reached by skipping that many levels
 * </pre>
 * (QEMU declares the same two fields as C bitfields, whose order is up to the compiler; here the
 * shifts are fixed.) A lookup of address {@code a} starts at the header's root entry with
 * {@code i = levels}, and while {@code skip != 0}: {@code i -= skip}; a NIL pointer means
 * unassigned; else {@code e = node[ptr].entries[(a >> (page_bits + 9*i)) & 511]}. The leaf's
 * section must then cover {@code a}, else the answer is section 0 (levels are skipped without
 * checking the skipped index bits).
 */
public final class DispatchNodeLayout {
    /** Index bits per level (QEMU's {@code P_L2_BITS}). */
    public static final int BITS_PER_LEVEL = 9;
    /** Entries per node (QEMU's {@code P_L2_SIZE}). */
    public static final int ENTRIES = 1 << BITS_PER_LEVEL;
    /** The NIL node pointer (QEMU's {@code PHYS_MAP_NODE_NIL}). */
    public static final int NIL = (1 << 26) - 1;
    /** Bits of {@code ptr}. */
    public static final int PTR_BITS = 26;
    /** Mask of {@code ptr}. */
    public static final int PTR_MASK = (1 << PTR_BITS) - 1;

    /** The node structure. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            MemoryLayout.sequenceLayout(ENTRIES, ValueLayout.JAVA_INT).withName("entries"))
            .withName("guestmem_dispatch_node");

    /** Bytes per node. */
    public static final long BYTES = LAYOUT.byteSize();

    /** {@code entries[i]}: coordinates {@code (MemorySegment, long base, long i)}. */
    public static final VarHandle ENTRY = LAYOUT.varHandle(
            MemoryLayout.PathElement.groupElement("entries"), MemoryLayout.PathElement.sequenceElement());

    private DispatchNodeLayout() {
    }

    /** {@return the levels of the table for {@code pageBits}: QEMU's {@code P_L2_LEVELS}} */
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
}
