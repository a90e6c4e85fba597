package org.guestmem.layout;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * An address space's publication cell: which view it shows now, for native code that follows
 * commits without calling into Java. One cell per address space, written by the writer at every
 * publication, read by anyone.
 *
 * <pre>
 * offset size member
 *      0    8 generation   changes with every publication (AddressSpace.generation())
 *      8    8 tables       address of the current view's guestmem_dispatch_header
 *     16   48 padding      the cell owns its cache line
 * </pre>
 *
 * <h2 id="order">Memory ordering</h2>
 * The writer stores {@code tables} (release) and then {@code generation} (release); a reader loads
 * {@code generation} (acquire) and then {@code tables} (acquire). So the tables a reader gets are
 * at least as new as the generation it read (never older): a reader that records the pair and
 * later sees another generation merely revalidates once more than needed. The tables may only be
 * used inside an RCU read section (or between quiescent states) of the system's domain: they are
 * freed a grace period after the view is replaced.
 */
public final class PublicationLayout {
    /** Bytes per cell: one cache line. */
    public static final long BYTES = 64;

    /** The cell structure. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("generation"),
            ValueLayout.JAVA_LONG.withName("tables"),
            MemoryLayout.paddingLayout(BYTES - 16)).withName("guestmem_publication");

    /** {@code generation}: coordinates {@code (MemorySegment, long base)}. */
    public static final VarHandle GENERATION = LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("generation"));
    /** {@code tables}. */
    public static final VarHandle TABLES = LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("tables"));

    private PublicationLayout() {
    }
}
