package org.guestmem.layout;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;

/**
 * The dirty bitmaps of one RAM block: one bit per target page per dirty-log client (QEMU's
 * {@code ram_list.dirty_memory}, kept per block here). The bits are stored inverted: a set bit
 * means <em>clean</em>, so the bitmap of a new block is all zeroes, every page dirty for every
 * client (as QEMU starts), and its memory (anonymous {@code mmap} where available) costs nothing
 * until a bit is cleaned.
 *
 * <pre>
 * struct guestmem_dirty_bitmap {          words = ceil(pages / 64)
 *     uint64_t vga[words];                client 0
 *     uint64_t code[words];               client 1
 *     uint64_t migration[words];          client 2
 * };
 * bit (page % 64) of word (page / 64) of a client's array: 0 = dirty, 1 = clean
 * </pre>
 * Any thread may mark pages dirty with an atomic AND of the complement ({@code __atomic_fetch_and}
 * in C, a VarHandle {@code getAndBitwiseAnd} in Java); clearing (test-and-clear) is an atomic OR
 * that returns the old word, so a page written concurrently with a clear is either reported by
 * that clear or stays dirty for the next one. A native JIT that writes guest RAM directly marks
 * the pages itself, after its store, unless its softmmu TLB entry was armed (then every bit the
 * page logs for was dirty already: see {@code TlbEntryLayout}). Bits past the block's last page
 * are never meaningful.
 */
public final class DirtyBitmapLayout {
    /** Number of clients: VGA, CODE, MIGRATION (QEMU's {@code DIRTY_MEMORY_NUM}). */
    public static final int CLIENTS = 3;
    /** Client index of VGA (QEMU's {@code DIRTY_MEMORY_VGA}). */
    public static final int CLIENT_VGA = 0;
    /** Client index of CODE (QEMU's {@code DIRTY_MEMORY_CODE}). */
    public static final int CLIENT_CODE = 1;
    /** Client index of MIGRATION (QEMU's {@code DIRTY_MEMORY_MIGRATION}). */
    public static final int CLIENT_MIGRATION = 2;
    /** Bits per word. */
    public static final int BITS_PER_WORD = 64;

    private DirtyBitmapLayout() {
    }

    /**
     * {@return the words per client for {@code pages} pages}
     *
     * @param pages the number of pages of the block
     */
    public static long words(long pages) {
        return (pages + BITS_PER_WORD - 1) / BITS_PER_WORD;
    }

    /**
     * {@return the layout of the bitmaps of a block of {@code pages} pages}
     *
     * @param pages the number of pages of the block
     */
    public static StructLayout layout(long pages) {
        long w = words(pages);
        return MemoryLayout.structLayout(
                MemoryLayout.sequenceLayout(w, ValueLayout.JAVA_LONG).withName("vga"),
                MemoryLayout.sequenceLayout(w, ValueLayout.JAVA_LONG).withName("code"),
                MemoryLayout.sequenceLayout(w, ValueLayout.JAVA_LONG).withName("migration"))
                .withName("guestmem_dirty_bitmap");
    }

    /**
     * {@return the byte offset of the word holding {@code page}'s bit for {@code client}}
     *
     * @param pages the number of pages of the block
     * @param client the dirty-log client
     * @param page the page number
     */
    public static long wordOffset(long pages, int client, long page) {
        return (client * words(pages) + page / BITS_PER_WORD) * Long.BYTES;
    }
}
