package org.guestmem.examples.rv32;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import org.guestmem.examples.rv32.board.GuestExitException;
import org.guestmem.examples.rv32.board.GuestmemBoard;
import org.guestmem.examples.rv32.board.VirtBoard;
import org.guestmem.examples.rv32.board.VirtMap;
import org.guestmem.examples.rv32.cpu.Cpu;
import org.guestmem.examples.rv32.cpu.Engine;
import org.guestmem.examples.rv32.cpu.InterpreterEngine;
import org.guestmem.examples.rv32.cpu.UnhandledTrapException;
import org.guestmem.examples.rv32.elf.ElfException;
import org.guestmem.examples.rv32.elf.ElfFile;
import org.guestmem.examples.rv32.jit.JitEngine;
import org.guestmem.examples.rv32.mem.GuestmemMemory;
import org.guestmem.examples.rv32.mem.MemoryBackend;
import org.guestmem.examples.rv32.mem.RawMemory;

/**
 * One RV32 machine: the {@code virt} board, a memory backend, a hart and an engine, with a
 * program loaded. Confined to the thread that creates it (the guestmem backend registers that
 * thread as the memory system's RCU reader); {@link #run()} runs the program on that thread.
 */
public final class Machine implements AutoCloseable {
    private final Options options;
    private final OutputStream uart;
    private final GuestmemBoard guestmemBoard;
    private final MemoryBackend memory;
    private final Cpu cpu;
    private final Engine engine;

    /**
     * Builds the machine {@code options} describe and loads {@code elf} into its RAM; the UART
     * writes to {@code uart} (flushed at each newline if {@code flushLines}).
     *
     * @throws ElfException if a segment does not fit in RAM or {@code tohost} is not in RAM
     */
    public Machine(Options options, ElfFile elf, OutputStream uart, boolean flushLines) throws ElfException {
        this.options = options;
        this.uart = uart;
        VirtBoard board;
        try {
            board = new VirtBoard(options.ramMib(), uart, flushLines, elf.symbol("tohost"));
        } catch (IllegalArgumentException e) {
            throw new ElfException(e.getMessage());
        }
        MemorySegment ram;
        if (options.memory().equals("raw")) {
            guestmemBoard = null;
            RawMemory raw = new RawMemory(board);
            memory = raw;
            ram = raw.ram();
        } else {
            guestmemBoard = new GuestmemBoard(board);
            memory = new GuestmemMemory(guestmemBoard);
            ram = guestmemBoard.ram().segment();
        }
        try {
            elf.load(ram, VirtMap.DRAM);
        } catch (ElfException e) {
            close();
            throw e;
        }
        cpu = new Cpu(board.timer()::mtime);
        board.reset(cpu, elf.entry());
        engine = options.jit() ? new JitEngine(cpu, memory) : new InterpreterEngine(cpu, memory);
    }

    /** {@return the hart} */
    public Cpu cpu() {
        return cpu;
    }

    /** {@return the memory backend} */
    public MemoryBackend memory() {
        return memory;
    }

    /** {@return the engine} */
    public Engine engine() {
        return engine;
    }

    /** Runs the program until it exits, traps without a handler or reaches the instruction limit. */
    public RunResult run() {
        long t0 = System.nanoTime();
        RunResult.Outcome outcome;
        int status = 0;
        String message;
        try {
            engine.run(options.maxInsns());
            outcome = RunResult.Outcome.INSN_LIMIT;
            message = "stopped after " + cpu.instret + " instructions (--max-insns " + options.maxInsns()
                    + ") at pc 0x" + Integer.toHexString(cpu.pc);
        } catch (GuestExitException e) {
            outcome = e.isReset() ? RunResult.Outcome.RESET : RunResult.Outcome.EXIT;
            status = e.status();
            message = e.isReset() ? e.getMessage() : null;
        } catch (UnhandledTrapException e) {
            outcome = RunResult.Outcome.UNHANDLED_TRAP;
            message = e.getMessage();
        } finally {
            try {
                uart.flush();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return new RunResult(outcome, status, message, cpu.instret, System.nanoTime() - t0);
    }

    /** {@return the {@code --stats} report of {@code r}, several lines} */
    public String stats(RunResult r) {
        double s = r.nanos() / 1e9;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("emulate: %d instructions in %.3f s: %.1f MIPS (%s, memory %s)%n", r.instructions(), s,
                r.instructions() / Math.max(s, 1e-9) / 1e6, options.jit() ? "jit" : "interp", memory.name()));
        sb.append("emulate: ").append(memory.cacheStats(engine.memoryAccesses())).append(System.lineSeparator());
        String e = engine.stats();
        if (!e.isEmpty()) {
            sb.append("emulate: ").append(e).append(System.lineSeparator());
        }
        return sb.toString();
    }

    /** Releases the memory backend and the memory system. */
    @Override
    public void close() {
        memory.close();
        if (guestmemBoard != null) {
            guestmemBoard.close();
        }
    }
}
