package org.guestmem;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;
import org.guestmem.internal.DispatchTable;
import org.guestmem.internal.IoStatus;
import org.guestmem.internal.MmioDispatcher;
import org.guestmem.layout.SectionLayout;
import org.guestmem.rcu.RcuReader;

/**
 * One CPU thread's fast path to an {@link AddressSpace}: the {@link GuestMemory} operations with
 * QEMU's semantics, a per-thread translation cache in front of the view's native tables, and no
 * allocation, lock or shared write on the way.
 *
 * <h2 id="threading">Threading</h2>
 * Confined to the thread of its {@link RcuReader}. Accesses are meant to run inside the reader's
 * read sections (or while a quiescent-state reader is online); an access made outside one enters
 * and leaves a section around itself, which is correct but slower.
 *
 * <h2 id="views">Which view an access sees</h2>
 * The first access of a read section (for a quiescent-state reader: the first access after a
 * quiescent state) loads the address space's current publication with an acquire load; the
 * accesses after it in the same stretch reuse that view without touching shared memory, the way
 * an RCU reader keeps the pointer it dereferenced. A commit becomes visible to this thread at its
 * next read section or quiescent state, never later; a commit that completed before the section
 * began is always visible. (The stretch is tracked with {@link RcuReader#sectionEpoch()}.)
 *
 * <h2 id="cache">The translation cache</h2>
 * A two-way set-associative table of page entries (QEMU's softmmu TLB, hashed by page number),
 * each saying how the page is read and written: straight into a RAM block segment, or through
 * the ops of the region that serves it. Only pages served entirely by one section are cached;
 * pages shared by several regions (QEMU's subpages) are looked up in the view's dispatch index
 * on every access, and RAM writes that must be dirty-logged take the general path every time.
 * Entries are tagged with a per-accessor stamp; when the address space publishes a new view, the
 * accessor drops only the entries of pages the commits since it last looked changed (each
 * publication lists the changes of the last 16), so commits elsewhere in the map cost this
 * thread nothing. When it is more than 16 publications behind,
 * or the changes cover more than 256 pages (or more than 32 separate ranges in one commit), it
 * drops everything, in O(1), by moving to a new stamp. An entry is only used while its page is
 * mapped identically by the current view, so its RAM segment is kept alive by that view.
 *
 * <h2 id="results">Results</h2>
 * Stores return their {@link MemTxResult}; loads leave theirs in {@link #lastResult()}.
 */
public final class AddressSpaceAccessor implements GuestMemory {
    /** 2^16 entries cover 256 MiB of 4 KiB pages (why this size: {@code bench/README.md}). */
    static final int DEFAULT_CACHE_ENTRIES = 65536;
    /** The cache's page: 4 KiB whatever the target's page size (a page is cached only if one section serves all of it). */
    private static final int PAGE_BITS = 12;
    private static final long PAGE_MASK = (1L << PAGE_BITS) - 1;
    private static final long IO = 1L << 63;
    private static final long INVALID = -1L;
    private static final int STAMP_SHIFT = 54;
    private static final long STAMP_MAX = (1L << (63 - STAMP_SHIFT)) - 1;
    /** Beyond this many pages in a publication's changed ranges, invalidate everything instead. */
    private static final long MAX_SELECTIVE_PAGES = 256;
    private static final ValueLayout.OfLong LE64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt LE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    // the operations of inSection
    private static final int LOAD = 0;
    private static final int STORE = 1;
    private static final int READ = 2;
    private static final int WRITE = 3;

    private final AddressSpace space;
    private final RcuReader reader;
    private final int hashShift;
    /**
     * Four longs per entry: read tag, write tag, addend (xlat = addr + addend), unused. Tags are
     * {@code page | stamp}, plus bit 63 when the access goes through {@link #io}. Two entries
     * (ways) per set, adjacent: a set is one 64-byte line. Entry {@code e} uses
     * {@code tags[4e..4e+3]}, {@code ram[e]} and {@code io[e]}.
     */
    private final long[] tags;
    private final MemorySegment[] ram;
    private final MmioDispatcher[] io;
    private final IoStatus st = new IoStatus();
    /** {@code stamp << STAMP_SHIFT}: ORed into every valid tag. */
    private long stampBits;
    /** The publication the cache follows. */
    private ViewPublication pub;
    /** The reader's section epoch when {@link #pub} was last checked against the space; -1: never. */
    private long epoch = -1;
    private int lastBits;
    // The most recently filled RAM section: checked before the page table, so a thread working in
    // one region never hashes. A span of 0 never matches.
    private long mruBase;
    private long mruReadSpan8;
    private long mruReadSpan4;
    private long mruWriteSpan8;
    private long mruAddend;
    private MemorySegment mruRam;
    private long slowAccesses;
    private long fills;

