package org.guestmem.internal;

import java.util.Arrays;

/**
 * The RAM blocks that one or more FlatViews map, holding one count on each block. Consecutive
 * views of the same flatview root usually map the same blocks (a commit that moves or toggles a
 * device leaves RAM alone), so a new view shares its predecessor's set: one count on the set
 * instead of one on every block, both when the view is made (on the writer) and when it is
 * destroyed (on the RCU reclaimer). With N blocks that is one atomic update per view instead of N,
 * each on a line the writer and the reclaimer would otherwise pass back and forth.
 *
 * <p>Lifetime: the set takes one count on each block when it is made and keeps it until its own
 * count reaches zero; each view that shares the set holds one count on it and drops it when the
 * view is destroyed, after its grace period. So a block's count still reaches zero only when
 * every view that mapped it is destroyed ({@code docs/lifetimes.md}, rule 3).
 *
 * <p>Thread-safety: {@link #tryShare()} and {@link #release()} are lock-free and may race; the
 * block list is immutable.
 */
public final class RamBlockSet {
    private final RamBlock[] blocks;
    private final RefCount refs = new RefCount(1);

    private RamBlockSet(RamBlock[] blocks) {
        this.blocks = blocks;
    }

    /**
     * Takes one count on each of {@code blocks[0..n)} (distinct blocks) and {@return a set holding
     * them, with one count for the caller}
     *
     * @throws IllegalStateException if a block was already freed; no count is left taken then
     */
    public static RamBlockSet retainAll(RamBlock[] blocks, int n) {
        for (int i = 0; i < n; i++) {
            if (!blocks[i].retain()) {
                for (int j = 0; j < i; j++) {
                    blocks[j].release();
                }
                throw new IllegalStateException("RAM block '" + blocks[i].name() + "' was freed while still mapped");
            }
        }
        return new RamBlockSet(Arrays.copyOf(blocks, n));
    }

    /** {@return whether this set holds exactly {@code blocks[0..n)}, in that order} */
    public boolean holdsExactly(RamBlock[] blocks, int n) {
        return Arrays.equals(this.blocks, 0, this.blocks.length, blocks, 0, n);
    }

    /** Takes one more count for a view that shares the set; false (nothing taken) if it already reached zero. */
    public boolean tryShare() {
        return refs.tryRetain();
    }

    /** Drops a view's count; the last one drops the set's count on every block. */
    public void release() {
        if (refs.release()) {
            for (RamBlock b : blocks) {
                b.release();
            }
        }
    }

    /** {@return the number of blocks} */
    public int size() {
        return blocks.length;
    }

    /** {@return the set's current count; for tests and diagnostics} */
    public int refCount() {
        return refs.get();
    }
}
