package org.guestmem;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.guestmem.internal.RefCount;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.ZZI_Result;
import org.openjdk.jcstress.infra.results.ZZZ_Result;

/**
 * jcstress tests of {@link RefCount}, the retain-if-not-zero count behind {@code FlatView} and
 * {@code RamBlock} (QEMU's {@code flatview_ref}/{@code flatview_unref}).
 *
 * <p>The property under test: the count goes down to zero exactly once. A {@code tryRetain()}
 * that races the last {@code release()} either wins (and the object stays alive) or fails (and the
 * releaser alone sees zero and schedules destruction); never both. {@code RefCount} lives in
 * {@code org.guestmem.internal}, which core's module does not export: these tests run on the
 * class path (one unnamed module, see the module's pom), where that public class is reachable.
 */
public final class RefCountStress {
    private RefCountStress() {
    }

    /**
     * {@code tryRetain()} races the release of the last reference of a count of 1.
     *
     * <p>Results: r1 = tryRetain() succeeded, r2 = release() returned true (reached zero),
     * r3 = final count (arbiter).
     * <ul>
     * <li>{@code true, false, 1}: the retain won, 1 &rarr; 2 &rarr; 1; the object stays alive.</li>
     * <li>{@code false, true, 0}: the release won, 1 &rarr; 0; the retain saw zero and failed.</li>
     * <li>anything else is forbidden: in particular {@code true, true, *} (a reference taken on an
     * object whose destruction was scheduled: a use-after-free) and {@code false, false, *} (the
     * last reference vanished without anyone scheduling destruction: a leak).</li>
     * </ul>
     */
    @JCStressTest
    @Outcome(id = "true, false, 1", expect = ACCEPTABLE, desc = "retain won: 1 -> 2 -> 1, object stays alive")
    @Outcome(id = "false, true, 0", expect = ACCEPTABLE, desc = "release won: 1 -> 0, retain refused")
    @Outcome(id = "true, true, .*", expect = FORBIDDEN, desc = "retained AND released to zero: use after free")
    @Outcome(id = "false, false, .*", expect = FORBIDDEN, desc = "nobody saw zero and nobody retained: leak")
    @Outcome(expect = FORBIDDEN, desc = "count inconsistent with the two operations")
    @State
    public static class RetainVersusLastRelease {
        private final RefCount count = new RefCount(1);

        @Actor
        public void retainer(ZZI_Result r) {
            r.r1 = count.tryRetain();
        }

        @Actor
        public void releaser(ZZI_Result r) {
            r.r2 = count.release();
        }

        @Arbiter
        public void arbiter(ZZI_Result r) {
            r.r3 = count.get();
        }
    }

    /**
     * Two holders of a count of 2 release at the same time: exactly one of them sees zero.
     *
     * <p>Results: r1, r2 = what each release() returned, r3 = final count (arbiter).
     * <ul>
     * <li>{@code true, false, 0} and {@code false, true, 0}: one release reached zero.</li>
     * <li>{@code true, true, *} (destroyed twice) and {@code false, false, *} (never destroyed,
     * or a lost decrement) are forbidden, as is any other final count.</li>
     * </ul>
     */
    @JCStressTest
    @Outcome(id = {"true, false, 0", "false, true, 0"}, expect = ACCEPTABLE, desc = "exactly one release reached zero")
    @Outcome(id = "true, true, .*", expect = FORBIDDEN, desc = "both saw zero: destroyed twice")
    @Outcome(id = "false, false, .*", expect = FORBIDDEN, desc = "nobody saw zero: leak or lost decrement")
    @Outcome(expect = FORBIDDEN, desc = "count inconsistent with two releases of 2")
    @State
    public static class TwoReleasesOfTwo {
        private final RefCount count = new RefCount(2);

        @Actor
        public void first(ZZI_Result r) {
            r.r1 = count.release();
        }

        @Actor
        public void second(ZZI_Result r) {
            r.r2 = count.release();
        }

        @Arbiter
        public void arbiter(ZZI_Result r) {
            r.r3 = count.get();
        }
    }

    /**
     * The full life of a borrowed reference against the owner's last release: actor 1 tries to
     * retain and, if it got a reference, drops it again; actor 2 drops the owner's (last)
     * reference. Whoever drops the count to zero must be told so, exactly once.
     *
     * <p>Results: r1 = tryRetain() succeeded, r2 = actor 1's own release() returned true (false
     * when it did not retain), r3 = actor 2's release() returned true.
     * <ul>
     * <li>{@code true, true, false}: retained first, actor 2 released 2 &rarr; 1, actor 1's release
     * was the last.</li>
     * <li>{@code true, false, true}: retained, released 2 &rarr; 1, then actor 2's release was the
     * last.</li>
     * <li>{@code false, false, true}: actor 2 released first; the retain saw zero and failed.</li>
     * <li>anything else is forbidden: two "last" releases, or none.</li>
     * </ul>
     */
    @JCStressTest
    @Outcome(id = "true, true, false", expect = ACCEPTABLE, desc = "borrower retained and made the last release")
    @Outcome(id = "true, false, true", expect = ACCEPTABLE, desc = "borrower retained and released; owner made the last release")
    @Outcome(id = "false, false, true", expect = ACCEPTABLE, desc = "owner released first; retain refused")
    @Outcome(expect = FORBIDDEN, desc = "zero reached twice or never")
    @State
    public static class BorrowVersusLastRelease {
        private final RefCount count = new RefCount(1);

        @Actor
        public void borrower(ZZZ_Result r) {
            boolean got = count.tryRetain();
            r.r1 = got;
            r.r2 = got && count.release();
        }

        @Actor
        public void owner(ZZZ_Result r) {
            r.r3 = count.release();
        }
    }
}
