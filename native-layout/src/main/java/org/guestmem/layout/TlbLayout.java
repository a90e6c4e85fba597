package org.guestmem.layout;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * The descriptor of one CPU thread's softmmu TLB, for native code: where its tables are, how they
 * are indexed, and where the RCU state and the address spaces' publications live. Written by
 * guestmem when the TLB is built; the per-index {@code tables} and {@code generation} fields change
 * when the TLB's owner revalidates (owner thread only).
 *
 * <pre>
 * struct guestmem_tlb (64 bytes)
 * offset size member
 *      0    4 magic          MAGIC ("GMTL")
 *      4    2 version        VERSION
 *      6    1 page_bits      log2 of the TLB page (the target page)
 *      7    1 mmu_indexes    number of MMU indexes, 1 to MAX_MMU_INDEXES
 *      8    1 log2_entries   log2 of the entries per index
 *      9    1 flags          FLAG_CHECKED
 *     10    6 padding
 *     16    8 table          address of index 0's entry 0; index k's table starts at
 *                            table + (k &lt;&lt; (log2_entries + 5))
 *     24    8 rcu_slot       address of the owner's guestmem_rcu_reader_slot
 *     32    8 rcu_domain     address of the domain's guestmem_rcu_domain (the grace-period counter)
 *     40   24 padding
 * followed by mmu_indexes times
 * struct guestmem_tlb_index (32 bytes)
 *      0    8 publication    address of the index's address space's guestmem_publication
 *      8    8 tables         the dispatch tables (guestmem_dispatch_header) of the view the entries
 *                            come from; 0 before the first revalidation
 *     16    8 generation     the publication generation those tables belong to
 *     24    4 flags          INDEX_IDENTITY
 *     28    4 padding
 * </pre>
 *
 * <h2 id="probe">Probing</h2>
 * Entry of address {@code a} in index {@code k}:
 * {@code table + (k << (log2_entries + 5)) + (((a >> page_bits) & ((1 << log2_entries) - 1)) << 5)},
 * a {@link TlbEntryLayout}. The generated C header has the probe, a fill of RAM, ROM and unassigned
 * pages, and the revalidation a native loop performs at its quiescent states.
 *
 * <h2 id="order">Memory ordering</h2>
 * {@code tables} is written by the owner with a sequentially consistent store before it fills
 * any entry from those tables, and read by threads that clear dirty bits (acquire): see the
 * NOTDIRTY protocol in {@code docs/concurrency.md}.
 */
public final class TlbLayout {
    /** {@code "GMTL"} read as a little-endian int. */
    public static final int MAGIC = 0x4c544d47;
    /** Layout version. */
    public static final short VERSION = 1;
    /** The most MMU indexes one TLB may have (QEMU's {@code NB_MMU_MODES} limit). */
    public static final int MAX_MMU_INDEXES = 16;
    /** Descriptor flag: checked mode; every direct entry carries {@link TlbEntryLayout#CHECKED}. */
    public static final int FLAG_CHECKED = 1;
    /** Index flag: guest addresses of this index are the address space's (no page mapper). */
    public static final int INDEX_IDENTITY = 1;

    /** The descriptor header. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            ValueLayout.JAVA_INT.withName("magic"),
            ValueLayout.JAVA_SHORT.withName("version"),
            ValueLayout.JAVA_BYTE.withName("page_bits"),
            ValueLayout.JAVA_BYTE.withName("mmu_indexes"),
            ValueLayout.JAVA_BYTE.withName("log2_entries"),
            ValueLayout.JAVA_BYTE.withName("flags"),
            MemoryLayout.paddingLayout(6),
            ValueLayout.JAVA_LONG.withName("table"),
            ValueLayout.JAVA_LONG.withName("rcu_slot"),
            ValueLayout.JAVA_LONG.withName("rcu_domain"),
            MemoryLayout.paddingLayout(24)).withName("guestmem_tlb");

    /** One MMU index's part of the descriptor. */
    public static final StructLayout INDEX_LAYOUT = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("publication"),
            ValueLayout.JAVA_LONG.withName("tables"),
            ValueLayout.JAVA_LONG.withName("generation"),
            ValueLayout.JAVA_INT.withName("flags"),
            MemoryLayout.paddingLayout(4)).withName("guestmem_tlb_index");

    /** Bytes of the header. */
    public static final long BYTES = LAYOUT.byteSize();
    /** Bytes of one index part. */
    public static final long INDEX_BYTES = INDEX_LAYOUT.byteSize();

    /** {@code magic}. */
    public static final VarHandle MAGIC_FIELD = handle("magic");
    /** {@code version}. */
    public static final VarHandle VERSION_FIELD = handle("version");
    /** {@code page_bits}. */
    public static final VarHandle PAGE_BITS = handle("page_bits");
    /** {@code mmu_indexes}. */
    public static final VarHandle MMU_INDEXES = handle("mmu_indexes");
    /** {@code log2_entries}. */
    public static final VarHandle LOG2_ENTRIES = handle("log2_entries");
    /** {@code flags}. */
    public static final VarHandle FLAGS = handle("flags");
    /** {@code table}. */
    public static final VarHandle TABLE = handle("table");
    /** {@code rcu_slot}. */
    public static final VarHandle RCU_SLOT = handle("rcu_slot");
    /** {@code rcu_domain}. */
    public static final VarHandle RCU_DOMAIN = handle("rcu_domain");

    /** {@code publication} of an index part. */
    public static final VarHandle INDEX_PUBLICATION = indexHandle("publication");
    /** {@code tables} of an index part. */
    public static final VarHandle INDEX_TABLES = indexHandle("tables");
    /** {@code generation} of an index part. */
    public static final VarHandle INDEX_GENERATION = indexHandle("generation");
    /** {@code flags} of an index part. */
    public static final VarHandle INDEX_FLAGS = indexHandle("flags");

    private TlbLayout() {
    }

    /**
     * {@return the byte offset of index {@code k}'s part from the start of the descriptor}
     *
     * @param k the MMU index
     */
    public static long indexOffset(int k) {
        return BYTES + k * INDEX_BYTES;
    }

    /**
     * {@return the size of a descriptor with {@code mmuIndexes} index parts}
     *
     * @param mmuIndexes the number of MMU indexes
     */
    public static long bytes(int mmuIndexes) {
        return indexOffset(mmuIndexes);
    }

    private static VarHandle handle(String name) {
        return LAYOUT.varHandle(MemoryLayout.PathElement.groupElement(name));
    }

    private static VarHandle indexHandle(String name) {
        return INDEX_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement(name));
    }
}
