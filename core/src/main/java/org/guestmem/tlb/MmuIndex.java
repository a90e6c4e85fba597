package org.guestmem.tlb;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.guestmem.AddrRange;
import org.guestmem.AddressSpace;
import org.guestmem.FlatView;
import org.guestmem.internal.CoreAccess;
import org.guestmem.internal.PublishedView;

/**
 * One MMU index of a {@link Tlb}: its address space, its page mapper, and which publication of the
 * space its entries follow. Owner thread, except {@link #entriesView} and {@link #ramMap}, which
 * threads clearing dirty bits read.
 */
final class MmuIndex {
    final int k;
    final AddressSpace space;
    /** The emulator's page walk; null for an identity index (guest address = address-space address). */
    final PageMapper mapper;
    /** The publication the entries follow; null before the first revalidation. */
    PublishedView pub;
    /** The sections of {@code pub}'s view, created on first use. */
    SectionInfo[] sections;
    /** {@code pub}'s view, for threads clearing dirty bits (written before any fill from it). */
    volatile FlatView entriesView;
    /** {@link #entriesView}'s reverse map, built by the first clearing thread that needs it. */
    volatile ViewRamMap ramMap;

    MmuIndex(int k, AddressSpace space, PageMapper mapper) {
        this.k = k;
        this.space = space;
        this.mapper = mapper;
    }

    boolean identity() {
        return mapper == null;
    }

    /** {@return section {@code s} of the view the entries follow} */
    SectionInfo section(CoreAccess core, int s) {
        SectionInfo si = sections[s];
        if (si == null) {
            si = SectionInfo.of(core, pub.view(), s);
            sections[s] = si;
        }
        return si;
    }

    /**
     * Brings the entries up to date with the space's current publication (owner thread, at the
     * start of a protected stretch). Identity indexes drop only the pages the commits since
     * changed when they are all listed and few; otherwise, and for mapped indexes, the index is
     * flushed. Entries native code filled from a generation Java does not know are dropped.
     * Allocates nothing unless {@code ranges} asks for the changed ranges (for a listener).
     *
     * @param ranges whether to return the changed ranges (else {@link #CHANGED} stands for them)
     * @return what changed for the JIT: a list of ranges (or {@link #CHANGED}), {@link #EVERYTHING},
     *         or null (nothing)
     */
    Object revalidate(CoreAccess core, TlbTable t, boolean ranges) {
        PublishedView p = core.publication(space);
        PublishedView old = pub;
        boolean nativeMoved = old != null && t.descriptorGeneration(k) != old.generation();
        if (p == old && !nativeMoved) {
            return null;
        }
        int steps = old == null ? -1 : p.stepsSince(old);
        long pages = steps > 0 ? pages(p, steps, t.pageBits) : -1;
        boolean selective = identity() && !nativeMoved && pages >= 0 && pages <= Math.max(64, t.entries / 8);
        // the new view first: a clearing thread that misses it is seen by our fills' fences
        entriesView = p.view();
        ramMap = null;
        t.follow(k, p.generation(), p.view().nativeTables().address());
        if (selective) {
            for (int st = 0; st < steps; st++) {
                invalidate(t, p.changes(st));
            }
        } else {
            t.flush(k);
        }
        pub = p;
        int n = core.dispatch(p.view()).sectionCount();
        if (sections == null || sections.length < n || sections.length > 4 * n + 64) {
            sections = new SectionInfo[n];
        } else {
            Arrays.fill(sections, null);
        }
        if (old == null) {
            return null;
        }
        if (steps <= 0) {
            return EVERYTHING;
        }
        if (!ranges) {
            return pages > 0 ? CHANGED : null;
        }
        List<AddrRange> r = ranges(p, steps);
        return r.isEmpty() ? null : r;
    }

    /** Marker: everything may have changed. */
    static final Object EVERYTHING = new Object();
    /** Marker: some ranges changed (not listed: no one asked). */
    static final Object CHANGED = new Object();

    /** {@return the pages the last {@code steps} change lists up to {@code p} cover (counted per list), or -1 if more than 2^31} */
    private static long pages(PublishedView p, int steps, int pageBits) {
        long n = 0;
        for (int st = 0; st < steps; st++) {
            long[] c = p.changes(st);
            for (int i = 0; i < c.length; i += 2) {
                long span = (c[i + 1] >>> pageBits) - (c[i] >>> pageBits) + 1;
                n += span;
                if (span <= 0 || n > Integer.MAX_VALUE) {
                    return -1;
                }
            }
        }
        return n;
    }

    /** Empties the entries (direct and second slot) of every page in one change list (identity index: entry page = guest page). */
    private void invalidate(TlbTable t, long[] c) {
        for (int i = 0; i < c.length; i += 2) {
            for (long page = c[i] & t.pageMaskHi; ; page += 1L << t.pageBits) {
                t.flushPage(k, page);
                if (page == (c[i + 1] & t.pageMaskHi)) {
                    break;
                }
            }
        }
    }

    /** The last {@code steps} change lists up to {@code p} merged into sorted, disjoint ranges. */
    private static List<AddrRange> ranges(PublishedView p, int steps) {
        ArrayList<long[]> all = new ArrayList<>();
        for (int st = 0; st < steps; st++) {
            long[] c = p.changes(st);
            for (int i = 0; i < c.length; i += 2) {
                all.add(new long[] {c[i], c[i + 1]});
            }
        }
        all.sort((a, b) -> Long.compareUnsigned(a[0], b[0]));
        ArrayList<AddrRange> out = new ArrayList<>();
        long start = 0;
        long last = 0;
        boolean open = false;
        for (long[] r : all) {
            if (open && (last == -1L || Long.compareUnsigned(r[0], last + 1) <= 0)) {
                if (Long.compareUnsigned(r[1], last) > 0) {
                    last = r[1];
                }
                continue;
            }
            if (open) {
                out.add(new AddrRange(start, last));
            }
            start = r[0];
            last = r[1];
            open = true;
        }
        if (open) {
            out.add(new AddrRange(start, last));
        }
        return List.copyOf(out);
    }
}
