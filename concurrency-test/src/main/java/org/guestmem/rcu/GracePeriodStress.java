package org.guestmem.rcu;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIIII_Result;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * jcstress tests of grace-period detection in {@link RcuDomain}: {@link RcuDomain#synchronize()}
 * must not return while a reader that could have loaded the old reference is still inside its read
 * section, however the reader's entry interleaves with the writer's publication.
 *
 * <p>Every test has the same shape. A state holds a published reference to a {@link Box}
 * (written with a release store, read with an acquire load, as {@code AddressSpace} does with its
 * view). The writer replaces it, calls {@code synchronize()}, then "frees" the old box by setting
 * its {@code freed} field. The reader loads the reference and reads {@code freed} of what it loaded.
 * {@code freed} is a plain field on purpose: the only thing that may order the writer's store
 * after the reader's load is the RCU protocol (the reader's release store of its slot on exit, the
 * waiter's acquire load of it; or, when the waiter did not see the reader, the store/fence/load
 * Dekker pair between the reader's slot and the published reference).
 *
 * <h2>Domains and threads</h2>
 * Registration is per thread per domain (the domain keeps a {@code ThreadLocal}) and jcstress runs
 * the actors of many states on the same, reused threads, so each test class uses one static
 * domain for its whole JVM and each reader thread registers lazily, the first time it runs the
 * actor ({@link RcuDomain#currentReader()}, else register). A domain per state would register a
 * new reader, with a new native slot that nothing frees, for each of hundreds of thousands of
 * states. Sharing is safe because a grace period only has to cover readers that are inside a
 * section: the writer of one state may wait for the reader of another state, which only makes it
 * wait longer, never shorter. Registrations of threads that jcstress retires stay in the domain
 * with their slot at 0 (outside every section), so they never hold a grace period. A
 * quiescent-state reader, which is inside a read section whenever it is online, goes
 * {@link RcuReader#offline() offline} at the end of each actor call: otherwise a reader thread
 * that finished its share of states and waits at jcstress' barrier would hold up the writer's
 * grace period for ever.
 */
public final class GracePeriodStress {
    private GracePeriodStress() {
    }

    /** An RCU-protected object: {@code id} 0 for the old one, 1 for the new one. */
    static final class Box {
        final int id;
        int freed; // plain on purpose, see the class comment

        Box(int id) {
            this.id = id;
        }
    }

    /**
     * Keeps a reader inside its section for a few hundred nanoseconds between loading a reference
     * and checking it, so that a writer whose grace period wrongly skipped the reader has time to
     * free the object (without it, the window is a few instructions wide).
     */
    static void dwell() {
        for (int i = 0; i < DWELL_SPINS; i++) {
            Thread.onSpinWait();
        }
    }

    static final int DWELL_SPINS = 8;

    /** One published reference per state. */
    abstract static class Published {
        private static final VarHandle PUBLISHED;

        static {
            try {
                PUBLISHED = MethodHandles.lookup().findVarHandle(Published.class, "published", Box.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        @SuppressWarnings("unused") // accessed through PUBLISHED
        private Box published = new Box(0);

        /** The reader's acquire load. */
        final Box load() {
            return (Box) PUBLISHED.getAcquire(this);
        }

        /** The writer: release store of a new box, a grace period, then free the old box. */
        final void replaceSynchronizeFree(RcuDomain domain) {
            Box old = (Box) PUBLISHED.get(this); // the writer's own last store
            PUBLISHED.setRelease(this, new Box(1));
            domain.synchronize();
            old.freed = 1;
        }
    }

    /**
     * A reader with an explicit read section ({@link RcuDomain#register()},
     * {@link RcuReader#enter()}/{@link RcuReader#exit()}) against a writer that replaces the
     * reference, waits for a grace period and frees the old object.
     *
     * <p>Results: r1 = which box the reader loaded (0 old, 1 new), r2 = its {@code freed} flag as
     * read inside the section.
     * <ul>
     * <li>{@code 0, 0}: the reader entered before the writer's grace period began; the writer
     * waited for its exit.</li>
     * <li>{@code 1, 0}: the reader entered late and loaded the new box.</li>
     * <li>{@code 0, 1} is forbidden: the reader saw its box freed while still inside its read
     * section (a use after free). {@code 1, 1} cannot happen (the new box is never freed).</li>
     * </ul>
     */
    @JCStressTest
    @Outcome(id = "0, 0", expect = ACCEPTABLE, desc = "loaded the old box; the grace period waited for the reader")
    @Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "entered after the replacement; loaded the new box")
    @Outcome(id = "0, 1", expect = FORBIDDEN, desc = "old box freed while the reader was inside its read section")
    @Outcome(expect = FORBIDDEN, desc = "impossible: the new box is never freed")
    @State
    public static class ExplicitReadSection extends Published {
        static final RcuDomain DOMAIN = new RcuDomain("jcstress-explicit");

        @Actor
        public void reader(II_Result r) {
            RcuReader reader = DOMAIN.currentReader();
            if (reader == null) {
                reader = DOMAIN.register();
            }
            reader.enter();
            try {
                Box b = load();
                dwell();
                r.r1 = b.id;
                r.r2 = b.freed;
            } finally {
                reader.exit();
            }
        }

        @Actor
        public void writer() {
            replaceSynchronizeFree(DOMAIN);
        }
    }

    /**
     * A quiescent-state reader ({@link RcuDomain#registerQuiescent()}) that is online for the whole
     * actor call and reports one {@link RcuReader#quiescentState()} in the middle, against the same
     * writer. A reference loaded while online is protected until the next quiescent state; a
     * reference kept across a quiescent state is not (the writer may free it then).
     *
     * <p>Results: r1 = box loaded before the quiescent state (0 old, 1 new), r2 = its
     * {@code freed} before the quiescent state, r3 = box loaded after the quiescent state, r4 = its
     * {@code freed}, r5 = {@code freed} of the first box read again after the quiescent state
     * (a stale reference: allowed to be freed).
     * <ul>
     * <li>{@code 0, 0, 0, 0, 0}: both loads saw the old box; the grace period waited for the
     * reader to go offline.</li>
     * <li>{@code 0, 0, 1, 0, 0}: the replacement happened between the two loads.</li>
     * <li>{@code 0, 0, 1, 0, 1} (interesting): the writer's grace period ended at the reader's
     * quiescent state and the writer freed the first box while the reader was still online: the
     * reader broke the rule by keeping that reference, and this shows the grace period really ends
     * at a quiescent state rather than at going offline.</li>
     * <li>{@code 1, 0, 1, 0, 0}: both loads saw the new box.</li>
     * <li>anything else is forbidden: a box freed while the reader held it between two quiescent
     * states, or the new box followed by the old one.</li>
     * </ul>
     */
    @JCStressTest
    @Outcome(id = "0, 0, 0, 0, 0", expect = ACCEPTABLE, desc = "old box in both halves; the writer waited for offline")
    @Outcome(id = "0, 0, 1, 0, 0", expect = ACCEPTABLE, desc = "replaced between the halves")
    @Outcome(id = "0, 0, 1, 0, 1", expect = ACCEPTABLE_INTERESTING, desc = "grace period ended at the quiescent state; stale reference freed")
    @Outcome(id = "1, 0, 1, 0, 0", expect = ACCEPTABLE, desc = "new box in both halves")
    @Outcome(expect = FORBIDDEN, desc = "a box freed while held between quiescent states, or new then old")
    @State
    public static class QuiescentStateReader extends Published {
        static final RcuDomain DOMAIN = new RcuDomain("jcstress-quiescent");

        @Actor
        public void reader(IIIII_Result r) {
            RcuReader reader = DOMAIN.currentReader();
            if (reader == null) {
                reader = DOMAIN.registerQuiescent(); // online from here
            } else {
                reader.online();
            }
            Box a = load();
            dwell();
            r.r1 = a.id;
            r.r2 = a.freed;
            reader.quiescentState();
            r.r5 = a.freed;
            Box b = load();
            dwell();
            r.r3 = b.id;
            r.r4 = b.freed;
            reader.offline();
        }

        @Actor
        public void writer() {
            replaceSynchronizeFree(DOMAIN);
        }
    }
}
