package org.guestmem.mtree;

import java.util.concurrent.atomic.AtomicLong;
import org.guestmem.MemoryRegionOps;

/**
 * The device behind an imported i/o region: reads answer 0, writes are ignored, and both are
 * counted. Thread-safe.
 */
public final class MmioStub {
    private final AtomicLong reads = new AtomicLong();
    private final AtomicLong writes = new AtomicLong();
    private final MemoryRegionOps ops;

    /** Creates a stub with both counters at zero. */
    public MmioStub() {
        AtomicLong r = reads;
        AtomicLong w = writes;
        this.ops = MemoryRegionOps.builder()
                .read((addr, size) -> {
                    r.incrementAndGet();
                    return 0;
                })
                .write((addr, value, size) -> w.incrementAndGet())
                .build();
    }

    /** {@return the callbacks to give the region} */
    public MemoryRegionOps ops() {
        return ops;
    }

    /** {@return how many reads reached the stub} */
    public long reads() {
        return reads.get();
    }

    /** {@return how many writes reached the stub} */
    public long writes() {
        return writes.get();
    }
}
