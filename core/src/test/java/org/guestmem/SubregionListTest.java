package org.guestmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/**
 * {@link SubregionList}, the gap buffer behind a region's subregions, against {@link ArrayList}:
 * every mix of insertions and removals at any position gives the same elements in the same order,
 * and {@link MemoryRegion#addSubregionOverlap} keeps QEMU's list order through it.
 */
class SubregionListTest {

    @Property(tries = 300)
    void shouldHoldWhatAnArrayListHoldsAfterAnyInsertionsAndRemovals(@ForAll long seed) {
        Random rnd = new Random(seed);
        try (MemorySystem sys = MemorySystem.create()) {
            MemoryRegion[] pool = new MemoryRegion[8];
            for (int i = 0; i < pool.length; i++) {
                pool[i] = sys.container("r" + i, 0x1000);
            }
            SubregionList list = new SubregionList();
            List<MemoryRegion> model = new ArrayList<>();
            int ops = 1 + rnd.nextInt(200);
            for (int op = 0; op < ops; op++) {
                // runs at one position (the gap stays put) and jumps (the gap moves both ways)
                boolean remove = !model.isEmpty() && rnd.nextInt(3) == 0;
                int at = rnd.nextBoolean() ? 0 : rnd.nextInt(model.size() + (remove ? 0 : 1));
                if (remove) {
                    assertSame(model.remove(at), list.remove(at), "remove(" + at + ") at op " + op);
                } else {
                    MemoryRegion r = pool[rnd.nextInt(pool.length)];
                    model.add(at, r);
                    list.add(at, r);
                }
                assertEquals(model, list, "after op " + op + " of seed " + seed);
                assertEquals(model.size(), list.size());
            }
            if (!model.isEmpty()) {
                MemoryRegion r = model.get(rnd.nextInt(model.size()));
                assertEquals(model.remove(r), list.remove(r));
                assertEquals(model, list);
            }
        }
    }

    @Test
    void shouldRejectIndicesOutsideTheList() {
        SubregionList list = new SubregionList();
        assertThrows(IndexOutOfBoundsException.class, () -> list.get(0));
        assertThrows(IndexOutOfBoundsException.class, () -> list.add(1, null));
        assertThrows(IndexOutOfBoundsException.class, () -> list.remove(0));
    }

    @Test
    void shouldKeepQemusListOrderWhenManySiblingsOfMixedPrioritiesAreAdded() {
        try (MemorySystem sys = MemorySystem.create()) {
            MemoryRegion c = sys.container("c", MemoryRegion.SIZE_2_64);
            List<MemoryRegion> expected = new ArrayList<>();
            Random rnd = new Random(42);
            try (MemoryTransaction tx = sys.begin()) {
                for (int i = 0; i < 2000; i++) {
                    MemoryRegion r = sys.container("r" + i, 0x1000);
                    int prio = rnd.nextInt(5) - 2;
                    c.addSubregionOverlap(r, (long) i << 12, prio);
                    // QEMU: before the first sibling whose priority is <= prio
                    int at = 0;
                    while (at < expected.size() && expected.get(at).priority() > prio) {
                        at++;
                    }
                    expected.add(at, r);
                }
            }
            assertEquals(expected, c.subregions());
            c.removeSubregion(expected.remove(1000));
            assertEquals(expected, c.subregions());
        }
    }
}
