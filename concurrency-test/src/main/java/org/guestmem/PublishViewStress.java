package org.guestmem;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIIIII_Result;
import org.openjdk.jcstress.infra.results.IIII_Result;

/**
 * jcstress tests of publishing a {@link FlatView}: {@link AddressSpace#publish} (the writer's
 * release store) against {@link AddressSpace#currentView()} (the reader's acquire load) and
 * {@link AddressSpace#retainView()} (QEMU's {@code address_space_get_flatview} retry loop).
 *
 * <p>The views come from {@link ViewFixtures}: an old view of one range, a new one of two. The
 * writer builds the new view inside its actor, so its construction races the reader too.
 *
 * <p>What these tests can and cannot see: FlatView's and FlatRange's fields are final, so the
 * Java memory model's final-field rule alone already guarantees a reader that sees the object
 * its constructor's writes. The reference count is not final: it is written by the
 * {@code RefCount} constructor and by {@code publish}'s {@code tryRetain()} before the release
 * store, so a reader that sees the new view with a count below 2 would show that publication is
 * not ordered after them. On x86 (TSO) only compiler reordering can break this; jcstress' split
 * compilation and interpreter modes vary the code the JIT emits.
 */
public final class PublishViewStress {
    private PublishViewStress() {
    }

    /**
     * A reader loads the current view and reads its contents while the writer publishes a new one.
     *
     * <p>Results: r1 = rangeCount, r2 = first range's start, r3 = last range's offset in its region,
     * r4 = which region the first range shows (1 old, 2 new, 0 anything else), r5 = the view's
     * reference count as the reader saw it, r6 = the second range's last address (0 for the old
     * view, which has one range).
     * <ul>
     * <li>{@code 1, 4096, 16, 1, 2, 0}: the complete old view, before the writer dropped the space's
     * reference on it.</li>
     * <li>{@code 1, 4096, 16, 1, 1, 0}: the complete old view, after that release (the memory
     * system's reference keeps it alive).</li>
     * <li>{@code 2, 8192, 4096, 2, 2, 16383}: the complete new view, retained by the space before it
     * was published.</li>
     * <li>anything else is forbidden: a new view with default contents, a count that misses the
     * space's reference, a mix of old and new.</li>
     * </ul>
     */
    @JCStressTest
    @Outcome(id = "1, 4096, 16, 1, 2, 0", expect = ACCEPTABLE, desc = "complete old view, still referenced by the space")
    @Outcome(id = "1, 4096, 16, 1, 1, 0", expect = ACCEPTABLE, desc = "complete old view, space's reference already dropped")
    @Outcome(id = "2, 8192, 4096, 2, 2, 16383", expect = ACCEPTABLE, desc = "complete new view, retained before publication")
    @Outcome(expect = FORBIDDEN, desc = "torn or uninitialised view, or a count that misses the space's reference")
    @State
    public static class ReaderSeesCompleteView {
        private final AddressSpace space = ViewFixtures.space(ViewFixtures.oldView());

        @Actor
        public void writer() {
            FlatView next = ViewFixtures.newView();
            space.publish(next);
        }

        @Actor
        public void reader(IIIIII_Result r) {
            FlatView v = space.currentView();
            int n = v.rangeCount();
            r.r1 = n;
            FlatRange first = v.range(0);
            r.r2 = (int) first.start();
            r.r3 = (int) v.range(n - 1).offsetInRegion();
            r.r4 = ViewFixtures.regionCode(first.region());
            r.r5 = v.refCount();
            r.r6 = n > 1 ? (int) v.range(1).last() : 0;
        }
    }

    /**
     * A reader takes a counted reference ({@link AddressSpace#retainView()}) while the writer
     * publishes a new view and, in doing so, drops the last reference on the old one. The space
     * holds the only reference on the old view here, so the writer's release is the last one
     * unless the reader's retain got in first.
     *
     * <p>Results: r1 = rangeCount of the view the reader retained (1 old, 2 new), r2 = whether that
     * view was already released when the reader got it (must be 0), r3 = old view's final count,
     * r4 = new view's final count (arbiter).
     * <ul>
     * <li>{@code 1, 0, 1, 2}: the reader retained the old view before the writer's release (old:
     * 1 &rarr; 2 &rarr; 1, kept alive by the reader); new: created 1, the space's 1.</li>
     * <li>{@code 2, 0, 0, 3}: the reader saw the new view (directly, or after its retain of the
     * old one failed on zero and it re-read); the old view reached zero and its destruction was
     * deferred.</li>
     * <li>anything else is forbidden: a retained view that is already released (use after free),
     * or counts that lost or invented a reference.</li>
     * </ul>
     */
    @JCStressTest
    @Outcome(id = "1, 0, 1, 2", expect = ACCEPTABLE, desc = "retained the old view before its last release")
    @Outcome(id = "2, 0, 0, 3", expect = ACCEPTABLE, desc = "retained the new view; the old one was released")
    @Outcome(id = "., 1, ., .", expect = FORBIDDEN, desc = "retained a view whose count had reached zero")
    @Outcome(expect = FORBIDDEN, desc = "reference counts lost or invented a reference")
    @State
    public static class RetainVersusPublish {
        private final FlatView old;
        private final AddressSpace space;

        public RetainVersusPublish() {
            old = ViewFixtures.oldView();
            space = ViewFixtures.space(old);
            old.release(); // drop the creator's reference: the space's is the last one
        }

        @Actor
        public void writer() {
            space.publish(ViewFixtures.newView());
        }

        @Actor
        public void reader(IIII_Result r) {
            AddressSpace.RetainedView rv = space.retainView();
            FlatView v = rv.view();
            r.r1 = v.rangeCount();
            r.r2 = v.isReleased() ? 1 : 0;
        }

        @Arbiter
        public void arbiter(IIII_Result r) {
            r.r3 = old.refCount();
            r.r4 = space.currentView().refCount();
        }
    }
}
