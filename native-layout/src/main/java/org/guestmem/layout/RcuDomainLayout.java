package org.guestmem.layout;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * An RCU domain's grace-period counter, in native memory so that a native CPU loop can enter read
 * sections and report quiescent states itself, with the protocol of {@link RcuReaderSlotLayout}.
 *
 * <pre>
 * offset size member
 *      0    8 gp        odd, starts at 1, advanced by 2 per grace period (atomic add, then a full
 *                       fence, by the grace-period waiter); readers load it with acquire semantics
 *      8  120 padding   two cache lines of its own
 * </pre>
 *
 * <p>A native reader entering a read section: {@code slot.ctr = gp} (acquire load, relaxed store),
 * then a full fence; leaving: {@code slot.ctr = 0} (release store); a quiescent state: full fence,
 * {@code slot.ctr = gp}, full fence. The cell lives as long as its domain.
 */
public final class RcuDomainLayout {
    /** Bytes of the cell. */
    public static final long BYTES = 128;

    /** The cell structure. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("gp"),
            MemoryLayout.paddingLayout(BYTES - 8)).withName("guestmem_rcu_domain");

    /** {@code gp}: coordinates {@code (MemorySegment, long base)}. */
    public static final VarHandle GP = LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("gp"));

    private RcuDomainLayout() {
    }
}