    AddressSpaceAccessor(AddressSpace space, RcuReader reader, int entries) {
        if (entries < 16 || entries > (1 << 20) || Integer.bitCount(entries) != 1) {
            throw new IllegalArgumentException("cache entries must be a power of two from 16 to 2^20, got " + entries);
        }
        this.space = space;
        this.reader = reader;
        this.hashShift = 64 - Integer.numberOfTrailingZeros(entries / 2);
        this.tags = new long[entries * 4];
        this.ram = new MemorySegment[entries];
        this.io = new MmioDispatcher[entries];
        Arrays.fill(tags, INVALID);
        this.stampBits = 1L << STAMP_SHIFT;
    }

    /** {@return the address space} */
    public AddressSpace space() {
        return space;
    }

    /** {@return the reader whose read sections protect this accessor's accesses} */
    public RcuReader reader() {
        return reader;
    }

    /** {@return the result of the last load (OK after a cache hit)} */
    public MemTxResult lastResult() {
        return MemTxResult.ofBits(lastBits);
    }

    /** {@return whether the last load answered {@link MemTxResult#OK} (cheaper than {@link #lastResult()})} */
    public boolean lastLoadOk() {
        return lastBits == 0;
    }

    /** {@return how many accesses took the general path so far (cache misses and uncacheable pages)} */
    public long slowAccessCount() {
        return slowAccesses;
    }

    /** {@return how many cache entries were filled so far} */
    public long fillCount() {
        return fills;
    }

    /** {@return the first entry of {@code page}'s set (sets hold two entries)} */
    private int set(long page) {
        return (int) ((page * 0x9E3779B97F4A7C15L) >>> hashShift) << 1;
    }

    /** {@return the entry of {@code page}'s set whose read tag is {@code key} (direct or io), or -1} */
    private int find(long page, long key) {
        int e = set(page);
        if ((tags[e << 2] & ~IO) == key) {
            return e;
        }
        return (tags[(e + 1) << 2] & ~IO) == key ? e + 1 : -1;
    }

    // ------------------------------------------------------------------ typed fast paths

    @Override
    public long ld8(long addr) {
        return load(addr, 1, false, MemTxAttrs.UNSPECIFIED);
    }

    @Override
    public long ld16le(long addr) {
        return load(addr, 2, false, MemTxAttrs.UNSPECIFIED);
    }

    @Override
    public long ld16be(long addr) {
        return load(addr, 2, true, MemTxAttrs.UNSPECIFIED);
    }

    @Override
    public long ld32le(long addr) {
        if (reader.sectionEpoch() != epoch) {
            return loadSlow(addr, 4, false, MemTxAttrs.UNSPECIFIED);
        }
        if (Long.compareUnsigned(addr - mruBase, mruReadSpan4) < 0) {
            lastBits = 0;
            return mruRam.get(LE32, addr + mruAddend) & 0xffff_ffffL;
        }
        return ld32Cached(addr);
    }

    /** {@link #ld32le} through the page cache, with the epoch already checked. */
    private long ld32Cached(long addr) {
        long page = addr >>> PAGE_BITS;
        long key = page | stampBits;
        int e = set(page);
        long t = tags[e << 2];
        if ((t & ~IO) != key) {
            e++;
            t = tags[e << 2];
        }
        if (t == key && (addr & PAGE_MASK) <= PAGE_MASK - 3) {
            lastBits = 0;
            return ram[e].get(LE32, addr + tags[(e << 2) + 2]) & 0xffff_ffffL;
        }
        if (t == (key | IO)) {
            st.reset();
            long v = io[e].read(addr + tags[(e << 2) + 2], 4, false, MemTxAttrs.UNSPECIFIED, st);
            lastBits = st.bits;
            return v & 0xffff_ffffL;
        }
        return loadSlow(addr, 4, false, MemTxAttrs.UNSPECIFIED);
    }

    @Override
    public long ld32be(long addr) {
        return load(addr, 4, true, MemTxAttrs.UNSPECIFIED);
    }

