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
 * <p>A set may also <em>extend</em> another ({@link #extend}): when a view maps every block of its
 * predecessor's set and a few more, its set holds one count on the predecessor's set and one on
 * each added block only. The next view that maps exactly the blocks of the extended set again
 * (the added region removed, the device switched back) shares that set
 * ({@link #sharedFor} looks along the chain of sets the previous one extends). So a region added and removed, or a RAM region disabled and enabled,
 * costs a few counts per commit, whatever the number of blocks. A set extends only a set whose
 * blocks it all holds (a block removed from the map is never kept alive by a newer set), and
 * chains are at most {@link #MAX_DEPTH} deep.
 *
 * <p>Lifetime: the set takes one count on each block it adds (all of them for a set made by
 * {@link #retainAll}) and one on the set it extends, and keeps them until its own count reaches
 * zero; each view that shares the set holds one count on it and drops it when the view is
 * destroyed, after its grace period. So a block's count still reaches zero only when every view
 * that mapped it is destroyed ({@code docs/lifetimes.md}, rule 3).
 *
 * <p>Thread-safety: {@link #tryShare()} and {@link #release()} are lock-free and may race; the
 * block lists are immutable.
 */
public final class RamBlockSet {
    /** The longest chain of sets extending one another. */
    static final int MAX_DEPTH = 4;
    /** The most blocks a set adds to the one it extends. */
    static final int MAX_ADDED = 4;

    /** Every block of the set, in the order the view maps them first. */
    private final RamBlock[] blocks;
    /** The blocks this set holds a count on itself. */
    private final RamBlock[] own;
    /** The set this one extends (holding one count on it), or null. */
    private final RamBlockSet base;
    private final int depth;
    private final RefCount refs = new RefCount(1);

    private RamBlockSet(RamBlock[] blocks, RamBlock[] own, RamBlockSet base) {
        this.blocks = blocks;
        this.own = own;
        this.base = base;
        this.depth = base == null ? 0 : base.depth + 1;
    }

    /**
     * Takes one count on each of {@code blocks[0..n)} (distinct blocks) and {@return a set holding
     * them, with one count for the caller}
     *
     * @throws IllegalStateException if a block was already freed; no count is left taken then
     */
    public static RamBlockSet retainAll(RamBlock[] blocks, int n) {
        RamBlock[] copy = Arrays.copyOf(blocks, n);
        retain(copy);
        return new RamBlockSet(copy, copy, null);
    }

    private static void retain(RamBlock[] blocks) {
        for (int i = 0; i < blocks.length; i++) {
            if (!blocks[i].retain()) {
                for (int j = 0; j < i; j++) {
                    blocks[j].release();
                }
                throw new IllegalStateException("RAM block '" + blocks[i].name() + "' was freed while still mapped");
            }
        }
    }

    /**
     * {@return a set holding exactly {@code blocks[0..n)} (distinct blocks) with one count for the
     * caller, made as cheaply as {@code previous} (the set of the view before, or null) allows}
     * {@code previous} itself or a set it extends (directly or not) if one holds exactly these
     * blocks, else a set
     * extending {@code previous} if these are its blocks and at most {@link #MAX_ADDED} more, else
     * a new set ({@link #retainAll}).
     *
     * @throws IllegalStateException if a block was already freed; no count is left taken then
     */
    public static RamBlockSet sharedFor(RamBlockSet previous, RamBlock[] blocks, int n) {
        if (previous != null) {
            for (RamBlockSet s = previous; s != null; s = s.base) {
                if (s.holdsExactly(blocks, n) && s.tryShare()) {
                    return s;
                }
            }
            RamBlockSet extended = extend(previous, blocks, n);
            if (extended != null) {
                return extended;
            }
        }
        return retainAll(blocks, n);
    }

    /**
     * {@return a set of {@code blocks[0..n)} that extends {@code base}, or null if they do not
     * hold every block of {@code base} in its order, add more than {@link #MAX_ADDED}, or the chain
     * would be deeper than {@link #MAX_DEPTH}, or {@code base} is already released}
     */
    static RamBlockSet extend(RamBlockSet base, RamBlock[] blocks, int n) {
        if (base.depth >= MAX_DEPTH || n < base.blocks.length || n - base.blocks.length > MAX_ADDED) {
            return null;
        }
        RamBlock[] added = new RamBlock[n - base.blocks.length];
        int a = 0;
        int i = 0;
        for (int j = 0; j < n; j++) {
            if (i < base.blocks.length && blocks[j] == base.blocks[i]) {
                i++;
            } else if (a == added.length) {
                return null; // a block of base is missing
            } else {
                added[a++] = blocks[j];
            }
        }
        if (i != base.blocks.length || !base.tryShare()) {
            return null;
        }
        try {
            retain(added);
        } catch (RuntimeException e) {
            base.release();
            throw e;
        }
        return new RamBlockSet(Arrays.copyOf(blocks, n), added, base);
    }

    /** {@return whether this set holds exactly {@code blocks[0..n)}, in that order} */
    public boolean holdsExactly(RamBlock[] blocks, int n) {
        return Arrays.equals(this.blocks, 0, this.blocks.length, blocks, 0, n);
    }

    /** Takes one more count for a view that shares the set; false (nothing taken) if it already reached zero. */
    public boolean tryShare() {
        return refs.tryRetain();
    }

    /** Drops a view's count; the last one drops the set's count on every block it added and on the set it extends. */
    public void release() {
        if (refs.release()) {
            for (RamBlock b : own) {
                b.release();
            }
            if (base != null) {
                base.release();
            }
        }
    }

    /** {@return the number of blocks} */
    public int size() {
        return blocks.length;
    }

    /** {@return the set this one extends, or null; for tests} */
    RamBlockSet base() {
        return base;
    }

    /** {@return the set's current count; for tests and diagnostics} */
    public int refCount() {
        return refs.get();
    }
}
