package org.guestmem.tlb;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import org.guestmem.internal.AnonymousMemory;
import org.guestmem.layout.TlbEntryLayout;
import org.guestmem.layout.TlbLayout;
import org.guestmem.rcu.RcuReader;

/**
 * The native entries of every MMU index of one {@link Tlb} ({@link TlbEntryLayout}, index
 * {@code k}'s table at {@code k << (log2Entries + 5)}), its native descriptor ({@link TlbLayout}),
 * and what Java keeps per entry beside them: the section the entry was filled from, the guest page
 * that record describes and the physical page. Owner thread only, except {@link #flagNotDirty},
 * which threads clearing dirty bits call (see {@link DirtyFlagging} and {@link NotDirty}).
 *
 * <p>The native memory is freed by {@link #free()} (the TLB's {@code close()}), after the owner
 * disarmed the fast path for good and no clearing thread can still be reading it.
 */
final class TlbTable {
    /** Tables of at least this size get transparent huge pages. */
    private static final long HUGE_THRESHOLD = 1L << 20;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;

    final int indexes;
    /** Index tables allocated: a power of two at least {@link #indexes}, so a masked index stays inside. */
    final int tables;
    final int log2Entries;
    final int entries;
    final int pageBits;
    /** {@code ~(pageSize - 1)}: the page part of an address. */
    final long pageMaskHi;
    private final Arena arena = Arena.ofShared();
    /** All indexes' entries. */
    final MemorySegment table;
    final long tableAddress;
    /** {@link TlbLayout}: header, then one part per index. */
    final MemorySegment descriptor;
    /** Per entry ({@code k * entries + i}): the section Java filled the entry from, or null. */
    final SectionInfo[] info;
    /** Per entry: the guest page {@link #info} describes, or -1; native fills do not update it. */
    final long[] javaPage;
    /** Per entry: the guest physical page of {@link #javaPage}. */
    final long[] physPage;
    /** Per entry: the permissions ({@link PageMapper#RWX} bits) of {@link #javaPage}'s mapping. */
    final byte[] perms;
    /** The multiplier that folds a page number's high part into its second slot ({@link #slotB}). */
    static final long FOLD = TlbEntryLayout.SECOND_WAY_FOLD;

