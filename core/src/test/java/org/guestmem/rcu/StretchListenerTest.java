package org.guestmem.rcu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.guestmem.layout.RcuReaderSlotLayout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link StretchListener}s hear exactly the documented stretch boundaries, on the reader's thread,
 * while the reader's slot protects it (after the slot shows it protected at a start, before the
 * slot stops protecting it at an end), and a listener that fails on {@code enter()} or
 * {@code online()} leaves the reader as it was.
 */
class StretchListenerTest {
    final RcuDomain domain = new RcuDomain("stretch-test");
    final List<String> heard = new ArrayList<>();

    @AfterEach
    void close() {
        domain.close();
    }

    /** Records each call with the reader's slot value at that moment (0: not protected). */
    StretchListener recorder(String name) {
        return new StretchListener() {
            @Override
            public void stretchStarted(RcuReader reader) {
                heard.add(name + " started " + protectedNow(reader));
            }

            @Override
            public void stretchEnded(RcuReader reader) {
                heard.add(name + " ended " + protectedNow(reader));
            }
        };
    }

    static String protectedNow(RcuReader r) {
        return (long) RcuReaderSlotLayout.CTR.getVolatile(r.nativeSlot(), 0L) != 0 ? "protected" : "unprotected";
    }

    @Test
    void explicitReadersShouldHearOnlyTheirOutermostSections() {
        RcuReader r = domain.register();
        r.addStretchListener(recorder("a"));
        r.enter();
        r.enter();
        r.exit();
        assertEquals(List.of("a started protected"), heard);
        r.exit();
        assertEquals(List.of("a started protected", "a ended protected"), heard, "ended while the slot still protects");
        assertEquals(0L, (long) RcuReaderSlotLayout.CTR.getVolatile(r.nativeSlot(), 0L), "then the slot is released");
        r.close();
    }

    @Test
    void quiescentReadersShouldHearQuiescentStatesOfflineAndOnline() {
        RcuReader r = domain.registerQuiescent();
        r.addStretchListener(recorder("q"));
        r.enter(); // online: nesting only
        r.exit();
        assertEquals(List.of(), heard);
        r.quiescentState();
        r.offline();
        r.online();
        r.close();
        assertEquals(List.of("q started protected", "q ended protected", "q started protected", "q ended protected"), heard);
    }

    @Test
    void aListenerFailingOnEnterShouldLeaveTheReaderOutsideTheSection() {
        RcuReader r = domain.register();
        RuntimeException boom = new IllegalStateException("boom");
        r.addStretchListener(recorder("first"));
        r.addStretchListener(new StretchListener() {
            @Override
            public void stretchStarted(RcuReader reader) {
                throw boom;
            }

            @Override
            public void stretchEnded(RcuReader reader) {
                heard.add("failing ended");
            }
        });
        long epoch = r.sectionEpoch();
        assertSame(boom, assertThrows(IllegalStateException.class, r::enter));
        assertFalse(r.inReadSection());
        assertEquals(0, r.depth());
        assertEquals(0L, (long) RcuReaderSlotLayout.CTR.getVolatile(r.nativeSlot(), 0L));
        assertNotEquals(epoch, r.sectionEpoch(), "what was loaded during the attempt is not trusted");
        assertEquals(List.of("first started protected", "first ended protected", "failing ended"), heard);
        domain.synchronize(); // no section holds the grace period
        r.close();
    }

    @Test
    void aListenerFailingOnOnlineShouldLeaveTheReaderOffline() {
        RcuReader r = domain.registerQuiescent();
        r.offline();
        r.addStretchListener(new StretchListener() {
            @Override
            public void stretchStarted(RcuReader reader) {
                throw new IllegalArgumentException("no");
            }

            @Override
            public void stretchEnded(RcuReader reader) {
                heard.add("ended");
            }
        });
        assertThrows(IllegalArgumentException.class, r::online);
        assertFalse(r.isOnline());
        assertFalse(r.inReadSection());
        assertEquals(List.of("ended"), heard);
        assertThrows(IllegalStateException.class, r::quiescentState, "offline: no quiescent state to report");
        r.close();
    }

    @Test
    void aListenerFailingAtAQuiescentStateShouldStillHaveReportedIt() throws Exception {
        RcuReader r = domain.registerQuiescent();
        r.addStretchListener(new StretchListener() {
            @Override
            public void stretchStarted(RcuReader reader) {
                throw new IllegalStateException("late");
            }

            @Override
            public void stretchEnded(RcuReader reader) {
            }
        });
        Thread waiter = new Thread(domain::synchronize);
        waiter.start();
        while (waiter.getState() != Thread.State.TIMED_WAITING && waiter.getState() != Thread.State.WAITING && waiter.isAlive()) {
            Thread.onSpinWait();
        }
        assertThrows(IllegalStateException.class, r::quiescentState);
        waiter.join(10_000);
        assertFalse(waiter.isAlive(), "the grace period ended: the quiescent state was reported");
        assertTrue(r.isOnline());
        r.close();
    }

    @Test
    void registrationShouldBeConfinedAndUnique() throws Exception {
        RcuReader r = domain.register();
        StretchListener l = recorder("x");
        r.addStretchListener(l);
        assertThrows(IllegalArgumentException.class, () -> r.addStretchListener(l));
        Throwable[] seen = new Throwable[1];
        Thread other = new Thread(() -> {
            try {
                r.addStretchListener(recorder("y"));
            } catch (Throwable e) {
                seen[0] = e;
            }
        });
        other.start();
        other.join();
        assertTrue(seen[0] instanceof WrongThreadException, "got " + seen[0]);
        r.removeStretchListener(l);
        r.removeStretchListener(l); // not registered: nothing
        r.enter();
        r.exit();
        assertEquals(List.of(), heard);
        r.close();
    }
}
