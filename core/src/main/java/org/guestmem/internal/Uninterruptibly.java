package org.guestmem.internal;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.LockSupport;

/**
 * Waits that closing code must finish even when the caller is interrupted: the interrupt is kept
 * and set again on the caller's thread when the wait is over, so the caller's own code still sees it.
 */
public final class Uninterruptibly {
    private Uninterruptibly() {
    }

    /** Wakes {@code t} (which must be on its way to ending) and waits until it has ended. */
    public static void stop(Thread t) {
        LockSupport.unpark(t);
        boolean interrupted = false;
        while (t.isAlive()) {
            try {
                t.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits until {@code latch} reaches zero. */
    public static void await(CountDownLatch latch) {
        boolean interrupted = false;
        while (true) {
            try {
                latch.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
