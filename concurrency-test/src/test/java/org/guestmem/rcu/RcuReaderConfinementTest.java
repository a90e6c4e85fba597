package org.guestmem.rcu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link RcuReader} is confined to its thread: {@code enter()} and {@code exit()} called from
 * another thread throw {@link WrongThreadException} and leave the owner's read-section state alone.
 * Before the fix, a foreign {@code enter()} incremented the owner's depth before checking the
 * thread, so the owner's next outermost {@code enter()} no longer published its counter, and a
 * foreign {@code exit()} had no check at all and ended the owner's section: either way
 * {@link RcuDomain#synchronize()} returned while the owner was inside a read section.
 *
 * <p>A deterministic test, not a jcstress one: the failure needs a specific sequence, not a race.
 */
class RcuReaderConfinementTest {
    private RcuDomain domain;
    private ExecutorService owner;
    private RcuReader reader;

    @BeforeEach
    void setUp() throws Exception {
        domain = new RcuDomain("confinement");
        owner = Executors.newSingleThreadExecutor();
        reader = owner.submit(domain::register).get();
    }

    @AfterEach
    void tearDown() throws Exception {
        owner.submit(() -> {
            while (reader.depth() > 0) {
                reader.exit();
            }
            reader.close();
        }).get();
        owner.shutdown();
        domain.close();
    }

    @Test
    void enterFromAnotherThreadThrowsAndLeavesTheOwnersSectionProtected() throws Exception {
        assertThrows(WrongThreadException.class, reader::enter);
        assertEquals(0, owner.submit(reader::depth).get());

        owner.submit(reader::enter).get();
        assertGracePeriodWaitsForTheOwner();
    }

    @Test
    void exitFromAnotherThreadThrowsAndDoesNotEndTheOwnersSection() throws Exception {
        owner.submit(reader::enter).get();
        assertThrows(WrongThreadException.class, reader::exit);
        assertEquals(1, owner.submit(reader::depth).get());

        assertGracePeriodWaitsForTheOwner();
    }

    /** The owner is inside a section: a grace period must not end until it leaves. */
    private void assertGracePeriodWaitsForTheOwner() throws Exception {
        CompletableFuture<Void> gp = CompletableFuture.runAsync(domain::synchronize);
        Thread.sleep(200);
        assertFalse(gp.isDone(), "synchronize() returned while the owner was inside its read section");
        owner.submit(reader::exit).get();
        gp.get(10, TimeUnit.SECONDS);
    }
}