    @Override
    public long ld64le(long addr) {
        if (reader.sectionEpoch() != epoch) {
            return loadSlow(addr, 8, false, MemTxAttrs.UNSPECIFIED);
        }
        if (Long.compareUnsigned(addr - mruBase, mruReadSpan8) < 0) {
            lastBits = 0;
            return mruRam.get(LE64, addr + mruAddend);
        }
        return ld64Cached(addr);
    }

    /** {@link #ld64le} through the page cache, with the epoch already checked. */
    private long ld64Cached(long addr) {
        if ((addr & PAGE_MASK) <= PAGE_MASK - 7) {
            long page = addr >>> PAGE_BITS;
            long key = page | stampBits;
            int e = set(page);
            int b = e << 2;
            long[] t = tags;
            if (t[b] == key) {
                lastBits = 0;
                return ram[e].get(LE64, addr + t[b + 2]);
            }
            if (t[b + 4] == key) {
                lastBits = 0;
                return ram[e + 1].get(LE64, addr + t[b + 6]);
            }
            return ld64Miss(addr, page, key);
        }
        return loadSlow(addr, 8, false, MemTxAttrs.UNSPECIFIED);
    }

    /**
     * A page-cache miss of {@link #ld64le} inside one page, with the epoch already checked: when
     * the page has no entry (a page must never have two), fills one and reads RAM directly,
     * without the general path's bookkeeping.
     */
    private long ld64Miss(long addr, long page, long key) {
        if (find(page, key) < 0) {
            int e = fill(pub.view, page);
            if (e >= 0 && tags[e << 2] == key) {
                slowAccesses++;
                lastBits = 0;
                return ram[e].get(LE64, addr + tags[(e << 2) + 2]);
            }
        }
        return loadSlow(addr, 8, false, MemTxAttrs.UNSPECIFIED);
    }

    @Override
    public long ld64be(long addr) {
        return load(addr, 8, true, MemTxAttrs.UNSPECIFIED);
    }

    @Override
    public MemTxResult st8(long addr, long value) {
        return store(addr, 1, value, false, MemTxAttrs.UNSPECIFIED);
    }

    @Override
    public MemTxResult st16le(long addr, long value) {
        return store(addr, 2, value, false, MemTxAttrs.UNSPECIFIED);
    }

    @Override
    public MemTxResult st16be(long addr, long value) {
        return store(addr, 2, value, true, MemTxAttrs.UNSPECIFIED);
    }

    @Override
    public MemTxResult st32le(long addr, long value) {
        return store(addr, 4, value, false, MemTxAttrs.UNSPECIFIED);
    }

    @Override
    public MemTxResult st32be(long addr, long value) {
        return store(addr, 4, value, true, MemTxAttrs.UNSPECIFIED);
    }

    @Override
    public MemTxResult st64le(long addr, long value) {
        if (reader.sectionEpoch() != epoch) {
            return storeSlow(addr, 8, value, false, MemTxAttrs.UNSPECIFIED);
        }
        if (Long.compareUnsigned(addr - mruBase, mruWriteSpan8) < 0) {
            mruRam.set(LE64, addr + mruAddend, value);
            return MemTxResult.OK;
        }
        return st64Cached(addr, value);
    }

    /** {@link #st64le} through the page cache, with the epoch already checked. */
    private MemTxResult st64Cached(long addr, long value) {
        if ((addr & PAGE_MASK) <= PAGE_MASK - 7) {
            long page = addr >>> PAGE_BITS;
            long key = page | stampBits;
            int e = set(page);
            int b = e << 2;
            long[] t = tags;
            if (t[b + 1] == key) {
                ram[e].set(LE64, addr + t[b + 2], value);
                return MemTxResult.OK;
            }
            if (t[b + 5] == key) {
                ram[e + 1].set(LE64, addr + t[b + 6], value);
                return MemTxResult.OK;
            }
            return st64Miss(addr, value, page, key);
        }
        return storeSlow(addr, 8, value, false, MemTxAttrs.UNSPECIFIED);
    }

    /** A page-cache miss of {@link #st64le} inside one page; see {@link #ld64Miss}. */
    private MemTxResult st64Miss(long addr, long value, long page, long key) {
        if (find(page, key) < 0) {
            int e = fill(pub.view, page);
            if (e >= 0 && tags[(e << 2) + 1] == key) {
                slowAccesses++;
                ram[e].set(LE64, addr + tags[(e << 2) + 2], value);
                return MemTxResult.OK;
            }
        }
        return storeSlow(addr, 8, value, false, MemTxAttrs.UNSPECIFIED);
    }

