package org.guestmem.examples.rv32.jit;

import java.util.ArrayList;
import java.util.List;
import org.guestmem.examples.rv32.cpu.Decoder;
import org.guestmem.examples.rv32.cpu.Insn;
import org.guestmem.examples.rv32.mem.MemoryBackend;

/**
 * Reads and decodes one basic block from guest RAM for the compiler. A block ends after a branch
 * or jump, or at {@link #MAX_INSNS}; it stops before anything the interpreter must run: CSR
 * instructions, {@code ecall}, {@code ebreak}, {@code mret}, {@code wfi}, {@code fence.i}, illegal
 * instructions, a branch or {@code jal} to a misaligned target, or code outside RAM.
 */
final class BlockScanner {
    /** The longest block. */
    static final int MAX_INSNS = 64;
    private final MemoryBackend mem;

    BlockScanner(MemoryBackend mem) {
        this.mem = mem;
    }

    /**
     * {@return the block at {@code pc}, or null if its first instruction cannot be compiled} Calls
     * {@link MemoryBackend#watchCode} for each page before reading from it.
     */
    GuestBlock scan(int pc, PageSet pages) {
        List<Insn> insns = new ArrayList<>();
        int at = pc;
        while (insns.size() < MAX_INSNS) {
            if (!mem.isRam(at, 4)) {
                break;
            }
            pages.add(at & ~0xfff, mem);
            long w = mem.fetch32(at);
            if (MemoryBackend.failed(w)) {
                break;
            }
            Insn i = Decoder.decode(at, (int) w);
            if (!compilable(i)) {
                break;
            }
            insns.add(i);
            if (i.op().endsBlock()) {
                break;
            }
            at += 4;
        }
        return insns.isEmpty() ? null : new GuestBlock(pc, insns);
    }

    private static boolean compilable(Insn i) {
        return switch (i.op()) {
            case SYSTEM, ILLEGAL, FENCE_I -> false;
            case JAL -> (i.target() & 3) == 0;
            default -> !i.op().isBranch() || (i.target() & 3) == 0;
        };
    }

    /** The pages a translation reads, each watched once. */
    static final class PageSet {
        private int[] pages = new int[4];
        private int n;

        void add(int page, MemoryBackend mem) {
            for (int i = 0; i < n; i++) {
                if (pages[i] == page) {
                    return;
                }
            }
            mem.watchCode(page);
            if (n == pages.length) {
                pages = java.util.Arrays.copyOf(pages, n * 2);
            }
            pages[n++] = page;
        }

        int[] toArray() {
            return java.util.Arrays.copyOf(pages, n);
        }
    }
}
