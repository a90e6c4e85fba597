package org.guestmem.examples.rv32.board;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.OptionalLong;
import org.guestmem.examples.rv32.cpu.InterpreterEngine;
import org.guestmem.examples.rv32.mem.MemoryBackend;
import org.guestmem.examples.rv32.testing.TestMachine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The board's devices, reached through each memory backend exactly as the CPU reaches them. */
class DevicesTest {
    private static final int UART = 0x10000000, TEST = 0x100000, MTIMER = 0x2004000, MTIME = 0x200bff8, SWI = 0x2000000;
    private static final int TOHOST = 0x80010000;

    private static TestMachine machine(TestMachine.Backend b) {
        return new TestMachine(b, new int[0], OptionalLong.of(Integer.toUnsignedLong(TOHOST)), InterpreterEngine::new);
    }

    private static int value(long r) {
        assertFalse(MemoryBackend.failed(r), "access failed");
        return (int) r;
    }

    @ParameterizedTest
    @EnumSource(TestMachine.Backend.class)
    void uartRegistersReadAsQemusAtResetAndThrGoesToTheOutput(TestMachine.Backend b) {
        try (TestMachine m = machine(b)) {
            MemoryBackend mem = m.mem;
            int[] reset = {0, 0x00, 0x01, 0x00, 0x08, 0x60, 0xb0, 0x00};
            for (int reg = 0; reg < 8; reg++) {
                assertEquals(reset[reg], value(mem.ld8(UART + reg)), "register " + reg);
            }
            assertEquals(0, mem.st8(UART, 'h'));
            assertEquals(0, mem.st32(UART, 'i'));            // a 4-byte write reaches THR with its low byte
            assertEquals(0x60, value(mem.ld8(UART + 5)), "LSR: THRE | TEMT again at once");
            mem.st8(UART + 3, 0x80);                         // DLAB
            assertEquals(0x0c, value(mem.ld8(UART)));
            mem.st8(UART, 0x01);
            assertEquals(0x01, value(mem.ld8(UART)));
            mem.st8(UART + 3, 0x03);
            mem.st8(UART + 7, 0xa5);
            assertEquals(0xa5, value(mem.ld8(UART + 7)));
            assertEquals(0x08, value(mem.ld32(UART + 4)), "a 4-byte read of MCR returns the one-byte register");
            mem.st8(UART + 2, 0x01);                         // FIFOs on
            assertEquals(0xc1, value(mem.ld8(UART + 2)));
            mem.st8(UART + 1, 0x02);                         // THRE interrupt: pending once, then acknowledged
            assertEquals(0xc2, value(mem.ld8(UART + 2)));
            assertEquals(0xc1, value(mem.ld8(UART + 2)));
            assertTrue(MemoryBackend.failed(mem.ld16(UART + 1)), "misaligned: rejected");
            assertTrue(MemoryBackend.failed(mem.ld8(UART + 8)), "past the 8 registers: unassigned");
            assertEquals("hi", m.uart.toString(StandardCharsets.US_ASCII));
        }
    }

    @ParameterizedTest
    @EnumSource(TestMachine.Backend.class)
    void sifiveTestExitsResetsAndRejectsSingleBytes(TestMachine.Backend b) {
        try (TestMachine m = machine(b)) {
            assertEquals(0, value(m.mem.ld32(TEST)));
            assertTrue(MemoryBackend.failed(m.mem.ld8(TEST)));
            assertEquals(2, m.mem.st8(TEST, 0x55), "DECODE_ERROR for a 1-byte store");
            assertEquals(0, m.mem.st32(TEST, 0x1234), "an unknown command is ignored");
            assertEquals(0, m.mem.st32(TEST + 4, 0x5555), "only offset 0 acts");
            GuestExitException pass = assertThrows(GuestExitException.class, () -> m.mem.st32(TEST, 0x5555));
            assertEquals(0, pass.status());
            assertFalse(pass.isReset());
            assertEquals(300, assertThrows(GuestExitException.class, () -> m.mem.st32(TEST, (300 << 16) | 0x3333)).status());
            assertTrue(assertThrows(GuestExitException.class, () -> m.mem.st16(TEST, 0x7777)).isReset());
        }
    }

