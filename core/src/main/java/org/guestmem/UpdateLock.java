package org.guestmem;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.guestmem.listener.MemoryListenerException;

/**
 * One memory system's update lock (QEMU's BQL, for memory only), whether the system is closed,
 * and the listener failures collected while it is held. Every topology change, listener
 * (un)registration and dirty-log operation runs under it; CPU threads never take it.
 *
 * <p>{@link #locked(String, Supplier)} and {@link #locked(String, Runnable)} are the one way to
 * run a body under the lock: listener callbacks record their failures here instead of throwing,
 * and the outermost lock level rethrows them after unlocking, as one
 * {@link MemoryListenerException}. A nested level (the caller already holds the lock: a
 * transaction or a mutator) leaves them for the outer level.
 */
final class UpdateLock {
    private final ReentrantLock lock = new ReentrantLock();
    private final String systemName;
    /** What a writer does when it leaves the lock altogether after a change: the backlog bound. */
    private final Runnable afterWrite;
    // ---- guarded by lock ----
    private final ArrayList<Throwable> failures = new ArrayList<>();
    /** Written under the lock; volatile so that closing can check it after leaving the lock. */
    private volatile boolean closed;

    UpdateLock(String systemName, Runnable afterWrite) {
        this.systemName = systemName;
        this.afterWrite = afterWrite;
    }

    void lock() {
        lock.lock();
    }

    void unlock() {
        lock.unlock();
    }

    boolean isHeldByCurrentThread() {
        return lock.isHeldByCurrentThread();
    }

    /** {@return whether the system was closed} Exact under the lock; any thread may read it. */
    boolean isClosed() {
        return closed;
    }

    /** Marks the system closed. Under the lock. */
    void markClosed() {
        closed = true;
    }

    /**
     * Throws unless the system is open. Under the lock.
     *
     * @throws IllegalStateException if the system was closed
     */
    void checkOpen() {
        if (closed) {
            throw new IllegalStateException("memory system '" + systemName + "' is closed");
        }
    }

    /** Records what a listener threw, to be rethrown by the outermost lock level. Under the lock. */
    void fail(Throwable t) {
        failures.add(t);
    }

    /** {@return the failures recorded since the last call, clearing the record} Under the lock. */
    List<Throwable> drainFailures() {
        if (failures.isEmpty()) {
            return List.of();
        }
        List<Throwable> all = List.copyOf(failures);
        failures.clear();
        return all;
    }

    /**
     * Runs {@code body} under the lock and {@return its value}; listener failures are rethrown
     * afterwards, unless the calling thread holds an outer lock level.
     *
     * @throws MemoryListenerException if a listener callback threw and this is the outermost level
     */
    <T> T locked(String what, Supplier<T> body) {
        List<Throwable> failed;
        T value;
        lock.lock();
        try {
            value = body.get();
        } finally {
            failed = lock.getHoldCount() == 1 ? drainFailures() : List.of();
            lock.unlock();
        }
        throwIfAny(failed, what);
        return value;
    }

    /** {@link #locked(String, Supplier)} for a body without a value. */
    void locked(String what, Runnable body) {
        locked(what, () -> {
            body.run();
            return null;
        });
    }

    /** {@link #locked(String, Runnable)} for a body that needs the system open. */
    void lockedOpen(String what, Runnable body) {
        locked(what, () -> {
            checkOpen();
            body.run();
        });
    }

    /**
     * Ends a change (a mutator or a transaction's commit, successful or not): unlocks; if the
     * thread no longer holds the lock at all, runs the after-write hook (which may wait for
     * reclamation: never under the lock).
     */
    void unlockAfterChange() {
        lock.unlock();
        if (!lock.isHeldByCurrentThread()) {
            afterWrite.run();
        }
    }

    /** Throws {@code all}, if not empty, as one {@link MemoryListenerException}. */
    static void throwIfAny(List<Throwable> all, String what) {
        if (all.isEmpty()) {
            return;
        }
        MemoryListenerException ex = new MemoryListenerException(all.size() + " memory listener callback(s) failed during "
                + what + "; the change was fully committed", all.getFirst());
        for (int k = 1; k < all.size(); k++) {
            ex.addSuppressed(all.get(k));
        }
        throw ex;
    }
}
