package org.guestmem.examples.rv32.board;

/**
 * Thrown by a device's write callback when the guest ends the run (the SiFive test device, HTIF's
 * {@code tohost}). It unwinds the access, the running block and the CPU loop up to the machine,
 * exactly where QEMU calls {@code exit()}: no later instruction runs. guestmem holds no lock and
 * leaves no half-done state across an MMIO callback, so unwinding through it is safe.
 */
public final class GuestExitException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int status;
    private final boolean reset;

    private GuestExitException(String message, int status, boolean reset) {
        super(message, null, false, false);
        this.status = status;
        this.reset = reset;
    }

    /** {@return an exit with {@code status}, reported by {@code device}} */
    public static GuestExitException exit(String device, int status) {
        return new GuestExitException(device + ": exit " + status, status, false);
    }

    /** {@return a reset request, which this machine does not model} */
    public static GuestExitException reset(String device) {
        return new GuestExitException(device + ": the guest asked for a reset, which this machine does not model", 0, true);
    }

    /** {@return the guest's exit status} */
    public int status() {
        return status;
    }

    /** {@return whether the guest asked for a reset instead of an exit} */
    public boolean isReset() {
        return reset;
    }
}