    @ParameterizedTest
    @EnumSource(TestMachine.Backend.class)
    void aclintTimerCountsAndKeepsMtimecmp(TestMachine.Backend b) throws InterruptedException {
        try (TestMachine m = machine(b)) {
            long t0 = Integer.toUnsignedLong(value(m.mem.ld32(MTIME)));
            Thread.sleep(2);
            long t1 = Integer.toUnsignedLong(value(m.mem.ld32(MTIME)));
            assertTrue(t1 - t0 >= 20_000 && t1 - t0 < 10_000_000, "10 MHz: 2 ms is at least 20,000 ticks, got " + (t1 - t0));
            assertEquals(0, value(m.mem.ld32(MTIME + 4)));
            m.mem.st32(MTIMER, 0x89abcdef);
            m.mem.st32(MTIMER + 4, 0x1);
            assertEquals(0x89abcdef, value(m.mem.ld32(MTIMER)));
            assertEquals(1, value(m.mem.ld32(MTIMER + 4)));
            assertTrue(MemoryBackend.failed(m.mem.ld8(MTIME)), "valid sizes 4 and 8");
            assertTrue(MemoryBackend.failed(m.mem.ld16(MTIMER)));
            m.mem.st32(MTIME + 4, 5);                        // moving mtime
            assertEquals(5, value(m.mem.ld32(MTIME + 4)));
            m.mem.st32(SWI, 3);
            assertEquals(1, value(m.mem.ld32(SWI)), "msip keeps bit 0");
            assertTrue(MemoryBackend.failed(m.mem.ld8(SWI)));
        }
    }

    @ParameterizedTest
    @EnumSource(TestMachine.Backend.class)
    void htifTohostEndsTheRunWithPayloadShiftedRight(TestMachine.Backend b) {
        try (TestMachine m = machine(b)) {
            assertEquals(0, m.mem.st32(TOHOST, 0x40));      // bit 0 clear: kept, no exit
            assertEquals(0x40, value(m.mem.ld32(TOHOST)));
            assertEquals(0, m.mem.st32(TOHOST + 8, 7), "RAM right after tohost");
            assertEquals(7, value(m.mem.ld32(TOHOST + 8)));
            assertEquals(21, assertThrows(GuestExitException.class, () -> m.mem.st32(TOHOST, (21 << 1) | 1)).status());
        }
    }

    @Test
    void bothBackendsAnswerEveryDeviceAccessAlike() {
        int[] bases = {UART, TEST, MTIMER, SWI, 0x1000, 0x7ffffffc};
        try (TestMachine g = machine(TestMachine.Backend.GUESTMEM); TestMachine r = machine(TestMachine.Backend.RAW)) {
            for (int base : bases) {
                for (int off = 0; off < 12; off++) {
                    int a = base + off;
                    for (int size : new int[] {1, 2, 4}) {
                        long x = load(g.mem, a, size);
                        long y = load(r.mem, a, size);
                        assertEquals(x, y, String.format("load of %d bytes at 0x%x", size, a));
                    }
                }
            }
        }
    }

    private static long load(MemoryBackend m, int a, int size) {
        return switch (size) {
            case 1 -> m.ld8(a);
            case 2 -> m.ld16(a);
            default -> m.ld32(a);
        };
    }

    @Test
    void theBoardPrintsQemusInfoMtree() {
        try (GuestmemBoard b = new GuestmemBoard(new VirtBoard(128, java.io.OutputStream.nullOutputStream(), false,
                OptionalLong.of(0x80001000L)))) {
            assertEquals("""
                    address-space: cpu-memory-0
                    address-space: memory
                      0000000000000000-ffffffffffffffff (prio 0, i/o): system
                        0000000000100000-0000000000100fff (prio 0, i/o): riscv.sifive.test
                        0000000002000000-0000000002003fff (prio 0, i/o): riscv.aclint.swi
                        0000000002004000-000000000200bfff (prio 0, i/o): riscv.aclint.mtimer
                        0000000010000000-0000000010000007 (prio 0, i/o): serial
                        0000000080000000-0000000087ffffff (prio 0, ram): riscv_virt_board.ram
                        0000000080001000-0000000080001007 (prio 1, i/o): riscv.htif.uart

                    """, b.mtree());
        }
    }

    @Test
    void badRamSizesAndTohostAddressesAreRefused() {
        var out = java.io.OutputStream.nullOutputStream();
        assertEquals("RAM size must be 1 to 2048 MiB, got 0",
                assertThrows(IllegalArgumentException.class, () -> new VirtBoard(0, out, false, OptionalLong.empty())).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new VirtBoard(16, out, false, OptionalLong.of(0x1000)))
                .getMessage().startsWith("tohost at 0x1000 is not an aligned 8-byte word inside RAM"));
        assertEquals(0x87e00000, VirtMap.fdtAddress(128L << 20));
        assertEquals(0xbfe00000, VirtMap.fdtAddress(2048L << 20));
        assertEquals(0x80200000, VirtMap.fdtAddress(3L << 20));
    }
}
