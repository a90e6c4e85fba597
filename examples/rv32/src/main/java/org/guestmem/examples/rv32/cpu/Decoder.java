package org.guestmem.examples.rv32.cpu;

/** Decodes RV32IM + Zicsr + Zifencei instruction words; the immediate extractors are shared with the interpreter. */
public final class Decoder {
    private static final Op[] BRANCH = {Op.BEQ, Op.BNE, null, null, Op.BLT, Op.BGE, Op.BLTU, Op.BGEU};
    private static final Op[] LOAD = {Op.LB, Op.LH, Op.LW, null, Op.LBU, Op.LHU, null, null};
    private static final Op[] STORE = {Op.SB, Op.SH, Op.SW, null, null, null, null, null};
    private static final Op[] OP_IMM = {Op.ADDI, Op.SLLI, Op.SLTI, Op.SLTIU, Op.XORI, Op.SRLI, Op.ORI, Op.ANDI};
    private static final Op[] OP = {Op.ADD, Op.SLL, Op.SLT, Op.SLTU, Op.XOR, Op.SRL, Op.OR, Op.AND};
    private static final Op[] MULDIV = {Op.MUL, Op.MULH, Op.MULHSU, Op.MULHU, Op.DIV, Op.DIVU, Op.REM, Op.REMU};

    private Decoder() {
    }

    /** {@return the I-type immediate} */
    public static int immI(int insn) {
        return insn >> 20;
    }

    /** {@return the S-type immediate} */
    public static int immS(int insn) {
        return ((insn >> 25) << 5) | ((insn >>> 7) & 0x1f);
    }

    /** {@return the B-type immediate (a branch offset)} */
    public static int immB(int insn) {
        return ((insn >> 31) << 12) | (((insn >>> 7) & 1) << 11) | (((insn >>> 25) & 0x3f) << 5)
                | (((insn >>> 8) & 0xf) << 1);
    }

    /** {@return the J-type immediate (a {@code jal} offset)} */
    public static int immJ(int insn) {
        return ((insn >> 31) << 20) | (((insn >>> 12) & 0xff) << 12) | (((insn >>> 20) & 1) << 11)
                | (((insn >>> 21) & 0x3ff) << 1);
    }

    /** {@return the instruction {@code insn} found at {@code pc}} */
    public static Insn decode(int pc, int insn) {
        int rd = (insn >>> 7) & 31;
        int rs1 = (insn >>> 15) & 31;
        int rs2 = (insn >>> 20) & 31;
        int f3 = (insn >>> 12) & 7;
        int f7 = insn >>> 25;
        Op op;
        int imm = 0;
        switch (insn & 0x7f) {
            case 0x37 -> {
                op = Op.LUI;
                imm = insn & 0xfffff000;
            }
            case 0x17 -> {
                op = Op.AUIPC;
                imm = insn & 0xfffff000;
            }
            case 0x6f -> {
                op = Op.JAL;
                imm = immJ(insn);
            }
            case 0x67 -> {
                op = f3 == 0 ? Op.JALR : Op.ILLEGAL;
                imm = immI(insn);
            }
            case 0x63 -> {
                op = BRANCH[f3];
                imm = immB(insn);
            }
            case 0x03 -> {
                op = LOAD[f3];
                imm = immI(insn);
            }
            case 0x23 -> {
                op = STORE[f3];
                imm = immS(insn);
            }
            case 0x13 -> {
                op = OP_IMM[f3];
                imm = immI(insn);
                if (f3 == 1) {
                    op = f7 == 0 ? Op.SLLI : Op.ILLEGAL;
                    imm = rs2;
                } else if (f3 == 5) {
                    op = f7 == 0 ? Op.SRLI : f7 == 0x20 ? Op.SRAI : Op.ILLEGAL;
                    imm = rs2;
                }
            }
            case 0x33 -> {
                if (f7 == 0) {
                    op = OP[f3];
                } else if (f7 == 1) {
                    op = MULDIV[f3];
                } else if (f7 == 0x20 && f3 == 0) {
                    op = Op.SUB;
                } else if (f7 == 0x20 && f3 == 5) {
                    op = Op.SRA;
                } else {
                    op = Op.ILLEGAL;
                }
            }
            case 0x0f -> op = f3 == 0 ? Op.FENCE : f3 == 1 ? Op.FENCE_I : Op.ILLEGAL;
            case 0x73 -> op = Op.SYSTEM;
            default -> op = Op.ILLEGAL;
        }
        if (op == null) {
            op = Op.ILLEGAL;
        }
        return new Insn(pc, insn, op, rd, rs1, rs2, imm);
    }
}
