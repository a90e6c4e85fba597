package org.guestmem.listener;

import org.guestmem.AddrRange;
import org.guestmem.MemoryRegionSection;

/**
 * Notified of topology changes of one address space, QEMU's {@code MemoryListener}. Every method
 * has a no-op default; implement what you need. Register with
 * {@link org.guestmem.AddressSpace#registerListener(MemoryListener, int)}.
 *
 * <h2 id="order">Order (QEMU 7.2)</h2>
 * Listeners are kept sorted by ascending priority (equal priorities in registration order).
 * "Forward" calls go in that order, "reverse" calls in the opposite order:
 * <ul>
 * <li>forward: {@link #begin}, {@link #commit}, {@link #regionAdd}, {@link #regionNop},
 * {@link #logStart}, {@link #coalescedIoAdd}, {@link #logGlobalStart},
 * {@link #logGlobalAfterSync}, and {@link #eventfdDel} (sic);</li>
 * <li>reverse: {@link #regionDel}, {@link #logStop}, {@link #coalescedIoDel},
 * {@link #logGlobalStop}, and {@link #eventfdAdd} (sic: QEMU 7.2's ioeventfd diff inverts the
 * general rule, and guestmem reproduces it).</li>
 * </ul>
 * {@code begin}, {@code commit} and the {@code logGlobal*} callbacks go to every listener of the
 * memory system, whatever its address space; the others only to the listeners of the address
 * space concerned. A commit that re-renders calls {@code begin} on everyone, then for each address
 * space in creation order the deletions (ascending address), then the additions, no-ops and log
 * changes (ascending address), then its ioeventfd changes, then {@code commit} on everyone. The new
 * view is published to readers after that space's region callbacks.
 *
 * <h2 id="threading">Threading and failures</h2>
 * Callbacks run on the committing thread, holding the system's update lock; they may read
 * regions and views but must not change the topology. A callback that throws does not stop the
 * commit: every view is still published and every other callback still made; when the commit is
 * complete the first failure is rethrown to the thread that committed, as a
 * {@link MemoryListenerException} carrying the others as suppressed exceptions.
 */
public interface MemoryListener {

    /** A transaction that re-renders starts (all listeners, forward). */
    default void begin() {
    }

    /** The transaction is complete and every view published (all listeners, forward). */
    default void commit() {
    }

    /**
     * {@code section} appeared in the address space (forward).
     *
     * @param section the section concerned
     */
    default void regionAdd(MemoryRegionSection section) {
    }

    /**
     * {@code section} disappeared from the address space (reverse).
     *
     * @param section the section concerned
     */
    default void regionDel(MemoryRegionSection section) {
    }

    /**
     * {@code section} is unchanged by a commit that re-rendered (forward).
     *
     * @param section the section concerned
     */
    default void regionNop(MemoryRegionSection section) {
    }

    /**
     * Whether this listener wants {@link #regionNop} for every range a re-rendering commit left
     * unchanged, QEMU's behaviour and the default. A listener that returns false gets no
     * {@code regionNop} at all; when no listener of an address space wants them, a commit visits
     * only the ranges it changed, so its listener work is proportional to the change rather than to
     * the map (see {@code docs/devices.md}). Asked at registration; the answer must not change while
     * the listener is registered.
     *
     * @return true (the default) to get {@code regionNop} for every unchanged range
     */
    default boolean wantsRegionNop() {
        return true;
    }

    /**
     * Dirty logging started for clients {@code newMask & ~oldMask} of {@code section} (forward).
     *
     * @param section the section concerned
     * @param oldMask the dirty-log clients before (a mask of DirtyLogClient bits)
     * @param newMask the dirty-log clients after (a mask of DirtyLogClient bits)
     */
    default void logStart(MemoryRegionSection section, int oldMask, int newMask) {
    }

