package org.guestmem.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The memory behind a RAM, ROM or ROM-device region: one {@link MemorySegment} and its dirty
 * bitmaps, both in one shared arena of their own (for caller-supplied memory the arena holds
 * only the bitmaps).
 *
 * <p>Lifetime: a reference count that starts at 1 (held by the region until it is destroyed); each
 * {@link RamBlockSet} that contains the block holds one more, and a set drops its counts only when
 * the last FlatView sharing it is destroyed, after that view's grace period. When the count reaches zero no reader can reach the block any more, and the
 * arena is closed through the freer: at once on the RCU reclaimer thread, otherwise handed to it
 * (closing a shared arena is a handshake with every thread, so it never runs on a CPU thread or
 * inside a commit). Blocks are also listed in their system's registry until freed, so that
 * closing the system frees whatever its regions still hold ({@link #freeNow()}).
 *
 * <p>Thread-safety: {@link #retain()} and {@link #release()} are lock-free and may race; the
 * bitmaps are lock-free too.
 */
public final class RamBlock {
    private final String name;
    private final MemorySegment segment;
    private final boolean ownsMemory;
    private final Arena arena;
    private final DirtyBitmap dirty;
    private final NativeMemoryStats stats;
    private final Consumer<Runnable> deferrer;
    private final Set<RamBlock> registry;
    private final long accountedBytes;
    private final RefCount refs = new RefCount(1);
    private boolean freed;

    private RamBlock(String name, MemorySegment segment, boolean ownsMemory, Arena arena, int pageBits,
                     NativeMemoryStats stats, Consumer<Runnable> deferrer, Set<RamBlock> registry) {
        this.name = name;
        this.segment = segment;
        this.ownsMemory = ownsMemory;
        this.arena = arena;
        this.stats = stats;
        this.deferrer = deferrer;
        this.registry = registry;
        this.dirty = new DirtyBitmap(arena, segment.byteSize(), pageBits);
        this.accountedBytes = (ownsMemory ? segment.byteSize() : 0) + dirty.segment().byteSize();
        stats.allocated(1, accountedBytes);
        registry.add(this);
    }

    /** {@return a block of {@code size} zero-filled bytes in a new shared arena} */
    public static RamBlock allocate(String name, long size, int pageBits, NativeMemoryStats stats,
                                    Consumer<Runnable> deferrer, Set<RamBlock> registry) {
        if (size <= 0) {
            throw new IllegalArgumentException("RAM block '" + name + "' must hold 1 to 2^63-1 bytes, got " + Hex.of(size));
        }
        Arena arena = Arena.ofShared();
        try {
            return new RamBlock(name, AnonymousMemory.allocate(arena, size), true, arena, pageBits, stats, deferrer, registry);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** {@return a block over caller-owned memory, never freed by guestmem} */
    public static RamBlock wrap(String name, MemorySegment segment, int pageBits, NativeMemoryStats stats,
                                Consumer<Runnable> deferrer, Set<RamBlock> registry) {
        Objects.requireNonNull(segment, "segment");
        if (segment.byteSize() == 0) {
            throw new IllegalArgumentException("RAM block '" + name + "': the segment is empty");
        }
        if (segment.isReadOnly()) {
            throw new IllegalArgumentException("RAM block '" + name
                    + "': the segment is read-only; use a writable one and make the region readonly");
        }
        return new RamBlock(name, segment, false, Arena.ofShared(), pageBits, stats, deferrer, registry);
    }

    /**
     * {@return a block mapping the first {@code size} bytes of {@code file}, extended if shorter}
     * With {@code shared} the guest's writes reach the file; otherwise they stay private.
     */
    public static RamBlock mapFile(String name, Path file, long size, boolean shared, int pageBits,
                                   NativeMemoryStats stats, Consumer<Runnable> deferrer, Set<RamBlock> registry) {
        if (size <= 0) {
            throw new IllegalArgumentException("RAM block '" + name + "' must hold 1 to 2^63-1 bytes, got " + Hex.of(size));
        }
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE,
                StandardOpenOption.CREATE)) {
            if (ch.size() < size) {
                ch.write(ByteBuffer.allocate(1), size - 1);
            }
            MemorySegment seg = ch.map(shared ? FileChannel.MapMode.READ_WRITE : FileChannel.MapMode.PRIVATE, 0, size, arena);
            return new RamBlock(name, seg, true, arena, pageBits, stats, deferrer, registry);
        } catch (IOException e) {
            arena.close();
            throw new UncheckedIOException("cannot map '" + file + "' as RAM block '" + name + "'", e);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** {@return the block's name (its region's)} */
    public String name() {
        return name;
    }

    /** {@return the memory} */
    public MemorySegment segment() {
        return segment;
    }

    /** {@return the dirty bitmaps} */
    public DirtyBitmap dirty() {
        return dirty;
    }

    /** {@return the size in bytes} */
    public long size() {
        return segment.byteSize();
    }

    /** {@return whether guestmem owns (and will free) the memory itself} */
    public boolean ownsMemory() {
        return ownsMemory;
    }

    /** {@return the current reference count; for tests and diagnostics} */
    public int refCount() {
        return refs.get();
    }

    /**
     * Takes a reference if the block is still alive.
     *
     * @return false if the count already reached zero (the block is being freed)
     */
    public boolean retain() {
        return refs.tryRetain();
    }

    /** Drops a reference; the last one hands the arena's closing to the freer. */
    public void release() {
        if (refs.release()) {
            deferrer.accept(this::free);
        }
    }

    private void free() {
        synchronized (this) {
            if (freed) {
                return;
            }
            freed = true;
        }
        registry.remove(this);
        arena.close();
        stats.freed(1, accountedBytes);
    }

    /**
     * Frees the memory now, whatever the count: only for closing the memory system, after its RCU
     * domain has drained (no reader can still be inside a read section of it).
     */
    public void freeNow() {
        free();
    }
}
