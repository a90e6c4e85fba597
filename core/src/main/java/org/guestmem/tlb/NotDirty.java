package org.guestmem.tlb;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import org.guestmem.internal.DirtyBitmap;
import org.guestmem.layout.TlbEntryLayout;

/**
 * The two halves of QEMU's {@code TLB_NOTDIRTY} protocol on one store tag, as static functions of
 * the entry's memory, so that the owner's fill, its re-arm after a NOTDIRTY store, the threads
 * that clear dirty bits, and the jcstress test of their race all run the same code.
 *
 * <h2 id="rule">The arming rule (owner)</h2>
 * (1) read the bits; (2) write the tag, armed (no {@link TlbEntryLayout#NOTDIRTY}) only if every
 * client of the section's mask has the page dirty; (3) full fence; (4) if armed, read the bits
 * again and, if one is clean now, set NOTDIRTY.
 *
 * <h2 id="clear">The flagging (any thread)</h2>
 * After clearing bits and a full fence: if the tag is armed for the page, set NOTDIRTY with an
 * atomic OR.
 *
 * <p>Why no store is lost: the clearer's (clear bits; fence; read tag) and the owner's (write tag;
 * fence; read bits) are a Dekker pair: the clearer sees the armed tag and flags it, or the owner's
 * second read sees the cleared bit and flags it itself. Either way no armed tag maps a page whose
 * bit was cleared once both are done, so the next store to the page takes the slow path and marks
 * it dirty again.
 */
final class NotDirty {
    private static final VarHandle WRITE_TAG = TlbEntryLayout.ADDR_WRITE;
    private static final VarHandle ADDEND = TlbEntryLayout.ADDEND;

    private NotDirty() {
    }

    /**
     * The arming rule: sets the store tag at {@code offset} of {@code table} to {@code tag} (the
     * bare page, or with {@link TlbEntryLayout#CHECKED}), armed if every client of {@code mask} has
     * the bytes {@code [inBlock, inBlock + pageSize)} of {@code bits}'s block dirty, else with
     * NOTDIRTY. {@return whether the tag is armed on return}
     */
    static boolean arm(MemorySegment table, long offset, long tag, DirtyBitmap bits, long inBlock, long pageSize, int mask) {
        if (mask != 0 && bits.cleanClients(inBlock, pageSize, mask) != 0) {
            table.set(ValueLayout.JAVA_LONG, offset + TlbEntryLayout.ADDR_WRITE_OFFSET,
                    tag | TlbEntryLayout.NOTDIRTY);
            return false;
        }
        table.set(ValueLayout.JAVA_LONG, offset + TlbEntryLayout.ADDR_WRITE_OFFSET, tag);
        if (mask == 0) {
            return true; // nothing is logged: no clear concerns this page
        }
        VarHandle.fullFence();
        if (bits.cleanClients(inBlock, pageSize, mask) != 0) {
            table.set(ValueLayout.JAVA_LONG, offset + TlbEntryLayout.ADDR_WRITE_OFFSET,
                    tag | TlbEntryLayout.NOTDIRTY);
            return false;
        }
        return true;
    }

    /**
     * The flagging, after the caller cleared bits and issued a full fence: sets NOTDIRTY in the
     * store tag at {@code offset} of {@code table} if it is armed (no INVALID, MMIO or NOTDIRTY) for
     * guest page {@code page}, or, with {@code page == -1}, for any page whose host page starts in
     * {@code [hostFirst, hostLast]}. Any thread.
     */
    static void flag(MemorySegment table, long offset, long pageMaskHi, long page, long hostFirst, long hostLast) {
        long tag = (long) WRITE_TAG.getVolatile(table, offset);
        if ((tag & (TlbEntryLayout.INVALID | TlbEntryLayout.MMIO | TlbEntryLayout.NOTDIRTY)) != 0) {
            return;
        }
        long tagPage = tag & pageMaskHi;
        if (page != -1L) {
            if (tagPage != page) {
                return;
            }
        } else {
            long host = tagPage + (long) ADDEND.getVolatile(table, offset);
            if (Long.compareUnsigned(host - hostFirst, hostLast - hostFirst) > 0) {
                return;
            }
        }
        WRITE_TAG.getAndBitwiseOr(table, offset, TlbEntryLayout.NOTDIRTY);
    }
}
