package org.guestmem.examples.rv32.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.guestmem.examples.rv32.testing.Asm;
import org.guestmem.examples.rv32.testing.Engines;
import org.guestmem.examples.rv32.testing.TestMachine;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Exceptions: the handler at {@code mtvec} sees {@code mcause}, {@code mepc} and {@code mtval} as
 * QEMU 7.2 sets them, on every engine and backend; without a handler the run stops.
 */
class TrapTest {
    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> engines() {
        return Engines.all();
    }

    private static final int HANDLER = 0x80000800;
    private static final int CAUSE = 20, EPC = 21, TVAL = 22, COUNT = 23;

    /** Code at 0: install the handler, then {@code body}, then exit 0. The handler records and skips the instruction. */
    private static int[] program(Asm body) {
        Asm a = new Asm().li(5, HANDLER).csrrw(0, Csrs.MTVEC, 5);
        for (int w : body.words()) {
            a.word(w);
        }
        a.exit(0);
        int[] code = new int[(HANDLER - TestMachine.BASE) / 4 + 16];
        System.arraycopy(a.words(), 0, code, 0, a.size());
        Asm h = new Asm().csrrs(CAUSE, Csrs.MCAUSE, 0).csrrs(EPC, Csrs.MEPC, 0).csrrs(TVAL, Csrs.MTVAL, 0)
                .addi(COUNT, COUNT, 1).addi(6, EPC, 4).csrrw(0, Csrs.MEPC, 6).mret();
        System.arraycopy(h.words(), 0, code, (HANDLER - TestMachine.BASE) / 4, h.size());
        return code;
    }

    private static TestMachine run(Engines.Kind engine, TestMachine.Backend backend, Asm body) {
        TestMachine m = new TestMachine(backend, program(body), engine.factory());
        assertEquals(0, m.run(10_000));
        return m;
    }

