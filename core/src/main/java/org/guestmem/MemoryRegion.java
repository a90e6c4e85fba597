package org.guestmem;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.IdentityHashMap;
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
 * something QEMU re-renders for, the address spaces get new {@link FlatView}s when the outermost
 * transaction commits (at the end of the call when no transaction is open). Inside
 * {@link MemorySystem#begin()} the changes accumulate and become visible together.
 *
 * <h2 id="errors">Bad input</h2>
 * A mutator that rejects its arguments throws before changing anything: the region, its
 * container, its siblings and every published view stay as they were. Messages name the regions
 * and give addresses and sizes in hex.
 *
 * <h2 id="threading">Threading</h2>
 * Attributes are written only under the update lock. The getters are meant for the writer (the
 * thread holding the lock, or any thread while no other thread mutates); CPU threads never read
 * regions, only immutable {@link FlatView}s. {@link #name()}, {@link #owner()} and the kind are
 * final and safe to read from any thread.
 *
 * <h2 id="sizes">Sizes</h2>
 * Sizes follow QEMU's rule: a {@code long} holding an unsigned byte count, where
 * {@link #SIZE_2_64} ({@code UINT64_MAX}, {@code -1L}) stands for 2<sup>64</sup>. A region of
 * 2<sup>64</sup>-1 bytes therefore cannot be made, exactly as in QEMU; zero-sized regions are
 * rejected.
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
    /** The aliases of this region that are mapped (a subregion or an address-space root), one entry per mapping. */
    final ArrayList<AliasRegion> mappedAliases = new ArrayList<>(0);
    /** Sorted by descending priority; the newest of equal priority first (QEMU's list order). */
    final SubregionList subregions = new SubregionList();
    /** Explicit dirty-log requests per client (QEMU counts VGA requests in {@code vga_logging_count}). */
    final int[] logCounts = new int[DirtyLogClient.values().length];
    /** QEMU's {@code coalesced} list and {@code flush_coalesced_mmio} flag. */
    final CoalescedMmio coalescing = new CoalescedMmio(this);
    /**
     * Scratch of FlatView construction, written and read only by the writer under the update
     * lock: the {@link MemorySystem#nextViewMark()} of the view being built when this region was
     * first met, and its index among the view's distinct regions.
     */
    long viewMark;
    /** See {@link #viewMark}. */
    int viewIndex;
    /** QEMU's {@code ioeventfds}: sorted by {@link IoEventFd#before}; replaced whole, never modified. */
    IoEventFd[] ioeventfds = RegionEventFds.NONE;
    /**
     * {@link #explicitLogMask()} as of the last {@link #setLog}, readable from any thread: RAM
     * writes made outside the access path (DMA unmap) compute the effective mask from it.
     */
    volatile int explicitLogMaskVolatile;

    MemoryRegion(RegionContext context, Object owner, String name, long size) {
        this.context = context;
        this.owner = owner;
        this.name = name;
        this.sizeMinus1 = sizeMinusOne(size, name);
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
     * @param sub the region to add or remove
     * @param offset the offset within this region
     * @throws IllegalArgumentException if {@code sub} belongs to another system, already has a
     *                                  container, is this region or an ancestor of it (directly or
     *                                  through aliases), or would reach past 2<sup>64</sup>
     * @throws IllegalStateException    if either region was destroyed, or {@code sub} is an alias
     *                                  whose target was destroyed
     */
    public final void addSubregion(MemoryRegion sub, long offset) {
        mutate(() -> addSubregionLocked(sub, offset, 0, false));
    }

    /**
     * Adds {@code sub} at {@code offset} with {@code priority}, which orders it among its siblings
     * only (QEMU's {@code memory_region_add_subregion_overlap}). Among equal priorities the region
     * added last wins.
     *
     * @param sub the region to add or remove
     * @param offset the offset within this region
     * @param priority the priority among the siblings (ascending for listeners)
     * @throws IllegalArgumentException as {@link #addSubregion}
     * @throws IllegalStateException    as {@link #addSubregion}
     */
    public final void addSubregionOverlap(MemoryRegion sub, long offset, int priority) {
        mutate(() -> addSubregionLocked(sub, offset, priority, true));
    }

    /**
     * Removes {@code sub} from this region (QEMU's {@code memory_region_del_subregion}).
     *
     * @param sub the region to add or remove
     * @throws IllegalArgumentException if {@code sub} is not a subregion of this region
     */
    public final void removeSubregion(MemoryRegion sub) {
        Objects.requireNonNull(sub, "sub");
        mutate(() -> {
            checkAlive();
            if (sub.container != this) {
                throw new IllegalArgumentException("cannot remove " + describe(sub) + " from " + describe(this)
                        + ": it is not a subregion of it"
                        + (sub.container != null ? " (its container is " + describe(sub.container) + ")" : ""));
            }
            unlinkSubregion(sub);
        });
    }

    /**
     * Shows or hides this region and its subtree (QEMU's {@code memory_region_set_enabled}).
     *
     * @param value the new value
     */
    public final void setEnabled(boolean value) {
        mutate(() -> {
            checkAlive();
            if (enabled != value) {
                enabled = value;
                markUpdatePending();
            }
        });
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
        mutate(() -> {
            checkAlive();
            checkFits(address, sizeMinus1, "move " + describe(this) + " to " + Hex.of(address));
            if (address == addr) {
                return;
            }
            MemoryRegion c = container;
            if (c != null) {
                int prio = priority;
                boolean overlap = mayOverlap;
                c.unlinkSubregion(this);
                c.linkSubregion(this, address, prio, overlap);
            } else {
                addr = address;
            }
        });
    }

    /**
     * Sets the readonly flag (QEMU's {@code memory_region_set_readonly}); it propagates to every
     * range shown through this region, so a readonly alias makes RAM behind it appear as ROM.
     *
     * @param value the new value
     */
    public final void setReadonly(boolean value) {
        mutate(() -> {
            checkAlive();
            if (readonly != value) {
                readonly = value;
                if (enabled) {
                    markUpdatePending();
                }
            }
        });
    }

    /**
     * Sets the nonvolatile flag (QEMU's {@code memory_region_set_nonvolatile}); it propagates like readonly.
     *
     * @param value the new value
     */
    public final void setNonvolatile(boolean value) {
        mutate(() -> {
            checkAlive();
            if (nonvolatile != value) {
                nonvolatile = value;
                if (enabled) {
                    markUpdatePending();
                }
            }
        });
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
        mutate(() -> {
            checkAlive();
            long s1 = sizeMinusOne(size, name);
            checkResizable(s1);
            checkFits(addr, s1, "resize " + describe(this) + " to " + Hex.ofSizeMinusOne(s1));
            checkMappedAliasWindows(s1);
            if (s1 != sizeMinus1) {
                sizeMinus1 = s1;
                markUpdatePending();
            }
        });
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
        mutate(() -> {
            checkAlive();
            int c = client.ordinal();
            if (!log && logCounts[c] == 0) {
                throw new IllegalStateException("setLog(false, " + client + ") on " + describe(this)
                        + " without a matching setLog(true, " + client + ")");
            }
            int before = logCounts[c];
            logCounts[c] += log ? 1 : -1;
            explicitLogMaskVolatile = explicitLogMask();
            if ((before == 0) != (logCounts[c] == 0) && enabled) {
                markUpdatePending();
            }
        });
    }

    /** The clients requested through {@link #setLog}. */
    final int explicitLogMask() {
        int m = 0;
        for (int c = 0; c < logCounts.length; c++) {
            if (logCounts[c] > 0) {
                m |= 1 << c;
            }
        }
        return m;
    }

    // ------------------------------------------------------------------ ioeventfds

    /**
     * Registers an ioeventfd (QEMU's {@code memory_region_add_eventfd}): from now on a write of
     * {@code size} bytes (0: any size) at {@code offset} of this region, with value {@code data}
     * if {@code matchData}, signals {@code notifier} instead of reaching the device, and answers
     * {@link MemTxResult#OK}. {@code data} is given as the guest CPU stores it (in the target's
     * byte order) and kept in the device's byte order, truncated to {@code size} bytes: a 4-byte
     * store of {@code 0x1234} matches {@code data = 0x1234} whatever the device's endianness.
     *
     * <p>The write short-circuit (QEMU's TCG path, {@code memory_region_dispatch_write_eventfds})
     * applies to MMIO regions and ROM devices and takes effect at once, before this method
     * returns, on every thread; it runs after the access checks of the region's
     * {@link MemoryRegionOps} (a rejected write stays rejected) and before the device. Registrations
     * on other kinds are kept and reported to listeners but never short-circuit anything (writes to
     * RAM are direct; writes to ROM and reservations are rejected first), as in QEMU.
     *
     * <p>Listeners see the change as {@link org.guestmem.listener.MemoryListener#eventfdAdd} at the end of the
     * outermost transaction (at the end of this call outside one) if the region is enabled.
     * Registrations are kept sorted by offset, size, match flag, data and notifier, as QEMU's; the
     * same registration may be added twice.
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
        mutate(() -> {
            checkAlive();
            setEventfds(RegionEventFds.insert(ioeventfds, RegionEventFds.create(this, offset, size, matchData, data, notifier)));
        });
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
        mutate(() -> {
            checkAlive();
            setEventfds(RegionEventFds.remove(this, ioeventfds, RegionEventFds.create(this, offset, size, matchData, data, notifier)));
        });
    }

    /** {@return the region's ioeventfds in QEMU's sorted order (offsets region-relative, data in device order)} */
    public final List<IoEventFd> ioEventFds() {
        return List.of(ioeventfds);
    }

    private void setEventfds(IoEventFd[] next) {
        ioeventfds = next;
        MmioDispatcher io = dispatcher();
        if (io != null) {
            io.publishEventfds(next);
        }
        if (enabled) {
            context.mutations.markIoEventFdsPending();
        }
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
        lockedOpen("setCoalescing", () -> {
            checkAlive();
            coalescing.setWhole();
        });
    }

    /**
     * Adds {@code [offset, offset + size)} to the region's coalesced MMIO ranges (QEMU's
     * {@code memory_region_add_coalescing}) and sets the flush flag. Not a transaction: every
     * listener of every address space whose current view shows the region gets
     * {@link org.guestmem.listener.MemoryListener#coalescedIoAdd} (forward) at once, for the part of the new range each
     * of the region's flat ranges shows, in address-space creation order and address order.
     *
     * @param offset the first offset of the range within the region
     * @param size   the number of bytes, unsigned
     * @throws IllegalArgumentException if {@code size} is 0 or the range is not inside the region
     * @throws IllegalStateException    if the region was destroyed
     * @throws org.guestmem.listener.MemoryListenerException  if a listener threw (the range was added and every other
     *                                  listener called)
     */
    public final void addCoalescing(long offset, long size) {
        lockedOpen("addCoalescing", () -> {
            checkAlive();
            coalescing.addChecked(offset, size);
        });
    }

    /**
     * Removes every coalesced range (QEMU's {@code memory_region_clear_coalescing}): if there were
     * any, the flush flag is cleared and, range by range in insertion order, listeners get
     * {@link org.guestmem.listener.MemoryListener#coalescedIoDel} (reverse) as {@link #addCoalescing} describes.
     */
    public final void clearCoalescing() {
        lockedOpen("clearCoalescing", () -> {
            checkAlive();
            coalescing.clear();
        });
    }

    /**
     * Sets the flush flag (QEMU's {@code memory_region_set_flush_coalesced}): accesses to this
     * region must flush the coalesced MMIO buffer first. guestmem has no such buffer (it exists
     * only with KVM); the flag is bookkeeping for the embedder, see {@link #isFlushCoalesced()}.
     */
    public final void setFlushCoalesced() {
        lockedOpen("setFlushCoalesced", coalescing::setFlush);
    }

    /**
     * Clears the flush flag unless the region still has coalesced ranges (QEMU's
     * {@code memory_region_clear_flush_coalesced}).
     */
    public final void clearFlushCoalesced() {
        lockedOpen("clearFlushCoalesced", coalescing::clearFlush);
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
     * once no published view can reach it (see {@code docs/lifetimes.md}).
     *
     * @throws IllegalStateException if the region is still mapped (it has a container, or a mapped
     *                               alias shows it) or is the root of an address space
     */
    public final void destroy() {
        mutate(() -> {
            if (destroyed) {
                return;
            }
            if (container != null) {
                throw new IllegalStateException("cannot destroy " + describe(this) + ": it is still a subregion of "
                        + describe(container) + "; remove it first");
            }
            if (mappedViaAlias > 0) {
                throw new IllegalStateException("cannot destroy " + describe(this) + ": " + mappedViaAlias
                        + " mapped alias(es) still show it; remove them first");
            }
            if (addressSpaceRoots > 0) {
                throw new IllegalStateException("cannot destroy " + describe(this) + ": it is the root of "
                        + addressSpaceRoots + " address space(s); destroy them first");
            }
            for (MemoryRegion sub : List.copyOf(subregions)) {
                unlinkSubregion(sub);
            }
            coalescing.clear(); // QEMU's memory_region_finalize
            enabled = false;
            destroyed = true;
            onDestroy();
        });
    }

    // ------------------------------------------------------------------ internals (update lock held)

    /** Runs {@code change} as its own (possibly nested) transaction. */
    final void mutate(Runnable change) {
        context.mutations.mutate(change);
    }

    /** Records that the next outermost commit must re-render. */
    final void markUpdatePending() {
        context.mutations.markUpdatePending();
    }

    /** Runs {@code body} under the update lock, not as a transaction; the system must be open. */
    private void lockedOpen(String what, Runnable body) {
        context.lock.locked(what, () -> {
            context.lock.checkOpen();
            body.run();
        });
    }

    /** Kind-specific checks for {@link #setSize}. */
    void checkResizable(long newSizeMinus1) {
    }

    /** In a strict system, the windows of this region's mapped aliases must still fit it at the new size. */
    private void checkMappedAliasWindows(long newSizeMinus1) {
        if (context.lenientAliasWindows) {
            return;
        }
        for (AliasRegion a : mappedAliases) {
            long last = a.aliasOffset + a.sizeMinus1;
            if (Long.compareUnsigned(last, newSizeMinus1) > 0) {
                throw new IllegalArgumentException("cannot resize " + describe(this) + " to " + Hex.ofSizeMinusOne(newSizeMinus1)
                        + ": the window [" + Hex.of(a.aliasOffset) + ", +" + Hex.ofSizeMinusOne(a.sizeMinus1) + ") of mapped alias "
                        + describe(a) + " would no longer fit");
            }
        }
    }

    /** Kind-specific teardown, under the update lock, after the region was marked destroyed. */
    void onDestroy() {
    }

    final void checkAlive() {
        if (destroyed) {
            throw new IllegalStateException(describe(this) + " has been destroyed");
        }
    }

    private void addSubregionLocked(MemoryRegion sub, long offset, int prio, boolean overlap) {
        checkAlive();
        if (sub == null) {
            throw new NullPointerException("sub");
        }
        if (sub.context != context) {
            throw new IllegalArgumentException("cannot add " + describe(sub) + " to " + describe(this)
                    + ": they belong to different memory systems");
        }
        sub.checkAlive();
        if (sub.container != null) {
            throw new IllegalArgumentException("cannot add " + describe(sub) + " to " + describe(this) + " at "
                    + Hex.of(offset) + ": it is already a subregion of " + describe(sub.container) + " at "
                    + Hex.of(sub.addr));
        }
        if (sub == this || sub.reaches(this)) {
            throw new IllegalArgumentException("cannot add " + describe(sub) + " to " + describe(this)
                    + ": " + describe(this) + (sub == this ? " is the region itself" : " is reachable from it")
                    + ", which would make a cycle");
        }
        for (MemoryRegion a = sub; a instanceof AliasRegion alias; a = alias.target()) {
            if (alias.target().destroyed) {
                throw new IllegalStateException("cannot add " + describe(sub) + " to " + describe(this)
                        + ": alias " + describe(alias) + " targets " + describe(alias.target())
                        + ", which has been destroyed");
            }
        }
        if (Long.compareUnsigned(offset + sub.sizeMinus1, offset) < 0) { // the message only when it fails
            checkFits(offset, sub.sizeMinus1, "add " + describe(sub) + " to " + describe(this) + " at " + Hex.of(offset));
        }
        if (sub instanceof AliasRegion alias) {
            alias.checkWindowStillFits("add " + describe(sub) + " to " + describe(this));
        }
        linkSubregion(sub, offset, prio, overlap);
    }

    /** Whether {@code other} is this region or lies below it, following subregions and alias targets. */
    final boolean reaches(MemoryRegion other) {
        if (subregions.isEmpty() && !(this instanceof AliasRegion)) {
            return this == other; // a leaf: no walk (importers add many)
        }
        ArrayList<MemoryRegion> stack = new ArrayList<>();
        IdentityHashMap<MemoryRegion, Boolean> seen = new IdentityHashMap<>();
        stack.add(this);
        while (!stack.isEmpty()) {
            MemoryRegion r = stack.removeLast();
            if (r == other) {
                return true;
            }
            if (seen.put(r, Boolean.TRUE) != null) {
                continue;
            }
            stack.addAll(r.subregions);
            if (r instanceof AliasRegion a) {
                stack.add(a.target());
            }
        }
        return false;
    }

    /** QEMU's insertion: before the first sibling whose priority is {@code <=} the new one. */
    final void linkSubregion(MemoryRegion sub, long offset, int prio, boolean overlap) {
        sub.container = this;
        sub.addr = offset;
        sub.priority = prio;
        sub.mayOverlap = overlap;
        int lo = 0;
        int hi = subregions.size();
        while (lo < hi) { // the first sibling whose priority is <= prio
            int mid = (lo + hi) >>> 1;
            if (subregions.get(mid).priority > prio) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        subregions.add(lo, sub);
        for (MemoryRegion a = sub; a instanceof AliasRegion alias; a = alias.target()) {
            alias.target().mappedViaAlias++;
        }
        if (sub instanceof AliasRegion alias) {
            alias.target().mappedAliases.add(alias);
        }
        if (enabled && sub.enabled) {
            markUpdatePending();
        }
    }

    final void unlinkSubregion(MemoryRegion sub) {
        subregions.remove(sub);
        sub.container = null;
        for (MemoryRegion a = sub; a instanceof AliasRegion alias; a = alias.target()) {
            alias.target().mappedViaAlias--;
        }
        if (sub instanceof AliasRegion alias) {
            alias.target().mappedAliases.remove(alias);
        }
        if (enabled && sub.enabled) {
            markUpdatePending();
        }
    }

    static void checkFits(long offset, long sizeMinus1, String what) {
        if (Long.compareUnsigned(offset + sizeMinus1, offset) < 0) {
            throw new IllegalArgumentException("cannot " + what + ": [" + Hex.of(offset) + ", +"
                    + Hex.ofSizeMinusOne(sizeMinus1) + ") reaches past 2^64");
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
        if (bytes.signum() <= 0) {
            throw new IllegalArgumentException("region size must be at least 1 byte, got " + Hex.of(bytes));
        }
        BigInteger max = BigInteger.ONE.shiftLeft(64);
        int c = bytes.compareTo(max);
        if (c > 0) {
            throw new IllegalArgumentException("region size " + Hex.of(bytes) + " is above 2^64");
        }
        if (c == 0) {
            return SIZE_2_64;
        }
        if (bytes.equals(max.subtract(BigInteger.ONE))) {
            throw new IllegalArgumentException("region size " + Hex.of(bytes)
                    + " cannot be expressed: as in QEMU, UINT64_MAX means 2^64");
        }
        return bytes.longValue();
    }

    /** Converts a QEMU-style size to size-1, rejecting 0. */
    static long sizeMinusOne(long size, String name) {
        if (size == 0) {
            throw new IllegalArgumentException("region '" + name + "': size must be at least 1 byte, got 0x0");
        }
        return size == SIZE_2_64 ? -1L : size - 1;
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
