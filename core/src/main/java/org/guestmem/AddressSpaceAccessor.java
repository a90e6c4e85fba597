package org.guestmem;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Objects;
import org.guestmem.internal.IoStatus;
import org.guestmem.rcu.RcuReader;
import org.guestmem.tlb.Tlb;

/**
 * One CPU thread's {@link GuestMemory} on an {@link AddressSpace}: QEMU's semantics through the
 * thread's softmmu TLB ({@link Tlb}), so that a CPU thread has one translation cache, which both
 * its generated code (through the TLB's static fast paths) and this interface use. No allocation,
 * lock or shared write on the way.
 *
 * <h2 id="threading">Threading</h2>
 * Confined to the thread of its {@link RcuReader}: every method throws {@link WrongThreadException}
 * on another thread. Accesses are meant to run inside the reader's read sections (or while a
 * quiescent-state reader is online); an access made outside one enters and leaves a section
 * around itself, which is correct but slower.
 *
 * <h2 id="views">Which view an access sees</h2>
 * The TLB revalidates where a protected stretch starts: at the outermost {@code enter()}, at
 * {@code online()} and at every quiescent state it loads the address space's current publication
 * (acquire) and drops the entries of the pages the commits since changed; the accesses of the
 * stretch then use that view without touching shared memory, the way an RCU reader keeps the
 * pointer it dereferenced. A commit becomes visible to this thread at its next read section or
 * quiescent state, never later; a commit that completed before the section began is always
 * visible.
 *
 * <h2 id="cache">The translation cache</h2>
 * The TLB of {@link #tlb()}: a table of page entries in native memory (two ways per page), filled
 * from the view's tables on a miss. Pages served by one RAM section are read and written directly
 * (RAM that logs for a dirty-log client whose bit is clean takes the slow path for its first
 * store only, QEMU's {@code TLB_NOTDIRTY}); an MMIO access calls the device found through the
 * entry; ROM writes and holes go through the slow path with QEMU's semantics; pages shared by several sections and IOMMUs are looked up on every
 * access. In checked mode ({@link MemorySystemBuilder#checkedAccess}) every RAM access goes
 * through the RAM block's segment.
 *
 * <h2 id="results">Results</h2>
 * Stores return their {@link MemTxResult}; loads leave theirs in {@link #lastResult()}.
 */
public final class AddressSpaceAccessor implements GuestMemory {
    /** 2^16 entries: 256 MiB of 4 KiB pages at random with few refills ({@code docs/jit.md}, "Sizing the table"). */
    static final int DEFAULT_CACHE_ENTRIES = 65536;

    private final AddressSpace space;
    private final RcuReader reader;
    private final Thread owner;
    private final Tlb tlb;
    private final int idx;
    private final IoStatus st = new IoStatus();

    private AddressSpaceAccessor(AddressSpace space, RcuReader reader, Tlb tlb, int idx) {
        this.space = space;
        this.reader = reader;
        this.owner = reader.thread();
        this.tlb = tlb;
        this.idx = idx;
    }

    /** A new accessor with a TLB of its own; see {@link AddressSpace#accessor(RcuReader, int)}. */
    static AddressSpaceAccessor create(AddressSpace space, RcuReader reader, int entries) {
        if (entries < 16 || entries > (1 << 20) || Integer.bitCount(entries) != 1) {
            throw new IllegalArgumentException("cache entries must be a power of two from 16 to 2^20, got " + entries);
        }
        return new AddressSpaceAccessor(space, reader, Tlb.builder(reader).index(space).entries(Math.max(64, entries)).build(), 0);
    }

