package org.guestmem.examples.rv32.cpu;

/**
 * One decoded instruction: its address, raw bits, operation, register numbers and sign-extended
 * immediate (the branch or jump offset for control transfers, the shift amount for immediate shifts).
 */
public record Insn(int pc, int raw, Op op, int rd, int rs1, int rs2, int imm) {
    /** {@return the address of the next instruction in sequence} */
    public int next() {
        return pc + 4;
    }

    /** {@return the target of a branch or {@code jal}} */
    public int target() {
        return pc + imm;
    }
}