    @Override
    public MemTxResult st64be(long addr, long value) {
        return store(addr, 8, value, true, MemTxAttrs.UNSPECIFIED);
    }

    // ------------------------------------------------------------------ generic paths

    @Override
    public long load(long addr, int size, ByteOrder order, MemTxAttrs attrs, MemTxResult[] result) {
        AccessPath.checkSize(size);
        long v = load(addr, size, order == ByteOrder.BIG_ENDIAN, Objects.requireNonNull(attrs, "attrs"));
        if (result != null) {
            result[0] = MemTxResult.ofBits(lastBits);
        }
        return v;
    }

    @Override
    public MemTxResult store(long addr, int size, long value, ByteOrder order, MemTxAttrs attrs) {
        AccessPath.checkSize(size);
        return store(addr, size, value, order == ByteOrder.BIG_ENDIAN, Objects.requireNonNull(attrs, "attrs"));
    }

    private long load(long addr, int size, boolean bigEndian, MemTxAttrs attrs) {
        if (reader.sectionEpoch() == epoch) {
            long page = addr >>> PAGE_BITS;
            int e = find(page, page | stampBits);
            if (e >= 0) {
                return hitLoad(e, page | stampBits, addr, size, bigEndian, attrs);
            }
        }
        return loadSlow(addr, size, bigEndian, attrs);
    }

    private MemTxResult store(long addr, int size, long value, boolean bigEndian, MemTxAttrs attrs) {
        if (reader.sectionEpoch() == epoch) {
            long page = addr >>> PAGE_BITS;
            int e = find(page, page | stampBits);
            if (e >= 0) {
                return hitStore(e, page | stampBits, addr, size, value, bigEndian, attrs);
            }
        }
        return storeSlow(addr, size, value, bigEndian, attrs);
    }

    /** A load whose page has entry {@code e}. */
    private long hitLoad(int e, long key, long addr, int size, boolean bigEndian, MemTxAttrs attrs) {
        int b = e << 2;
        long t = tags[b];
        if (t == key && (addr & PAGE_MASK) <= PAGE_MASK - (size - 1)) {
            lastBits = 0;
            return AccessPath.readSegment(ram[e], addr + tags[b + 2], size, bigEndian);
        }
        st.reset();
        long v;
        if (t == (key | IO)) {
            v = io[e].read(addr + tags[b + 2], size, bigEndian, attrs, st);
            v = size == 8 ? v : v & ((1L << (size * 8)) - 1);
        } else { // direct page, access straddling its end
            v = AccessPath.load(pub.view, addr, size, bigEndian, attrs, st);
        }
        lastBits = st.bits;
        return v;
    }

    /** A store whose page has entry {@code e}. */
    private MemTxResult hitStore(int e, long key, long addr, int size, long value, boolean bigEndian, MemTxAttrs attrs) {
        int b = e << 2;
        long t = tags[b + 1];
        if (t == key && (addr & PAGE_MASK) <= PAGE_MASK - (size - 1)) {
            AccessPath.writeSegment(ram[e], addr + tags[b + 2], size, value, bigEndian);
            return MemTxResult.OK;
        }
        st.reset();
        if (t == (key | IO)) {
            io[e].write(addr + tags[b + 2], value, size, bigEndian, attrs, st);
        } else { // straddling the page, or RAM that must be dirty-logged
            AccessPath.store(pub.view, addr, size, value, bigEndian, attrs, st);
        }
        return MemTxResult.ofBits(st.bits);
    }

    private long loadSlow(long addr, int size, boolean bigEndian, MemTxAttrs attrs) {
        return inSection(LOAD, addr, size, 0, bigEndian, attrs, null);
    }

    private MemTxResult storeSlow(long addr, int size, long value, boolean bigEndian, MemTxAttrs attrs) {
        return MemTxResult.ofBits((int) inSection(STORE, addr, size, value, bigEndian, attrs, null));
    }

    @Override
    public MemTxResult read(long addr, MemTxAttrs attrs, MemorySegment dst) {
        Objects.requireNonNull(attrs, "attrs");
        return MemTxResult.ofBits((int) inSection(READ, addr, 0, 0, false, attrs, dst));
    }

