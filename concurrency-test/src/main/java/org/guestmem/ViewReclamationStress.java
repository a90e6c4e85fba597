package org.guestmem;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.guestmem.rcu.RcuDomain;
import org.guestmem.rcu.RcuReader;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * jcstress test of the whole reclamation path of a view, as a CPU thread and a commit use it: a
 * reader in an RCU read section of the system's domain loads {@link AddressSpace#currentView()}
 * and checks whether that view was destroyed; the writer publishes a new view, which drops the
 * last reference on the old one and {@linkplain RcuDomain#defer defers} its destruction, then
 * {@linkplain RcuDomain#drain() drains} the domain so the destruction has run when it returns.
 *
 * <p>Property: a view is destroyed only after every reader that could have loaded it has left its
 * read section ({@code FlatView}'s "Lifetime" paragraph, invariant 4 of the architecture).
 *
 * <p>Results: r1 = rangeCount of the view the reader loaded (1 old, 2 new), r2 = whether it was
 * destroyed as the reader saw it inside its section, r3 = whether the old view is destroyed after
 * the writer's drain (arbiter).
 * <ul>
 * <li>{@code 1, 0, 1}: the reader loaded the old view and used it intact; it was destroyed later.</li>
 * <li>{@code 2, 0, 1}: the reader loaded the new view.</li>
 * <li>{@code 1, 1, *} is forbidden: the reader's view was destroyed under it. {@code *, *, 0} is
 * forbidden too: the last release did not lead to destruction by the time {@code drain()}
 * returned.</li>
 * </ul>
 *
 * <p>The system's domain is shared by every state of the JVM ({@link ViewFixtures#SYSTEM}); the
 * reader thread registers lazily, once, for the reasons given in
 * {@code org.guestmem.rcu.GracePeriodStress}.
 */
@JCStressTest
@Outcome(id = "1, 0, 1", expect = ACCEPTABLE, desc = "old view used intact inside the section, destroyed afterwards")
@Outcome(id = "2, 0, 1", expect = ACCEPTABLE, desc = "reader loaded the new view")
@Outcome(id = "1, 1, .", expect = FORBIDDEN, desc = "view destroyed while a reader was inside its read section")
@Outcome(id = "., ., 0", expect = FORBIDDEN, desc = "old view not destroyed after its last release and drain()")
@Outcome(expect = FORBIDDEN, desc = "impossible outcome")
@State
public class ViewReclamationStress {
    private static final RcuDomain DOMAIN = ViewFixtures.SYSTEM.rcu();

    private final FlatView old;
    private final AddressSpace space;

    public ViewReclamationStress() {
        old = ViewFixtures.oldView();
        space = ViewFixtures.space(old);
        old.release(); // the space now holds the only reference: publish's release is the last
    }

    @Actor
    public void reader(III_Result r) {
        RcuReader reader = DOMAIN.currentReader();
        if (reader == null) {
            reader = DOMAIN.register();
        }
        reader.enter();
        try {
            FlatView v = space.currentView();
            for (int i = 0; i < 8; i++) {
                Thread.onSpinWait(); // dwell inside the section, see GracePeriodStress.dwell()
            }
            r.r1 = v.rangeCount();
            r.r2 = v.isDestroyed() ? 1 : 0;
        } finally {
            reader.exit();
        }
    }

    @Actor
    public void writer() {
        space.publish(ViewFixtures.newView());
        DOMAIN.drain();
    }

    @Arbiter
    public void arbiter(III_Result r) {
        r.r3 = old.isDestroyed() ? 1 : 0;
    }
}
