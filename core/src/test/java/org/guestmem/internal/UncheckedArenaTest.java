package org.guestmem.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** What {@link UncheckedArena}'s Javadoc promises: zeroed memory, unchecked segments, everything returned at close. */
class UncheckedArenaTest {
    /** {@return whether an address falls in any mapping of /proc/self/maps} */
    private static boolean mapped(long address) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
            String[] range = line.substring(0, line.indexOf(' ')).split("-");
            if (Long.compareUnsigned(Long.parseUnsignedLong(range[0], 16), address) <= 0
                    && Long.compareUnsigned(address, Long.parseUnsignedLong(range[1], 16)) < 0) {
                return true;
            }
        }
        return false;
    }

    @Test
    void smallAndLargeAllocationsShouldBeZeroedUncheckedAndReturnedAtClose() throws IOException {
        assumeTrue(AnonymousMemory.mapsMemory() && Files.isReadable(Path.of("/proc/self/maps")));
        UncheckedArena arena = new UncheckedArena();
        MemorySegment small = arena.allocate(24, 8);
        MemorySegment large = arena.allocate(3 * UncheckedArena.SMALL + 5, 4096);
        MemorySegment adopted = AnonymousMemory.allocate(arena, 1 << 20);
        for (MemorySegment s : new MemorySegment[] {small, large, adopted}) {
            assertEquals(0, s.get(ValueLayout.JAVA_LONG, 0), "zero-filled");
            assertEquals(0, s.get(ValueLayout.JAVA_BYTE, s.byteSize() - 1));
            assertEquals(Arena.global().scope(), s.scope(), "unchecked: the global scope");
        }
        assertEquals(0, large.address() & 4095, "page aligned");
        large.set(ValueLayout.JAVA_LONG, 8, 42);
        assertTrue(mapped(large.address()) && mapped(adopted.address()));
        arena.close();
        assertFalse(mapped(large.address()), "unmapped at close, without a handshake");
        assertFalse(mapped(adopted.address()));
        arena.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> AnonymousMemory.allocate(arena, 1 << 20),
                "nothing new after close (and what was mapped for it is unmapped again)");
    }

    @Test
    void aMappingTheSystemRefusesShouldNameItsLengthAndErrno() {
        assumeTrue(AnonymousMemory.mapsMemory());
        UncheckedArena arena = new UncheckedArena();
        AnonymousMemory.MappingFailure e = assertThrows(AnonymousMemory.MappingFailure.class,
                () -> AnonymousMemory.allocate(arena, 1L << 60));
        assertEquals(1L << 60, e.length());
        assertEquals(12, e.errno());
        assertTrue(e.getMessage().contains("0x1000000000000000") && e.getMessage().contains("ENOMEM"), e.getMessage());
        AnonymousMemory.MappingFailure max = assertThrows(AnonymousMemory.MappingFailure.class,
                () -> AnonymousMemory.allocate(arena, Long.MAX_VALUE));
        assertTrue(max.getMessage().contains("0x7fffffffffffffff"), max.getMessage());
        arena.close();
    }
}
