package org.guestmem.examples.rv32.cpu;

/**
 * A trap raised before the guest installed a trap handler ({@code mtvec} never written): the run
 * ends here instead of jumping to address 0 (QEMU would jump there and fault forever).
 */
public final class UnhandledTrapException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int cause;
    private final int tval;
    private final int pc;

    /** A trap of {@code cause} with {@code mtval = tval} at {@code pc}. */
    public UnhandledTrapException(int cause, int tval, int pc) {
        super(Trap.name(cause) + " at pc 0x" + Integer.toHexString(pc) + " (mtval 0x" + Integer.toHexString(tval)
                + ") with no trap handler installed (mtvec never written)", null, false, false);
        this.cause = cause;
        this.tval = tval;
        this.pc = pc;
    }

    /** {@return the {@code mcause} value} */
    public int cause() {
        return cause;
    }

    /** {@return the {@code mtval} value} */
    public int tval() {
        return tval;
    }

    /** {@return the address of the trapping instruction} */
    public int pc() {
        return pc;
    }
}
