package org.guestmem;

/**
 * {@link MemoryRegion#destroy()}, QEMU's {@code object_unparent} of a region and its
 * {@code memory_region_finalize}: refused while anything still maps the region; otherwise its
 * subregions are unlinked and it is marked destroyed at once, and what cannot be undone (its
 * coalesced ranges cleared, its RAM block's reference dropped) happens when the outermost commit
 * has succeeded, so a failed commit can still bring the region back.
 */
final class RegionDestruction {
    private RegionDestruction() {
    }

    static void destroy(MemoryRegion r) {
        if (r.destroyed) {
            return;
        }
        String what = "cannot destroy " + MemoryRegion.describe(r);
        if (r.container != null) {
            throw new IllegalStateException(what + ": it is still a subregion of " + MemoryRegion.describe(r.container)
                    + "; remove it first");
        }
        if (r.mappedViaAlias > 0) {
            throw new IllegalStateException(what + ": " + r.mappedViaAlias + " mapped alias(es) still show it; remove them first");
        }
        if (r.addressSpaceRoots > 0) {
            throw new IllegalStateException(what + ": it is the root of " + r.addressSpaceRoots
                    + " address space(s); destroy them first");
        }
        for (int i = r.subregions.size() - 1; i >= 0; i--) { // from the end: nothing shifts
            SubregionLinks.unlink(r, i);
        }
        boolean wasEnabled = r.enabled;
        r.recordUndo(() -> {
            r.enabled = wasEnabled;
            r.destroyed = false;
        });
        r.enabled = false;
        r.destroyed = true;
        r.context.mutations.deferUntilCommitted(() -> {
            r.coalescing.clear(); // QEMU's memory_region_finalize
            r.onDestroy();
        });
    }
}
