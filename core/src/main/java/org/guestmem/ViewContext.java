package org.guestmem;

import org.guestmem.internal.MmioDispatcher;
import org.guestmem.internal.NativeTablePool;

/**
 * What views, the renderer and the access path need from their system: the target page size,
 * the pool their native tables come from, the dispatcher of unassigned addresses, the dirty log a
 * RAM write marks, whether CPU threads' TLBs run in checked mode, deferred freeing, and the marks
 * that stamp a view's regions while it is built.
 * Views of one system share one context; its identity is the system's.
 */
final class ViewContext {
    final int pageBits;
    final DirtyLog dirtyLog;
    /** Where accesses to holes, ROM writes and RAM-straddling MMIO-path accesses go (QEMU's {@code io_mem_unassigned}). */
    final MmioDispatcher unassigned;
    /** Checked mode for CPU threads' TLBs ({@link MemorySystemBuilder#checkedAccess}). */
    final boolean checkedAccess;
    private final NativeMemory memory;
    /** The last mark handed out by {@link #nextViewMark()} (writer only, under the update lock). */
    private long viewMarks;
    /**
     * Fault injection for tests of failed commits: run by the renderer just before a view's tables
     * are built; null outside such tests. Writer only, under the update lock.
     */
    Runnable beforeTables;

    ViewContext(int pageBits, DirtyLog dirtyLog, MmioDispatcher unassigned, NativeMemory memory, boolean checkedAccess) {
        this.pageBits = pageBits;
        this.checkedAccess = checkedAccess;
        this.dirtyLog = dirtyLog;
        this.unassigned = unassigned;
        this.memory = memory;
    }

    NativeTablePool tablePool() {
        return memory.tablePool();
    }

    /** Frees something after a grace period (see {@link NativeMemory#deferFree}). */
    void deferFree(Runnable free) {
        memory.deferFree(free);
    }

    /**
     * {@return a mark no region carries yet} FlatView construction stamps each distinct region of
     * the view with it ({@link MemoryRegion#viewMark}) instead of hashing. Under the update lock.
     */
    long nextViewMark() {
        return ++viewMarks;
    }
}