    @Override
    public MemTxResult write(long addr, MemTxAttrs attrs, MemorySegment src) {
        Objects.requireNonNull(attrs, "attrs");
        return MemTxResult.ofBits((int) inSection(WRITE, addr, 0, 0, false, attrs, src));
    }

    @Override
    public Translation translate(long addr, long length, boolean isWrite, MemTxAttrs attrs) {
        Objects.requireNonNull(attrs, "attrs");
        // Not through inSection: the Translation must go straight to the caller, so that the JIT
        // can keep it off the heap (handed over in a field, it made translate ten times slower).
        boolean entered = !reader.inReadSection();
        if (entered) {
            reader.enter();
        }
        try {
            return AccessPath.translate(refresh().view, addr, length, isWrite, attrs);
        } finally {
            if (entered) {
                reader.exit();
            }
        }
    }

    /**
     * The one way the general path enters the view: inside a read section (entering one around
     * the access, and leaving it even if a device throws, when the thread is not in one), with the
     * cache brought up to date by {@link #refresh()}. Operations: {@link #LOAD} (returns the value,
     * result in {@link #lastBits}), {@link #STORE}, {@link #READ} and {@link #WRITE} (return the
     * result bits; {@code buf} is the buffer). No allocation. ({@link #translate} enters on its own.)
     */
    private long inSection(int op, long addr, int size, long value, boolean bigEndian, MemTxAttrs attrs,
                           MemorySegment buf) {
        boolean entered = !reader.inReadSection();
        if (entered) {
            reader.enter();
        }
        try {
            ViewPublication p = refresh();
            return switch (op) {
                case LOAD -> loadIn(p, addr, size, bigEndian, attrs);
                case STORE -> storeIn(p, addr, size, value, bigEndian, attrs).bits();
                case READ -> {
                    st.reset();
                    yield AccessPath.read(p.view, addr, attrs, buf, st);
                }
                default -> {
                    st.reset();
                    yield AccessPath.write(p.view, addr, attrs, buf, st);
                }
            };
        } finally {
            if (entered) {
                reader.exit();
            }
        }
    }

    /** A load on the general path, inside a read section: through a cache entry if the page has or gets one. */
    private long loadIn(ViewPublication p, long addr, int size, boolean bigEndian, MemTxAttrs attrs) {
        slowAccesses++;
        long page = addr >>> PAGE_BITS;
        long key = page | stampBits;
        int e = find(page, key);
        if (e < 0) {
            e = fill(p.view, page);
        }
        if (e >= 0) {
            return hitLoad(e, key, addr, size, bigEndian, attrs);
        }
        st.reset();
        long v = AccessPath.load(p.view, addr, size, bigEndian, attrs, st);
        lastBits = st.bits;
        return v;
    }

    /** A store on the general path, inside a read section; see {@link #loadIn}. */
    private MemTxResult storeIn(ViewPublication p, long addr, int size, long value, boolean bigEndian, MemTxAttrs attrs) {
        slowAccesses++;
        long page = addr >>> PAGE_BITS;
        long key = page | stampBits;
        int e = find(page, key);
        if (e < 0) {
            e = fill(p.view, page);
        }
        if (e >= 0) {
            return hitStore(e, key, addr, size, value, bigEndian, attrs);
        }
        st.reset();
        AccessPath.store(p.view, addr, size, value, bigEndian, attrs, st);
        return MemTxResult.ofBits(st.bits);
    }

    // ------------------------------------------------------------------ cache maintenance

    /**
     * Inside a read section: loads the current publication (acquire) unless it was already loaded
     * in this stretch of protection, and brings the cache up to date with it.
     */
    private ViewPublication refresh() {
        long e = reader.sectionEpoch();
        if (e == epoch) {
            return pub;
        }
        ViewPublication p = space.publication();
        if (p != pub) {
            ViewPublication old = pub;
            if (old == null || !catchUp(p, p.stepsSince(old))) {
                flush();
            }
            pub = p;
        }
        epoch = e;
        return p;
    }

