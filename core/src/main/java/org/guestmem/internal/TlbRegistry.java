package org.guestmem.internal;

import java.util.Arrays;

/**
 * The live softmmu TLBs of one memory system, for the threads that clear dirty bits: after a clear
 * (and a full fence) every TLB flags the store entries of the cleared pages NOTDIRTY, QEMU's
 * {@code tlb_reset_dirty_range_all}. Copy-on-write: registration takes a lock, iteration does not.
 */
public final class TlbRegistry {
    /** A TLB as the registry sees it. */
    public interface Member {
        /**
         * Bits of {@code [offset, offset + length)} of {@code block} were cleared (followed by a full
         * fence): flags every store entry that maps one of those pages. Any thread; lock-free with
         * respect to the TLB's owner.
         *
         * @param block  the RAM block
         * @param offset first byte cleared, within the block
         * @param length bytes cleared (page-granular in effect)
         */
        void dirtyCleared(RamBlock block, long offset, long length);
    }

    private static final Member[] NONE = new Member[0];
    private volatile Member[] members = NONE;

    /** Adds a TLB. */
    public synchronized void add(Member m) {
        Member[] a = Arrays.copyOf(members, members.length + 1);
        a[a.length - 1] = m;
        members = a;
    }

    /** Removes a TLB; does nothing if it is not registered. */
    public synchronized void remove(Member m) {
        Member[] a = members;
        for (int i = 0; i < a.length; i++) {
            if (a[i] == m) {
                Member[] b = new Member[a.length - 1];
                System.arraycopy(a, 0, b, 0, i);
                System.arraycopy(a, i + 1, b, i, a.length - i - 1);
                members = b;
                return;
            }
        }
    }

    /** {@return the number of live TLBs} */
    public int size() {
        return members.length;
    }

    /** Tells every live TLB that bits of the range were cleared (the caller has fenced). */
    public void cleared(RamBlock block, long offset, long length) {
        for (Member m : members) {
            m.dirtyCleared(block, offset, length);
        }
    }
}
