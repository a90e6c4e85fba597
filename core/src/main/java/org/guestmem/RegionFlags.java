package org.guestmem;

/**
 * The flags a region's mutators switch: enabled, readonly and nonvolatile (QEMU's
 * {@code memory_region_set_enabled}, {@code _set_readonly}, {@code _set_nonvolatile}). A change is
 * recorded in the undo log and marks a re-render where QEMU re-renders: always for enabled, only
 * while the region is enabled for the other two.
 */
final class RegionFlags {
    private RegionFlags() {
    }

    static void setEnabled(MemoryRegion r, boolean value) {
        r.checkAlive();
        if (r.enabled != value) {
            r.recordUndo(() -> r.enabled = !value);
            r.enabled = value;
            r.markUpdatePending();
        }
    }

    static void setReadonly(MemoryRegion r, boolean value) {
        r.checkAlive();
        if (r.readonly != value) {
            r.recordUndo(() -> r.readonly = !value);
            r.readonly = value;
            markIfEnabled(r);
        }
    }

    static void setNonvolatile(MemoryRegion r, boolean value) {
        r.checkAlive();
        if (r.nonvolatile != value) {
            r.recordUndo(() -> r.nonvolatile = !value);
            r.nonvolatile = value;
            markIfEnabled(r);
        }
    }

    /** QEMU re-renders for an attribute of a disabled region only when it is enabled again. */
    static void markIfEnabled(MemoryRegion r) {
        if (r.enabled) {
            r.markUpdatePending();
        }
    }
}
