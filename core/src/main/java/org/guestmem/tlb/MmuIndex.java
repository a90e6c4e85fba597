package org.guestmem.tlb;

import java.util.ArrayList;
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
     *
     * @return what changed for the JIT: a list of ranges, {@link #EVERYTHING}, or null (nothing)
     */
    Object revalidate(CoreAccess core, TlbTable t) {
        PublishedView p = core.publication(space);
        PublishedView old = pub;
        boolean nativeMoved = old != null && t.descriptorGeneration(k) != old.generation();
        if (p == old && !nativeMoved) {
            return null;
        }
        int steps = old == null ? -1 : p.stepsSince(old);
        long[][] changes = steps > 0 ? changes(p, steps) : null;
        long pages = changes == null ? -1 : pages(changes, t.pageBits);
        boolean selective = identity() && !nativeMoved && pages >= 0 && pages <= Math.max(64, t.entries / 8);
        // the new view first: a clearing thread that misses it is seen by our fills' fences
        entriesView = p.view();
        ramMap = null;
        t.follow(k, p.generation(), p.view().nativeTables().address());
        if (selective) {
            for (long[] c : changes) {
                invalidate(t, c);
            }
        } else {
            t.flush(k);
        }
        pub = p;
        sections = new SectionInfo[core.dispatch(p.view()).sectionCount()];
        if (old == null) {
            return null;
        }
        if (changes == null) {
            return EVERYTHING;
        }
        List<AddrRange> r = ranges(changes);
        return r.isEmpty() ? null : r;
    }

    /** Marker: everything may have changed. */
    static final Object EVERYTHING = new Object();

    /** The change lists of the last {@code steps} publications up to {@code p}, or null if one is too large. */
    private static long[][] changes(PublishedView p, int steps) {
        long[][] out = new long[steps][];
        for (int s = 0; s < steps; s++) {
            out[s] = p.changes(s);
        }
        return out;
    }

    /** {@return the pages the changes cover (counted per list), or -1 if more than 2^31} */
    private static long pages(long[][] changes, int pageBits) {
        long n = 0;
        for (long[] c : changes) {
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

    /** The change lists merged into sorted, disjoint ranges. */
    private static List<AddrRange> ranges(long[][] changes) {
        ArrayList<long[]> all = new ArrayList<>();
        for (long[] c : changes) {
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
