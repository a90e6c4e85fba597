package org.guestmem.examples.rv32.cpu;

/** The operations of RV32IM + Zicsr + Zifencei as the {@link Decoder} names them. */
public enum Op {
    LUI, AUIPC, JAL, JALR,
    BEQ, BNE, BLT, BGE, BLTU, BGEU,
    LB, LH, LW, LBU, LHU,
    SB, SH, SW,
    ADDI, SLTI, SLTIU, XORI, ORI, ANDI, SLLI, SRLI, SRAI,
    ADD, SUB, SLL, SLT, SLTU, XOR, SRL, SRA, OR, AND,
    MUL, MULH, MULHSU, MULHU, DIV, DIVU, REM, REMU,
    FENCE, FENCE_I,
    /** ecall, ebreak, mret, wfi and the CSR instructions: always run by the interpreter. */
    SYSTEM,
    /** Not an instruction of this machine: raises an illegal-instruction exception. */
    ILLEGAL;

    /** {@return whether this is a conditional branch} */
    public boolean isBranch() {
        return compareTo(BEQ) >= 0 && compareTo(BGEU) <= 0;
    }

    /** {@return whether this is a load} */
    public boolean isLoad() {
        return compareTo(LB) >= 0 && compareTo(LHU) <= 0;
    }

    /** {@return whether this is a store} */
    public boolean isStore() {
        return compareTo(SB) >= 0 && compareTo(SW) <= 0;
    }

    /** {@return whether this instruction ends a basic block (control transfer or system)} */
    public boolean endsBlock() {
        return isBranch() || this == JAL || this == JALR || this == FENCE_I || this == SYSTEM || this == ILLEGAL;
    }
}
