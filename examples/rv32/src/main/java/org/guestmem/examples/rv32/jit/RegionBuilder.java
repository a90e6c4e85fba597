package org.guestmem.examples.rv32.jit;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.guestmem.examples.rv32.cpu.Insn;
import org.guestmem.examples.rv32.cpu.Op;

/**
 * Chooses the blocks of one translation: the hot block, then, breadth first, the blocks its
 * branches and direct jumps reach and the blocks after its calls (where the callee returns), as
 * long as the interpreter has run them (cold paths stay out), they were never overwritten and no
 * other translation starts there (it is jumped to through the dispatcher instead: without that,
 * every entry of a recursive function's loops would carry its own copy of them, and HotSpot
 * would compile each copy).
 * Loops therefore stay inside one JVM method, with the guest registers in locals. Bounded by
 * {@link #MAX_BLOCKS} and {@link #MAX_INSNS}, to stay well under HotSpot's method size limit.
 */
final class RegionBuilder {
    static final int MAX_BLOCKS = 12;
    static final int MAX_INSNS = 160;
    private final BlockScanner scanner;
    private final CodeCache cache;

    RegionBuilder(BlockScanner scanner, CodeCache cache) {
        this.scanner = scanner;
        this.cache = cache;
    }

    /** {@return the blocks for a translation entered at {@code entry}, empty if its first block cannot be compiled} */
    List<GuestBlock> build(int entry, BlockScanner.PageSet pages, int maxInsns) {
        List<GuestBlock> blocks = new ArrayList<>();
        Set<Integer> seen = new HashSet<>();
        ArrayDeque<Integer> queue = new ArrayDeque<>();
        queue.add(entry);
        int insns = 0;
        while (!queue.isEmpty() && blocks.size() < MAX_BLOCKS) {
            int pc = queue.poll();
            if (!seen.add(pc)) {
                continue;
            }
            if (pc != entry && (!cache.executed(pc) || cache.overwrites(pc) > 0 || cache.hasEntry(pc))) {
                continue;
            }
            GuestBlock b = scanner.scan(pc, pages);
            if (b == null || (pc != entry && insns + b.insns().size() > maxInsns)) {
                continue;
            }
            blocks.add(b);
            insns += b.insns().size();
            Insn last = b.last();
            if (last.op().isBranch()) {
                queue.add(last.target());
                queue.add(last.next());
            } else if (last.op() == Op.JAL) {
                queue.add(last.rd() == 0 ? last.target() : last.next());
            } else if (last.op() == Op.JALR) {
                if (last.rd() != 0) {
                    queue.add(last.next());
                }
            } else {
                queue.add(b.end());
            }
        }
        return blocks;
    }
}
