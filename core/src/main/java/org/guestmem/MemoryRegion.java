package org.guestmem;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.guestmem.dirty.DirtyLogClient;
import org.guestmem.internal.Hex;
import org.guestmem.internal.MmioDispatcher;
import org.guestmem.listener.CoalescedRange;
import org.guestmem.listener.EventNotifier;
import org.guestmem.listener.IoEventFd;

/**
 * A node of a machine's memory map, QEMU's {@code MemoryRegion}: a container, RAM, ROM, MMIO, ROM
 * device, alias, reservation or IOMMU, with a size, an address within its container, a priority among
 * its siblings and the flags that rendering propagates (enabled, readonly, nonvolatile).
 *
 * <p>Regions are created by a {@link MemorySystem} (or a {@link RegionFactory} bound to an owner)
 * and belong to it for life. The kinds form a sealed hierarchy; rendering and printing switch over
 * it exhaustively.
 *
 * <h2 id="mutation">Mutation and transactions</h2>
 * Every mutator takes the system's update lock and behaves as its own transaction: if it changes
 * something QEMU re-renders for, the address spaces whose view it changes get new {@link FlatView}s
 * when the outermost transaction commits (at the end of the call when no transaction is open). Inside
 * {@link MemorySystem#begin()} the changes accumulate and become visible together.
 *
 * <h2 id="errors">Bad input</h2>
 * A mutator that rejects its arguments throws before changing anything: the region, its
 * container, its siblings and every published view stay as they were. Messages name the regions
 * and give addresses and sizes in hex. A change the renderer refuses at commit (an alias that
 * shows itself inside its own window, see {@link AliasRegion}) is rolled back with its whole
 * transaction: outside a transaction the mutator throws {@link AliasLoopException} and changed
 * nothing (see {@link MemoryTransaction} for a transaction).
 *
 * <h2 id="threading">Threading</h2>
 * Attributes are written only under the update lock. The getters are meant for the writer (the
 * thread holding the lock, or any thread while no other thread mutates); CPU threads never read
 * regions, only immutable {@link FlatView}s. {@link #name()}, {@link #owner()} and the kind are
 * final and safe to read from any thread.
 *
 * <p>Sizes are QEMU's: a {@code long} holding an unsigned byte count, {@link #SIZE_2_64} for
 * 2<sup>64</sup> (so 2<sup>64</sup>-1 bytes cannot be expressed, as in QEMU); 0 is rejected.
 */
