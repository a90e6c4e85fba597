package org.guestmem.examples.rv32.cpu;

import org.guestmem.examples.rv32.mem.MemoryBackend;

/** {@code --interp}: every instruction through the {@link Interpreter}, a quiescent state every slice. */
public final class InterpreterEngine implements Engine {
    private static final int SLICE = 1 << 14;
    private final Cpu cpu;
    private final MemoryBackend mem;
    private final Interpreter interpreter;

    /** An engine running {@code cpu} over {@code mem}. */
    public InterpreterEngine(Cpu cpu, MemoryBackend mem) {
        this.cpu = cpu;
        this.mem = mem;
        this.interpreter = new Interpreter(cpu, mem);
    }

    @Override
    public void run(long limit) {
        while (cpu.instret + cpu.traps < limit) {
            long left = limit - cpu.instret - cpu.traps;
            int n = (int) Math.min(SLICE, left);
            for (int i = 0; i < n; i++) {
                interpreter.step();
            }
            mem.quiescentState();
        }
    }

    @Override
    public String stats() {
        return "";
    }

    @Override
    public long memoryAccesses() {
        return interpreter.accesses();
    }
}
