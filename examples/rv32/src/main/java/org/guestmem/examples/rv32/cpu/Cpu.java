package org.guestmem.examples.rv32.cpu;

import java.util.function.LongSupplier;

/**
 * The architectural state of one RV32 hart in machine mode: the 32 integer registers, the pc,
 * the retired-instruction count and the CSRs. Confined to the thread that runs the hart.
 *
 * <p>The interpreter reads and writes {@link #x} directly; compiled blocks load the registers they
 * use into JVM locals on entry and store the ones they write back on exit, so between blocks
 * {@link #x} is always up to date. {@code x[0]} is never written.
 */
public final class Cpu {
    /** The integer registers; {@code x[0]} stays 0. */
    public final int[] x = new int[32];
    /** The address of the next instruction. */
    public int pc;
    /** Instructions retired so far ({@code instret}; also what {@code cycle} reads). */
    public long instret;
    /** Loads and stores in the blocks compiled code entered (for {@code --stats}). */
    public long compiledAccesses;
    /**
     * How many instructions compiled code may retire before it returns to the dispatcher at its
     * next backward jump; set by the JIT engine before each call.
     */
    public int budget;
    /** Exceptions taken so far (they retire no instruction, but count against {@code --max-insns}). */
    public long traps;
    private final Csrs csrs;

    /** A hart whose {@code time} CSR reads {@code mtime} (the CLINT's timer, 10 MHz like QEMU's). */
    public Cpu(LongSupplier mtime) {
        this.csrs = new Csrs(this, mtime);
    }

    /** {@return the CSR file} */
    public Csrs csrs() {
        return csrs;
    }

    /**
     * Takes an exception: {@code mepc = epc}, {@code mcause}, {@code mtval}, {@code MPIE = MIE},
     * {@code MIE = 0}, and returns the handler's address ({@code mtvec}'s base: exceptions never
     * use vectored mode). The caller sets {@link #pc} to it.
     *
     * @throws UnhandledTrapException if the guest never wrote {@code mtvec}
     */
    public int trap(int cause, int tval, int epc) {
        traps++;
        return csrs.enterTrap(cause, tval, epc);
    }
}