    /**
     * {@return an accessor over MMU index {@code mmuIdx} of an existing TLB}, so that a thread with
     * a TLB for its generated code uses the same translation cache for everything else.
     *
     * @param tlb    the thread's TLB
     * @param mmuIdx an identity index of it (built with {@code index(space)}, no page mapper)
     * @throws IllegalArgumentException if the index has a page mapper
     * @throws WrongThreadException     if not called on the TLB's thread
     */
    public static AddressSpaceAccessor of(Tlb tlb, int mmuIdx) {
        Objects.requireNonNull(tlb, "tlb");
        Thread owner = tlb.reader().thread();
        if (Thread.currentThread() != owner) {
            throw new WrongThreadException("an accessor over the TLB of thread '" + owner.getName() + "' made on thread '"
                    + Thread.currentThread().getName() + "'");
        }
        if (!tlb.identity(mmuIdx)) {
            throw new IllegalArgumentException("MMU index " + mmuIdx + " of the TLB has a page mapper: an accessor needs an identity index");
        }
        return new AddressSpaceAccessor(tlb.space(mmuIdx), tlb.reader(), tlb, mmuIdx);
    }

    private void check() {
        if (Thread.currentThread() != owner) {
            throw wrongThread(); // out of line: keeps every public method small enough to inline
        }
    }

    private WrongThreadException wrongThread() {
        return new WrongThreadException("the accessor of thread '" + owner.getName() + "' used from thread '"
                + Thread.currentThread().getName() + "'");
    }

    /** Starts a load: the status then holds only this load's result. */
    private Tlb startLoad() {
        check();
        Tlb t = tlb;
        if (Tlb.loadFault(t) != 0) {
            Tlb.clearLoadFault(t);
        }
        return t;
    }

    private static MemTxResult result(int bits) {
        return bits == 0 ? MemTxResult.OK : MemTxResult.ofBits(bits & Tlb.MEMTX_BITS);
    }

    /** {@return the address space} */
    public AddressSpace space() {
        return space;
    }

    /** {@return the reader whose read sections protect this accessor's accesses} */
    public RcuReader reader() {
        return reader;
    }

    /** {@return the TLB this accessor goes through (shared with {@link #of} accessors of the same TLB)} */
    public Tlb tlb() {
        return tlb;
    }

    /** {@return the result of the last load (OK after a cache hit)} */
    public MemTxResult lastResult() {
        check();
        return result(Tlb.loadFault(tlb));
    }

    /** {@return whether the last load answered {@link MemTxResult#OK} (cheaper than {@link #lastResult()})} */
    public boolean lastLoadOk() {
        check();
        return Tlb.loadFault(tlb) == 0;
    }

    /** {@return how many accesses of the TLB took its slow path so far (misses and uncacheable pages)} */
    public long slowAccessCount() {
        return tlb.slowAccessCount();
    }

    /** {@return how many TLB entries were filled so far} */
    public long fillCount() {
        return tlb.fillCount();
    }

    // ------------------------------------------------------------------ typed accesses

    @Override
    public long ld8(long addr) {
        return Tlb.ld8(startLoad(), idx, addr);
    }

    @Override
    public long ld16le(long addr) {
        return Tlb.ld16le(startLoad(), idx, addr);
    }

    @Override
    public long ld16be(long addr) {
        return Tlb.ld16be(startLoad(), idx, addr);
    }

    @Override
    public long ld32le(long addr) {
        return Tlb.ld32le(startLoad(), idx, addr);
    }

    @Override
    public long ld32be(long addr) {
        return Tlb.ld32be(startLoad(), idx, addr);
    }

    @Override
    public long ld64le(long addr) {
        return Tlb.ld64le(startLoad(), idx, addr);
    }

    @Override
    public long ld64be(long addr) {
        return Tlb.ld64be(startLoad(), idx, addr);
    }

    @Override
    public MemTxResult st8(long addr, long value) {
        check();
        return result(Tlb.st8(tlb, idx, addr, value));
    }

    @Override
    public MemTxResult st16le(long addr, long value) {
        check();
        return result(Tlb.st16le(tlb, idx, addr, value));
    }

    @Override
    public MemTxResult st16be(long addr, long value) {
        check();
        return result(Tlb.st16be(tlb, idx, addr, value));
    }

    @Override
    public MemTxResult st32le(long addr, long value) {
        check();
        return result(Tlb.st32le(tlb, idx, addr, value));
    }

    @Override
    public MemTxResult st32be(long addr, long value) {
        check();
        return result(Tlb.st32be(tlb, idx, addr, value));
    }

