package org.guestmem.tlb;

import java.lang.ref.WeakReference;
import java.util.List;
import org.guestmem.AddrRange;
import org.guestmem.internal.CoreAccess;
import org.guestmem.rcu.RcuReader;
import org.guestmem.rcu.StretchListener;

/**
 * A {@link Tlb}'s side of its reader's stretches: at a stretch start every index revalidates
 * ({@link MmuIndex#revalidate}), the fast path is armed, then the {@link TlbListener} hears what
 * changed; at a stretch end the fast path is disarmed. Holds the TLB weakly, so that a TLB its
 * owner dropped without closing it (an accessor that went out of use) can be collected while the
 * reader lives on; the listener then removes itself at the next stretch boundary.
 */
final class Revalidation implements StretchListener {
    private final WeakReference<Tlb> tlb;
    private final MmuIndex[] indexes;
    private final TlbTable table;
    private final CoreAccess core;
    private final TlbListener listener;
    /** What each index's last revalidation found changed (reused: a stretch start allocates nothing). */
    private final Object[] changes;

    Revalidation(Tlb tlb, MmuIndex[] indexes, TlbTable table, CoreAccess core, TlbListener listener) {
        this.tlb = new WeakReference<>(tlb);
        this.indexes = indexes;
        this.table = table;
        this.core = core;
        this.listener = listener;
        this.changes = new Object[indexes.length];
    }

    @Override
    public void stretchStarted(RcuReader r) {
        Tlb t = tlb.get();
        if (t == null) {
            r.removeStretchListener(this);
            return;
        }
        revalidate(t, true);
    }

    @Override
    public void stretchEnded(RcuReader r) {
        Tlb t = tlb.get();
        if (t == null) {
            r.removeStretchListener(this);
            return;
        }
        t.disarm();
    }

    /** Revalidates every index, arms the fast path, then (if {@code tell}) tells the listener what changed. */
    void revalidate(Tlb t, boolean tell) {
        for (MmuIndex ix : indexes) {
            changes[ix.k] = ix.revalidate(core, table, listener != null);
        }
        t.arm();
        for (int k = 0; k < changes.length; k++) {
            Object c = changes[k];
            changes[k] = null;
            if (tell) {
                tell(k, c);
            }
        }
    }

    /**
     * Native code revalidated index {@code ix} itself ({@code guestmem_tlb_revalidate}): Java follows
     * before it uses the index's view (the old one may be freed already), and the listener hears
     * what changed since the view Java knew.
     */
    void resync(MmuIndex ix) {
        tell(ix.k, ix.revalidate(core, table, listener != null));
    }

    private void tell(int k, Object c) {
        if (listener == null || c == null || c == MmuIndex.CHANGED) {
            return;
        }
        if (c == MmuIndex.EVERYTHING) {
            listener.everythingChanged(k);
        } else {
            @SuppressWarnings("unchecked")
            List<AddrRange> r = (List<AddrRange>) c;
            listener.rangesChanged(k, r);
        }
    }
}
