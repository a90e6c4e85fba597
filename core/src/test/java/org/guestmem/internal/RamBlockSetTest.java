package org.guestmem.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The counting rules of {@link RamBlockSet}'s Javadoc. */
class RamBlockSetTest {
    private final NativeMemoryStats stats = new NativeMemoryStats();
    private final RamReclaimer reclaimer = new RamReclaimer("test", stats);

    private RamBlock block(String name) {
        return RamBlock.allocate(name, 0x1000, 12, false, reclaimer);
    }

    @AfterEach
    void close() {
        reclaimer.close();
    }

    @Test
    void aSetShouldHoldOneCountPerBlockUntilItsLastViewReleasesIt() {
        RamBlock a = block("a");
        RamBlock b = block("b");
        RamBlockSet set = RamBlockSet.retainAll(new RamBlock[] {a, b, null}, 2);
        assertEquals(2, a.refCount(), "the region's count and the set's");
        assertTrue(set.holdsExactly(new RamBlock[] {a, b}, 2));
        assertFalse(set.holdsExactly(new RamBlock[] {b, a}, 2), "same blocks, other order: not shared");
        assertTrue(set.tryShare(), "a second view");
        set.release();
        assertEquals(2, a.refCount(), "one view still shares the set");
        set.release();
        assertEquals(1, a.refCount());
        assertEquals(1, b.refCount());
        assertFalse(set.tryShare(), "a released set cannot be shared again");
        a.release();
        b.release();
        reclaimer.drain();
        assertEquals(0, stats.liveAllocations(), "both blocks freed");
    }

    @Test
    void retainingAFreedBlockShouldThrowAndLeaveNoCountTaken() {
        RamBlock a = block("a");
        RamBlock gone = block("gone");
        gone.release(); // its region was destroyed and nothing maps it: freed
        reclaimer.drain();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> RamBlockSet.retainAll(new RamBlock[] {a, gone}, 2));
        assertTrue(e.getMessage().contains("'gone'"), e.getMessage());
        assertEquals(1, a.refCount(), "the count taken on a was given back");
        a.release();
        reclaimer.drain();
        assertEquals(0, stats.liveAllocations());
    }
}
