package org.guestmem.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;

/**
 * Native memory for FlatView tables, recycled instead of freed: blocks come in power-of-two size
 * classes from one shared arena per memory system, and a freed block goes back to its class's
 * free list. Closing a shared arena costs a handshake with every thread (tens of microseconds),
 * so per-view arenas would put that cost on every commit; here the arena is closed once, with
 * the system.
 *
 * <p>A block is freed only after an RCU grace period has passed since its view was last
 * reachable, so reuse never races a reader. Thread-safe: allocation runs on the writer, freeing
 * on the reclaimer thread; both take this pool's monitor (uncontended in practice).
 */
public final class NativeTablePool implements AutoCloseable {
    private static final int MIN_CLASS = 12; // 4 KiB
    private static final int MAX_CLASS = 40;

    private final NativeMemoryStats stats;
    @SuppressWarnings({"unchecked", "rawtypes"})
    private final ArrayDeque<MemorySegment>[] free = new ArrayDeque[MAX_CLASS + 1];
    private Arena arena;
    private boolean closed;
    /** Bytes handed out and not yet freed. */
    private long inUse;

    /** Creates an empty pool; its arena opens with the first allocation. */
    public NativeTablePool(NativeMemoryStats stats) {
        this.stats = stats;
    }

    /**
     * {@return a block of at least {@code bytes} bytes, 64-byte aligned; a recycled block keeps its
     * old contents (the table builder writes every byte it will read)}
     *
     * @throws IllegalStateException if the pool was closed
     */
    public synchronized MemorySegment allocate(long bytes) {
        if (closed) {
            throw new IllegalStateException("native table pool is closed");
        }
        int cls = Math.max(MIN_CLASS, 64 - Long.numberOfLeadingZeros(Math.max(1, bytes) - 1));
        if (cls > MAX_CLASS) {
            throw new IllegalArgumentException("table of " + Hex.of(bytes) + " bytes is too large");
        }
        ArrayDeque<MemorySegment> q = free[cls];
        MemorySegment block = q == null ? null : q.poll();
        if (block == null) {
            if (arena == null) {
                arena = Arena.ofShared();
                stats.allocated(1, 0);
            }
            block = arena.allocate(1L << cls, 64);
        }
        stats.allocated(0, block.byteSize());
        inUse += block.byteSize();
        return block;
    }

    /** Returns a block obtained from {@link #allocate}; the caller guarantees no reader can still use it. */
    public synchronized void free(MemorySegment block) {
        if (closed) {
            return; // already accounted for at close
        }
        stats.freed(0, block.byteSize());
        inUse -= block.byteSize();
        int cls = 63 - Long.numberOfLeadingZeros(block.byteSize());
        ArrayDeque<MemorySegment> q = free[cls];
        if (q == null) {
            q = new ArrayDeque<>();
            free[cls] = q;
        }
        q.push(block);
    }

    /** Closes the arena: every block, in use or not, becomes inaccessible. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        stats.freed(0, inUse); // blocks still held by views (the permanent empty view among them)
        inUse = 0;
        if (arena != null) {
            arena.close();
            stats.freed(1, 0);
        }
    }
}
