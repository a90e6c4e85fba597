package org.guestmem.tlb;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.guestmem.AddressSpace;
import org.guestmem.internal.CoreAccess;
import org.guestmem.internal.SharedSecrets;
import org.guestmem.layout.TlbLayout;
import org.guestmem.rcu.RcuReader;

/**
 * Configures a {@link Tlb}: its MMU indexes (each an address space and, optionally, the
 * emulator's {@link PageMapper}), the entries per index and the listener. Not thread-safe;
 * {@link #build()} runs on the reader's thread.
 *
 * <h2 id="size">Entries per index</h2>
 * A power of two from 2<sup>6</sup> to 2<sup>20</sup>, default 2<sup>12</sup> (16 MiB of 4 KiB
 * pages, 128 KiB of table per index: QEMU's tables grow to about that for busy guests, and it fits
 * the L2 cache). A page's entry is at its direct index (the low bits of its page number, QEMU's
 * index) or, once a fill evicted it from there, at its second index (the number with its high bits
 * folded in): a workload that touches N pages at random wants about 2N entries, so that its pages
 * do not compete for both ({@code docs/jit.md} has the refill counts of the peer workloads); a table of 1 MiB or more is backed by
 * transparent huge pages where the system offers them, so that probing it costs few host TLB misses.
 */
public final class TlbBuilder {
    private final RcuReader reader;
    private final List<AddressSpace> spaces = new ArrayList<>();
    private final List<PageMapper> mappers = new ArrayList<>();
    private int entries = 1 << 12;
    private TlbListener listener;

    TlbBuilder(RcuReader reader) {
        this.reader = reader;
    }

    /**
     * Adds an identity MMU index (the next number, from 0): guest addresses are {@code space}'s
     * addresses, with every permission (QEMU's physical-addressing {@code mmu_idx}).
     *
     * @param space the address space
     * @return this builder
     */
    public TlbBuilder index(AddressSpace space) {
        return add(space, null);
    }

    /**
     * Adds an MMU index whose guest addresses {@code mapper} translates to {@code space}'s.
     *
     * @param space  the address space the mapped addresses are in
     * @param mapper the emulator's page walk
     * @return this builder
     */
    public TlbBuilder index(AddressSpace space, PageMapper mapper) {
        return add(space, Objects.requireNonNull(mapper, "mapper"));
    }

    private TlbBuilder add(AddressSpace space, PageMapper mapper) {
        Objects.requireNonNull(space, "space");
        if (spaces.size() == TlbLayout.MAX_MMU_INDEXES) {
            throw new IllegalArgumentException("a TLB has at most " + TlbLayout.MAX_MMU_INDEXES + " MMU indexes");
        }
        spaces.add(space);
        mappers.add(mapper);
        return this;
    }

    /**
     * Sets the entries per index.
     *
     * @param value the entries per index
     * @return this builder
     * @throws IllegalArgumentException unless a power of two from 2^6 to 2^20
     */
    public TlbBuilder entries(int value) {
        if (value < (1 << 6) || value > (1 << 20) || Integer.bitCount(value) != 1) {
            throw new IllegalArgumentException("TLB entries per index must be a power of two from 64 to 2^20, got " + value);
        }
        this.entries = value;
        return this;
    }

    /**
     * Sets the listener told what commits changed.
     *
     * @param value the listener (null: none)
     * @return this builder
     */
    public TlbBuilder listener(TlbListener value) {
        this.listener = value;
        return this;
    }

    /**
     * {@return the TLB, registered with the reader and the memory system} If the reader is inside a
     * protected stretch, the TLB is revalidated and armed at once.
     *
     * @throws WrongThreadException     if not called on the reader's thread
     * @throws IllegalArgumentException if there is no index, or an address space belongs to another
     *                                  memory system than another index's or the reader's domain
     * @throws IllegalStateException    if an address space was destroyed
     */
    public Tlb build() {
        if (Thread.currentThread() != reader.thread()) {
            throw new WrongThreadException("a TLB for the reader of thread '" + reader.thread().getName()
                    + "' must be built on that thread, not on '" + Thread.currentThread().getName() + "'");
        }
        if (spaces.isEmpty()) {
            throw new IllegalArgumentException("a TLB needs at least one MMU index");
        }
        CoreAccess core = SharedSecrets.coreAccess();
        AddressSpace first = spaces.getFirst();
        if (reader.domain() != core.rcu(first)) {
            throw new IllegalArgumentException("the reader of thread '" + reader.thread().getName()
                    + "' is registered with another memory system's RCU domain than address space '" + first.name() + "'");
        }
        MmuIndex[] indexes = new MmuIndex[spaces.size()];
        for (int k = 0; k < indexes.length; k++) {
            AddressSpace as = spaces.get(k);
            if (core.system(as) != core.system(first)) {
                throw new IllegalArgumentException("MMU index " + k + ": address space '" + as.name()
                        + "' belongs to another memory system than index 0's ('" + first.name() + "')");
            }
            if (as.isDestroyed()) {
                throw new IllegalStateException("MMU index " + k + ": address space '" + as.name() + "' was destroyed");
            }
            indexes[k] = new MmuIndex(k, as, mappers.get(k));
        }
        return new Tlb(reader, indexes, Integer.numberOfTrailingZeros(entries), listener, core.checkedAccess(first));
    }
}
