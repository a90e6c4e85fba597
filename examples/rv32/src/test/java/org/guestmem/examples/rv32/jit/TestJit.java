package org.guestmem.examples.rv32.jit;

import java.util.function.BiFunction;
import org.guestmem.examples.rv32.cpu.Cpu;
import org.guestmem.examples.rv32.cpu.Engine;
import org.guestmem.examples.rv32.mem.MemoryBackend;

/** Engines for tests outside this package. */
public final class TestJit {
    private TestJit() {
    }

    /** {@return a JIT that compiles every block the first time it is reached} */
    public static BiFunction<Cpu, MemoryBackend, Engine> eager() {
        return (cpu, mem) -> new JitEngine(cpu, mem, 1);
    }

    /** {@return a JIT that compiles a block after {@code hot} interpreted runs} */
    public static BiFunction<Cpu, MemoryBackend, Engine> after(int hot) {
        return (cpu, mem) -> new JitEngine(cpu, mem, hot);
    }
}
