package org.guestmem.tlb;

import java.util.List;
import org.guestmem.AddrRange;

/**
 * What a JIT must hear from its {@link Tlb}: the guest physical ranges whose translation a commit
 * changed, so that it drops translated blocks and direct jumps that depend on them. Called on the
 * TLB's owner thread, where the thread revalidates (the start of a read section, a quiescent
 * state, {@code online()}), inside the new protected stretch, after the TLB's entries already
 * follow the new view. Not called for {@link Tlb#flush}/{@link Tlb#flushPage} made by the emulator
 * itself. A listener must not block; if it throws, see {@link org.guestmem.rcu.StretchListener}.
 */
public interface TlbListener {
    /**
     * Commits since the last revalidation changed what these guest physical ranges of the
     * index's address space show (sorted, disjoint; at least one).
     *
     * @param mmuIdx the MMU index
     * @param ranges the changed ranges, in the address space's (guest physical) addresses
     */
    void rangesChanged(int mmuIdx, List<AddrRange> ranges);

    /**
     * Commits since the last revalidation may have changed anything in the index's address space
     * (too many, or too large, to list).
     *
     * @param mmuIdx the MMU index
     */
    void everythingChanged(int mmuIdx);
}