    private static int at(int index) {
        return TestMachine.BASE + 4 * (index + 3); // after li (2 words) and csrrw
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("engines")
    void ecallAndEbreak(Engines.Kind engine, TestMachine.Backend backend) {
        try (TestMachine m = run(engine, backend, new Asm().ecall())) {
            assertEquals(Trap.ECALL_M, m.x(CAUSE));
            assertEquals(at(0), m.x(EPC));
            assertEquals(0, m.x(TVAL));
        }
        try (TestMachine m = run(engine, backend, new Asm().addi(7, 0, 1).ebreak())) {
            assertEquals(Trap.BREAKPOINT, m.x(CAUSE));
            assertEquals(at(1), m.x(EPC));
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("engines")
    void illegalInstructionsAndCsrsReportTheInstructionBits(Engines.Kind engine, TestMachine.Backend backend) {
        int unknownCsr = Asm.i(0x7c0, 0, 2, 10, 0x73);   // csrr a0, 0x7c0
        int readOnlyWrite = Asm.i(Csrs.CYCLE, 10, 1, 0, 0x73); // csrw cycle, a0
        Asm body = new Asm().word(0xffffffff).word(unknownCsr).word(readOnlyWrite)
                .csrrs(8, Csrs.CYCLE, 0);     // reading a read-only CSR is fine
        try (TestMachine m = run(engine, backend, body)) {
            assertEquals(3, m.x(COUNT));
            assertEquals(Trap.ILLEGAL_INSTRUCTION, m.x(CAUSE));
            assertEquals(readOnlyWrite, m.x(TVAL));
            assertEquals(at(2), m.x(EPC));
        }
        try (TestMachine m = run(engine, backend, new Asm().word(unknownCsr))) {
            assertEquals(unknownCsr, m.x(TVAL));
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("engines")
    void accessFaultsOnUnassignedAddressesAndRejectedDeviceSizes(Engines.Kind engine, TestMachine.Backend backend) {
        try (TestMachine m = run(engine, backend, new Asm().li(9, 0x40).li(8, 1234).lw(8, 9, 0))) {
            assertEquals(Trap.LOAD_ACCESS_FAULT, m.x(CAUSE));
            assertEquals(0x40, m.x(TVAL));
            assertEquals(at(4), m.x(EPC));
            assertEquals(1234, m.x(8), "a faulting load leaves its destination alone");
        }
        try (TestMachine m = run(engine, backend, new Asm().li(9, 0x7ffffff0).sw(9, 9, 8))) {
            assertEquals(Trap.STORE_ACCESS_FAULT, m.x(CAUSE));
            assertEquals(0x7ffffff8, m.x(TVAL));
        }
        try (TestMachine m = run(engine, backend, new Asm().li(9, 0x100000).lb(8, 9, 0))) { // SiFive test: 2..4 bytes
            assertEquals(Trap.LOAD_ACCESS_FAULT, m.x(CAUSE));
            assertEquals(0x100000, m.x(TVAL));
        }
        try (TestMachine m = run(engine, backend, new Asm().li(9, 0x10000000).lh(8, 9, 1))) { // UART: aligned only
            assertEquals(Trap.LOAD_ACCESS_FAULT, m.x(CAUSE));
            assertEquals(0x10000001, m.x(TVAL));
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("engines")
    void fetchFaultsAndMisalignedJumpTargets(Engines.Kind engine, TestMachine.Backend backend) {
        // jalr to 0x20 (unassigned): the handler's mepc + 4 is garbage, so the handler returns to ra instead
        Asm body = new Asm().li(9, 0x20).jalr(1, 9, 0);
        int[] code = program(body);
        Asm h = new Asm().csrrs(CAUSE, Csrs.MCAUSE, 0).csrrs(EPC, Csrs.MEPC, 0).csrrs(TVAL, Csrs.MTVAL, 0)
                .addi(COUNT, COUNT, 1).csrrw(0, Csrs.MEPC, 1).mret();
        System.arraycopy(h.words(), 0, code, (HANDLER - TestMachine.BASE) / 4, h.size());
        try (TestMachine m = new TestMachine(backend, code, engine.factory())) {
            assertEquals(0, m.run(10_000));
            assertEquals(Trap.INSN_ACCESS_FAULT, m.x(CAUSE));
            assertEquals(0x20, m.x(TVAL));
            assertEquals(0x20, m.x(EPC));
        }
        try (TestMachine m = run(engine, backend, new Asm().li(9, TestMachine.BASE + 0x102).li(1, 77).jalr(1, 9, 0))) {
            assertEquals(Trap.INSN_ADDRESS_MISALIGNED, m.x(CAUSE));
            assertEquals(TestMachine.BASE + 0x102, m.x(TVAL));
            assertEquals(at(4), m.x(EPC));
            assertEquals(77, m.x(1), "a jalr that traps does not link");
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("engines")
    void trapEntryAndMretMoveMieThroughMpie(Engines.Kind engine, TestMachine.Backend backend) {
        Asm body = new Asm().csrrwi(0, Csrs.MSTATUS, 8).ecall().csrrs(7, Csrs.MSTATUS, 0);
        try (TestMachine m = run(engine, backend, body)) {
            assertEquals(Csrs.MSTATUS_MIE | Csrs.MSTATUS_MPIE | Csrs.MSTATUS_MPP, m.x(7));
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("engines")
    void aTrapBeforeAnyHandlerEndsTheRun(Engines.Kind engine, TestMachine.Backend backend) {
        Asm a = new Asm().addi(5, 0, 1).word(0);
        try (TestMachine m = new TestMachine(backend, a.words(), engine.factory())) {
            UnhandledTrapException e = assertThrows(UnhandledTrapException.class, () -> m.run(1000));
            assertEquals(Trap.ILLEGAL_INSTRUCTION, e.cause());
            assertEquals(TestMachine.BASE + 4, e.pc());
            assertTrue(e.getMessage().contains("illegal instruction at pc 0x80000004"), e.getMessage());
            assertTrue(e.getMessage().contains("no trap handler"), e.getMessage());
        }
    }
}
