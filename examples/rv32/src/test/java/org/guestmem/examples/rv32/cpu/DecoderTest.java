package org.guestmem.examples.rv32.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.guestmem.examples.rv32.testing.Asm;
import org.junit.jupiter.api.Test;

class DecoderTest {
    @Test
    void immediatesAreSignExtended() {
        assertEquals(-1, Decoder.decode(0, Asm.i(-1, 1, 0, 2, 0x13)).imm());
        assertEquals(-2048, Decoder.decode(0, Asm.i(-2048, 1, 0, 2, 0x13)).imm());
        assertEquals(-4, Decoder.decode(0, Asm.s(-4, 3, 1, 2, 0x23)).imm());
        assertEquals(2047, Decoder.decode(0, Asm.s(2047, 3, 1, 2, 0x23)).imm());
        assertEquals(-4096, Decoder.decode(0, Asm.b(-4096, 2, 1, 0)).imm());
        assertEquals(4094, Decoder.decode(0, Asm.b(4094, 2, 1, 0)).imm());
        assertEquals(-(1 << 20), Decoder.decode(0, Asm.j(-(1 << 20), 1)).imm());
        assertEquals((1 << 20) - 2, Decoder.decode(0, Asm.j((1 << 20) - 2, 0)).imm());
    }

    @Test
    void branchAndJumpTargetsAreRelativeToThePc() {
        Insn b = Decoder.decode(0x80000100, Asm.b(-8, 2, 1, 1));
        assertEquals(Op.BNE, b.op());
        assertEquals(0x800000f8, b.target());
        Insn j = Decoder.decode(0x80000100, Asm.j(0x40, 1));
        assertEquals(Op.JAL, j.op());
        assertEquals(0x80000140, j.target());
        assertEquals(1, j.rd());
    }

    @Test
    void shiftImmediatesWithReservedBitsAndOtherEncodingsAreIllegal() {
        assertEquals(Op.SRAI, Decoder.decode(0, Asm.i(0x400 | 3, 1, 5, 2, 0x13)).op());
        assertEquals(3, Decoder.decode(0, Asm.i(0x400 | 3, 1, 5, 2, 0x13)).imm());
        assertEquals(Op.ILLEGAL, Decoder.decode(0, Asm.i(0x200 | 3, 1, 5, 2, 0x13)).op()); // f7 = 0x10
        assertEquals(Op.ILLEGAL, Decoder.decode(0, Asm.i(0x400 | 3, 1, 1, 2, 0x13)).op()); // slli with f7 = 0x20
        assertEquals(Op.ILLEGAL, Decoder.decode(0, 0xffffffff).op());
        assertEquals(Op.ILLEGAL, Decoder.decode(0, 0).op());
        assertEquals(Op.ILLEGAL, Decoder.decode(0, Asm.i(0, 1, 3, 2, 0x03)).op()); // ld (RV64)
        assertEquals(Op.ILLEGAL, Decoder.decode(0, Asm.b(8, 2, 1, 2)).op());       // branch funct3 2
        assertEquals(Op.ILLEGAL, Decoder.decode(0, Asm.i(0, 1, 1, 2, 0x67)).op()); // jalr funct3 1
        assertEquals(Op.ILLEGAL, Decoder.decode(0, Asm.r(2, 3, 1, 0, 2, 0x33)).op());
    }

    @Test
    void systemAndFenceInstructions() {
        assertEquals(Op.SYSTEM, Decoder.decode(0, 0x00000073).op());
        assertEquals(Op.SYSTEM, Decoder.decode(0, 0x30200073).op());
        assertEquals(Op.FENCE, Decoder.decode(0, 0x0ff0000f).op());
        assertEquals(Op.FENCE_I, Decoder.decode(0, 0x0000100f).op());
        assertEquals(Op.MULHSU, Decoder.decode(0, Asm.r(1, 3, 1, 2, 2, 0x33)).op());
    }
}
