package org.guestmem.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Locale;

/**
 * Zero-filled guest RAM without touching it: anonymous {@code mmap} with
 * {@code MAP_NORESERVE}, as QEMU allocates RAM blocks, so a 4 GiB machine costs no resident
 * memory until the guest writes. Falls back to {@link Arena#allocate} (which zeroes eagerly) on
 * systems where the call is not available.
 *
 * <p>A mapping the system refuses throws {@link MappingFailure}, with the length and the
 * {@code errno} of {@code mmap}; sizes that cannot be rounded to whole pages are refused the same
 * way, without a call.
 */
@SuppressWarnings("restricted") // mmap and munmap downcalls, reinterpret with an munmap cleanup
public final class AnonymousMemory {
    /** The unit of mappings: 4 KiB (larger host pages round the length up themselves). */
    public static final long PAGE = 4096;
    /** Linux's and macOS's {@code ENOMEM}, given for lengths that cannot be rounded to pages. */
    private static final int ENOMEM = 12;
    private static final MethodHandle MMAP;
    private static final MethodHandle MUNMAP;
    private static final StructLayout CALL_STATE;
    private static final VarHandle ERRNO;
    /** {@code madvise}, Linux only (null elsewhere). */
    private static final MethodHandle MADVISE;
    private static final int MAP_FLAGS;
    private static final long HUGE_PAGE = 2L << 20;
    /** Linux's {@code MADV_HUGEPAGE}. */
    private static final int MADV_HUGEPAGE = 14;

