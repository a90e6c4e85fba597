package org.guestmem.internal;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Live native memory of one memory system: allocations made and not yet freed (one per RAM block,
 * one for the FlatView table pool's arena) and the bytes they hold (RAM blocks with their dirty
 * bitmaps, and FlatView tables handed out by the pool). Tests use it to prove that everything
 * deferred was freed; it is not on any hot path. Thread-safe.
 */
public final class NativeMemoryStats {
    private final AtomicLong allocations = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();

    /** Records {@code count} new allocations (0 for tables taken from the pool) holding {@code size} bytes. */
    public void allocated(int count, long size) {
        allocations.addAndGet(count);
        bytes.addAndGet(size);
    }

    /** Records that an allocation recorded with {@link #allocated} was returned. */
    public void freed(int count, long size) {
        allocations.addAndGet(-count);
        bytes.addAndGet(-size);
    }

    /** {@return the number of allocations (RAM blocks, the table pool's arena) not yet freed} */
    public long liveAllocations() {
        return allocations.get();
    }

    /** {@return the native bytes allocated and not yet freed} */
    public long liveBytes() {
        return bytes.get();
    }

    @Override
    public String toString() {
        return "NativeMemoryStats[allocations=" + allocations.get() + ", bytes=" + bytes.get() + "]";
    }
}
