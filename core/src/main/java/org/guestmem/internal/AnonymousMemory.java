package org.guestmem.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Locale;

/**
 * Zero-filled guest RAM without touching it: anonymous {@code mmap} with
 * {@code MAP_NORESERVE}, as QEMU allocates RAM blocks, so a 4 GiB machine costs no resident
 * memory until the guest writes. Falls back to {@link Arena#allocate} (which zeroes eagerly) on
 * systems where the call is not available.
 */
@SuppressWarnings("restricted") // mmap and munmap downcalls, reinterpret with an munmap cleanup
public final class AnonymousMemory {
    private static final long PAGE = 4096;
    private static final MethodHandle MMAP;
    private static final MethodHandle MUNMAP;
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
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        if (os.contains("linux") || os.contains("mac")) {
            try {
                Linker linker = Linker.nativeLinker();
                mmap = linker.downcallHandle(linker.defaultLookup().find("mmap").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                                ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
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
    }

    private AnonymousMemory() {
    }

    /**
     * {@return {@code size} zero-filled bytes, page aligned, freed when {@code arena} closes}
     *
     * @throws OutOfMemoryError if the system refuses the mapping
     */
    public static MemorySegment allocate(Arena arena, long size) {
        if (MMAP == null) {
            return arena.allocate(size, PAGE);
        }
        long mapped = (size + PAGE - 1) & -PAGE;
        MemorySegment p;
        try {
            p = (MemorySegment) MMAP.invokeExact(MemorySegment.NULL, mapped, 3 /* PROT_READ|PROT_WRITE */,
                    MAP_FLAGS, -1, 0L);
        } catch (Throwable t) {
            throw new IllegalStateException("mmap failed", t);
        }
        if (p.address() == -1L) {
            throw new OutOfMemoryError("mmap of " + Hex.of(mapped) + " bytes of guest RAM failed");
        }
        return p.reinterpret(size, arena, seg -> unmap(seg.address(), mapped));
    }

    /**
     * {@return {@code size} zero-filled bytes aligned to 2 MiB, freed when {@code arena} closes}
     * On Linux the kernel is asked to back them with transparent huge pages
     * ({@code madvise(MADV_HUGEPAGE)}; ignored where THP is off), so that a table probed at random
     * costs one host TLB entry per 2 MiB instead of one per 4 KiB. Elsewhere it is
     * {@link Arena#allocate} with that alignment.
     *
     * @throws OutOfMemoryError if the system refuses the mapping
     */
    public static MemorySegment allocateHuge(Arena arena, long size) {
        if (MMAP == null) {
            return arena.allocate(size, HUGE_PAGE);
        }
        long rounded = (size + HUGE_PAGE - 1) & -HUGE_PAGE;
        long mapped = rounded + HUGE_PAGE;
        MemorySegment p;
        try {
            p = (MemorySegment) MMAP.invokeExact(MemorySegment.NULL, mapped, 3 /* PROT_READ|PROT_WRITE */,
                    MAP_FLAGS, -1, 0L);
        } catch (Throwable t) {
            throw new IllegalStateException("mmap failed", t);
        }
        if (p.address() == -1L) {
            throw new OutOfMemoryError("mmap of 0x" + Long.toHexString(mapped) + " bytes failed");
        }
        long start = p.address();
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

    private static void unmap(long address, long length) {
        try {
            int rc = (int) MUNMAP.invokeExact(MemorySegment.ofAddress(address), length);
            if (rc != 0) {
                throw new IllegalStateException("munmap(" + Hex.of(address) + ", "
                        + Hex.of(length) + ") failed");
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
