package org.guestmem.tlb;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Cleaner;
import java.nio.ByteOrder;
import java.util.Objects;
import org.guestmem.AddressSpace;
import org.guestmem.FlatView;
import org.guestmem.MemTxAttrs;
import org.guestmem.internal.CoreAccess;
import org.guestmem.internal.SharedSecrets;
import org.guestmem.internal.TlbRegistry;
import org.guestmem.layout.TlbEntryLayout;
import org.guestmem.layout.TlbLayout;
import org.guestmem.rcu.RcuReader;

/**
 * One CPU thread's softmmu TLB (QEMU's {@code CPUTLB}): per MMU index, a table of
 * {@link TlbEntryLayout} entries in native memory (two ways per page, the first direct-mapped), probed by static fast-path methods that C2
 * inlines into their caller (bytecode a JIT generates calls them), with QEMU's semantics for
 * everything the inline compare sends to the slow path. Built with {@link #builder(RcuReader)}.
 *
 * <h2 id="fast">The fast path</h2>
 * Each of {@link #ld64le} and its siblings is QEMU's inline sequence:
 * <pre>
 * e   = base + (mmuIdx &lt;&lt; idxShift) + ((addr &gt;&gt;&gt; (pageBits - 5)) &amp; ((entries - 1) &lt;&lt; 5))
 * tag = [e + addr_read]                                   (addr_write for stores, addr_code for fetches)
 * if (tag == ((addr + size - 1) &amp; ~(pageSize - 1)))   a flagged tag or a page-crossing access fails
 *     return [addr + [e + addend]]                         one load (store) of host memory
 * return out of line                                       a separate method: a device's page there
 *                                                          (its callback at once), the second way, the slow path
 * </pre>
 * Host memory is read through one {@code static final} segment over all of memory, which C2 reduces
 * to a single range compare: no per-block segment and no liveness check per access. That is safe
 * because an entry exists only for a page one RAM section covers entirely (an access that does not
 * cross the page stays inside the block) and is usable only inside the protected stretch in which
 * the TLB revalidated it (see "Stretches"): the block cannot be freed before the stretch ends.
 * {@code mmuIdx} is masked to the tables (their number rounded up to a power of two), so even a
 * wrong index never reads outside them, though it may hit another index's entry; an index outside
 * {@code 0..n-1} throws {@link IndexOutOfBoundsException} when it goes out of line.
 *
 * <h2 id="results">Results</h2>
 * Loads return the zero-extended value; their failures are OR-ed into a sticky status
 * ({@link #loadFault(Tlb)}, {@link #clearLoadFault(Tlb)}) that the fast path never writes. Stores
 * return 0 when they succeeded, otherwise the OR of: {@link org.guestmem.MemTxResult} bits
 * ({@link #MEMTX_BITS}), {@link #CODE_WRITTEN} (the page held translated code: generated code
 * should leave its block, which may have just been invalidated) and {@link #PAGE_FAULT} (the index's
 * {@link PageMapper} refused the access: {@link #faultCode()}, {@link #faultAddress()}). A faulting
 * load returns 0.
 *
 * <h2 id="stretches">Stretches, revalidation and what the JIT hears</h2>
 * The TLB listens to its reader ({@link org.guestmem.rcu.StretchListener}). When a protected
 * stretch starts (the outermost {@code enter()}, {@code online()}, every {@code quiescentState()})
 * it loads each index's publication: an identity index drops the entries of the pages the commits
 * since changed (when every change is listed and they are few), other cases flush the index
 * (QEMU flushes on every commit); then the fast path is armed and the {@link TlbListener} hears
 * what changed. When the stretch ends (the outermost {@code exit()}, {@code offline()}) the fast
 * path is pointed at a never-freed block of empty entries, so every probe misses; the slow path
 * then enters a read section around its access. Inside one stretch the TLB keeps the view it
 * revalidated to: a commit becomes visible at the next stretch, never later.
 *
 * <h2 id="notdirty">Dirty logging and code tracking</h2>
 * QEMU's {@code TLB_NOTDIRTY}: a store entry of a RAM page is armed only while every dirty-log bit
 * its section logs for is set, so stores to such pages stay on the fast path and set nothing. The
 * first store to a page with a clean bit takes the slow path: the system's code-write handler
 * hears of it if the CODE bit is clean, the bits are set, the entry is re-armed. Clearing bits on
 * any thread flags the entries of every TLB of the system that map the cleared pages
 * ({@code docs/concurrency.md} has the protocol and why no store is lost). A JIT clears a page's
 * CODE bit with {@link #protectCode} before it reads the page's code.
 *
 * <h2 id="threading">Threading</h2>
 * Confined to the reader's thread: every method except the fast paths checks it and throws
 * {@link WrongThreadException}; the fast paths do not check (their misses do). Other threads only
 * set {@code NOTDIRTY} in store tags. In checked mode ({@link org.guestmem.MemorySystemBuilder#checkedAccess})
 * every RAM entry carries {@link TlbEntryLayout#CHECKED}, so every access takes the slow path,
 * which reads and writes through the RAM block's segment and checks the thread.
 *
 * <h2 id="native">Native code</h2>
 * {@link #descriptor()} is the {@link TlbLayout} descriptor: a native JIT on the owner thread probes,
 * fills and revalidates with the functions of the generated {@code guestmem_layout.h}.
 */
