package org.guestmem.examples.rv32.board;

/**
 * The machine's time base: {@code mtime} counts at 10 MHz (QEMU's {@code virt} timebase) from
 * the creation of the machine, in host time. Writes move it, as QEMU's {@code time_delta} does.
 */
public final class MachineTimer {
    private final long start = System.nanoTime();
    private long delta;

    /** A timer whose {@code mtime} starts at 0 now. */
    public MachineTimer() {
    }

    /** {@return the current {@code mtime}} */
    public long mtime() {
        return (System.nanoTime() - start) / 100 + delta;
    }

    /** Makes {@code mtime} read {@code value} now. */
    public void setMtime(long value) {
        delta += value - mtime();
    }
}
