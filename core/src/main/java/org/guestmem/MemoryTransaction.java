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
 * <p>Confined to the thread that opened it. A change rejected with an exception changes nothing,
 * and the others stay part of the transaction.
 *
 * <h2 id="failure">A commit that fails</h2>
 * If the outermost {@link #close()} cannot render the new views (a structure whose rendering would
 * not end, see {@link AliasRegion}; or any other exception before the views are published), the
 * whole transaction is rolled back: every region is as it was when the transaction began (address
 * spaces created in it are destroyed, a region destroyed in it is alive again with its RAM), the
 * published views are the same objects, no listener has been called for it, the update lock is
 * released, and {@code close()} throws: {@link AliasLoopException} for a structure that cannot
 * be rendered, {@link IllegalStateException} wrapping any other exception, or the
 * {@link Error} itself. The transaction is over either way. Global dirty-logging changes made in
 * the transaction are not undone (listeners were told at once); the next commit renders them.
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
     * new views. Idempotent; the transaction is over after the first call, even one that threw.
     *
     * @throws WrongThreadException     if called from a thread other than the one that opened it
     * @throws AliasLoopException      if the new views cannot be rendered because of the structure
     *                                  (the transaction was rolled back, see <a href="#failure">above</a>)
     * @throws IllegalStateException    if another exception prevented the commit (rolled back too)
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
