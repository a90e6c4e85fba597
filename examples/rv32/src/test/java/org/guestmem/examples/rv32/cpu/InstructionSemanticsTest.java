package org.guestmem.examples.rv32.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.guestmem.examples.rv32.testing.Asm;
import org.guestmem.examples.rv32.testing.Engines;
import org.guestmem.examples.rv32.testing.TestMachine;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Edge cases of RV32IM, run on the interpreter and on compiled code, over both memory backends. */
class InstructionSemanticsTest {
    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> engines() {
        return Engines.all();
    }

    private static final int A = 10, B = 11, C = 12, D = 13, E = 14, F = 15, G = 16, H = 17;

    private static TestMachine run(Engines.Kind engine, TestMachine.Backend backend, Asm asm) {
        asm.exit(0);
        TestMachine m = new TestMachine(backend, asm.words(), engine.factory());
        assertEquals(0, m.run(10_000));
        return m;
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("engines")
    void shiftsUseTheLowFiveBitsOfTheRegister(Engines.Kind engine, TestMachine.Backend backend) {
        Asm a = new Asm().li(5, 0x80000001).li(6, 33).sll(A, 5, 6).srl(B, 5, 6).sra(C, 5, 6)
                .srai(D, 5, 31).srli(E, 5, 31).slli(F, 5, 31);
        try (TestMachine m = run(engine, backend, a)) {
            assertEquals(0x00000002, m.x(A));
            assertEquals(0x40000000, m.x(B));
            assertEquals(0xc0000000, m.x(C));
            assertEquals(-1, m.x(D));
            assertEquals(1, m.x(E));
            assertEquals(0x80000000, m.x(F));
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("engines")
    void divisionByZeroAndOverflowDoNotTrap(Engines.Kind engine, TestMachine.Backend backend) {
        Asm a = new Asm().li(5, Integer.MIN_VALUE).li(6, -1).li(7, 0).li(8, 7)
                .div(A, 5, 6).rem(B, 5, 6).div(C, 8, 7).divu(D, 8, 7).rem(E, 8, 7).remu(F, 8, 7)
                .mulh(G, 5, 5).mulhu(H, 6, 6);
        try (TestMachine m = run(engine, backend, a)) {
            assertEquals(Integer.MIN_VALUE, m.x(A));
            assertEquals(0, m.x(B));
            assertEquals(-1, m.x(C));
            assertEquals(-1, m.x(D));
            assertEquals(7, m.x(E));
            assertEquals(7, m.x(F));
            assertEquals(0x40000000, m.x(G));
            assertEquals(0xfffffffe, m.x(H));
            assertEquals(0, m.cpu.traps);
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("engines")
    void loadsSignOrZeroExtendAndMisalignedAccessesWork(Engines.Kind engine, TestMachine.Backend backend) {
        Asm a = new Asm().li(5, 0x80100000).li(6, 0x8281ff80)
                .sw(6, 5, 0).lb(A, 5, 0).lbu(B, 5, 0).lh(C, 5, 2).lhu(D, 5, 2)
                .lw(E, 5, 1)                 // misaligned: bytes 81 82 00 00 (the next word is 0)
                .sh(6, 5, 7).lw(F, 5, 5)     // misaligned halfword store, then a word across it
                .sb(6, 5, 12).lbu(G, 5, 12);
        try (TestMachine m = run(engine, backend, a)) {
            assertEquals(0xffffff80, m.x(A));
            assertEquals(0x80, m.x(B));
            assertEquals(0xffff8281, m.x(C));
            assertEquals(0x8281, m.x(D));
            assertEquals(0x008281ff, m.x(E));
            assertEquals(0xff800000, m.x(F)); // bytes 5..8: 00 00 80 ff
            assertEquals(0x80, m.x(G));
            assertEquals(0, m.cpu.traps);
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("engines")
    void comparisonsLuiAuipcAndX0(Engines.Kind engine, TestMachine.Backend backend) {
        Asm a = new Asm().li(5, -1).li(6, 1)
                .slt(A, 5, 6).sltu(B, 5, 6).slti(C, 5, 0).sltiu(D, 6, -1) // 1 <u 0xffffffff
                .auipc(E, 1)                   // pc of this instruction + 0x1000
                .lui(F, 0xfffff)
                .addi(0, 6, 5).add(G, 0, 0)    // writes to x0 are dropped
                .xori(H, 6, -1);
        try (TestMachine m = run(engine, backend, a)) {
            assertEquals(1, m.x(A));
            assertEquals(0, m.x(B));
            assertEquals(1, m.x(C));
            assertEquals(1, m.x(D));
            assertEquals(TestMachine.BASE + 4 * 8 + 0x1000, m.x(E));
            assertEquals(0xfffff000, m.x(F));
            assertEquals(0, m.x(G));
            assertEquals(0, m.x(0));
            assertEquals(-2, m.x(H));
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("engines")
    void branchesJumpsAndLinks(Engines.Kind engine, TestMachine.Backend backend) {
        // a loop summing 1..100 with bltu, a call through jal and a return through jalr
        Asm a = new Asm().li(A, 0).li(5, 1).li(6, 101);
        int loop = a.size();
        a.add(A, A, 5).addi(5, 5, 1).bltu(5, 6, 4 * (loop - a.size() - 0));
        // the bltu above jumps back to 'loop'
        a.jal(1, 12);                 // call: skips the next two words
        a.addi(B, 0, 99);             // skipped on the way in, executed after the return
        a.jal(0, 12);                 // to the exit
        a.addi(C, 1, 0);              // callee: C = return address
        a.jalr(D, 1, 0);              // return, D = address after this jalr
        try (TestMachine m = run(engine, backend, a)) {
            assertEquals(5050, m.x(A));
            assertEquals(99, m.x(B));
            int call = TestMachine.BASE + 4 * (loop + 3);
            assertEquals(call + 4, m.x(C));
            assertEquals(call + 20, m.x(D));
        }
    }
}
