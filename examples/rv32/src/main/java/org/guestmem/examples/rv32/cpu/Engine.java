package org.guestmem.examples.rv32.cpu;

/** Runs a {@link Cpu}: the interpreter alone, or the JIT with the interpreter for cold code. */
public interface Engine {
    /**
     * Runs until the hart has retired {@code limit} instructions and taken traps in total (or a
     * little past, never more than one block). A guest exit or an unhandled trap ends it with an
     * exception.
     */
    void run(long limit);

    /** {@return lines for {@code --stats} about this engine's work (empty for the interpreter)} */
    String stats();

    /** {@return how many loads, stores and fetches went to memory, as far as the engine counts them} */
    long memoryAccesses();
}
