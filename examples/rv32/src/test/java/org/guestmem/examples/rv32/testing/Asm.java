package org.guestmem.examples.rv32.testing;

import java.util.ArrayList;
import java.util.List;

/** A tiny RV32 assembler for tests: each method appends one instruction word. */
public final class Asm {
    private final List<Integer> words = new ArrayList<>();

    /** {@return the address of the next instruction, given code starting at {@code base}} */
    public int here(int base) {
        return base + 4 * words.size();
    }

    /** {@return how many words so far} */
    public int size() {
        return words.size();
    }

    /** {@return the words} */
    public int[] words() {
        return words.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Appends a raw word. */
    public Asm word(int w) {
        words.add(w);
        return this;
    }

    public static int r(int f7, int rs2, int rs1, int f3, int rd, int op) {
        return (f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op;
    }

    public static int i(int imm, int rs1, int f3, int rd, int op) {
        return (imm << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op;
    }

    public static int s(int imm, int rs2, int rs1, int f3, int op) {
        return ((imm >> 5) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 31) << 7) | op;
    }

    public static int b(int imm, int rs2, int rs1, int f3) {
        return (((imm >> 12) & 1) << 31) | (((imm >> 5) & 0x3f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12)
                | (((imm >> 1) & 0xf) << 8) | (((imm >> 11) & 1) << 7) | 0x63;
    }

    public static int j(int imm, int rd) {
        return (((imm >> 20) & 1) << 31) | (((imm >> 1) & 0x3ff) << 21) | (((imm >> 11) & 1) << 20)
                | (((imm >> 12) & 0xff) << 12) | (rd << 7) | 0x6f;
    }

    public Asm lui(int rd, int imm20) { return word((imm20 << 12) | (rd << 7) | 0x37); }
    public Asm auipc(int rd, int imm20) { return word((imm20 << 12) | (rd << 7) | 0x17); }
    public Asm addi(int rd, int rs1, int imm) { return word(i(imm, rs1, 0, rd, 0x13)); }
    public Asm slti(int rd, int rs1, int imm) { return word(i(imm, rs1, 2, rd, 0x13)); }
    public Asm sltiu(int rd, int rs1, int imm) { return word(i(imm, rs1, 3, rd, 0x13)); }
    public Asm xori(int rd, int rs1, int imm) { return word(i(imm, rs1, 4, rd, 0x13)); }
    public Asm ori(int rd, int rs1, int imm) { return word(i(imm, rs1, 6, rd, 0x13)); }
    public Asm andi(int rd, int rs1, int imm) { return word(i(imm, rs1, 7, rd, 0x13)); }
    public Asm slli(int rd, int rs1, int sh) { return word(i(sh, rs1, 1, rd, 0x13)); }
    public Asm srli(int rd, int rs1, int sh) { return word(i(sh, rs1, 5, rd, 0x13)); }
    public Asm srai(int rd, int rs1, int sh) { return word(i(0x400 | sh, rs1, 5, rd, 0x13)); }
    public Asm add(int rd, int a, int b) { return word(r(0, b, a, 0, rd, 0x33)); }
    public Asm sub(int rd, int a, int b) { return word(r(0x20, b, a, 0, rd, 0x33)); }
    public Asm sll(int rd, int a, int b) { return word(r(0, b, a, 1, rd, 0x33)); }
    public Asm slt(int rd, int a, int b) { return word(r(0, b, a, 2, rd, 0x33)); }
    public Asm sltu(int rd, int a, int b) { return word(r(0, b, a, 3, rd, 0x33)); }
    public Asm xor(int rd, int a, int b) { return word(r(0, b, a, 4, rd, 0x33)); }
    public Asm srl(int rd, int a, int b) { return word(r(0, b, a, 5, rd, 0x33)); }
    public Asm sra(int rd, int a, int b) { return word(r(0x20, b, a, 5, rd, 0x33)); }
    public Asm or(int rd, int a, int b) { return word(r(0, b, a, 6, rd, 0x33)); }
    public Asm and(int rd, int a, int b) { return word(r(0, b, a, 7, rd, 0x33)); }
    public Asm mul(int rd, int a, int b) { return word(r(1, b, a, 0, rd, 0x33)); }
    public Asm mulh(int rd, int a, int b) { return word(r(1, b, a, 1, rd, 0x33)); }
    public Asm mulhsu(int rd, int a, int b) { return word(r(1, b, a, 2, rd, 0x33)); }
    public Asm mulhu(int rd, int a, int b) { return word(r(1, b, a, 3, rd, 0x33)); }
    public Asm div(int rd, int a, int b) { return word(r(1, b, a, 4, rd, 0x33)); }
    public Asm divu(int rd, int a, int b) { return word(r(1, b, a, 5, rd, 0x33)); }
    public Asm rem(int rd, int a, int b) { return word(r(1, b, a, 6, rd, 0x33)); }
    public Asm remu(int rd, int a, int b) { return word(r(1, b, a, 7, rd, 0x33)); }
    public Asm lb(int rd, int rs1, int imm) { return word(i(imm, rs1, 0, rd, 0x03)); }
    public Asm lh(int rd, int rs1, int imm) { return word(i(imm, rs1, 1, rd, 0x03)); }
    public Asm lw(int rd, int rs1, int imm) { return word(i(imm, rs1, 2, rd, 0x03)); }
    public Asm lbu(int rd, int rs1, int imm) { return word(i(imm, rs1, 4, rd, 0x03)); }
    public Asm lhu(int rd, int rs1, int imm) { return word(i(imm, rs1, 5, rd, 0x03)); }
    public Asm sb(int rs2, int rs1, int imm) { return word(s(imm, rs2, rs1, 0, 0x23)); }
    public Asm sh(int rs2, int rs1, int imm) { return word(s(imm, rs2, rs1, 1, 0x23)); }
    public Asm sw(int rs2, int rs1, int imm) { return word(s(imm, rs2, rs1, 2, 0x23)); }
    public Asm beq(int a, int b2, int off) { return word(b(off, b2, a, 0)); }
    public Asm bne(int a, int b2, int off) { return word(b(off, b2, a, 1)); }
    public Asm blt(int a, int b2, int off) { return word(b(off, b2, a, 4)); }
    public Asm bge(int a, int b2, int off) { return word(b(off, b2, a, 5)); }
    public Asm bltu(int a, int b2, int off) { return word(b(off, b2, a, 6)); }
    public Asm bgeu(int a, int b2, int off) { return word(b(off, b2, a, 7)); }
    public Asm jal(int rd, int off) { return word(j(off, rd)); }
    public Asm jalr(int rd, int rs1, int imm) { return word(i(imm, rs1, 0, rd, 0x67)); }
    public Asm csrrw(int rd, int csr, int rs1) { return word(i(csr, rs1, 1, rd, 0x73)); }
    public Asm csrrs(int rd, int csr, int rs1) { return word(i(csr, rs1, 2, rd, 0x73)); }
    public Asm csrrc(int rd, int csr, int rs1) { return word(i(csr, rs1, 3, rd, 0x73)); }
    public Asm csrrwi(int rd, int csr, int imm) { return word(i(csr, imm, 5, rd, 0x73)); }
    public Asm ecall() { return word(0x00000073); }
    public Asm ebreak() { return word(0x00100073); }
    public Asm mret() { return word(0x30200073); }
    public Asm fenceI() { return word(0x0000100f); }

    /** Loads a 32-bit constant with lui + addi (two instructions). */
    public Asm li(int rd, int value) {
        int lo = (value << 20) >> 20;
        int hi = (value - lo) >>> 12;
        lui(rd, hi);
        return addi(rd, rd, lo);
    }

    /** Exits through the SiFive test device with status {@code code} (uses t5, t6). */
    public Asm exit(int code) {
        li(31, 0x100000);
        li(30, code == 0 ? 0x5555 : (code << 16) | 0x3333);
        return sw(30, 31, 0);
    }
}