    /**
     * Drops the entries of every page that changed in the last {@code steps} publications up to
     * {@code p}; false (nothing dropped) if they are not all listed or too many pages changed.
     */
    private boolean catchUp(ViewPublication p, int steps) {
        if (steps < 0) {
            return false;
        }
        long pages = 0;
        for (int s = 0; s < steps; s++) {
            long[] changed = p.changes(s);
            for (int k = 0; k < changed.length; k += 2) {
                long n = (changed[k + 1] >>> PAGE_BITS) - (changed[k] >>> PAGE_BITS) + 1;
                pages += n;
                if (n <= 0 || pages > MAX_SELECTIVE_PAGES) {
                    return false;
                }
            }
        }
        for (int s = 0; s < steps; s++) {
            invalidate(p.changes(s));
        }
        return true;
    }

    /** Drops the entries of every page in {@code changed} (and the MRU section if it overlaps one). */
    private void invalidate(long[] changed) {
        for (int k = 0; k < changed.length; k += 2) {
            long mruSpan = Math.max(mruReadSpan8, mruWriteSpan8);
            if (mruSpan != 0 && Long.compareUnsigned(changed[k], mruBase + mruSpan + 6) <= 0
                    && Long.compareUnsigned(mruBase, changed[k + 1]) <= 0) {
                clearMru();
            }
            for (long page = changed[k] >>> PAGE_BITS; page <= changed[k + 1] >>> PAGE_BITS; page++) {
                int e = find(page, page | stampBits);
                if (e >= 0) {
                    tags[e << 2] = INVALID;
                    tags[(e << 2) + 1] = INVALID;
                }
            }
        }
    }

    private void clearMru() {
        mruReadSpan8 = 0;
        mruReadSpan4 = 0;
        mruWriteSpan8 = 0;
        mruRam = null;
    }

    /** Invalidates every entry in O(1) by moving to a new stamp; clears the table when stamps wrap. */
    private void flush() {
        clearMru();
        long stamp = (stampBits >>> STAMP_SHIFT) + 1;
        if (stamp > STAMP_MAX) {
            Arrays.fill(tags, INVALID);
            Arrays.fill(ram, null);
            Arrays.fill(io, null);
            stamp = 1;
        }
        stampBits = stamp << STAMP_SHIFT;
    }

    /**
     * Fills an entry of {@code page}'s set from the view's tables and returns it: the new entry
     * goes to way 0 and way 0's previous entry moves to way 1. Returns -1 and fills nothing if
     * the page is not cacheable (shared by several sections, or an IOMMU: IOMMU mappings change
     * without a commit, so every IOMMU access is translated again by {@link AccessPath}).
     */
    private int fill(FlatView view, long page) {
        DispatchTable d = view.dispatch;
        long pa = page << PAGE_BITS;
        int s = d.candidate(pa);
        if (s != 0 && d.covers(s, pa)) {
            if (!d.covers(s, pa + PAGE_MASK)) {
                return -1; // the section ends inside the page: the general path every time
            }
        } else if (d.candidate(pa + PAGE_MASK) == s) {
            s = 0; // a hole up to the end of the page
        } else {
            return -1; // a section starts inside the page
        }
        long key = page | stampBits;
        long read;
        long write;
        switch (d.kind(s)) {
            case SectionLayout.KIND_RAM -> {
                read = key;
                write = d.dirtyLogMask(s) == 0 ? key : INVALID;
            }
            case SectionLayout.KIND_ROM, SectionLayout.KIND_ROMD -> {
                read = key;
                write = key | IO;
            }
            case SectionLayout.KIND_MMIO, SectionLayout.KIND_UNASSIGNED -> {
                read = key | IO;
                write = key | IO;
            }
            default -> {
                return -1;
            }
        }
        fills++;
        int e = set(page);
        int b = e << 2;
        System.arraycopy(tags, b, tags, b + 4, 4);
        ram[e + 1] = ram[e];
        io[e + 1] = io[e];
        tags[b] = read;
        tags[b + 1] = write;
        tags[b + 2] = d.offsetInRegion(s) - d.start(s);
        ram[e] = view.sectionRam[s];
        io[e] = view.sectionIo[s];
        if (read == key) {
            long size1 = d.sizeMinusOne(s);
            if (Long.compareUnsigned(size1, 7) >= 0 && size1 != -1L) {
                mruBase = d.start(s);
                mruAddend = tags[b + 2];
                mruRam = ram[e];
                mruReadSpan8 = size1 - 6;
                mruReadSpan4 = size1 - 2;
                mruWriteSpan8 = write == key ? size1 - 6 : 0;
            }
        }
        return e;
    }
}
