package org.guestmem.examples.rv32.testing;

import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.guestmem.examples.rv32.cpu.Cpu;
import org.guestmem.examples.rv32.cpu.Engine;
import org.guestmem.examples.rv32.cpu.InterpreterEngine;
import org.guestmem.examples.rv32.jit.TestJit;
import org.guestmem.examples.rv32.mem.MemoryBackend;
import org.junit.jupiter.params.provider.Arguments;

/** The engine x backend combinations every semantic test runs on. */
public final class Engines {
    private Engines() {
    }

    /** An engine with a name. */
    public record Kind(String name, BiFunction<Cpu, MemoryBackend, Engine> factory) {
        @Override
        public String toString() {
            return name;
        }
    }

    public static final Kind INTERP = new Kind("interp", InterpreterEngine::new);
    public static final Kind JIT = new Kind("jit", TestJit.eager());

    /** {@return interp and eager JIT, each on guestmem and raw} */
    public static Stream<Arguments> all() {
        return Stream.of(INTERP, JIT).flatMap(k -> Stream.of(TestMachine.Backend.values()).map(b -> Arguments.of(k, b)));
    }
}
