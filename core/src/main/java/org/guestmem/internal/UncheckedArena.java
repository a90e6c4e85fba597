package org.guestmem.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;

/**
 * An arena whose memory is freed without a handshake: its segments are unchecked (the global
 * scope: accesses through them are never refused) and {@link #close()} unmaps their memory at
 * once. Closing a shared {@link Arena} is a handshake with every Java thread (from about 30
 * &micro;s with no other thread to milliseconds with a few busy ones), so memory that only
 * guestmem's own readers reach, and that RCU already keeps alive exactly as long as a reader can
 * reach it, is better off here: a RAM block's memory and its dirty bitmaps.
 *
 * <p>Whoever hands such a segment out must guarantee that nothing uses it after {@link #close()}:
 * the memory is gone then, and an access would touch whatever the system maps there next. Users
 * of guestmem never see these segments; they get segments of a shared arena that is closed before
 * this one (see {@code RamBlock}).
 *
 * <p>Allocations below {@value #SMALL} bytes (a small block's dirty bitmaps) come from
 * {@code calloc} and go back with {@code free}; larger ones are anonymous mappings of their own,
 * as is memory handed over by {@link AnonymousMemory#allocate}. Where {@code mmap} is not
 * available ({@link AnonymousMemory#mapsMemory()}), the memory comes from a shared arena of its
 * own and closing costs the handshake after all.
 *
 * <p>Thread-safety: allocation and closing take the arena's monitor; the segments may be used
 * from any thread.
 */
@SuppressWarnings("restricted") // its segments are mappings reinterpreted to their size
public final class UncheckedArena implements Arena {
    /** Allocations smaller than this come from {@code calloc}. */
    static final long SMALL = 64 << 10;
    private static final MethodHandle CALLOC;
    private static final MethodHandle FREE;

    static {
        Linker linker = Linker.nativeLinker();
        MethodHandle calloc = null;
        MethodHandle free = null;
        if (AnonymousMemory.mapsMemory()) { // elsewhere everything comes from the fallback arena
            calloc = linker.downcallHandle(linker.defaultLookup().find("calloc").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
            free = linker.downcallHandle(linker.defaultLookup().find("free").orElseThrow(),
                    FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
        }
        CALLOC = calloc;
        FREE = free;
    }

    /** Address and length pairs of the mappings to unmap at close; length -1 for {@code calloc}ed memory. */
    private final ArrayList<long[]> mappings = new ArrayList<>(2);
    /** Where mmap is not available: the arena that holds the memory instead. */
    private final Arena fallback = AnonymousMemory.mapsMemory() ? null : Arena.ofShared();
    private boolean closed;

    @Override
    public MemorySegment allocate(long byteSize, long byteAlignment) {
        if (fallback != null) {
            return fallback.allocate(byteSize, byteAlignment);
        }
        if (byteSize < 0 || byteAlignment <= 0 || Long.bitCount(byteAlignment) != 1 || byteAlignment > AnonymousMemory.PAGE) {
            throw new IllegalArgumentException("cannot allocate " + Hex.of(byteSize) + " bytes aligned to " + Hex.of(byteAlignment));
        }
        if (byteSize < SMALL && byteAlignment <= 16) { // malloc's alignment on every 64-bit platform
            MemorySegment p;
            try {
                p = (MemorySegment) CALLOC.invokeExact(1L, Math.max(1, byteSize));
            } catch (Throwable t) {
                throw new IllegalStateException("calloc of " + Hex.of(byteSize) + " bytes failed", t);
            }
            if (p.address() == 0) {
                throw new AnonymousMemory.MappingFailure(byteSize, 12, "calloc returned NULL");
            }
            return adopt(p, -1, byteSize);
        }
        long length = AnonymousMemory.pageRounded(Math.max(1, byteSize));
        return adopt(MemorySegment.ofAddress(AnonymousMemory.map(length)), length, byteSize);
    }

    /**
     * Takes over a mapping of {@code length} bytes at {@code mapping} (-1: memory from
     * {@code calloc}) and {@return its first {@code size} bytes as an unchecked segment}; the
     * mapping is unmapped (or freed) at {@link #close()}.
     */
    synchronized MemorySegment adopt(MemorySegment mapping, long length, long size) {
        if (closed) {
            release(mapping.address(), length);
            throw new IllegalStateException("the arena is closed");
        }
        mappings.add(new long[] {mapping.address(), length});
        return mapping.reinterpret(size);
    }

    /** {@return the global scope (or the fallback arena's): segments of this arena are not checked} */
    @Override
    public MemorySegment.Scope scope() {
        return fallback != null ? fallback.scope() : Arena.global().scope();
    }

    /** Unmaps everything allocated here. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (fallback != null) {
            fallback.close();
        }
        for (long[] m : mappings) {
            release(m[0], m[1]);
        }
        mappings.clear();
    }

    private static void release(long address, long length) {
        if (length >= 0) {
            AnonymousMemory.unmap(address, length);
            return;
        }
        try {
            FREE.invokeExact(MemorySegment.ofAddress(address));
        } catch (Throwable t) {
            throw new IllegalStateException("free(" + Hex.of(address) + ") failed", t);
        }
    }
}