    TlbTable(int indexes, int tables, int log2Entries, int pageBits) {
        this.indexes = indexes;
        this.tables = tables;
        this.log2Entries = log2Entries;
        this.entries = 1 << log2Entries;
        this.pageBits = pageBits;
        this.pageMaskHi = -1L << pageBits;
        long bytes = (long) tables << (log2Entries + TlbEntryLayout.SHIFT);
        try {
            this.table = bytes >= HUGE_THRESHOLD ? AnonymousMemory.allocateHuge(arena, bytes)
                    : arena.allocate(bytes, 4096);
            this.descriptor = arena.allocate(TlbLayout.bytes(indexes), 64);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
        this.tableAddress = table.address();
        table.fill((byte) 0xff);
        descriptor.fill((byte) 0);
        this.info = new SectionInfo[indexes * entries];
        this.javaPage = new long[indexes * entries];
        this.physPage = new long[indexes * entries];
        this.perms = new byte[indexes * entries];
        Arrays.fill(javaPage, -1L);
    }

    /** {@return the byte offset in {@link #table} of index {@code k}'s entry for {@code addr}} */
    long offset(int k, long addr) {
        return ((long) k << (log2Entries + TlbEntryLayout.SHIFT))
                + (((addr >>> pageBits) & (entries - 1)) << TlbEntryLayout.SHIFT);
    }

    /** The second slot's index within its table: the page number with its high part folded in. */
    private int indexB(long addr) {
        long p = addr >>> pageBits;
        return (int) ((p ^ ((p >>> log2Entries) * FOLD)) & (entries - 1));
    }

    /**
     * {@return the slot of the Java arrays for index {@code k}'s second entry of {@code addr}, where
     * the slow path keeps a page a fill evicted from its direct slot ({@link TlbFill})} It equals the
     * direct slot for pages whose number fits the table.
     */
    int slotB(int k, long addr) {
        return (k << log2Entries) + indexB(addr);
    }

    /** {@return the byte offset in {@link #table} of index {@code k}'s second entry for {@code addr}} */
    long offsetB(int k, long addr) {
        return ((long) k << (log2Entries + TlbEntryLayout.SHIFT)) + ((long) indexB(addr) << TlbEntryLayout.SHIFT);
    }

    /** {@return the slot of the Java arrays for index {@code k}'s entry of {@code addr}} */
    int slot(int k, long addr) {
        return (k << log2Entries) + (int) ((addr >>> pageBits) & (entries - 1));
    }

    long tag(long offset, long field) {
        return table.get(LONG, offset + field);
    }

    long addend(long offset) {
        return table.get(LONG, offset + TlbEntryLayout.ADDEND_OFFSET);
    }

    /**
     * Writes an entry (owner thread): addend first, then the tags, plain stores; the arming rule
     * adds the full fence where a clearing thread must be ordered against it.
     */
    void write(long offset, long read, long write, long code, long addend) {
        table.set(LONG, offset + TlbEntryLayout.ADDEND_OFFSET, addend);
        table.set(LONG, offset + TlbEntryLayout.ADDR_READ_OFFSET, read);
        table.set(LONG, offset + TlbEntryLayout.ADDR_CODE_OFFSET, code);
        table.set(LONG, offset + TlbEntryLayout.ADDR_WRITE_OFFSET, write);
    }

    /** Sets the store tag (owner thread, plain store). */
    void setWriteTag(long offset, long write) {
        table.set(LONG, offset + TlbEntryLayout.ADDR_WRITE_OFFSET, write);
    }

    /** Empties one entry and forgets its Java record. */
    void invalidate(long offset, int slot) {
        write(offset, TlbEntryLayout.EMPTY, TlbEntryLayout.EMPTY, TlbEntryLayout.EMPTY, 0);
        forget(slot);
    }

    void forget(int slot) {
        info[slot] = null;
        javaPage[slot] = -1L;
    }

    /** Empties every entry of index {@code k} and forgets their Java records. */
    void flush(int k) {
        long bytes = (long) entries << TlbEntryLayout.SHIFT;
        table.asSlice((long) k * bytes, bytes).fill((byte) 0xff);
        VarHandle.fullFence(); // the memset is not a volatile store: order it before later fills
        forgetAll(k);
    }

    /** Forgets the Java records of index {@code k} (its native entries were emptied elsewhere). */
    void forgetAll(int k) {
        Arrays.fill(info, k << log2Entries, (k + 1) << log2Entries, null);
        Arrays.fill(javaPage, k << log2Entries, (k + 1) << log2Entries, -1L);
    }

    /** Any thread: {@link NotDirty#flag} on the entry at {@code offset}. */
    void flagNotDirty(long offset, long page, long hostFirst, long hostLast) {
        NotDirty.flag(table, offset, pageMaskHi, page, hostFirst, hostLast);
    }

    /** Index {@code k}'s descriptor part: the tables its entries come from (acquire; any thread). */
    long descriptorTables(int k) {
        return (long) TlbLayout.INDEX_TABLES.getAcquire(descriptor, TlbLayout.indexOffset(k));
    }

    /** Index {@code k}'s descriptor part: the generation its entries come from (owner). */
    long descriptorGeneration(int k) {
        return (long) TlbLayout.INDEX_GENERATION.get(descriptor, TlbLayout.indexOffset(k));
    }

    /**
     * Records which view index {@code k}'s entries come from: generation, then the tables with a
     * volatile (sequentially consistent) store that precedes every fill from them.
     */
    void follow(int k, long generation, long tables) {
        TlbLayout.INDEX_GENERATION.setVolatile(descriptor, TlbLayout.indexOffset(k), generation);
        TlbLayout.INDEX_TABLES.setVolatile(descriptor, TlbLayout.indexOffset(k), tables);
    }

    /** Writes the native descriptor of a TLB of {@code reader} with these indexes. */
    void describe(RcuReader reader, MmuIndex[] ixs, boolean checked) {
        MemorySegment d = descriptor;
        TlbLayout.MAGIC_FIELD.set(d, 0L, TlbLayout.MAGIC);
        TlbLayout.VERSION_FIELD.set(d, 0L, TlbLayout.VERSION);
        TlbLayout.PAGE_BITS.set(d, 0L, (byte) pageBits);
        TlbLayout.MMU_INDEXES.set(d, 0L, (byte) indexes);
        TlbLayout.LOG2_ENTRIES.set(d, 0L, (byte) log2Entries);
        TlbLayout.FLAGS.set(d, 0L, (byte) (checked ? TlbLayout.FLAG_CHECKED : 0));
        TlbLayout.TABLE.set(d, 0L, tableAddress);
        TlbLayout.RCU_SLOT.set(d, 0L, reader.nativeSlot().address());
        TlbLayout.RCU_DOMAIN.set(d, 0L, reader.domain().nativeGracePeriodCounter().address());
        for (MmuIndex ix : ixs) {
            long o = TlbLayout.indexOffset(ix.k);
            TlbLayout.INDEX_PUBLICATION.set(d, o, ix.space.nativePublication().address());
            TlbLayout.INDEX_FLAGS.set(d, o, ix.identity() ? TlbLayout.INDEX_IDENTITY : 0);
        }
    }

    /** Empties index {@code k}'s entries (direct and second slot) of the page of {@code vaddr}, if they hold that page. */
    void flushPage(int k, long vaddr) {
        long page = vaddr & pageMaskHi;
        drop(offset(k, page), slot(k, page), page);
        drop(offsetB(k, page), slotB(k, page), page);
    }

    /** Empties the entry at {@code off} ({@code slot}) if its Java record or any tag is of {@code page}. */
    void drop(long off, int slot, long page) {
        if (javaPage[slot] == page || (tag(off, TlbEntryLayout.ADDR_READ_OFFSET) & pageMaskHi) == page
                || (tag(off, TlbEntryLayout.ADDR_WRITE_OFFSET) & pageMaskHi) == page
                || (tag(off, TlbEntryLayout.ADDR_CODE_OFFSET) & pageMaskHi) == page) {
            invalidate(off, slot);
        }
    }

    /** Frees the native memory (after the TLB was disarmed for good, or became unreachable, and left the registry). */
    void free() {
        arena.close();
    }
}
