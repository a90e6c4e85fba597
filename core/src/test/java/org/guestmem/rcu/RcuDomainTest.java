package org.guestmem.rcu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The guarantees and the batching rule of {@link RcuDomain}'s Javadoc, one test each. */
@Timeout(60)
class RcuDomainTest {
    private final RcuDomain rcu = new RcuDomain("test");

    @AfterEach
    void close() {
        rcu.close();
    }

    /** Starts a thread that registers, enters a read section, and stays in it until {@code leave} opens. */
    private Thread readerInSection(CountDownLatch inside, CountDownLatch leave) {
        return Thread.ofPlatform().start(() -> {
            try (RcuReader r = rcu.register()) {
                r.enter();
                inside.countDown();
                leave.await();
                r.exit();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    /**
     * Starts a CPU thread registered in quiescent-state mode that runs {@code step} until
     * {@code stop} is set, then goes offline; returns once it is online.
     */
    private Thread quiescentCpu(AtomicBoolean stop, Consumer<RcuReader> step) throws InterruptedException {
        CountDownLatch online = new CountDownLatch(1);
        Thread cpu = Thread.ofPlatform().start(() -> {
            try (RcuReader q = rcu.registerQuiescent()) {
                online.countDown();
                while (!stop.get()) {
                    step.accept(q);
                }
                q.offline();
            }
        });
        online.await();
        return cpu;
    }

    @Test
    void aDeferredCallbackShouldWaitForAReaderWhoseSectionBeganBeforeTheDefer() throws Exception {
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch leave = new CountDownLatch(1);
        Thread t = readerInSection(inside, leave);
        inside.await();
        CountDownLatch ran = new CountDownLatch(1);
        rcu.defer(ran::countDown);
        assertFalse(ran.await(200, TimeUnit.MILLISECONDS), "the reader is still in the section it began before the defer");
        leave.countDown();
        assertTrue(ran.await(10, TimeUnit.SECONDS), "the reader left: the grace period ends and the callback runs");
        t.join();
    }

    @Test
    void synchronizeShouldWaitForAReaderInsideASectionAndForAQuiescentStateOnlyThen() throws Exception {
        AtomicBoolean report = new AtomicBoolean();
        AtomicBoolean stop = new AtomicBoolean();
        Thread cpu = quiescentCpu(stop, q -> {
            if (report.get()) {
                q.quiescentState();
            }
            Thread.onSpinWait();
        });
        Thread waiter = Thread.ofPlatform().start(rcu::synchronize);
        waiter.join(200);
        assertTrue(waiter.isAlive(), "an online quiescent-state reader that reports nothing holds the grace period");
        report.set(true);
        waiter.join(10_000);
        assertFalse(waiter.isAlive(), "its quiescent state ends the grace period");
        stop.set(true);
        cpu.join();
    }

    @Test
    void callbacksShouldRunOneAtATimeInTheOrderOfTheirDefers() {
        List<Integer> order = new ArrayList<>();
        AtomicInteger running = new AtomicInteger();
        AtomicBoolean overlapped = new AtomicBoolean();
        for (int i = 0; i < 20_000; i++) {
            int n = i;
            rcu.defer(() -> {
                if (running.incrementAndGet() != 1) {
                    overlapped.set(true);
                }
                order.add(n); // plain list: safe only if callbacks never overlap
                running.decrementAndGet();
            });
        }
        rcu.drain();
        assertFalse(overlapped.get());
        assertEquals(20_000, order.size());
        for (int i = 0; i < order.size(); i++) {
            assertEquals(i, order.get(i));
        }
    }

    @Test
    void synchronizeAndDrainShouldRefuseToWaitForThemselves() throws Exception {
        try (RcuReader r = rcu.register()) {
            r.enter();
            assertThrows(IllegalStateException.class, rcu::synchronize);
            assertThrows(IllegalStateException.class, rcu::drain);
            r.exit();
        }
        AtomicReference<Throwable> fromCallback = new AtomicReference<>();
        rcu.defer(() -> {
            try {
                rcu.synchronize();
            } catch (Throwable t) {
                fromCallback.set(t);
            }
        });
        rcu.drain();
        assertTrue(fromCallback.get() instanceof IllegalStateException, "synchronize() from a callback: " + fromCallback.get());
    }

    @Test
    void aCallbackThatThrowsShouldBeCountedAndTheOthersShouldStillRun() {
        AtomicInteger ran = new AtomicInteger();
        rcu.defer(ran::incrementAndGet);
        rcu.defer(() -> {
            throw new IllegalStateException("a device's teardown failed");
        });
        rcu.defer(ran::incrementAndGet);
        rcu.drain();
        assertEquals(2, ran.get());
        assertEquals(1, rcu.callbacksFailed());
        assertTrue(rcu.callbacksRun() >= 3, "the one that threw counts as run: " + rcu.callbacksRun());
    }

    @Test
    void closeShouldRunWhatIsPendingAndRefuseLaterDefers() {
        AtomicInteger ran = new AtomicInteger();
        for (int i = 0; i < 100; i++) {
            rcu.defer(() -> {
                ran.incrementAndGet();
                rcu.tryDefer(ran::incrementAndGet); // deferred while the domain closes: runs too
            });
        }
        rcu.close();
        assertEquals(200, ran.get());
        assertThrows(IllegalStateException.class, () -> rcu.defer(ran::incrementAndGet));
        assertFalse(rcu.tryDefer(ran::incrementAndGet));
    }

    @Test
    void anIsolatedDeferShouldBeServedInABatchOfItsOwn() throws Exception {
        rcu.drain(); // starts the reclaimer
        long batches = rcu.batchCount();
        for (int i = 0; i < 20; i++) {
            CountDownLatch ran = new CountDownLatch(1);
            rcu.defer(ran::countDown);
            assertTrue(ran.await(10, TimeUnit.SECONDS));
        }
        assertEquals(batches + 20, rcu.batchCount());
    }

    @Test
    void aStreamOfDefersShouldCostAboutOneGracePeriodPerBatchWaitNotOnePerCallback() throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        Thread cpu = quiescentCpu(stop, q -> {
            long until = System.nanoTime() + 20_000; // a CPU loop reporting every 20 us
            while (System.nanoTime() < until) {
                Thread.onSpinWait();
            }
            q.quiescentState();
        });
        rcu.drain();
        long batches0 = rcu.batchCount();
        AtomicInteger ran = new AtomicInteger();
        long t0 = System.nanoTime();
        int deferred = 0;
        while (System.nanoTime() - t0 < 300_000_000L) {
            rcu.defer(ran::incrementAndGet);
            deferred++;
            long until = System.nanoTime() + 5_000;
            while (System.nanoTime() < until) {
                Thread.onSpinWait();
            }
        }
        long elapsedMs = (System.nanoTime() - t0) / 1_000_000;
        stop.set(true);
        cpu.join();
        rcu.drain();
        long batches = rcu.batchCount() - batches0 - 1; // less drain()'s own
        assertEquals(deferred, ran.get());
        // one grace period per 20 us reader interval would be about 15,000 batches; collecting for
        // a millisecond between them allows one per millisecond, and twice that when the producer
        // stalls (a loaded machine) and the reclaimer serves what it finds at once before the stream
        // resumes; measured on a quiet 2-core machine: 120 to 200
        assertTrue(batches <= 2 * elapsedMs * 1000 / RcuDomain.BATCH_WAIT_MICROS + 50,
                batches + " batches for " + deferred + " callbacks in " + elapsedMs + " ms");
    }

    @Test
    void readerCountFollowsRegistrationAndIsClosedFollowsClose() {
        RcuDomain d = new RcuDomain("count");
        assertEquals(0, d.readerCount());
        RcuReader r = d.register();
        assertEquals(1, d.readerCount());
        r.close();
        assertEquals(0, d.readerCount());
        assertFalse(d.isClosed());
        d.close();
        assertTrue(d.isClosed());
    }

    // ---------------------------------------------------------------- readers when the domain ends

    @Test
    void aFailedEnterShouldLeaveTheReaderAsItWas() {
        RcuDomain d = new RcuDomain("closing");
        RcuReader r = d.register();
        long epoch = r.sectionEpoch();
        d.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, r::enter);
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertEquals(0, r.depth(), "the failed enter left no section open");
        assertEquals(epoch, r.sectionEpoch());
        assertFalse(r.inReadSection());
        assertThrows(IllegalStateException.class, r::enter, "and the next enter fails the same way");
        assertEquals(0, r.depth());
        r.close(); // nothing to leave: closing the reader still works
    }

    @Test
    void aReaderShouldLeaveItsStretchAndCloseAfterItsDomainClosed() throws Exception {
        RcuDomain d = new RcuDomain("closing");
        AtomicReference<RcuReader> reader = new AtomicReference<>();
        CountDownLatch online = new CountDownLatch(1);
        CountDownLatch closed = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread cpu = Thread.ofPlatform().start(() -> {
            try {
                RcuReader q = d.registerQuiescent();
                reader.set(q);
                q.quiescentState();
                online.countDown();
                IllegalStateException refused = null;
                while (refused == null) {
                    try {
                        q.quiescentState(); // lets close() through, until the domain is gone
                    } catch (IllegalStateException e) {
                        refused = e;
                    }
                }
                closed.await();
                assertTrue(refused.getMessage().contains("is closed"), refused.getMessage());
                assertTrue(q.isOnline(), "a refused quiescent state changes nothing");
                q.offline();
                q.close();
                assertFalse(q.isOnline());
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        online.await();
        d.close();
        closed.countDown();
        cpu.join(10_000);
        assertNull(failure.get());
        assertEquals(0, d.readerCount());
    }

    @Test
    void drainShouldTreatTheCallersOnlineReaderAsQuiescent() throws Exception {
        RcuDomain d = new RcuDomain("cpu-drains"); // not closed if the CPU thread hangs: closing would hang too
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread cpu = Thread.ofPlatform().daemon().start(() -> {
            try (RcuReader q = d.registerQuiescent()) {
                CountDownLatch ran = new CountDownLatch(1);
                d.defer(ran::countDown);
                d.drain(); // the grace period would wait for this very thread if it stayed online
                assertEquals(0, ran.getCount());
                assertTrue(q.isOnline(), "back online after the wait");
                q.offline();
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        cpu.join(10_000);
        assertFalse(cpu.isAlive(), "drain() on a CPU thread with its reader online returned");
        assertNull(failure.get());
        d.close();
    }

    @Test
    void closeShouldTakeTheCallersOnlineReaderOfflineForGood() throws Exception {
        RcuDomain d = new RcuDomain("cpu-closes");
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread cpu = Thread.ofPlatform().daemon().start(() -> {
            try (RcuReader q = d.registerQuiescent()) {
                d.close();
                assertTrue(d.isClosed());
                assertFalse(q.isOnline(), "its domain is gone: it cannot be online any more");
                assertThrows(IllegalStateException.class, q::online);
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        cpu.join(10_000);
        assertFalse(cpu.isAlive(), "close() on a CPU thread with its reader online returned");
        assertNull(failure.get());
    }

    @Test
    void closeInsideAReadSectionShouldBeRefusedAndChangeNothing() {
        RcuDomain d = new RcuDomain("refused");
        RcuReader r = d.register();
        CountDownLatch ran = new CountDownLatch(1);
        d.defer(ran::countDown);
        r.enter();
        IllegalStateException e = assertThrows(IllegalStateException.class, d::close);
        assertTrue(e.getMessage().contains("leave the read section first"), e.getMessage());
        assertFalse(d.isClosed());
        r.exit();
        d.close();
        assertTrue(d.isClosed());
        assertEquals(0, ran.getCount(), "the retry ran what was deferred");
    }

    @Test
    void aClosedDomainShouldBeGarbageThoughItsReaderWasNeverClosed() throws InterruptedException {
        WeakReference<RcuDomain> weak = domainLeftWithAnOpenReader();
        for (int i = 0; i < 50 && weak.get() != null; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertNull(weak.get(), "nothing on this thread keeps the closed domain, its queue or its threads");
    }

    private WeakReference<RcuDomain> domainLeftWithAnOpenReader() {
        RcuDomain d = new RcuDomain("forgotten");
        RcuReader r = d.register(); // never closed
        r.enter();
        r.exit();
        d.defer(() -> { }); // starts the reclaimer thread
        d.drain();
        d.close();
        return new WeakReference<>(d);
    }
}
