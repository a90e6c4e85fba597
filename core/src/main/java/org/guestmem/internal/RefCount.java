package org.guestmem.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A lock-free reference count that can only go down to zero once: {@link #tryRetain()} succeeds
 * only while the count is non-zero (QEMU's {@code flatview_ref}), and the {@link #release()} that
 * brings it to zero returns true exactly once, so its caller alone schedules destruction.
 *
 * <p>Ordering: every operation is a volatile read-modify-write, so everything a thread did
 * before its release happens-before the destruction that follows the final release.
 */
public final class RefCount {
    private static final VarHandle COUNT;

    static {
        try {
            COUNT = MethodHandles.lookup().findVarHandle(RefCount.class, "count", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") // accessed through COUNT
    private volatile int count;

    /** Creates a count holding {@code initial} references (at least 1). */
    public RefCount(int initial) {
        if (initial < 1) {
            throw new IllegalArgumentException("initial count must be at least 1, got " + initial);
        }
        COUNT.setRelease(this, initial);
    }

    /** {@return the current count (0 once released for good)} */
    public int get() {
        return (int) COUNT.getVolatile(this);
    }

    /**
     * Takes a reference unless the count already reached zero.
     *
     * @return whether a reference was taken
     */
    public boolean tryRetain() {
        int c = (int) COUNT.getVolatile(this);
        while (c > 0) {
            int witness = (int) COUNT.compareAndExchange(this, c, c + 1);
            if (witness == c) {
                return true;
            }
            c = witness;
        }
        return false;
    }

    /**
     * Drops a reference.
     *
     * @return true for the release that brought the count to zero (exactly one caller sees it)
     * @throws IllegalStateException if the count was already zero (more releases than retains);
     *                               the count is left untouched
     */
    public boolean release() {
        int c = (int) COUNT.getVolatile(this);
        while (true) {
            if (c <= 0) {
                // never write: a transient negative count would let a racing tryRetain() revive the object
                throw new IllegalStateException("reference count released more often than retained");
            }
            int witness = (int) COUNT.compareAndExchange(this, c, c - 1);
            if (witness == c) {
                return c == 1;
            }
            c = witness;
        }
    }
}
