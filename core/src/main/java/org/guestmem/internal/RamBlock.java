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

/**
 * The memory behind a RAM, ROM or ROM-device region: one {@link MemorySegment} and its dirty
 * bitmaps.
 *
 * <h2 id="segments">Two segments</h2>
 * {@link #segment()} is what guestmem's own readers use (views, the access path, CPU threads'
 * caches). {@link #checkedSegment()} is what users get ({@code RamBackedRegion.segment()}, DMA
 * mappings): a segment of a shared arena, whose every access is refused with
 * {@link IllegalStateException} once the block is freed. How they relate depends on the block:
 * <ul>
 * <li><b>unchecked</b> (the default for memory guestmem allocates): the memory is an anonymous
 * mapping of an {@link UncheckedArena}, and {@link #segment()} is unchecked: RCU alone keeps it
 * valid for as long as a reader can reach it. The checked segment is made on the first call of
 * {@link #checkedSegment()}, with a shared arena over the same memory; blocks that nobody asks
 * for one never have an arena, so freeing them is an {@code munmap} and no handshake.</li>
 * <li><b>checked</b> (checked access mode), file mappings: the memory belongs to a shared arena
 * from the start and both segments are the same checked one.</li>
 * <li>caller-supplied memory: both are the caller's segment, which guestmem never frees.</li>
 * </ul>
 * The dirty bitmaps follow the memory: in the unchecked arena for unchecked blocks, where they are
 * reached only by readers (under RCU) and by user calls that hold a count on the block
 * ({@link #retain()}); in the shared arena for checked blocks and file mappings, so that in
 * checked mode a CPU thread's store that reaches a freed block is refused before it touches the
 * bitmaps too; in a shared arena of their own for caller memory in checked mode.
 *
 * <h2 id="lifetime">Lifetime</h2>
 * A reference count that starts at 1 (held by the region until it is destroyed:
 * {@link #orphan()}); each {@link RamBlockSet} that contains the block holds one more, and a set
 * drops its counts only when the last FlatView sharing it is destroyed, after that view's grace
 * period. When the count reaches zero no reader can reach the block any more and it goes to its
 * system's {@link RamReclaimer}, which closes the shared arena (if any: a handshake, which is
 * what ends every access through the checked segment) and then unmaps the memory, on a thread of
 * its own.
 *
 * <p>Thread-safety: {@link #retain()} and {@link #release()} are lock-free and may race; the
 * bitmaps are lock-free too; {@link #checkedSegment()} and freeing take the block's monitor.
 */
@SuppressWarnings("restricted") // the checked segment is the same memory, reinterpreted in a shared arena
public final class RamBlock {
    /** Every address, in an arena closed at once: slices of it refuse every access. */
    private static final MemorySegment DEAD;

    static {
        Arena dead = Arena.ofShared();
        DEAD = MemorySegment.NULL.reinterpret(Long.MAX_VALUE, dead, null);
        dead.close();
    }

    private final String name;
    private final MemorySegment segment;
    private final long size;
    private final boolean ownsMemory;
    private final UncheckedArena unchecked;
    private final DirtyBitmap dirty;
    private final RamReclaimer home;
    private final long accountedBytes;
    private final RefCount refs = new RefCount(1);
    // ---- guarded by this ----
    /** The shared arena of the checked segment: null until made (or for caller memory). */
    private Arena shared;
    private MemorySegment checked;
    private boolean orphaned;
    private boolean freed;

    private RamBlock(String name, MemorySegment segment, boolean ownsMemory, UncheckedArena unchecked, Arena shared,
                     int pageBits, RamReclaimer home) {
        this.name = name;
        this.segment = segment;
        this.size = segment.byteSize();
        this.ownsMemory = ownsMemory;
        this.unchecked = unchecked;
        this.shared = shared;
        this.checked = shared != null || !ownsMemory ? segment : null;
        this.home = home;
        this.dirty = new DirtyBitmap(shared != null ? shared : unchecked, size, pageBits);
        this.accountedBytes = ownedBytes() + dirty.segment().byteSize();
        home.registered(this);
    }

    /**
     * {@return a block of {@code size} zero-filled bytes}
     *
     * @param checked whether {@link #segment()} is to be checked (a shared arena from the start)
     *                or unchecked (see the class documentation)
     * @throws AnonymousMemory.MappingFailure if the system refuses the memory
     */
    public static RamBlock allocate(String name, long size, int pageBits, boolean checked, RamReclaimer home) {
        if (size <= 0) {
            throw new IllegalArgumentException("RAM block '" + name + "' must hold 1 to 2^63-1 bytes, got " + Hex.of(size));
        }
        UncheckedArena unchecked = new UncheckedArena();
        Arena shared = checked ? Arena.ofShared() : null;
        try {
            MemorySegment memory = AnonymousMemory.allocate(checked ? shared : unchecked, size);
            return new RamBlock(name, memory, true, unchecked, shared, pageBits, home);
        } catch (RuntimeException | Error e) {
            unchecked.close();
            if (shared != null) {
                shared.close();
            }
            throw e;
        }
    }

