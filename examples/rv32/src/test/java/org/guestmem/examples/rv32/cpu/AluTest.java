package org.guestmem.examples.rv32.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class AluTest {
    @Test
    void divisionByZeroGivesAllOnesAndTheDividendAsRemainder() {
        assertEquals(-1, Alu.div(7, 0));
        assertEquals(-1, Alu.div(Integer.MIN_VALUE, 0));
        assertEquals(0xffffffff, Alu.divu(7, 0));
        assertEquals(7, Alu.rem(7, 0));
        assertEquals(-7, Alu.rem(-7, 0));
        assertEquals(0x80000001, Alu.remu(0x80000001, 0));
    }

    @Test
    void signedOverflowGivesTheDividendAndZeroRemainder() {
        assertEquals(Integer.MIN_VALUE, Alu.div(Integer.MIN_VALUE, -1));
        assertEquals(0, Alu.rem(Integer.MIN_VALUE, -1));
    }

    @Test
    void divisionRoundsTowardZero() {
        assertEquals(-2, Alu.div(-7, 3));
        assertEquals(-1, Alu.rem(-7, 3));
        assertEquals(2, Alu.div(-7, -3));
        assertEquals(0x55555553, Alu.divu(-7, 3)); // 0xfffffff9 / 3
        assertEquals(0, Alu.remu(-7, 3));
        assertEquals(4, Alu.remu(-7, 5));
    }

    @Test
    void highProductsOfEverySignedness() {
        assertEquals(-1, Alu.mulh(-1, 1));           // -1 * 1 = -1: high word all ones
        assertEquals(0, Alu.mulhu(-1, 1));           // 0xffffffff * 1 < 2^32
        assertEquals(0xfffffffe, Alu.mulhu(-1, -1)); // (2^32-1)^2 = 2^64 - 2^33 + 1
        assertEquals(0, Alu.mulh(-1, -1));           // 1
        assertEquals(-1, Alu.mulhsu(-1, -1));        // -1 * 0xffffffff = -(2^32-1)
        assertEquals(0x3fffffff, Alu.mulh(Integer.MIN_VALUE + 1, Integer.MIN_VALUE + 1));
        assertEquals(0x40000000, Alu.mulh(Integer.MIN_VALUE, Integer.MIN_VALUE));
        assertEquals(0xc0000000, Alu.mulhsu(Integer.MIN_VALUE, Integer.MIN_VALUE));
    }
}
