package org.guestmem.layout;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * One entry of a softmmu TLB (QEMU's {@code CPUTLBEntry}): the translation of one guest page for
 * loads, stores and instruction fetches, in a table that generated code probes inline.
 *
 * <pre>
 * offset size member
 *      0    8 addr_read    tag for loads
 *      8    8 addr_write   tag for stores
 *     16    8 addr_code    tag for instruction fetches
 *     24    8 addend       host address of guest address a is a + addend (direct entries); for
 *                          DEVICE entries a + addend is a's offset in the device's region; else 0
 * </pre>
 *
 * <h2 id="tags">Tags</h2>
 * A tag is the guest page address the entry translates with flag bits in its low
 * {@code page_bits} bits, or {@link #EMPTY} (every bit set: no page address has low bits set, so it
 * never matches). An access of {@code size} bytes at {@code a} hits when
 * <pre>
 *   tag == ((a + size - 1) &amp; ~(page_size - 1))
 * </pre>
 * which fails for every flagged tag and for every access that crosses into the next page: those
 * go to the slow path, which knows what each flag means. The flags sit below bit 10, so they fit
 * every target page size (1 KiB and up):
 * <ul>
 * <li>{@link #INVALID}: no translation of this kind (set in {@link #EMPTY}).</li>
 * <li>{@link #MMIO}: the access needs the slow path every time: MMIO, ROM and romd writes,
 * unassigned addresses, RAM without a native address.</li>
 * <li>{@link #NOTDIRTY} (store tags only): a dirty-log bit of the page is clean; the first store
 * sets the bits (and tells the JIT if CODE was clean), then the slow path re-arms the entry.</li>
 * <li>{@link #CHECKED}: checked mode; the slow path accesses RAM through the block's segment, which
 * throws instead of touching freed memory.</li>
 * <li>{@link #DEVICE} (with {@link #MMIO}): the page belongs to one MMIO region and the entry was
 * filled by Java, which keeps the region's dispatcher beside it: the slow path calls the device
 * at once, with the offset {@code a + addend}. Native fills never write it.</li>
 * <li>bits 5 to 9 are reserved (for example for watchpoints) and are 0 in every tag guestmem
 * writes.</li>
 * </ul>
 *
 * <h2 id="ways">Two ways</h2>
 * A page's entry is at its direct index (the low bits of its page number, QEMU's scheme) or, when a
 * fill evicted it from there, at its second index ({@link #SECOND_WAY_FOLD}): a probe looks at the
 * direct entry first and at the second one when the direct one misses. Pages whose numbers differ
 * only above the table's bits (regions a power of two apart) then share a direct entry without
 * evicting each other.
 *
 * <h2 id="threads">Who writes</h2>
 * Entries are written by the TLB's owner thread only, with one exception: a thread that clears
 * dirty bits sets {@link #NOTDIRTY} in {@code addr_write} with an atomic OR, after a full fence
 * ({@code docs/concurrency.md} has the protocol). Readers of {@code addr_write} on other threads
 * therefore use atomic (C) or volatile (Java) loads.
 */
public final class TlbEntryLayout {
    /** Bytes per entry (a power of two: the index of an entry is shifted by {@link #SHIFT}). */
    public static final long BYTES = 32;
    /** log2 of {@link #BYTES}. */
    public static final int SHIFT = 5;
    /** An empty tag: all bits set, {@link #INVALID} among them. */
    public static final long EMPTY = -1L;
    /** Tag flag: no translation of this kind. */
    public static final long INVALID = 1;
    /** Tag flag: every access of this kind takes the slow path (MMIO, ROM writes, unassigned...). */
    public static final long MMIO = 2;
    /** Store-tag flag: some dirty-log bit of the page is clean. */
    public static final long NOTDIRTY = 4;
    /** Tag flag: checked mode, the slow path accesses RAM through the block's segment. */
    public static final long CHECKED = 8;
    /** Tag flag, with {@link #MMIO}: one device's page, filled by Java; {@code addend} gives the offset in the region. */
    public static final long DEVICE = 16;
    /** Every bit a flag may use: the low 10 bits (the smallest target page is 1 KiB). */
    public static final long FLAGS_MASK = 0x3ff;
    /**
     * The multiplier of a page's second way: page number {@code p} of a table of {@code 2^n}
     * entries has its direct entry at {@code p & (2^n - 1)} (QEMU's index) and its second entry at
     * {@code (p ^ ((p >> n) * SECOND_WAY_FOLD)) & (2^n - 1)}.
     */
    public static final long SECOND_WAY_FOLD = 0x9E3779B97F4A7C15L;

    /** The entry structure. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("addr_read"),
            ValueLayout.JAVA_LONG.withName("addr_write"),
            ValueLayout.JAVA_LONG.withName("addr_code"),
            ValueLayout.JAVA_LONG.withName("addend")).withName("guestmem_tlb_entry");

    /** Byte offset of {@code addr_read}. */
    public static final long ADDR_READ_OFFSET = offset("addr_read");
    /** Byte offset of {@code addr_write}. */
    public static final long ADDR_WRITE_OFFSET = offset("addr_write");
    /** Byte offset of {@code addr_code}. */
    public static final long ADDR_CODE_OFFSET = offset("addr_code");
    /** Byte offset of {@code addend}. */
    public static final long ADDEND_OFFSET = offset("addend");

    /** {@code addr_read}: coordinates {@code (MemorySegment, long base)}. */
    public static final VarHandle ADDR_READ = handle("addr_read");
    /** {@code addr_write}. */
    public static final VarHandle ADDR_WRITE = handle("addr_write");
    /** {@code addr_code}. */
    public static final VarHandle ADDR_CODE = handle("addr_code");
    /** {@code addend}. */
    public static final VarHandle ADDEND = handle("addend");

    private TlbEntryLayout() {
    }

    private static VarHandle handle(String name) {
        return LAYOUT.varHandle(MemoryLayout.PathElement.groupElement(name));
    }

    private static long offset(String name) {
        return LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement(name));
    }
}
