package org.guestmem.layout;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * One RCU reader's slot: the grace-period counter value the reader observed when it entered its
 * read section (or reported its last quiescent state), 0 when it is outside every read section.
 *
 * <pre>
 * offset size member
 *      0    8 ctr       written by the reader (release store, then a full fence on entry);
 *                       read by the grace-period waiter (acquire loads)
 *      8  120 padding   the slot owns two cache lines, so readers never share one
 * </pre>
 *
 * <p>A native CPU loop may own a slot too: it follows the same protocol (store the domain's counter
 * and fence on entry, store 0 with release semantics on exit).
 */
public final class RcuReaderSlotLayout {
    /** Bytes per slot: two 64-byte cache lines (adjacent-line prefetch pairs lines). */
    public static final long SLOT_BYTES = 128;

    /** The slot structure. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("ctr"),
            MemoryLayout.paddingLayout(SLOT_BYTES - 8)).withName("guestmem_rcu_reader_slot");

    /** {@code ctr}: coordinates {@code (MemorySegment slot, long offset)}. */
    public static final VarHandle CTR = LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("ctr"));

    /** Byte offset of {@code ctr}. */
    public static final long CTR_OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("ctr"));

    private RcuReaderSlotLayout() {
    }
}
