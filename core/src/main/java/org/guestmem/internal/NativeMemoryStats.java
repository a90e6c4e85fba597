package org.guestmem.internal;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Live native memory of one memory system: arenas opened and not yet closed, and the bytes they
 * hold (RAM blocks and FlatView tables). Tests use it to prove that everything deferred was
 * freed; it is not on any hot path. Thread-safe.
 */
public final class NativeMemoryStats {
    private final AtomicLong arenas = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();

    /** Records an allocation of {@code size} bytes in a new arena (or 0 arenas for pool chunks). */
    public void allocated(int arenaCount, long size) {
        arenas.addAndGet(arenaCount);
        bytes.addAndGet(size);
    }

    /** Records that an allocation recorded with {@link #allocated} was returned. */
    public void freed(int arenaCount, long size) {
        arenas.addAndGet(-arenaCount);
        bytes.addAndGet(-size);
    }

    /** {@return the number of arenas opened and not yet closed} */
    public long liveArenas() {
        return arenas.get();
    }

    /** {@return the native bytes allocated and not yet freed} */
    public long liveBytes() {
        return bytes.get();
    }

    @Override
    public String toString() {
        return "NativeMemoryStats[arenas=" + arenas.get() + ", bytes=" + bytes.get() + "]";
    }
}
