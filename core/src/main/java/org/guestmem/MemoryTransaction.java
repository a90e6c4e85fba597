package org.guestmem;

/**
 * An open transaction on a {@link MemorySystem}: the thread that opened it holds the update lock
 * until {@link #close()}, and every change made meanwhile becomes visible at once when the
 * outermost transaction closes. Transactions nest; only the outermost close re-renders, and only
 * if a change happened that QEMU re-renders for.
 *
 * {@snippet :
 * try (MemoryTransaction tx = system.begin()) {
 *     pamRam.setEnabled(true);
 *     pamPci.setEnabled(false);
 * } // one commit: readers see both changes or neither
 * }
 *
 * <p>Confined to the thread that opened it. There is no rollback: a change rejected with an
 * exception changes nothing, and the others stay part of the transaction.
 */
public final class MemoryTransaction implements AutoCloseable {
    private final ViewCache views;
    private final Thread thread;
    private boolean closed;

    MemoryTransaction(ViewCache views) {
        this.views = views;
        this.thread = Thread.currentThread();
    }

    /**
     * Commits: if this is the outermost transaction and something changed, renders and publishes
     * new views. Idempotent.
     *
     * @throws WrongThreadException if called from a thread other than the one that opened it
     */
    @Override
    public void close() {
        if (Thread.currentThread() != thread) {
            throw new WrongThreadException("transaction opened by thread '" + thread.getName()
                    + "' closed from thread '" + Thread.currentThread().getName() + "'");
        }
        if (!closed) {
            closed = true;
            views.commit();
        }
    }
}
