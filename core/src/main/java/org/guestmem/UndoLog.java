package org.guestmem;

import java.util.ArrayList;

/**
 * What the open transaction changed, so that a failed commit can take it back: every mutator
 * records the inverse of its change before applying it, and effects that cannot be taken back
 * (a destroyed region's RAM block released, its coalesced ranges cleared) are deferred until the
 * commit succeeded. The outermost commit either {@linkplain #commit() keeps} the changes, running
 * the deferred effects, or {@linkplain #rollBack() rolls them back}, running the inverses newest
 * first, so every inverse finds the state its change left. The inverses of region changes write
 * fields directly, checking nothing and marking nothing pending; the inverse of an address space's
 * creation destroys the space.
 *
 * <p>Owned by the system's {@link ViewCache}; guarded by the update lock.
 */
final class UndoLog {
    private final ArrayList<Runnable> inverses = new ArrayList<>();
    private final ArrayList<Runnable> deferred = new ArrayList<>();
    /** How many mutator calls (and address-space creations) recorded something: what a message counts. */
    private int changes;

    /** Records how to undo the change about to be applied. */
    void record(Runnable inverse) {
        inverses.add(inverse);
    }

    /** Defers an effect that cannot be undone until the outermost commit succeeds. */
    void defer(Runnable effect) {
        deferred.add(effect);
    }

    /** {@return a mark of what was recorded and deferred so far, for {@link #rollBackTo}} */
    long mark() {
        return (long) inverses.size() << 32 | deferred.size();
    }

    /** Counts one change if anything was recorded since {@code mark}. */
    void countChange(long mark) {
        if (inverses.size() > (int) (mark >>> 32)) {
            changes++;
        }
    }

    /** {@return how many changes the open transaction made (mutator calls that changed something)} */
    int changes() {
        return changes;
    }

    /**
     * Undoes the changes recorded after {@code mark}, newest first, and drops the effects deferred
     * after it: a mutator that failed half-way takes back what it did.
     */
    void rollBackTo(long mark) {
        int keepDeferred = (int) mark;
        while (deferred.size() > keepDeferred) {
            deferred.removeLast();
        }
        int keep = (int) (mark >>> 32);
        for (int i = inverses.size() - 1; i >= keep; i--) {
            inverses.remove(i).run();
        }
    }

    /** Undoes every recorded change, newest first, and drops the deferred effects. */
    void rollBack() {
        rollBackTo(0L);
        changes = 0;
    }

    /**
     * Keeps every recorded change and runs the deferred effects in the order they were deferred,
     * every one of them even if one throws (the first exception is rethrown afterwards, the others
     * suppressed by it).
     */
    void commit() {
        inverses.clear();
        changes = 0;
        if (deferred.isEmpty()) {
            return;
        }
        Runnable[] effects = deferred.toArray(Runnable[]::new);
        deferred.clear();
        RuntimeException first = null;
        for (Runnable effect : effects) {
            try {
                effect.run();
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
