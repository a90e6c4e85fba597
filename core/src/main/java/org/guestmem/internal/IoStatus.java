package org.guestmem.internal;

/**
 * A caller-owned scratch object for one thread's MMIO calls: the OR of the results so far
 * (QEMU's {@code MemTxResult} bits), whether a write hit translated code, and the out-parameter
 * for {@code read_with_attrs}. Reused
 * across accesses so the access path does not allocate. Not thread-safe: one per thread.
 */
public final class IoStatus {
    /** OR of the MemTxResult bits of the accesses since the last {@link #reset()}. */
    public int bits;
    /** The out-parameter handed to {@code read_with_attrs} callbacks. */
    public final long[] data = new long[1];
    /** Whether a RAM write since the last {@link #reset()} hit a page whose CODE bit was clean. */
    public boolean codeWritten;

    /** Clears the accumulated result. */
    public void reset() {
        bits = 0;
        codeWritten = false;
    }
}
