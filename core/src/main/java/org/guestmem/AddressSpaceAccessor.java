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
 * <h2 id="cache">The translation cache</h2>
 * A direct-mapped table of page entries (QEMU's softmmu TLB, hashed by page number), each saying
 * how the page is read and written: straight into a RAM block segment, or through the ops of the
 * region that serves it. Only pages served entirely by one section are cached; pages shared by
 * several regions (QEMU's subpages) and RAM writes that must be dirty-logged take the general
 * path every time. Entries are tagged with a per-accessor stamp; when the address space
 * publishes a new view, the accessor drops only the entries of pages the commit changed (the
 * publication lists them), so a commit elsewhere in the map costs this thread nothing; after an
 * unrelated series of views it drops everything (by bumping the stamp, O(1)). An entry never
 * outlives the view it was filled from unless the next view maps its page identically, so its
 * RAM segment is kept alive by the current view.
 *
 * <h2 id="results">Results</h2>
 * Stores return their {@link MemTxResult}; loads leave theirs in {@link #lastResult()}.
 */
public final class AddressSpaceAccessor implements GuestMemory {
    static final int DEFAULT_CACHE_ENTRIES = 8192;
    private static final long IO = 1L << 63;
    private static final long INVALID = -1L;
    private static final int STAMP_SHIFT = 54;
    private static final long STAMP_MAX = (1L << (63 - STAMP_SHIFT)) - 1;
    /** Beyond this many pages in a publication's changed ranges, invalidate everything instead. */
    private static final long MAX_SELECTIVE_PAGES = 256;
    private static final ValueLayout.OfLong LE64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt LE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final AddressSpace space;
    private final RcuReader reader;
    private final int pageBits;
    private final long pageMask;
    private final int hashShift;
    /** Four longs per entry: read tag, write tag, addend (xlat = addr + addend), unused. */
    private final long[] tags;
    private final MemorySegment[] ram;
    private final MmioDispatcher[] io;
    private final IoStatus st = new IoStatus();
    /** {@code stamp << STAMP_SHIFT}: ORed into every valid tag. */
    private long stampBits;
    /** The publication the cache was filled from. */
    private ViewPublication pub;
    private int lastBits;
    private long slowAccesses;
    private long fills;

    AddressSpaceAccessor(AddressSpace space, RcuReader reader, int entries) {
        if (entries < 16 || entries > (1 << 20) || Integer.bitCount(entries) != 1) {
            throw new IllegalArgumentException("cache entries must be a power of two from 16 to 2^20, got " + entries);
        }
        this.space = space;
        this.reader = reader;
        this.pageBits = space.system().pageBits();
        this.pageMask = (1L << pageBits) - 1;
        this.hashShift = 64 - Integer.numberOfTrailingZeros(entries);
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

    /** {@return how many accesses took the general path so far (cache misses and uncacheable pages)} */
    public long slowAccessCount() {
        return slowAccesses;
    }

    /** {@return how many cache entries were filled so far} */
    public long fillCount() {
        return fills;
    }

    private int slot(long page) {
        return (int) ((page * 0x9E3779B97F4A7C15L) >>> hashShift);
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
        ViewPublication p = space.publication();
        if (p == pub && reader.inReadSection()) {
            long page = addr >>> pageBits;
            int i = slot(page);
            int b = i << 2;
            long t = tags[b];
            long key = page | stampBits;
            if (t == key && (addr & pageMask) <= pageMask - 3) {
                lastBits = 0;
                return ram[i].get(LE32, addr + tags[b + 2]) & 0xffff_ffffL;
            }
            if (t == (key | IO)) {
                st.reset();
                long v = io[i].read(addr + tags[b + 2], 4, false, MemTxAttrs.UNSPECIFIED, st);
                lastBits = st.bits;
                return v & 0xffff_ffffL;
            }
        }
        return loadSlow(addr, 4, false, MemTxAttrs.UNSPECIFIED);
    }

    @Override
    public long ld32be(long addr) {
        return load(addr, 4, true, MemTxAttrs.UNSPECIFIED);
    }

    @Override
    public long ld64le(long addr) {
        ViewPublication p = space.publication();
        if (p == pub && reader.inReadSection()) {
            long page = addr >>> pageBits;
            int i = slot(page);
            int b = i << 2;
            if (tags[b] == (page | stampBits) && (addr & pageMask) <= pageMask - 7) {
                lastBits = 0;
                return ram[i].get(LE64, addr + tags[b + 2]);
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
        ViewPublication p = space.publication();
        if (p == pub && reader.inReadSection()) {
            long page = addr >>> pageBits;
            int i = slot(page);
            int b = i << 2;
            if (tags[b + 1] == (page | stampBits) && (addr & pageMask) <= pageMask - 7) {
                ram[i].set(LE64, addr + tags[b + 2], value);
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
        ViewPublication p = space.publication();
        if (p == pub && reader.inReadSection()) {
            long page = addr >>> pageBits;
            int i = slot(page);
            int b = i << 2;
            long t = tags[b];
            long key = page | stampBits;
            if (t == key && (addr & pageMask) <= pageMask - (size - 1)) {
                lastBits = 0;
                return AccessPath.readSegment(ram[i], addr + tags[b + 2], size, bigEndian);
            }
            if (t == (key | IO)) {
                st.reset();
                long v = io[i].read(addr + tags[b + 2], size, bigEndian, attrs, st);
                lastBits = st.bits;
                return size == 8 ? v : v & ((1L << (size * 8)) - 1);
            }
        }
        return loadSlow(addr, size, bigEndian, attrs);
    }

    private MemTxResult store(long addr, int size, long value, boolean bigEndian, MemTxAttrs attrs) {
        ViewPublication p = space.publication();
        if (p == pub && reader.inReadSection()) {
            long page = addr >>> pageBits;
            int i = slot(page);
            int b = i << 2;
            long t = tags[b + 1];
            long key = page | stampBits;
            if (t == key && (addr & pageMask) <= pageMask - (size - 1)) {
                AccessPath.writeSegment(ram[i], addr + tags[b + 2], size, value, bigEndian);
                return MemTxResult.OK;
            }
            if (t == (key | IO)) {
                st.reset();
                io[i].write(addr + tags[b + 2], value, size, bigEndian, attrs, st);
                return MemTxResult.ofBits(st.bits);
            }
        }
        return storeSlow(addr, size, value, bigEndian, attrs);
    }

    private long loadSlow(long addr, int size, boolean bigEndian, MemTxAttrs attrs) {
        boolean entered = enterIfNeeded();
        try {
            ViewPublication p = refresh();
            slowAccesses++;
            long page = addr >>> pageBits;
            int i = slot(page);
            int b = i << 2;
            long key = page | stampBits;
            if ((tags[b] & ~IO) != key) {
                fill(p.view, page, i);
            }
            long t = tags[b];
            if (t == key && (addr & pageMask) <= pageMask - (size - 1)) {
                lastBits = 0;
                return AccessPath.readSegment(ram[i], addr + tags[b + 2], size, bigEndian);
            }
            st.reset();
            long v;
            if (t == (key | IO)) {
                v = io[i].read(addr + tags[b + 2], size, bigEndian, attrs, st);
                v = size == 8 ? v : v & ((1L << (size * 8)) - 1);
            } else {
                v = AccessPath.load(p.view, addr, size, bigEndian, attrs, st);
            }
            lastBits = st.bits;
            return v;
        } finally {
            if (entered) {
                reader.exit();
            }
        }
    }

    private MemTxResult storeSlow(long addr, int size, long value, boolean bigEndian, MemTxAttrs attrs) {
        boolean entered = enterIfNeeded();
        try {
            ViewPublication p = refresh();
            slowAccesses++;
            long page = addr >>> pageBits;
            int i = slot(page);
            int b = i << 2;
            long key = page | stampBits;
            if ((tags[b] & ~IO) != key) {
                fill(p.view, page, i);
            }
            long t = tags[b + 1];
            if (t == key && (addr & pageMask) <= pageMask - (size - 1)) {
                AccessPath.writeSegment(ram[i], addr + tags[b + 2], size, value, bigEndian);
                return MemTxResult.OK;
            }
            st.reset();
            if (t == (key | IO)) {
                io[i].write(addr + tags[b + 2], value, size, bigEndian, attrs, st);
            } else {
                AccessPath.store(p.view, addr, size, value, bigEndian, attrs, st);
            }
            return MemTxResult.ofBits(st.bits);
        } finally {
            if (entered) {
                reader.exit();
            }
        }
    }

    @Override
    public MemTxResult read(long addr, MemTxAttrs attrs, MemorySegment dst) {
        Objects.requireNonNull(attrs, "attrs");
        boolean entered = enterIfNeeded();
        try {
            st.reset();
            return MemTxResult.ofBits(AccessPath.read(refresh().view, addr, attrs, dst, st));
        } finally {
            if (entered) {
                reader.exit();
            }
        }
    }

    @Override
    public MemTxResult write(long addr, MemTxAttrs attrs, MemorySegment src) {
        Objects.requireNonNull(attrs, "attrs");
        boolean entered = enterIfNeeded();
        try {
            st.reset();
            return MemTxResult.ofBits(AccessPath.write(refresh().view, addr, attrs, src, st));
        } finally {
            if (entered) {
                reader.exit();
            }
        }
    }

    @Override
    public Translation translate(long addr, long length, boolean isWrite, MemTxAttrs attrs) {
        boolean entered = enterIfNeeded();
        try {
            return AccessPath.translate(refresh().view, addr, length);
        } finally {
            if (entered) {
                reader.exit();
            }
        }
    }

    // ------------------------------------------------------------------ cache maintenance

    private boolean enterIfNeeded() {
        if (reader.inReadSection()) {
            return false;
        }
        reader.enter();
        return true;
    }

    /** Loads the current publication (inside a read section) and brings the cache up to date with it. */
    private ViewPublication refresh() {
        ViewPublication p = space.publication();
        if (p != pub) {
            ViewPublication old = pub;
            if (old == null || p.previousGeneration != old.generation || p.changed == null || !invalidate(p.changed)) {
                flush();
            }
            pub = p;
        }
        return p;
    }

    /** Drops the entries of every page in {@code changed}; false if there are too many pages. */
    private boolean invalidate(long[] changed) {
        long pages = 0;
        for (int k = 0; k < changed.length; k += 2) {
            long n = (changed[k + 1] >>> pageBits) - (changed[k] >>> pageBits) + 1;
            pages += n;
            if (n <= 0 || pages > MAX_SELECTIVE_PAGES) {
                return false;
            }
        }
        for (int k = 0; k < changed.length; k += 2) {
            for (long page = changed[k] >>> pageBits; page <= changed[k + 1] >>> pageBits; page++) {
                int b = slot(page) << 2;
                long key = page | stampBits;
                if ((tags[b] & ~IO) == key || (tags[b + 1] & ~IO) == key) {
                    tags[b] = INVALID;
                    tags[b + 1] = INVALID;
                }
            }
        }
        return true;
    }

    /** Invalidates every entry in O(1) by moving to a new stamp; clears the table when stamps wrap. */
    private void flush() {
        long stamp = (stampBits >>> STAMP_SHIFT) + 1;
        if (stamp > STAMP_MAX) {
            Arrays.fill(tags, INVALID);
            Arrays.fill(ram, null);
            Arrays.fill(io, null);
            stamp = 1;
        }
        stampBits = stamp << STAMP_SHIFT;
    }

    /** Fills entry {@code i} for {@code page} from the view's tables, or leaves it invalid if the page is not cacheable. */
    private void fill(FlatView view, long page, int i) {
        int b = i << 2;
        DispatchTable d = view.dispatch;
        long pa = page << pageBits;
        int s = d.findPage(pa);
        int kind = d.kind(s);
        long key = page | stampBits;
        long read;
        long write;
        switch (kind) {
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
            default -> { // subpages, IOMMUs: the general path every time
                tags[b] = INVALID;
                tags[b + 1] = INVALID;
                return;
            }
        }
        fills++;
        tags[b] = read;
        tags[b + 1] = write;
        tags[b + 2] = d.offsetInRegion(s) - d.start(s);
        ram[i] = view.sectionRam[s];
        io[i] = view.sectionIo[s];
    }
}
