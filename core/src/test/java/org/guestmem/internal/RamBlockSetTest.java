package org.guestmem.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
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

    @Test
    void aViewThatAddsABlockShouldExtendItsPredecessorsSetAndTheNextViewWithoutItShareThatSetAgain() {
        RamBlock a = block("a");
        RamBlock b = block("b");
        RamBlock h = block("hotplug");
        RamBlockSet first = RamBlockSet.retainAll(new RamBlock[] {a, b}, 2);
        RamBlockSet added = RamBlockSet.sharedFor(first, new RamBlock[] {a, h, b}, 3);
        assertSame(first, added.base(), "a superset extends the set before it");
        assertEquals(2, a.refCount(), "no new count on a block the base already holds");
        assertEquals(2, h.refCount(), "the added block: its region's count and the extension's");
        assertEquals(2, first.refCount(), "the first view's count and the extension's");
        assertTrue(added.holdsExactly(new RamBlock[] {a, h, b}, 3));

        RamBlockSet removed = RamBlockSet.sharedFor(added, new RamBlock[] {a, b}, 2);
        assertSame(first, removed, "the blocks of the extended set again: that set, shared");
        assertEquals(3, first.refCount());

        first.release(); // the views are destroyed in any order
        added.release();
        assertEquals(1, h.refCount(), "the extension is gone: its count on the added block too");
        assertEquals(2, a.refCount(), "the last view still shares the first set");
        removed.release();
        assertEquals(1, a.refCount());
        assertEquals(1, b.refCount());
        for (RamBlock x : new RamBlock[] {a, b, h}) {
            x.release();
        }
        reclaimer.drain();
        assertEquals(0, stats.liveAllocations());
    }

    @Test
    void aViewThatDropsABlockShouldNotKeepItAliveThroughAnOlderSet() {
        RamBlock a = block("a");
        RamBlock b = block("b");
        RamBlockSet first = RamBlockSet.retainAll(new RamBlock[] {a, b}, 2);
        RamBlockSet next = RamBlockSet.sharedFor(first, new RamBlock[] {a}, 1);
        assertNull(next.base(), "a set missing one of the blocks before cannot extend that set");
        first.release();
        assertEquals(1, b.refCount(), "b is held by its region only once the first view is gone");
        b.release();
        reclaimer.drain();
        assertEquals(1, stats.liveAllocations(), "b freed while the newer view is alive");
        next.release();
        a.release();
        reclaimer.drain();
        assertEquals(0, stats.liveAllocations());
    }

    @Test
    void extensionsShouldStopAtTheDepthAndAddedBlockLimits() {
        RamBlock[] bs = new RamBlock[RamBlockSet.MAX_DEPTH + RamBlockSet.MAX_ADDED + 3];
        for (int i = 0; i < bs.length; i++) {
            bs[i] = block("b" + i);
        }
        RamBlockSet s = RamBlockSet.retainAll(bs, 1);
        java.util.List<RamBlockSet> sets = new java.util.ArrayList<>(java.util.List.of(s));
        for (int n = 2; n <= RamBlockSet.MAX_DEPTH + 2; n++) {
            s = RamBlockSet.sharedFor(s, bs, n);
            sets.add(s);
        }
        assertNull(s.base(), "a chain never grows beyond the depth limit: a new set instead");
        assertNotNull(sets.get(RamBlockSet.MAX_DEPTH).base());
        RamBlockSet many = RamBlockSet.sharedFor(s, bs, s.size() + RamBlockSet.MAX_ADDED + 1);
        assertNull(many.base(), "too many added blocks: a new set");
        sets.add(many);
        for (RamBlockSet x : sets) {
            x.release();
        }
        for (RamBlock b : bs) {
            assertEquals(1, b.refCount(), "every set's count given back: " + b.name());
            b.release();
        }
        reclaimer.drain();
        assertEquals(0, stats.liveAllocations());
    }

    @Test
    void extendingWithAFreedBlockShouldThrowAndLeaveNoCountTaken() {
        RamBlock a = block("a");
        RamBlock gone = block("gone");
        gone.release();
        RamBlockSet first = RamBlockSet.retainAll(new RamBlock[] {a}, 1);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> RamBlockSet.sharedFor(first, new RamBlock[] {a, gone}, 2));
        assertTrue(e.getMessage().contains("'gone'"), e.getMessage());
        assertEquals(1, first.refCount(), "the count taken on the base was given back");
        first.release();
        a.release();
        reclaimer.drain();
        assertEquals(0, stats.liveAllocations());
    }
}
