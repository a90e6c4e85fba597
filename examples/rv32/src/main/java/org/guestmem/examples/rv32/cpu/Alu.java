package org.guestmem.examples.rv32.cpu;

/**
 * The RV32M operations whose RISC-V semantics differ from Java's operators (division by zero and
 * overflow do not trap; the high halves of products), shared by the interpreter and the code the
 * JIT emits, so both compute the same thing. Shifts need no helper: Java masks an {@code int}
 * shift count to 5 bits, as RV32 does.
 */
public final class Alu {
    private Alu() {
    }

    /** {@return {@code div}: -1 on division by zero, the dividend on {@code MIN_VALUE / -1}} */
    public static int div(int a, int b) {
        if (b == 0) {
            return -1;
        }
        if (a == Integer.MIN_VALUE && b == -1) {
            return a;
        }
        return a / b;
    }

    /** {@return {@code divu}: all ones on division by zero} */
    public static int divu(int a, int b) {
        return b == 0 ? -1 : Integer.divideUnsigned(a, b);
    }

    /** {@return {@code rem}: the dividend on division by zero, 0 on {@code MIN_VALUE % -1}} */
    public static int rem(int a, int b) {
        if (b == 0) {
            return a;
        }
        if (b == -1) {
            return 0;
        }
        return a % b;
    }

    /** {@return {@code remu}: the dividend on division by zero} */
    public static int remu(int a, int b) {
        return b == 0 ? a : Integer.remainderUnsigned(a, b);
    }

    /** {@return the high 32 bits of the signed 64-bit product} */
    public static int mulh(int a, int b) {
        return (int) (((long) a * b) >> 32);
    }

    /** {@return the high 32 bits of signed {@code a} times unsigned {@code b}} */
    public static int mulhsu(int a, int b) {
        return (int) (((long) a * Integer.toUnsignedLong(b)) >> 32);
    }

    /** {@return the high 32 bits of the unsigned 64-bit product} */
    public static int mulhu(int a, int b) {
        return (int) ((Integer.toUnsignedLong(a) * Integer.toUnsignedLong(b)) >>> 32);
    }
}
