package org.guestmem;

import java.util.AbstractList;
import java.util.Arrays;
import java.util.Objects;
import java.util.RandomAccess;

/**
 * A region's subregions in QEMU's list order (descending priority, the newest of equal priority
 * first), kept in a gap buffer: the array's free slots sit where the last insertion or removal
 * happened. QEMU inserts a new subregion before its equal-priority siblings, so a container that
 * receives many siblings of one priority inserts at one position again and again; with the gap
 * there each insertion costs O(1), where an {@code ArrayList} shifts every later sibling (n
 * siblings cost n<sup>2</sup>/2 moves). Moving the gap elsewhere costs the distance moved.
 *
 * <p>Guarded by the system's update lock like the rest of the region.
 */
final class SubregionList extends AbstractList<MemoryRegion> implements RandomAccess {
    private static final MemoryRegion[] EMPTY = new MemoryRegion[0];

    /** Elements in {@code [0, gapStart)} and {@code [gapEnd, a.length)}; the gap holds nulls. */
    private MemoryRegion[] a = EMPTY;
    private int gapStart;
    private int gapEnd;

    @Override
    public int size() {
        return a.length - (gapEnd - gapStart);
    }

    @Override
    public MemoryRegion get(int index) {
        Objects.checkIndex(index, size());
        return a[index < gapStart ? index : index + (gapEnd - gapStart)];
    }

    @Override
    public void add(int index, MemoryRegion region) {
        Objects.checkIndex(index, size() + 1);
        if (gapStart == gapEnd) {
            grow();
        }
        moveGap(index);
        a[gapStart++] = region;
        modCount++;
    }

    @Override
    public MemoryRegion remove(int index) {
        Objects.checkIndex(index, size());
        moveGap(index);
        MemoryRegion r = a[gapEnd];
        a[gapEnd++] = null;
        modCount++;
        return r;
    }

    /** Moves the gap to start at {@code index}, clearing the slots that join it. */
    private void moveGap(int index) {
        if (index < gapStart) {
            int n = gapStart - index;
            System.arraycopy(a, index, a, gapEnd - n, n);
            Arrays.fill(a, index, Math.min(gapStart, gapEnd - n), null);
            gapStart = index;
            gapEnd -= n;
        } else if (index > gapStart) {
            int n = index - gapStart;
            System.arraycopy(a, gapEnd, a, gapStart, n);
            Arrays.fill(a, Math.max(gapEnd, index), gapEnd + n, null);
            gapStart = index;
            gapEnd += n;
        }
    }

    private void grow() {
        int tail = a.length - gapEnd;
        MemoryRegion[] b = new MemoryRegion[Math.max(4, a.length * 2)];
        System.arraycopy(a, 0, b, 0, gapStart);
        System.arraycopy(a, gapEnd, b, b.length - tail, tail);
        gapEnd = b.length - tail;
        a = b;
    }
}
