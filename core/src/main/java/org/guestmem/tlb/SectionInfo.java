package org.guestmem.tlb;

import java.lang.foreign.MemorySegment;
import org.guestmem.FlatView;
import org.guestmem.MemoryRegion;
import org.guestmem.internal.CoreAccess;
import org.guestmem.internal.DispatchTable;
import org.guestmem.internal.MmioDispatcher;
import org.guestmem.internal.RamBlock;

/**
 * What the slow path needs about one section of a view, copied into Java objects when the section
 * is first filled from: an entry may outlive the view it was filled from (when a commit left its
 * page alone), and the old view's native tables must not be read after their grace period. Only
 * the owner thread creates these; immutable.
 */
final class SectionInfo {
    /** {@code SectionLayout.KIND_*}. */
    final int kind;
    /** The dirty-log clients the section logs for (as rendered). */
    final int dirtyMask;
    /** Offset within the region (and its RAM block) of guest physical address {@code a} is {@code a + xlat}. */
    final long xlat;
    /** Host address of guest physical {@code a} is {@code a + hostAddend}; 0 without a native address. */
    final long hostAddend;
    /** Whether the section's memory has a native address (RAM-backed, not a heap segment). */
    final boolean host;
    final MmioDispatcher io;
    /** The RAM block's segment (RAM, ROM, ROM device), else null. */
    final MemorySegment ram;
    final RamBlock block;
    /** The region shown (null for the unassigned section 0). */
    final MemoryRegion region;

    private SectionInfo(int kind, int dirtyMask, long xlat, long hostAddend, MmioDispatcher io, MemorySegment ram,
                        RamBlock block, MemoryRegion region) {
        this.kind = kind;
        this.dirtyMask = dirtyMask;
        this.xlat = xlat;
        this.host = ram != null && ram.isNative();
        this.hostAddend = host ? hostAddend : 0;
        this.io = io;
        this.ram = ram;
        this.block = block;
        this.region = region;
    }

    /** Section {@code s} of {@code view}, read inside a stretch that keeps the view alive. */
    static SectionInfo of(CoreAccess core, FlatView view, int s) {
        DispatchTable d = core.dispatch(view);
        return new SectionInfo(d.kind(s), d.dirtyLogMask(s), d.offsetInRegion(s) - d.start(s), d.hostAddend(s),
                core.sectionIo(view, s), core.sectionRam(view, s), core.sectionBlock(view, s), view.sectionRegion(s));
    }
}
