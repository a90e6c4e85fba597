package org.guestmem.examples.rv32.testing;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.OptionalLong;
import java.util.function.BiFunction;
import org.guestmem.examples.rv32.board.GuestExitException;
import org.guestmem.examples.rv32.board.GuestmemBoard;
import org.guestmem.examples.rv32.board.VirtBoard;
import org.guestmem.examples.rv32.board.VirtMap;
import org.guestmem.examples.rv32.cpu.Cpu;
import org.guestmem.examples.rv32.cpu.Engine;
import org.guestmem.examples.rv32.cpu.InterpreterEngine;
import org.guestmem.examples.rv32.mem.GuestmemMemory;
import org.guestmem.examples.rv32.mem.MemoryBackend;
import org.guestmem.examples.rv32.mem.RawMemory;

/**
 * A machine for tests: 16 MiB of RAM with hand-assembled code at 0x80000000, either backend, any
 * engine. Confined to the creating thread.
 */
public final class TestMachine implements AutoCloseable {
    public static final int BASE = (int) VirtMap.DRAM;
    private static final ValueLayout.OfInt LE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public final ByteArrayOutputStream uart = new ByteArrayOutputStream();
    public final VirtBoard board;
    public final GuestmemBoard guestmem;
    public final MemoryBackend mem;
    public final MemorySegment ram;
    public final Cpu cpu;
    public final Engine engine;
    private Integer exitStatus;

    /** The backends a test runs on. */
    public enum Backend { GUESTMEM, RAW }

    public TestMachine(Backend backend, int[] code, OptionalLong tohost, BiFunction<Cpu, MemoryBackend, Engine> engine) {
        board = new VirtBoard(16, uart, false, tohost);
        if (backend == Backend.RAW) {
            guestmem = null;
            RawMemory raw = new RawMemory(board);
            mem = raw;
            ram = raw.ram();
        } else {
            guestmem = new GuestmemBoard(board);
            mem = new GuestmemMemory(guestmem);
            ram = guestmem.ram().segment();
        }
        for (int k = 0; k < code.length; k++) {
            ram.set(LE32, 4L * k, code[k]);
        }
        cpu = new Cpu(board.timer()::mtime);
        board.reset(cpu, BASE);
        this.engine = engine.apply(cpu, mem);
    }

    public TestMachine(Backend backend, int[] code, BiFunction<Cpu, MemoryBackend, Engine> engine) {
        this(backend, code, OptionalLong.empty(), engine);
    }

    /** An interpreter-only machine. */
    public static TestMachine interpreted(Backend backend, int[] code) {
        return new TestMachine(backend, code, InterpreterEngine::new);
    }

    /** Runs until the guest exits or {@code limit} instructions; {@return the exit status, or null at the limit} */
    public Integer run(long limit) {
        try {
            engine.run(limit);
            return null;
        } catch (GuestExitException e) {
            exitStatus = e.status();
            return exitStatus;
        }
    }

    /** {@return register {@code r}} */
    public int x(int r) {
        return cpu.x[r];
    }

    /** {@return the RAM word at guest address {@code addr}} */
    public int word(int addr) {
        return ram.get(LE32, Integer.toUnsignedLong(addr - BASE));
    }

    /** Writes the RAM word at guest address {@code addr} directly (no dirty tracking). */
    public void poke(int addr, int value) {
        ram.set(LE32, Integer.toUnsignedLong(addr - BASE), value);
    }

    @Override
    public void close() {
        mem.close();
        if (guestmem != null) {
            guestmem.close();
        }
    }
}