    @Override
    public MemTxResult st64le(long addr, long value) {
        check();
        return result(Tlb.st64le(tlb, idx, addr, value));
    }

    @Override
    public MemTxResult st64be(long addr, long value) {
        check();
        return result(Tlb.st64be(tlb, idx, addr, value));
    }

    // ------------------------------------------------------------------ generic accesses

    @Override
    public long load(long addr, int size, ByteOrder order, MemTxAttrs attrs, MemTxResult[] result) {
        Tlb t = startLoad();
        AccessPath.checkSize(size);
        boolean be = Objects.requireNonNull(order, "order") == ByteOrder.BIG_ENDIAN;
        long v = attrs == MemTxAttrs.UNSPECIFIED ? typedLoad(t, addr, size, be)
                : t.load(idx, addr, size, be, Objects.requireNonNull(attrs, "attrs"));
        if (result != null) {
            result[0] = result(Tlb.loadFault(t));
        }
        return v;
    }

    private long typedLoad(Tlb t, long addr, int size, boolean be) {
        return switch (size) {
            case 1 -> Tlb.ld8(t, idx, addr);
            case 2 -> be ? Tlb.ld16be(t, idx, addr) : Tlb.ld16le(t, idx, addr);
            case 4 -> be ? Tlb.ld32be(t, idx, addr) : Tlb.ld32le(t, idx, addr);
            default -> be ? Tlb.ld64be(t, idx, addr) : Tlb.ld64le(t, idx, addr);
        };
    }

    @Override
    public MemTxResult store(long addr, int size, long value, ByteOrder order, MemTxAttrs attrs) {
        check();
        AccessPath.checkSize(size);
        boolean be = Objects.requireNonNull(order, "order") == ByteOrder.BIG_ENDIAN;
        if (attrs != MemTxAttrs.UNSPECIFIED) {
            return result(tlb.store(idx, addr, size, value, be, Objects.requireNonNull(attrs, "attrs")));
        }
        return result(switch (size) {
            case 1 -> Tlb.st8(tlb, idx, addr, value);
            case 2 -> be ? Tlb.st16be(tlb, idx, addr, value) : Tlb.st16le(tlb, idx, addr, value);
            case 4 -> be ? Tlb.st32be(tlb, idx, addr, value) : Tlb.st32le(tlb, idx, addr, value);
            default -> be ? Tlb.st64be(tlb, idx, addr, value) : Tlb.st64le(tlb, idx, addr, value);
        });
    }

    @Override
    public MemTxResult read(long addr, MemTxAttrs attrs, MemorySegment dst) {
        return buffer(false, addr, attrs, dst);
    }

    @Override
    public MemTxResult write(long addr, MemTxAttrs attrs, MemorySegment src) {
        return buffer(true, addr, attrs, src);
    }

    /** A buffer access on the view the TLB follows, inside a read section (entered around it if needed). */
    private MemTxResult buffer(boolean isWrite, long addr, MemTxAttrs attrs, MemorySegment buf) {
        check();
        Objects.requireNonNull(attrs, "attrs");
        boolean entered = !reader.inReadSection();
        if (entered) {
            reader.enter();
        }
        try {
            FlatView v = tlb.currentView(idx);
            st.reset();
            return MemTxResult.ofBits(isWrite ? AccessPath.write(space, v, addr, attrs, buf, st)
                    : AccessPath.read(v, addr, attrs, buf, st));
        } finally {
            if (entered) {
                reader.exit();
            }
        }
    }

    @Override
    public Translation translate(long addr, long length, boolean isWrite, MemTxAttrs attrs) {
        check();
        Objects.requireNonNull(attrs, "attrs");
        // the Translation goes straight to the caller, so that the JIT can keep it off the heap
        boolean entered = !reader.inReadSection();
        if (entered) {
            reader.enter();
        }
        try {
            return AccessPath.translate(tlb.currentView(idx), addr, length, isWrite, attrs);
        } finally {
            if (entered) {
                reader.exit();
            }
        }
    }
}
