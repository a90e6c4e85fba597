package org.guestmem;

/**
 * The one structure {@link MemoryRegion#addSubregion} refuses at once as a cycle: a region added
 * into itself or into one of its own descendants (through subregions), which no rendering could
 * ever end. Cycles through aliases are allowed here, because QEMU renders them when the clip ends
 * the recursion (an alias showing a window of its own container that does not contain the alias);
 * the renderer refuses, at commit, the ones whose rendering would not end (see
 * {@link FlatViewRenderer}).
 */
final class NestingCheck {
    private NestingCheck() {
    }

    /**
     * Refuses adding {@code sub} to {@code container} if {@code sub} is {@code container} or one of
     * its ancestors. Walks up from {@code container}, and only when {@code sub} has subregions (a
     * region without any has no descendants), so building a tree top-down or bottom-up costs
     * O(1) per addition.
     *
     * @throws IllegalArgumentException naming both regions
     */
    static void check(MemoryRegion container, MemoryRegion sub) {
        if (sub == container) {
            throw new IllegalArgumentException("cannot add " + MemoryRegion.describe(sub) + " to itself: a region"
                    + " cannot contain itself");
        }
        if (sub.subregions.isEmpty()) {
            return;
        }
        for (MemoryRegion r = container.container; r != null; r = r.container) {
            if (r == sub) {
                throw new IllegalArgumentException("cannot add " + MemoryRegion.describe(sub) + " to "
                        + MemoryRegion.describe(container) + ": " + MemoryRegion.describe(container)
                        + " lies inside it, which would make a cycle");
            }
        }
    }
}
