package org.guestmem.listener;

/**
 * One or more {@link MemoryListener} callbacks threw during a commit or a listener
 * (un)registration. The commit itself completed: every view was published and every other
 * callback made. The first failure is the cause; later ones are suppressed exceptions.
 */
public final class MemoryListenerException extends RuntimeException {
    /**
     * Creates the exception.
     *
     * @param message what failed and during what
     * @param cause   the first failure; add later ones with {@link #addSuppressed}
     */
    public MemoryListenerException(String message, Throwable cause) {
        super(message, cause);
    }
}