public final class Tlb implements AutoCloseable {
    /** Store result bit: the page held translated code (its CODE bit was clean). */
    public static final int CODE_WRITTEN = 8;
    /** Result bit: the index's page mapper refused the access. */
    public static final int PAGE_FAULT = 16;
    /** The {@link org.guestmem.MemTxResult} bits of a result. */
    public static final int MEMTX_BITS = 7;

    /** All of memory: C2 reduces an access through this constant to one range compare. */
    @SuppressWarnings("restricted")
    static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);
    private static final ValueLayout.OfLong TAG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfShort LE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort BE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt LE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt BE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong LE64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong BE64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final long READ = TlbEntryLayout.ADDR_READ_OFFSET;
    private static final long WRITE = TlbEntryLayout.ADDR_WRITE_OFFSET;
    private static final long CODE = TlbEntryLayout.ADDR_CODE_OFFSET;
    private static final long ADDEND = TlbEntryLayout.ADDEND_OFFSET;
    private static final long DEVICE_TAG = TlbEntryLayout.MMIO | TlbEntryLayout.DEVICE;
    /** Empty entries, one per possible index, never freed: what a disarmed TLB probes. */
    private static final long DISARMED = emptyEntries();
    /** Frees the tables of TLBs their owners dropped without closing them. */
    private static final Cleaner CLEANER = Cleaner.create();

    // ---- the fast path's fields: owner thread, plain ----
    private long base = DISARMED;
    private int idxShift = TlbEntryLayout.SHIFT;
    private long entryMask;
    /** {@code entries - 1}, or 0 when disarmed: the mask of a second-way index. */
    private long indexMask;
    private final int pageShift;
    private final int log2Entries;
    private final int idxMask;
    private final int entryShift;
    private final long pageMaskHi;
    /** Sticky OR of load results; written by the slow path only. */
    int loadStatus;
    long faultAddress;
    int faultCode;
    AccessType faultAccess;

    private final TlbTable table;
    private final MmuIndex[] indexes;
    private final RcuReader reader;
    private final SlowPath slow;
    private final Revalidation revalidation;
    private final Cleaner.Cleanable release;
    private final boolean checked;

    Tlb(RcuReader reader, MmuIndex[] indexes, int log2Entries, TlbListener listener, boolean checked) {
        CoreAccess core = SharedSecrets.coreAccess();
        this.reader = reader;
        this.indexes = indexes;
        this.checked = checked;
        AddressSpace space = indexes[0].space;
        int pageBits = core.pageBits(space);
        int tables = Integer.highestOneBit(indexes.length * 2 - 1);
        this.idxMask = tables - 1;
        this.entryShift = pageBits - TlbEntryLayout.SHIFT;
        this.pageShift = pageBits;
        this.log2Entries = log2Entries;
        this.pageMaskHi = -1L << pageBits;
        this.table = new TlbTable(indexes.length, tables, log2Entries, pageBits);
        table.describe(reader, indexes, checked);
        this.revalidation = new Revalidation(this, indexes, table, core, listener);
        this.slow = new SlowPath(this, table, indexes, core, reader, checked, revalidation);
        TlbRegistry registry = core.tlbs(space);
        DirtyFlagging flagging = new DirtyFlagging(table, indexes, core);
        registry.add(flagging);
        this.release = CLEANER.register(this, new TlbRelease(registry, flagging, table));
        reader.addStretchListener(revalidation);
        if (reader.inReadSection()) {
            revalidation.revalidate(this, false);
        }
    }

    /**
     * {@return a builder for a TLB of the thread that owns {@code reader}}
     *
     * @param reader the thread's reader, of the memory system's RCU domain
     */
    public static TlbBuilder builder(RcuReader reader) {
        return new TlbBuilder(Objects.requireNonNull(reader, "reader"));
    }

    private static long emptyEntries() {
        MemorySegment m = Arena.global().allocate(TlbLayout.MAX_MMU_INDEXES * TlbEntryLayout.BYTES, 64);
        m.fill((byte) 0xff);
        return m.address();
    }

    // ------------------------------------------------------------------ fast path

    private static long entry(Tlb tlb, int mmuIdx, long addr) {
        return tlb.base + ((long) (mmuIdx & tlb.idxMask) << tlb.idxShift) + ((addr >>> tlb.entryShift) & tlb.entryMask);
    }

    /** The page's second way: its number with the high part folded in by a multiplication ({@link TlbTable#offsetB}). */
    private static long entryB(Tlb tlb, int mmuIdx, long addr) {
        long p = addr >>> tlb.pageShift;
        return tlb.base + ((long) (mmuIdx & tlb.idxMask) << tlb.idxShift)
                + (((p ^ ((p >>> tlb.log2Entries) * TlbTable.FOLD)) & tlb.indexMask) << TlbEntryLayout.SHIFT);
    }

    /**
     * A load or fetch that missed the direct way: a device's page there, the second way, then the
     * slow path. A separate method, so that code whose accesses hit the direct way does not carry
     * it; small enough for C2 to inline where the profile says it runs, folding the constant size.
     */
    private static long loadB(Tlb tlb, int mmuIdx, long addr, int size, boolean bigEndian, long field) {
        long page = (addr + size - 1) & tlb.pageMaskHi;
        long a = entry(tlb, mmuIdx, addr);
        if (ALL.get(TAG, a + field) == (page | DEVICE_TAG) && (addr & tlb.pageMaskHi) == page) {
            // a device's page in the direct way: the device at once, at offset addr + addend
            return tlb.slow.deviceLoad(mmuIdx, (int) ((a - tlb.base) >>> TlbEntryLayout.SHIFT), addr,
                    addr + ALL.get(TAG, a + ADDEND), size, bigEndian, field == CODE ? AccessType.FETCH : AccessType.LOAD);
        }
        long e = entryB(tlb, mmuIdx, addr);
        if (ALL.get(TAG, e + field) == page) {
            return hostLoad(addr + ALL.get(TAG, e + ADDEND), size, bigEndian);
        }
        return tlb.slowLoad(mmuIdx, addr, size, bigEndian, field == CODE ? AccessType.FETCH : AccessType.LOAD);
    }

    private static long hostLoad(long h, int size, boolean bigEndian) {
        return switch (size) {
            case 1 -> ALL.get(ValueLayout.JAVA_BYTE, h) & 0xffL;
            case 2 -> (bigEndian ? ALL.get(BE16, h) : ALL.get(LE16, h)) & 0xffffL;
            case 4 -> (bigEndian ? ALL.get(BE32, h) : ALL.get(LE32, h)) & 0xffff_ffffL;
            default -> bigEndian ? ALL.get(BE64, h) : ALL.get(LE64, h);
        };
    }

    /** A store that missed the direct way (see {@link #loadB}). */
    private static int storeB(Tlb tlb, int mmuIdx, long addr, int size, long value, boolean bigEndian) {
        long page = (addr + size - 1) & tlb.pageMaskHi;
        long a = entry(tlb, mmuIdx, addr);
        if (ALL.get(TAG, a + WRITE) == (page | DEVICE_TAG) && (addr & tlb.pageMaskHi) == page) {
            return tlb.slow.deviceStore(mmuIdx, (int) ((a - tlb.base) >>> TlbEntryLayout.SHIFT), addr,
                    addr + ALL.get(TAG, a + ADDEND), size, value, bigEndian);
        }
        long e = entryB(tlb, mmuIdx, addr);
        if (ALL.get(TAG, e + WRITE) == page) {
            hostStore(addr + ALL.get(TAG, e + ADDEND), size, value, bigEndian);
            return 0;
        }
        return tlb.slowStore(mmuIdx, addr, size, value, bigEndian);
    }

    private static void hostStore(long h, int size, long value, boolean bigEndian) {
        switch (size) {
            case 1 -> ALL.set(ValueLayout.JAVA_BYTE, h, (byte) value);
            case 2 -> ALL.set(bigEndian ? BE16 : LE16, h, (short) value);
            case 4 -> ALL.set(bigEndian ? BE32 : LE32, h, (int) value);
            default -> ALL.set(bigEndian ? BE64 : LE64, h, value);
        }
    }

    /**
     * {@return the byte at {@code addr}, through MMU index {@code mmuIdx}}
     *
     * @param tlb    the TLB
     * @param mmuIdx the MMU index
     * @param addr   the guest address
     */
    public static long ld8(Tlb tlb, int mmuIdx, long addr) {
        long e = entry(tlb, mmuIdx, addr);
        return ALL.get(TAG, e + READ) == (addr & tlb.pageMaskHi)
                ? ALL.get(ValueLayout.JAVA_BYTE, addr + ALL.get(TAG, e + ADDEND)) & 0xffL
                : loadB(tlb, mmuIdx, addr, 1, false, READ);
    }

    /**
     * {@return the little-endian 16-bit value at {@code addr}}
     *
     * @param tlb    the TLB
     * @param mmuIdx the MMU index
     * @param addr   the guest address
     */
    public static long ld16le(Tlb tlb, int mmuIdx, long addr) {
        long e = entry(tlb, mmuIdx, addr);
        return ALL.get(TAG, e + READ) == ((addr + 1) & tlb.pageMaskHi)
                ? ALL.get(LE16, addr + ALL.get(TAG, e + ADDEND)) & 0xffffL
                : loadB(tlb, mmuIdx, addr, 2, false, READ);
    }

    /**
     * {@return the big-endian 16-bit value at {@code addr}}
     *
     * @param tlb    the TLB
     * @param mmuIdx the MMU index
     * @param addr   the guest address
     */
    public static long ld16be(Tlb tlb, int mmuIdx, long addr) {
        long e = entry(tlb, mmuIdx, addr);
        return ALL.get(TAG, e + READ) == ((addr + 1) & tlb.pageMaskHi)
                ? ALL.get(BE16, addr + ALL.get(TAG, e + ADDEND)) & 0xffffL
                : loadB(tlb, mmuIdx, addr, 2, true, READ);
    }

    /**
     * {@return the little-endian 32-bit value at {@code addr}}
     *
     * @param tlb    the TLB
     * @param mmuIdx the MMU index
     * @param addr   the guest address
     */
    public static long ld32le(Tlb tlb, int mmuIdx, long addr) {
        long e = entry(tlb, mmuIdx, addr);
        return ALL.get(TAG, e + READ) == ((addr + 3) & tlb.pageMaskHi)
                ? ALL.get(LE32, addr + ALL.get(TAG, e + ADDEND)) & 0xffff_ffffL
                : loadB(tlb, mmuIdx, addr, 4, false, READ);
    }

    /**
     * {@return the big-endian 32-bit value at {@code addr}}
     *
     * @param tlb    the TLB
     * @param mmuIdx the MMU index
     * @param addr   the guest address
     */
    public static long ld32be(Tlb tlb, int mmuIdx, long addr) {
        long e = entry(tlb, mmuIdx, addr);
        return ALL.get(TAG, e + READ) == ((addr + 3) & tlb.pageMaskHi)
                ? ALL.get(BE32, addr + ALL.get(TAG, e + ADDEND)) & 0xffff_ffffL
                : loadB(tlb, mmuIdx, addr, 4, true, READ);
    }

    /**
     * {@return the little-endian 64-bit value at {@code addr}}
     *
     * @param tlb    the TLB
     * @param mmuIdx the MMU index
     * @param addr   the guest address
     */
    public static long ld64le(Tlb tlb, int mmuIdx, long addr) {
        long e = entry(tlb, mmuIdx, addr);
        return ALL.get(TAG, e + READ) == ((addr + 7) & tlb.pageMaskHi)
                ? ALL.get(LE64, addr + ALL.get(TAG, e + ADDEND))
                : loadB(tlb, mmuIdx, addr, 8, false, READ);
    }

    /**
     * {@return the big-endian 64-bit value at {@code addr}}
     *
     * @param tlb    the TLB
     * @param mmuIdx the MMU index
     * @param addr   the guest address
     */
    public static long ld64be(Tlb tlb, int mmuIdx, long addr) {
        long e = entry(tlb, mmuIdx, addr);
        return ALL.get(TAG, e + READ) == ((addr + 7) & tlb.pageMaskHi)
                ? ALL.get(BE64, addr + ALL.get(TAG, e + ADDEND))
                : loadB(tlb, mmuIdx, addr, 8, true, READ);
    }

    /**
     * {@return the little-endian 16-bit instruction parcel at {@code addr}, through the fetch tags}
     *
     * @param tlb    the TLB
     * @param mmuIdx the MMU index
     * @param addr   the guest address
     */
    public static long fetch16le(Tlb tlb, int mmuIdx, long addr) {
        long e = entry(tlb, mmuIdx, addr);
        return ALL.get(TAG, e + CODE) == ((addr + 1) & tlb.pageMaskHi)
                ? ALL.get(LE16, addr + ALL.get(TAG, e + ADDEND)) & 0xffffL
                : loadB(tlb, mmuIdx, addr, 2, false, CODE);
    }

    /**
     * {@return the little-endian 32-bit instruction word at {@code addr}, through the fetch tags}
     *
     * @param tlb    the TLB
     * @param mmuIdx the MMU index
     * @param addr   the guest address
     */
    public static long fetch32le(Tlb tlb, int mmuIdx, long addr) {
        long e = entry(tlb, mmuIdx, addr);
        return ALL.get(TAG, e + CODE) == ((addr + 3) & tlb.pageMaskHi)
                ? ALL.get(LE32, addr + ALL.get(TAG, e + ADDEND)) & 0xffff_ffffL
                : loadB(tlb, mmuIdx, addr, 4, false, CODE);
    }

    /**
     * Stores the low byte of {@code value}.
     *
     * @param tlb    the TLB
     * @param mmuIdx the MMU index
     * @param addr   the guest address
     * @param value  the value
     * @return 0, or the result bits (see the class documentation)
     */
    public static int st8(Tlb tlb, int mmuIdx, long addr, long value) {
        long e = entry(tlb, mmuIdx, addr);
        if (ALL.get(TAG, e + WRITE) == (addr & tlb.pageMaskHi)) {
            ALL.set(ValueLayout.JAVA_BYTE, addr + ALL.get(TAG, e + ADDEND), (byte) value);
            return 0;
        }
        return storeB(tlb, mmuIdx, addr, 1, value, false);
    }

    /**
     * Stores the low 16 bits of {@code value}, little-endian.
     *
     * @param tlb    the TLB
     * @param mmuIdx the MMU index
     * @param addr   the guest address
     * @param value  the value
     * @return 0, or the result bits (see the class documentation)
     */
    public static int st16le(Tlb tlb, int mmuIdx, long addr, long value) {
        long e = entry(tlb, mmuIdx, addr);
        if (ALL.get(TAG, e + WRITE) == ((addr + 1) & tlb.pageMaskHi)) {
            ALL.set(LE16, addr + ALL.get(TAG, e + ADDEND), (short) value);
            return 0;
        }
        return storeB(tlb, mmuIdx, addr, 2, value, false);
    }

    /**
     * Stores the low 16 bits of {@code value}, big-endian.
     *
     * @param tlb    the TLB
     * @param mmuIdx the MMU index
     * @param addr   the guest address
     * @param value  the value
     * @return 0, or the result bits (see the class documentation)
     */
    public static int st16be(Tlb tlb, int mmuIdx, long addr, long value) {
        long e = entry(tlb, mmuIdx, addr);
        if (ALL.get(TAG, e + WRITE) == ((addr + 1) & tlb.pageMaskHi)) {
            ALL.set(BE16, addr + ALL.get(TAG, e + ADDEND), (short) value);
            return 0;
        }
        return storeB(tlb, mmuIdx, addr, 2, value, true);
    }

    /**
     * Stores the low 32 bits of {@code value}, little-endian.
     *
     * @param tlb    the TLB
     * @param mmuIdx the MMU index
     * @param addr   the guest address
     * @param value  the value
     * @return 0, or the result bits (see the class documentation)
     */
    public static int st32le(Tlb tlb, int mmuIdx, long addr, long value) {
        long e = entry(tlb, mmuIdx, addr);
        if (ALL.get(TAG, e + WRITE) == ((addr + 3) & tlb.pageMaskHi)) {
            ALL.set(LE32, addr + ALL.get(TAG, e + ADDEND), (int) value);
            return 0;
        }
        return storeB(tlb, mmuIdx, addr, 4, value, false);
    }

    /**
     * Stores the low 32 bits of {@code value}, big-endian.
     *
     * @param tlb    the TLB
     * @param mmuIdx the MMU index
     * @param addr   the guest address
     * @param value  the value
     * @return 0, or the result bits (see the class documentation)
     */
    public static int st32be(Tlb tlb, int mmuIdx, long addr, long value) {
        long e = entry(tlb, mmuIdx, addr);
        if (ALL.get(TAG, e + WRITE) == ((addr + 3) & tlb.pageMaskHi)) {
            ALL.set(BE32, addr + ALL.get(TAG, e + ADDEND), (int) value);
            return 0;
        }
        return storeB(tlb, mmuIdx, addr, 4, value, true);
    }

    /**
     * Stores {@code value}, little-endian.
     *
     * @param tlb    the TLB
     * @param mmuIdx the MMU index
     * @param addr   the guest address
     * @param value  the value
     * @return 0, or the result bits (see the class documentation)
     */
    public static int st64le(Tlb tlb, int mmuIdx, long addr, long value) {
        long e = entry(tlb, mmuIdx, addr);
        if (ALL.get(TAG, e + WRITE) == ((addr + 7) & tlb.pageMaskHi)) {
            ALL.set(LE64, addr + ALL.get(TAG, e + ADDEND), value);
            return 0;
        }
        return storeB(tlb, mmuIdx, addr, 8, value, false);
    }

    /**
     * Stores {@code value}, big-endian.
     *
     * @param tlb    the TLB
     * @param mmuIdx the MMU index
     * @param addr   the guest address
     * @param value  the value
     * @return 0, or the result bits (see the class documentation)
     */
    public static int st64be(Tlb tlb, int mmuIdx, long addr, long value) {
        long e = entry(tlb, mmuIdx, addr);
        if (ALL.get(TAG, e + WRITE) == ((addr + 7) & tlb.pageMaskHi)) {
            ALL.set(BE64, addr + ALL.get(TAG, e + ADDEND), value);
            return 0;
        }
        return storeB(tlb, mmuIdx, addr, 8, value, true);
    }

    /**
     * {@return the OR of the results of the loads since the last {@link #clearLoadFault}: 0 if all
     * succeeded}
     *
     * @param tlb the TLB
     */
    public static int loadFault(Tlb tlb) {
        return tlb.loadStatus;
    }

    /**
     * Clears the sticky load status.
     *
     * @param tlb the TLB
     */
    public static void clearLoadFault(Tlb tlb) {
        tlb.loadStatus = 0;
    }

    private long slowLoad(int mmuIdx, long addr, int size, boolean bigEndian, AccessType type) {
        return slow.load(mmuIdx, addr, size, bigEndian, MemTxAttrs.UNSPECIFIED, type);
    }

    private int slowStore(int mmuIdx, long addr, int size, long value, boolean bigEndian) {
        return slow.store(mmuIdx, addr, size, value, bigEndian, MemTxAttrs.UNSPECIFIED);
    }

    // ------------------------------------------------------------------ the rest: owner thread

    /**
     * A load of {@code size} (1, 2, 4 or 8) bytes with explicit attributes, through the slow path
     * (RAM entries still serve it; MMIO sees {@code attrs}). The result bits are OR-ed into the
     * load status.
     *
     * @param mmuIdx    the MMU index
     * @param addr      the guest address
     * @param size      1, 2, 4 or 8
     * @param bigEndian the byte order of the value
     * @param attrs     the transaction attributes
     * @return the value, zero-extended
     * @throws IllegalArgumentException if {@code size} is not 1, 2, 4 or 8
     */
    public long load(int mmuIdx, long addr, int size, boolean bigEndian, MemTxAttrs attrs) {
        checkSize(size);
        return slow.load(mmuIdx, addr, size, bigEndian, Objects.requireNonNull(attrs, "attrs"), AccessType.LOAD);
    }

    /**
     * A store with explicit attributes, through the slow path.
     *
     * @param mmuIdx    the MMU index
     * @param addr      the guest address
     * @param size      1, 2, 4 or 8
     * @param value     the value (its low {@code size} bytes)
     * @param bigEndian the byte order of the value
     * @param attrs     the transaction attributes
     * @return 0, or the result bits
     * @throws IllegalArgumentException if {@code size} is not 1, 2, 4 or 8
     */
    public int store(int mmuIdx, long addr, int size, long value, boolean bigEndian, MemTxAttrs attrs) {
        checkSize(size);
        return slow.store(mmuIdx, addr, size, value, bigEndian, Objects.requireNonNull(attrs, "attrs"));
    }

    private static void checkSize(int size) {
        if (size != 1 && size != 2 && size != 4 && size != 8) {
            throw new IllegalArgumentException("access size must be 1, 2, 4 or 8, got " + size);
        }
    }

    /** {@return the guest address of the last page fault} */
    public long faultAddress() {
        return faultAddress;
    }

    /** {@return the code of the last page fault (the mapper's, or {@link PageMapper#PERMISSION_FAULT})} */
    public int faultCode() {
        return faultCode;
    }

    /** {@return the kind of access of the last page fault, or null if there was none} */
    public AccessType faultAccess() {
        return faultAccess;
    }

    /**
     * Clears the CODE dirty bit of the guest page of {@code vaddr} (QEMU's {@code tlb_protect_code}),
     * so that the next store to it, by any CPU, calls the code-write handler: a JIT calls it before
     * it reads a page's code to translate it. Takes the system's update lock briefly (listeners hear
     * {@code logClear}); call it outside transactions.
     *
     * @param mmuIdx the MMU index the JIT translates through
     * @param vaddr  an address in the page
     * @return false if the page is not RAM-backed (nothing to protect) or does not translate
     */
    public boolean protectCode(int mmuIdx, long vaddr) {
        return slow.protectCode(mmuIdx, vaddr);
    }

    /**
     * Drops every entry of index {@code mmuIdx} (QEMU's {@code tlb_flush_by_mmuidx}); the listener
     * hears nothing.
     *
     * @param mmuIdx the MMU index
     */
    public void flush(int mmuIdx) {
        slow.check(mmuIdx);
        table.flush(mmuIdx);
    }

    /** Drops every entry of every index (QEMU's {@code tlb_flush}). */
    public void flushAll() {
        for (MmuIndex ix : indexes) {
            flush(ix.k);
        }
    }

    /**
     * Drops the entry of the page of {@code vaddr} in index {@code mmuIdx} (QEMU's
     * {@code tlb_flush_page_by_mmuidx}).
     *
     * @param mmuIdx the MMU index
     * @param vaddr  an address in the page
     */
    public void flushPage(int mmuIdx, long vaddr) {
        slow.check(mmuIdx);
        table.flushPage(mmuIdx, vaddr);
    }

    /** {@return the number of MMU indexes} */
    public int mmuIndexes() {
        return indexes.length;
    }

    /**
     * {@return the address space of index {@code mmuIdx}}
     *
     * @param mmuIdx the MMU index
     */
    public AddressSpace space(int mmuIdx) {
        return indexes[mmuIdx].space;
    }

    /** {@return the entries per index} */
    public int entries() {
        return table.entries;
    }

    /** {@return the reader whose stretches protect this TLB} */
    public RcuReader reader() {
        return reader;
    }

    /**
     * {@return the address-space generation index {@code mmuIdx} last revalidated to (0 before the
     * first revalidation)}; compare with {@link AddressSpace#generation()}. Owner thread.
     *
     * @param mmuIdx the MMU index
     */
    public long generation(int mmuIdx) {
        slow.check(mmuIdx);
        MmuIndex ix = indexes[mmuIdx];
        return ix.pub == null ? 0 : ix.pub.generation();
    }

    /**
     * {@return the view index {@code mmuIdx}'s entries follow} Usable inside the current protected
     * stretch only (its native tables are freed a grace period after it is replaced); null before
     * the first stretch. Owner thread.
     *
     * @param mmuIdx the MMU index
     */
    public FlatView currentView(int mmuIdx) {
        slow.check(mmuIdx);
        MmuIndex ix = slow.follow(mmuIdx);
        return ix.pub == null ? null : ix.pub.view();
    }

    /**
     * {@return whether index {@code mmuIdx} is an identity index (guest addresses are its address
     * space's; no page mapper)}
     *
     * @param mmuIdx the MMU index
     */
    public boolean identity(int mmuIdx) {
        return indexes[mmuIdx].identity();
    }

    /** {@return how many accesses took the slow path so far} */
    public long slowAccessCount() {
        return slow.slowAccesses;
    }

    /** {@return how many entries the slow path filled so far} */
    public long fillCount() {
        return slow.fill.fills;
    }

    /** {@return whether this TLB runs in checked mode} */
    public boolean checked() {
        return checked;
    }

    /**
     * {@return the native descriptor ({@link TlbLayout}) for a native JIT on the owner thread} Valid
     * until {@link #close()}; native code may write the index parts' {@code tables} and
     * {@code generation} only through {@code guestmem_tlb_revalidate}.
     */
    public MemorySegment descriptor() {
        return table.descriptor;
    }

    /**
     * Unregisters the TLB and frees its tables (owner thread; idempotent). Waits for threads that
     * are flagging its entries after a dirty-bit clear. Every later access throws
     * {@link IllegalStateException}. A TLB dropped without {@code close()} is freed once it is
     * unreachable (a cleaner does the same work), so an accessor that goes out of use leaks nothing.
     */
    @Override
    public void close() {
        if (Thread.currentThread() != reader.thread()) {
            throw new WrongThreadException("the TLB of thread '" + reader.thread().getName() + "' closed from thread '"
                    + Thread.currentThread().getName() + "'");
        }
        if (slow.closed) {
            return;
        }
        slow.closed = true;
        disarm();
        reader.removeStretchListener(revalidation);
        release.clean();
    }

    // ------------------------------------------------------------------ arming

    /** Points the fast path at the tables (at a stretch start, after revalidation). */
    void arm() {
        base = table.tableAddress;
        idxShift = table.log2Entries + TlbEntryLayout.SHIFT;
        entryMask = (long) (table.entries - 1) << TlbEntryLayout.SHIFT;
        indexMask = table.entries - 1;
    }

    /** Points the fast path at the never-freed empty entries: every probe misses. */
    void disarm() {
        base = DISARMED;
        idxShift = TlbEntryLayout.SHIFT;
        entryMask = 0;
        indexMask = 0;
    }
}