    /**
     * Dirty logging stopped for clients {@code oldMask & ~newMask} of {@code section} (reverse).
     *
     * @param section the section concerned
     * @param oldMask the dirty-log clients before (a mask of DirtyLogClient bits)
     * @param newMask the dirty-log clients after (a mask of DirtyLogClient bits)
     */
    default void logStop(MemoryRegionSection section, int oldMask, int newMask) {
    }

    /**
     * Copy what this listener tracked for {@code section} into guestmem's dirty bitmaps.
     *
     * @param section the section concerned
     */
    default void logSync(MemoryRegionSection section) {
    }

    /**
     * Whether {@link #logSyncGlobal()} replaces the per-section {@link #logSync} (QEMU's
     * {@code log_sync_global}); a listener must not use both.
     *
     * @return true to get {@link #logSyncGlobal()} instead of {@link #logSync}; false by default
     */
    default boolean syncsGlobally() {
        return false;
    }

    /** Sync everything at once (only called if {@link #syncsGlobally()}). */
    default void logSyncGlobal() {
    }

    /**
     * Dirty bits of {@code section} were cleared in guestmem's bitmaps.
     *
     * @param section the section concerned
     */
    default void logClear(MemoryRegionSection section) {
    }

    /** Global dirty tracking (migration) started (all listeners, forward). */
    default void logGlobalStart() {
    }

    /** Global dirty tracking stopped (all listeners, reverse). */
    default void logGlobalStop() {
    }

    /** A global dirty-log sync completed (all listeners, forward). */
    default void logGlobalAfterSync() {
    }

    /**
     * An ioeventfd now applies in this address space (reverse; QEMU 7.2's inversion). Called at
     * the end of each commit that changed the space's ioeventfd list, after its region callbacks
     * (see {@link org.guestmem.AddressSpace}'s ioeventfd diff), and not replayed on registration (as in 7.2).
     * {@code section.offsetWithinAddressSpace()} is the absolute address of the registration,
     * {@code section.region()} the region that registered it, {@code section.offsetWithinRegion()}
     * its offset there; the section spans {@code max(1, eventfd.size())} bytes, so
     * {@code eventfd.size()} (0: any size) is the authority on size. {@code eventfd} is the
     * region's registration, data in the device's byte order. (QEMU passes a section without a
     * region whose size is the ioeventfd's.)
     *
     * @param section the section concerned
     * @param eventfd the region's registration, data in the device's byte order
     */
    default void eventfdAdd(MemoryRegionSection section, IoEventFd eventfd) {
    }

    /**
     * An ioeventfd no longer applies (forward; QEMU 7.2's inversion). Arguments as {@link #eventfdAdd}.
     *
     * @param section the section concerned
     * @param eventfd the region's registration, data in the device's byte order
     */
    default void eventfdDel(MemoryRegionSection section, IoEventFd eventfd) {
    }

    /**
     * {@code range} (absolute addresses) of {@code section} is coalesced MMIO (forward): after
     * {@link #regionAdd} in a commit, or at once from {@link org.guestmem.MemoryRegion#addCoalescing} /
     * {@link org.guestmem.MemoryRegion#setCoalescing}. QEMU passes {@code range.start()} and its size.
     *
     * @param section the section showing the coalesced range
     * @param range   the addresses of the section that are coalesced
     */
    default void coalescedIoAdd(MemoryRegionSection section, AddrRange range) {
    }

    /**
     * {@code range} of {@code section} is no longer coalesced MMIO (reverse): before
     * {@link #regionDel} in a commit, or at once from {@link org.guestmem.MemoryRegion#clearCoalescing}.
     *
     * @param section the section that showed the coalesced range
     * @param range   the addresses that were coalesced
     */
    default void coalescedIoDel(MemoryRegionSection section, AddrRange range) {
    }

    /** {@return a name for diagnostics (the class's simple name, or its full name for anonymous classes and lambdas)} */
    default String name() {
        String simple = getClass().getSimpleName();
        return simple.isEmpty() ? getClass().getName() : simple;
    }
}
