package org.guestmem.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link Uninterruptibly}'s contract: the wait completes, and the caller's interrupt survives it. */
@Timeout(30)
class UninterruptiblyTest {
    @Test
    void stopShouldWaitForTheThreadEvenWhenInterruptedAndKeepTheInterrupt() throws Exception {
        Thread t = Thread.ofPlatform().daemon().start(() -> sleep(200));
        Thread.currentThread().interrupt();
        Uninterruptibly.stop(t);
        boolean interrupted = Thread.interrupted(); // clears it for the next test
        assertFalse(t.isAlive(), "returned before the thread ended");
        assertTrue(interrupted, "the caller's interrupt was lost");
    }

    @Test
    void awaitShouldWaitForTheLatchEvenWhenInterruptedAndKeepTheInterrupt() {
        CountDownLatch latch = new CountDownLatch(1);
        Thread.ofPlatform().daemon().start(() -> {
            sleep(200);
            latch.countDown();
        });
        Thread.currentThread().interrupt();
        Uninterruptibly.await(latch);
        boolean interrupted = Thread.interrupted();
        assertTrue(latch.getCount() == 0, "returned before the latch opened");
        assertTrue(interrupted, "the caller's interrupt was lost");
    }

    @Test
    void anUninterruptedCallerShouldStayUninterrupted() {
        Thread t = Thread.ofPlatform().daemon().start(() -> sleep(20));
        Uninterruptibly.stop(t);
        assertFalse(Thread.interrupted());
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
