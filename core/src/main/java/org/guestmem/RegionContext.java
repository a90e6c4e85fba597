package org.guestmem;

import java.nio.ByteOrder;
import java.util.function.Supplier;
import org.guestmem.listener.CoalescedRange;

/**
 * What a region needs from the system it belongs to: the system's configuration, its update
 * lock, its dirty log and native memory, and two narrow ways up to the layers above the region
 * model ({@link Mutations}, {@link Listeners}), which the region model names only through these
 * interfaces. Regions of one system share one context; its identity is the system's.
 */
final class RegionContext {
    /** Transactions: what a mutator does around its change (implemented by the view cache). */
    interface Mutations {
        /** Runs {@code change} as its own (possibly nested) transaction, under the update lock. */
        void mutate(Runnable change);

        /**
         * Records that the next outermost commit must re-render where {@code changed}, as it is now,
         * can show (see {@link ChangedExtents}). Under the update lock.
         */
        void markUpdatePending(MemoryRegion changed);

        /**
         * Records where {@code r}, as it is now, can show (see {@link ChangedExtents}) for the next
         * commit that re-renders, without making one re-render: a change QEMU renders only at the
         * next commit (a region's address changed while it has no container; it may be a
         * flatview root, shown at its address). Under the update lock.
         */
        void markExtentStale(MemoryRegion r);

        /** Records that the ioeventfd lists are stale (QEMU's {@code ioeventfd_update_pending}). */
        void markIoEventFdsPending();

        /**
         * Records how to undo the change about to be made, for a commit that fails (see
         * {@link UndoLog}). Under the update lock, inside {@link #mutate}.
         */
        void recordUndo(Runnable inverse);

        /**
         * Defers an effect that cannot be undone until the outermost commit has succeeded; a
         * failed commit drops it. Under the update lock, inside {@link #mutate}.
         */
        void deferUntilCommitted(Runnable effect);
    }

    /** Listener calls a region triggers outside a commit (implemented by the listener hub). Under the update lock. */
    interface Listeners {
        /** QEMU's {@code memory_region_update_coalesced_range} for one range of {@code mr}. */
        void coalescedRangeChanged(MemoryRegion mr, CoalescedRange range, boolean added);

        /** {@code logSync} for the logging ranges of {@code mr} in every address space. */
        void syncDirtyLog(MemoryRegion mr);

        /** {@code logClear} for the sections of {@code mr} overlapping {@code [offset, offset + length)}. */
        void dirtyLogCleared(MemoryRegion mr, long offset, long length);

        /** {@code logGlobalAfterSync} on every listener. */
        void afterDirtyLogSync();
    }

    final String systemName;
    final ByteOrder targetByteOrder;
    final int pageBits;
    final boolean lenientAliasWindows;
    final UpdateLock lock;
    final DirtyLog dirtyLog;
    final NativeMemory memory;
    final Mutations mutations;
    final Listeners listeners;

    RegionContext(String systemName, ByteOrder targetByteOrder, int pageBits, boolean lenientAliasWindows,
                  UpdateLock lock, DirtyLog dirtyLog, NativeMemory memory, Mutations mutations, Listeners listeners) {
        this.systemName = systemName;
        this.targetByteOrder = targetByteOrder;
        this.pageBits = pageBits;
        this.lenientAliasWindows = lenientAliasWindows;
        this.lock = lock;
        this.dirtyLog = dirtyLog;
        this.memory = memory;
        this.mutations = mutations;
        this.listeners = listeners;
    }

    /** Runs a region constructor under the update lock (it may read other regions' attributes). */
    <T extends MemoryRegion> T create(Supplier<T> constructor) {
        return lock.locked("a region's creation", () -> {
            lock.checkOpen();
            return constructor.get();
        });
    }
}
