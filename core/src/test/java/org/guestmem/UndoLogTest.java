package org.guestmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The undo log's order rules: inverses newest first, deferred effects oldest first and all of them. */
class UndoLogTest {
    private final UndoLog log = new UndoLog();
    private final List<String> ran = new ArrayList<>();

    @Test
    void shouldRunTheInversesNewestFirstAndDropTheDeferredEffects() {
        log.record(() -> ran.add("undo 1"));
        log.defer(() -> ran.add("effect 1"));
        log.record(() -> ran.add("undo 2"));
        log.rollBack();
        assertEquals(List.of("undo 2", "undo 1"), ran);
        log.commit();
        assertEquals(List.of("undo 2", "undo 1"), ran, "a rollback forgets everything");
    }

    @Test
    void shouldTakeBackOnlyWhatOneFailedMutatorRecorded() {
        log.record(() -> ran.add("undo kept"));
        log.defer(() -> ran.add("effect kept"));
        long mark = log.mark();
        log.record(() -> ran.add("undo failed mutator"));
        log.defer(() -> ran.add("effect of the failed mutator"));
        log.rollBackTo(mark);
        assertEquals(List.of("undo failed mutator"), ran);
        log.commit();
        assertEquals(List.of("undo failed mutator", "effect kept"), ran);
    }

    @Test
    void shouldCountAChangeOnlyWhenSomethingWasRecorded() {
        long mark = log.mark();
        log.countChange(mark);
        assertEquals(0, log.changes(), "a mutator that changed nothing");
        log.record(() -> { });
        log.record(() -> { });
        log.countChange(mark);
        assertEquals(1, log.changes(), "one mutator, two inverses: one change");
        log.commit();
        assertEquals(0, log.changes());
    }

    @Test
    void shouldRunEveryDeferredEffectInOrderAndRethrowTheFirstFailure() {
        IllegalStateException first = new IllegalStateException("first");
        IllegalStateException second = new IllegalStateException("second");
        log.defer(() -> ran.add("a"));
        log.defer(() -> {
            throw first;
        });
        log.defer(() -> ran.add("b"));
        log.defer(() -> {
            throw second;
        });
        log.defer(() -> ran.add("c"));
        log.record(() -> ran.add("never undone"));
        assertSame(first, assertThrows(IllegalStateException.class, log::commit));
        assertEquals(List.of("a", "b", "c"), ran);
        assertSame(second, first.getSuppressed()[0]);
        log.rollBack();
        assertEquals(List.of("a", "b", "c"), ran, "a commit forgets the inverses");
    }
}