    /**
     * {@return a block over caller-owned memory, never freed by guestmem}
     *
     * @param checked whether the dirty bitmaps go to a shared arena of their own (checked access
     *                mode), closed when the block is freed, rather than to the unchecked arena
     */
    public static RamBlock wrap(String name, MemorySegment segment, int pageBits, boolean checked, RamReclaimer home) {
        Objects.requireNonNull(segment, "segment");
        if (segment.byteSize() == 0) {
            throw new IllegalArgumentException("RAM block '" + name + "': the segment is empty");
        }
        if (segment.isReadOnly()) {
            throw new IllegalArgumentException("RAM block '" + name
                    + "': the segment is read-only; use a writable one and make the region readonly");
        }
        UncheckedArena unchecked = new UncheckedArena();
        Arena shared = checked ? Arena.ofShared() : null;
        try {
            return new RamBlock(name, segment, false, unchecked, shared, pageBits, home);
        } catch (RuntimeException | Error e) {
            unchecked.close();
            if (shared != null) {
                shared.close();
            }
            throw e;
        }
    }

    /**
     * {@return a block mapping the first {@code size} bytes of {@code file}, extended if shorter}
     * With {@code shared} the guest's writes reach the file; otherwise they stay private. The
     * mapping is the JDK's, in a shared arena of the block's own: checked from the start.
     */
    public static RamBlock mapFile(String name, Path file, long size, boolean shared, int pageBits, RamReclaimer home) {
        if (size <= 0) {
            throw new IllegalArgumentException("RAM block '" + name + "' must hold 1 to 2^63-1 bytes, got " + Hex.of(size));
        }
        Arena arena = Arena.ofShared();
        UncheckedArena unchecked = new UncheckedArena();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE,
                StandardOpenOption.CREATE)) {
            if (ch.size() < size) {
                ch.write(ByteBuffer.allocate(1), size - 1);
            }
            MemorySegment seg = ch.map(shared ? FileChannel.MapMode.READ_WRITE : FileChannel.MapMode.PRIVATE, 0, size, arena);
            return new RamBlock(name, seg, true, unchecked, arena, pageBits, home);
        } catch (IOException e) {
            arena.close();
            unchecked.close();
            throw new UncheckedIOException("cannot map '" + file + "' as RAM block '" + name + "'", e);
        } catch (RuntimeException | Error e) {
            arena.close();
            unchecked.close();
            throw e;
        }
    }

    /** {@return the block's name (its region's)} */
    public String name() {
        return name;
    }

    /**
     * {@return the memory as guestmem's readers use it} Unchecked for blocks allocated in fast
     * mode: only for code that a view, a grace period or a {@link #retain()} protects; never hand
     * it to a user (use {@link #checkedSegment()}).
     */
    public MemorySegment segment() {
        return segment;
    }

    /**
     * {@return the memory as users may hold it: every access through it is refused with
     * {@link IllegalStateException} once the block is freed} Made on the first call for an
     * unchecked block (a shared arena, whose closing costs a handshake when the block is freed);
     * the same segment afterwards. After the block was freed: a segment that refuses every access.
     */
    public synchronized MemorySegment checkedSegment() {
        if (checked == null) {
            if (freed) {
                return DEAD.asSlice(0, size);
            }
            Arena arena = Arena.ofShared();
            checked = segment.reinterpret(arena, null);
            shared = arena;
        }
        return checked;
    }

    /** {@return whether the block has a shared arena (its freeing costs a handshake)} For tests and diagnostics. */
    public synchronized boolean hasSharedArena() {
        return shared != null;
    }

    /** {@return the dirty bitmaps} */
    public DirtyBitmap dirty() {
        return dirty;
    }

    /** {@return the size in bytes} */
    public long size() {
        return size;
    }

    /** {@return whether guestmem owns (and will free) the memory itself} */
    public boolean ownsMemory() {
        return ownsMemory;
    }

    /** {@return the bytes of memory guestmem owns here (0 for caller memory)} */
    long ownedBytes() {
        return ownsMemory ? size : 0;
    }

    /** {@return the native bytes accounted to this block: owned memory and dirty bitmaps} */
    public long accountedBytes() {
        return accountedBytes;
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

    /** Drops a reference; the last one hands the block to its reclaimer. */
    public void release() {
        if (refs.release()) {
            home.free(this);
        }
    }

    /**
     * The region is destroyed: from now on the block counts as waiting for reclamation; then drops
     * the region's reference. Called once, by the region.
     */
    public void orphan() {
        synchronized (this) {
            orphaned = true;
        }
        home.orphaned(this);
        release();
    }

    /**
     * Closes the shared arena (if any), then unmaps the memory; {@return whether the block was
     * orphaned} Only for {@link RamReclaimer}; idempotent.
     */
    boolean freeMemory() {
        Arena arena;
        synchronized (this) {
            if (freed) {
                return orphaned;
            }
            freed = true;
            arena = shared;
        }
        if (arena != null) {
            arena.close(); // the handshake: no access through the checked segment is in progress, and none can start
        }
        unchecked.close();
        return orphaned;
    }

    @Override
    public String toString() {
        return "RamBlock['" + name + "', " + Hex.of(size) + " bytes, refs=" + refs.get() + "]";
    }
}
