package org.guestmem.examples.rv32.jit;

import java.util.List;
import org.guestmem.examples.rv32.cpu.Insn;

/**
 * A guest basic block as the JIT compiles it: straight-line instructions from {@code start}, the
 * last of which may be a branch or jump. {@code end} is the address after the last instruction;
 * when the last one is not a control transfer, execution continues at {@code end} (the block
 * stopped before an instruction only the interpreter runs, or at the length limit).
 */
public record GuestBlock(int start, List<Insn> insns) {
    /** {@return the address after the last instruction} */
    public int end() {
        return start + 4 * insns.size();
    }

    /** {@return the last instruction} */
    public Insn last() {
        return insns.getLast();
    }

    /** {@return whether {@code [addr, addr + length)} overlaps this block's instructions} */
    public boolean overlaps(int addr, int length) {
        long a = Integer.toUnsignedLong(addr);
        long s = Integer.toUnsignedLong(start);
        return a < s + 4L * insns.size() && s < a + length;
    }
}
