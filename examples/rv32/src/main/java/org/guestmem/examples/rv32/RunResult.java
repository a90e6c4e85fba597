package org.guestmem.examples.rv32;

/**
 * How a run ended and what it did.
 *
 * @param outcome      why it stopped
 * @param guestStatus  the guest's exit status ({@link Outcome#EXIT} only)
 * @param message      a one-line description for stderr ({@code null} for a plain exit)
 * @param instructions instructions retired
 * @param nanos        wall time of the run
 */
public record RunResult(Outcome outcome, int guestStatus, String message, long instructions, long nanos) {
    /** Why a run stopped, and the process exit status {@code emulate} reports for it. */
    public enum Outcome {
        /** The guest exited (SiFive test device or HTIF): the guest's status. */
        EXIT,
        /** {@code --max-insns} was reached: 124. */
        INSN_LIMIT,
        /** A trap before any trap handler was installed: 125. */
        UNHANDLED_TRAP,
        /** The guest asked for a reset, which is not modelled: 123. */
        RESET
    }

    /** {@return the exit status of the {@code emulate} process} */
    public int exitStatus() {
        return switch (outcome) {
            case EXIT -> guestStatus & 0xff;
            case INSN_LIMIT -> 124;
            case UNHANDLED_TRAP -> 125;
            case RESET -> 123;
        };
    }
}