public abstract sealed class MemoryRegion
        permits ContainerRegion, RamBackedRegion, MmioRegion, AliasRegion, ReservationRegion, IommuRegion {

    /** The size argument that means 2<sup>64</sup> bytes: QEMU's {@code UINT64_MAX}. */
    public static final long SIZE_2_64 = -1L;

    /** The system's configuration, lock, dirty log and the narrow ways up to it. */
    final RegionContext context;
    private final String name;
    private final Object owner;

    // ---- guarded by system's update lock ----
    long sizeMinus1;
    long addr;
    int priority;
    boolean mayOverlap;
    boolean enabled = true;
    boolean readonly;
    boolean nonvolatile;
    boolean destroyed;
    MemoryRegion container;
    /** How many aliases (directly or through alias chains) that are subregions show this region. */
    int mappedViaAlias;
    /** How many address spaces have this region as their root (directly or at the end of an alias chain). */
    int addressSpaceRoots;
    /** How many address spaces have exactly this region as their root. */
    int directRoots;
    /** The aliases of this region that are mapped (a subregion or an address-space root), one entry per mapping. */
    final ArrayList<AliasRegion> mappedAliases = new ArrayList<>(0);
    /** Sorted by descending priority; the newest of equal priority first (QEMU's list order). */
    final SubregionList subregions = new SubregionList();
    /** Explicit dirty-log requests per client (QEMU counts VGA requests in {@code vga_logging_count}). */
    final int[] logCounts = new int[DirtyLogClient.values().length];
    /** QEMU's {@code coalesced} list and {@code flush_coalesced_mmio} flag. */
    final CoalescedMmio coalescing = new CoalescedMmio(this);
    /** Scratch of FlatView construction (writer only): the mark of the view last built and this region's index in it. */
    long viewMark;
    int viewIndex;
    /** QEMU's {@code ioeventfds}: sorted by {@link IoEventFd#before}; replaced whole, never modified. */
    IoEventFd[] ioeventfds = RegionEventFds.NONE;
    /**
     * The mask of the clients requested with {@link #setLog} ({@link LogRequests}), readable from any
     * thread: RAM writes made outside the access path (DMA unmap) compute the effective mask from it.
     */
    volatile int explicitLogMaskVolatile;

    MemoryRegion(RegionContext context, Object owner, String name, long size) {
        this.context = context;
        this.owner = owner;
        this.name = name;
        this.sizeMinus1 = RegionExtent.sizeMinusOne(size, name);
    }

    // ------------------------------------------------------------------ queries

    /** {@return the name as given, or null for an anonymous region (printed {@code (null)})} */
    public final String name() {
        return name;
    }

    /** {@return the object this region belongs to, or null} */
    public final Object owner() {
        return owner;
    }

    /** {@return the size with QEMU's encoding: {@link #SIZE_2_64} for 2<sup>64</sup>} */
    public final long size() {
        return sizeMinus1 + 1 == 0 ? SIZE_2_64 : sizeMinus1 + 1;
    }

    /** {@return the size minus one, an unsigned value; exact for every size up to 2<sup>64</sup>} */
    public final long sizeMinusOne() {
        return sizeMinus1;
    }

    /** {@return the address of this region within its container (or of a root within its space)} */
    public final long address() {
        return addr;
    }

    /** {@return {@code [address, address + size - 1]}} */
    public final AddrRange range() {
        return new AddrRange(addr, addr + sizeMinus1);
    }

    /** {@return the priority among its siblings (0 when added with {@link #addSubregion})} */
    public final int priority() {
        return priority;
    }

    /** {@return whether the region was added with {@link #addSubregionOverlap} (QEMU before 2.x kept this flag)} */
    public final boolean mayOverlap() {
        return mayOverlap;
    }

    /** {@return whether the region is enabled; a disabled region hides its whole subtree} */
    public final boolean isEnabled() {
        return enabled;
    }

    /** {@return the region's own readonly flag (rendering ORs it along the path)} */
    public final boolean isReadonly() {
        return readonly;
    }

    /** {@return the region's own nonvolatile flag (rendering ORs it along the path)} */
    public final boolean isNonvolatile() {
        return nonvolatile;
    }

    /** {@return whether {@link #destroy()} was called} */
    public final boolean isDestroyed() {
        return destroyed;
    }

    /** {@return the container this region is a subregion of, if any} */
    public final Optional<MemoryRegion> container() {
        return Optional.ofNullable(container);
    }

    /**
     * {@return whether the region is mapped: it has a container or an alias that is a subregion
     * shows it (QEMU's {@code memory_region_is_mapped})}
     */
    public final boolean isMapped() {
        return container != null || mappedViaAlias > 0;
    }

    /** {@return a snapshot of the subregions in QEMU's list order: descending priority, newest first} */
    public final List<MemoryRegion> subregions() {
        return List.copyOf(subregions);
    }

    /**
     * {@return the dirty-log clients this region logs for now (QEMU's
     * {@code memory_region_get_dirty_log_mask}): the clients requested with {@link #setLog}, plus
     * MIGRATION while global dirty tracking is on (regions backed by a RAM block, and IOMMUs), plus
     * CODE when the system tracks code (regions backed by a RAM block), as an unmodifiable set}
     * Safe from any thread; allocates nothing.
     */
    public final Set<DirtyLogClient> dirtyLogClients() {
        return DirtyLogClient.setOf(logMask());
    }

    /** {@link #dirtyLogClients()} as a mask of {@link DirtyLogClient#bit()}s. Any thread. */
    final int logMask() {
        return context.dirtyLog.logMask(this);
    }

    /**
     * {@return whether the region ends a rendering walk (QEMU's {@code terminates}): RAM, ROM,
     * MMIO, ROM devices, reservations and IOMMUs do, containers and aliases do not}
     */
    public abstract boolean terminates();

    /**
     * {@return QEMU's romd flag: false only for a {@link RomDeviceRegion} switched out of romd mode}
     */
    public boolean isRomdMode() {
        return true;
    }

    // ------------------------------------------------------------------ mutators

    /**
     * Adds {@code sub} at {@code offset} with priority 0 (QEMU's {@code memory_region_add_subregion}).
     *
     * <p>{@code sub} may be an alias of this region or of an ancestor of it, as in QEMU: rendering
     * shows its window, which ends the recursion. If the window contains the alias itself (its
     * rendering would not end), the commit refuses the change and rolls it back.
     *
     * @param sub the region to add
     * @param offset the offset within this region
     * @throws IllegalArgumentException if {@code sub} belongs to another system, already has a
     *                                  container, is this region or an ancestor of it through
     *                                  containers, or would reach past 2<sup>64</sup>; or if the
     *                                  commit refused it (an alias showing itself)
     * @throws IllegalStateException    if either region was destroyed, or {@code sub} is an alias
     *                                  whose target was destroyed
     */
    public final void addSubregion(MemoryRegion sub, long offset) {
        mutate(() -> SubregionLinks.add(this, sub, offset, 0, false));
    }

    /**
     * Adds {@code sub} at {@code offset} with {@code priority}, which orders it among its siblings
     * only (QEMU's {@code memory_region_add_subregion_overlap}). Among equal priorities the region
     * added last wins.
     *
     * @param sub the region to add
     * @param offset the offset within this region
     * @param priority the priority among the siblings (ascending for listeners)
     * @throws IllegalArgumentException as {@link #addSubregion}
     * @throws IllegalStateException    as {@link #addSubregion}
     */
    public final void addSubregionOverlap(MemoryRegion sub, long offset, int priority) {
        mutate(() -> SubregionLinks.add(this, sub, offset, priority, true));
    }

    /**
     * Removes {@code sub} from this region (QEMU's {@code memory_region_del_subregion}).
     *
     * @param sub the region to remove
     * @throws IllegalArgumentException if {@code sub} is not a subregion of this region
     */
    public final void removeSubregion(MemoryRegion sub) {
        Objects.requireNonNull(sub, "sub");
        mutate(() -> SubregionLinks.remove(this, sub));
    }

    /**
     * Shows or hides this region and its subtree (QEMU's {@code memory_region_set_enabled}).
     *
     * @param value the new value
     */
    public final void setEnabled(boolean value) {
        mutate(() -> RegionFlags.setEnabled(this, value));
    }

    /**
     * Moves the region within its container (QEMU's {@code memory_region_set_address}). A mapped
     * region is removed and added again, so it becomes the newest among its equal-priority
     * siblings, as in QEMU.
     *
     * <p>On a region without a container the address is only recorded, as in QEMU 7.2, and
     * nothing is re-rendered: it matters where the region is an address space's flatview root
     * (rendering adds the root's own address) and where {@code info mtree} prints its
     * {@code memory-region:} block, and it shows at the next commit that re-renders.
     *
     * @param address the new address within the container
     * @throws IllegalArgumentException if the region would reach past 2<sup>64</sup>
     */
    public final void setAddress(long address) {
        mutate(() -> SubregionLinks.move(this, address));
    }

    /**
     * Sets the readonly flag (QEMU's {@code memory_region_set_readonly}); it propagates to every
     * range shown through this region, so a readonly alias makes RAM behind it appear as ROM.
     *
     * @param value the new value
     */
    public final void setReadonly(boolean value) {
        mutate(() -> RegionFlags.setReadonly(this, value));
    }

    /**
     * Sets the nonvolatile flag (QEMU's {@code memory_region_set_nonvolatile}); it propagates like readonly.
     *
     * @param value the new value
     */
    public final void setNonvolatile(boolean value) {
        mutate(() -> RegionFlags.setNonvolatile(this, value));
    }

    /**
     * Resizes the region (QEMU's {@code memory_region_set_size}); {@link #SIZE_2_64} means
     * 2<sup>64</sup>.
     *
     * @param size the size, {@link #SIZE_2_64} for 2<sup>64</sup>
     * @throws IllegalArgumentException if {@code size} is 0, the region would reach past
     *                                  2<sup>64</sup> within its container, the region is RAM
     *                                  (its block has a fixed size), or it is an alias whose
     *                                  window would no longer fit its target
     */
    public final void setSize(long size) {
        mutate(() -> RegionExtent.resize(this, size));
    }

    /**
     * Starts or stops dirty logging of this region for {@code client} (QEMU's
     * {@code memory_region_set_log}). Requests are counted: logging stops when every request was
     * withdrawn. When logging starts or stops for the client (the count crosses 0 and 1) and the
     * region is enabled, the views are re-rendered, and listeners get {@code logStart} /
     * {@code logStop} for its ranges. QEMU accepts only VGA here; guestmem accepts every client.
     *
     * @param log true to start logging, false to withdraw a request
     * @param client the dirty-log client
     * @throws IllegalStateException if {@code log} is false and no request is outstanding
     */
    public final void setLog(boolean log, DirtyLogClient client) {
        mutate(() -> LogRequests.change(this, log, client));
    }

    // ------------------------------------------------------------------ ioeventfds

    /**
     * Registers an ioeventfd (QEMU's {@code memory_region_add_eventfd}): from now on a write of
     * {@code size} bytes (0: any size) at {@code offset} of this region, with value {@code data}
     * if {@code matchData}, signals {@code notifier} instead of reaching the device, and answers
     * {@link MemTxResult#OK}. {@code data} is given as the guest CPU stores it (in the target's
     * byte order) and kept in the device's byte order, truncated to {@code size} bytes: a 4-byte
     * store of {@code 0x1234} matches {@code data = 0x1234} whatever the device's endianness.
     * The short-circuit takes effect at once, on every thread, for MMIO regions and ROM devices
     * only; listeners see {@link org.guestmem.listener.MemoryListener#eventfdAdd} at the end of the
     * outermost transaction if the region is enabled; the same registration may be added twice
     * (the details in {@link IoEventFd}).
     *
     * @param offset the offset within this region
     * @param size the access size: 0 (any), 1, 2, 4 or 8
     * @param matchData whether only writes of {@code data} match
     * @param data the value to match, as the CPU stores it (target byte order)
     * @param notifier what a matching write signals
     * @throws IllegalArgumentException if {@code size} is not 0, 1, 2, 4 or 8, or the bytes do not
     *                                  lie inside the region
     * @throws IllegalStateException    if the region was destroyed
     */
    public final void addEventfd(long offset, int size, boolean matchData, long data, EventNotifier notifier) {
        mutate(() -> RegionEventFds.add(this, offset, size, matchData, data, notifier));
    }

    /**
     * Removes an ioeventfd (QEMU's {@code memory_region_del_eventfd}): the first registration
     * equal to the arguments in QEMU's sense (same offset, and either size is 0, or same size,
     * match flag, data when matching, and the same notifier) is removed; {@code data} is converted
     * like {@link #addEventfd} does. Listeners see {@link org.guestmem.listener.MemoryListener#eventfdDel} as for
     * {@link #addEventfd}.
     *
     * @param offset the offset within this region
     * @param size the access size: 0 (any), 1, 2, 4 or 8
     * @param matchData whether only writes of {@code data} match
     * @param data the value to match, as the CPU stores it (target byte order)
     * @param notifier what a matching write signals
     * @throws IllegalArgumentException if no registration matches (QEMU asserts), or the arguments
     *                                  are invalid as for {@link #addEventfd}
     */
    public final void delEventfd(long offset, int size, boolean matchData, long data, EventNotifier notifier) {
        mutate(() -> RegionEventFds.delete(this, offset, size, matchData, data, notifier));
    }

    /** {@return the region's ioeventfds in QEMU's sorted order (offsets region-relative, data in device order)} */
    public final List<IoEventFd> ioEventFds() {
        return List.of(ioeventfds);
    }

    /** The dispatcher whose writes ioeventfds short-circuit: MMIO regions and ROM devices; null otherwise. */
    MmioDispatcher dispatcher() {
        return null;
    }

    // ------------------------------------------------------------------ coalesced MMIO

    /**
     * Makes the whole region coalesced MMIO (QEMU's {@code memory_region_set_coalescing}):
     * {@link #clearCoalescing()}, then {@link #addCoalescing addCoalescing(0, size)}.
     *
     * @throws IllegalStateException if the region is 2<sup>64</sup> bytes long (QEMU asserts) or destroyed
     */
    public final void setCoalescing() {
        lockedAlive("setCoalescing", coalescing::setWhole);
    }

    /**
     * Adds {@code [offset, offset + size)} to the region's coalesced MMIO ranges (QEMU's
     * {@code memory_region_add_coalescing}) and sets the flush flag. Not a transaction: listeners
     * are told at once ({@link CoalescedRange} says which and in what order).
     *
     * @param offset the first offset of the range within the region
     * @param size   the number of bytes, unsigned
     * @throws IllegalArgumentException if {@code size} is 0 or the range is not inside the region
     * @throws IllegalStateException    if the region was destroyed
     * @throws org.guestmem.listener.MemoryListenerException  if a listener threw (the range was added and every other
     *                                  listener called)
     */
    public final void addCoalescing(long offset, long size) {
        lockedAlive("addCoalescing", () -> coalescing.addChecked(offset, size));
    }

    /**
     * Removes every coalesced range (QEMU's {@code memory_region_clear_coalescing}): if there were
     * any, the flush flag is cleared and listeners are told at once, range by range in insertion
     * order ({@link CoalescedRange}).
     */
    public final void clearCoalescing() {
        lockedAlive("clearCoalescing", coalescing::clear);
    }

    /**
     * Sets the flush flag (QEMU's {@code memory_region_set_flush_coalesced}): accesses to this
     * region must flush the coalesced MMIO buffer first. guestmem has no such buffer (it exists
     * only with KVM); the flag is bookkeeping for the embedder, see {@link #isFlushCoalesced()}.
     */
    public final void setFlushCoalesced() {
        context.lock.lockedOpen("setFlushCoalesced", coalescing::setFlush);
    }

    /**
     * Clears the flush flag unless the region still has coalesced ranges (QEMU's
     * {@code memory_region_clear_flush_coalesced}).
     */
    public final void clearFlushCoalesced() {
        context.lock.lockedOpen("clearFlushCoalesced", coalescing::clearFlush);
    }

    /** {@return QEMU's {@code flush_coalesced_mmio} flag} */
    public final boolean isFlushCoalesced() {
        return coalescing.flush();
    }

    /** {@return the coalesced ranges, insertion order} */
    public final List<CoalescedRange> coalescing() {
        return List.copyOf(coalescing.ranges());
    }

    /**
     * Destroys the region, QEMU's {@code object_unparent}: its subregions are removed (and may be
     * added elsewhere), it can no longer be changed or mapped, and its backing memory is returned
     * once no published view can reach it (see {@code docs/lifetimes.md}). Inside a transaction the
     * irreversible part (the RAM block's reference dropped, the coalesced ranges cleared) waits
     * for the outermost commit, so that a failed commit can bring the region back.
     *
     * @throws IllegalStateException if the region is still mapped (it has a container, or a mapped
     *                               alias shows it) or is the root of an address space
     */
    public final void destroy() {
        mutate(() -> RegionDestruction.destroy(this));
    }

    // ------------------------------------------------------------------ internals (update lock held)

    /** Runs {@code change} as its own (possibly nested) transaction. */
    final void mutate(Runnable change) {
        context.mutations.mutate(change);
    }

    /**
     * Records that the next outermost commit must re-render where this region can show, as it is
     * now (see {@link ChangedExtents}): called after a change, and before it too when the change
     * moves or shrinks what the region covers.
     */
    final void markUpdatePending() {
        context.mutations.markUpdatePending(this);
    }

    /** Records how to undo the change about to be made (see {@link UndoLog}). */
    final void recordUndo(Runnable inverse) {
        context.mutations.recordUndo(inverse);
    }

    /** Runs {@code body} under the update lock, not as a transaction; the system must be open, the region alive. */
    private void lockedAlive(String what, Runnable body) {
        context.lock.lockedOpen(what, () -> {
            checkAlive();
            body.run();
        });
    }

    /** Kind-specific checks for {@link #setSize}. */
    void checkResizable(long newSizeMinus1) {
    }

    /** Kind-specific teardown, under the update lock, once the commit that destroyed the region succeeded. */
    void onDestroy() {
    }

    final void checkAlive() {
        if (destroyed) {
            throw new IllegalStateException(describe(this) + " has been destroyed");
        }
    }

    /**
     * {@return the {@code long} size argument for a byte count given as a number}
     * 2<sup>64</sup> becomes {@link #SIZE_2_64}.
     *
     * @param bytes the size as a number of bytes
     * @throws IllegalArgumentException if {@code bytes} is 0 or negative, above 2<sup>64</sup>, or
     *                                  exactly 2<sup>64</sup>-1 (QEMU reads {@code UINT64_MAX} as
     *                                  2<sup>64</sup>, so that size cannot be expressed)
     */
    public static long encodeSize(BigInteger bytes) {
        return RegionExtent.encodeSize(bytes);
    }

    static String describe(MemoryRegion r) {
        if (r == null) {
            return "null";
        }
        return "region '" + r.name + "'";
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "['" + name + "' " + Hex.of(addr) + " size "
                + Hex.ofSizeMinusOne(sizeMinus1) + " prio " + priority + (enabled ? "" : " disabled")
                + (destroyed ? " destroyed" : "") + "]";
    }
}