    static {
        MethodHandle mmap = null;
        MethodHandle munmap = null;
        MethodHandle madvise = null;
        int flags = 0;
        StructLayout state = Linker.Option.captureStateLayout();
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        if (os.contains("linux") || os.contains("mac")) {
            try {
                Linker linker = Linker.nativeLinker();
                mmap = linker.downcallHandle(linker.defaultLookup().find("mmap").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                                ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG),
                        Linker.Option.captureCallState("errno"));
                munmap = linker.downcallHandle(linker.defaultLookup().find("munmap").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
                // MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE
                flags = os.contains("linux") ? 0x02 | 0x20 | 0x4000 : 0x02 | 0x1000 | 0x40;
                if (os.contains("linux")) {
                    madvise = linker.downcallHandle(linker.defaultLookup().find("madvise").orElseThrow(),
                            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                                    ValueLayout.JAVA_INT));
                }
            } catch (RuntimeException e) {
                mmap = null;
                munmap = null;
                madvise = null;
            }
        }
        MMAP = mmap;
        MUNMAP = munmap;
        MADVISE = madvise;
        MAP_FLAGS = flags;
        CALL_STATE = state;
        ERRNO = state.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    }

    private AnonymousMemory() {
    }

    /** {@return whether mappings come from {@code mmap} (Linux and macOS) rather than {@link Arena#allocate}} */
    public static boolean mapsMemory() {
        return MMAP != null;
    }

    /**
     * {@return {@code size} zero-filled bytes, page aligned, freed when {@code arena} closes} An
     * {@link UncheckedArena} takes the mapping over and unmaps it when it closes, without a
     * handshake.
     *
     * @throws MappingFailure if the system refuses the mapping
     */
    public static MemorySegment allocate(Arena arena, long size) {
        if (MMAP == null) {
            return arena.allocate(size, PAGE);
        }
        long mapped = pageRounded(size);
        long address = map(mapped);
        MemorySegment p = MemorySegment.ofAddress(address);
        if (arena instanceof UncheckedArena unchecked) {
            return unchecked.adopt(p, mapped, size);
        }
        return p.reinterpret(size, arena, seg -> unmap(address, mapped));
    }

    /**
     * {@return {@code size} zero-filled bytes aligned to 2 MiB, freed when {@code arena} closes}
     * On Linux the kernel is asked to back them with transparent huge pages
     * ({@code madvise(MADV_HUGEPAGE)}; ignored where THP is off), so that a table probed at random
     * costs one host TLB entry per 2 MiB instead of one per 4 KiB. Elsewhere it is
     * {@link Arena#allocate} with that alignment.
     *
     * @throws MappingFailure if the system refuses the mapping
     */
    public static MemorySegment allocateHuge(Arena arena, long size) {
        if (MMAP == null) {
            return arena.allocate(size, HUGE_PAGE);
        }
        if (size <= 0 || size > Long.MAX_VALUE / 2 - HUGE_PAGE) {
            throw new MappingFailure(size, ENOMEM, "larger than any address space");
        }
        long rounded = (size + HUGE_PAGE - 1) & -HUGE_PAGE;
        long mapped = rounded + HUGE_PAGE;
        long start = map(mapped);
        long aligned = (start + HUGE_PAGE - 1) & -HUGE_PAGE;
        if (MADVISE != null) {
            try {
                int ignored = (int) MADVISE.invokeExact(MemorySegment.ofAddress(aligned), rounded, MADV_HUGEPAGE);
            } catch (Throwable t) {
                // only advice: the memory works without huge pages
            }
        }
        return MemorySegment.ofAddress(aligned).reinterpret(size, arena, seg -> unmap(start, mapped));
    }

    /**
     * {@return {@code size} rounded up to whole pages}
     *
     * @throws MappingFailure if the rounded length does not fit a {@code long}
     */
    static long pageRounded(long size) {
        if (size <= 0 || size > Long.MAX_VALUE - (PAGE - 1)) {
            throw new MappingFailure(size, ENOMEM, "larger than any address space");
        }
        return (size + PAGE - 1) & -PAGE;
    }

    /**
     * Maps {@code length} (whole pages) zero-filled bytes and {@return their address}; only on
     * systems where {@link #mapsMemory()}.
     *
     * @throws MappingFailure if the system refuses
     */
    static long map(long length) {
        MemorySegment p;
        int errno;
        try (Arena callState = Arena.ofConfined()) {
            MemorySegment state = callState.allocate(CALL_STATE);
            try {
                p = (MemorySegment) MMAP.invokeExact(state, MemorySegment.NULL, length, 3 /* PROT_READ|PROT_WRITE */,
                        MAP_FLAGS, -1, 0L);
            } catch (Throwable t) {
                throw new IllegalStateException("mmap of " + Hex.of(length) + " bytes failed", t);
            }
            errno = (int) ERRNO.get(state, 0L);
        }
        if (p.address() == -1L) {
            throw new MappingFailure(length, errno, null);
        }
        return p.address();
    }

    /** Unmaps what {@link #map} returned. */
    static void unmap(long address, long length) {
        int rc;
        try {
            rc = (int) MUNMAP.invokeExact(MemorySegment.ofAddress(address), length);
        } catch (Throwable t) {
            throw new IllegalStateException("munmap(" + Hex.of(address) + ", " + Hex.of(length) + ") failed", t);
        }
        if (rc != 0) {
            throw new IllegalStateException("munmap(" + Hex.of(address) + ", " + Hex.of(length) + ") failed");
        }
    }

    /** The system refused to map memory: the length asked for, and why. */
    public static final class MappingFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final long length;
        private final int errno;

        MappingFailure(long length, int errno, String why) {
            super("mmap of " + Hex.of(length) + " bytes failed: " + (why != null ? why : "errno " + errno + errnoName(errno)));
            this.length = length;
            this.errno = errno;
        }

        /** {@return the length that was asked for, in bytes} */
        public long length() {
            return length;
        }

        /** {@return {@code mmap}'s {@code errno}} */
        public int errno() {
            return errno;
        }

        private static String errnoName(int errno) {
            return switch (errno) {
                case 12 -> " (ENOMEM)";
                case 22 -> " (EINVAL)";
                case 1 -> " (EPERM)";
                case 11, 35 -> " (EAGAIN)";
                default -> "";
            };
        }
    }
}
