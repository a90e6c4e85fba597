package org.guestmem.internal;

import java.lang.foreign.MemorySegment;
import org.guestmem.AddressSpace;
import org.guestmem.FlatView;
import org.guestmem.MemTxAttrs;
import org.guestmem.MemoryRegion;
import org.guestmem.rcu.RcuDomain;

/**
 * The state of the root package that the softmmu TLB ({@code org.guestmem.tlb}) needs and the
 * public API does not show: a view's tables and per-section arrays, QEMU's access path on one
 * view, and what an address space's system is configured with. Implemented once by the root
 * package and installed in {@link SharedSecrets} from {@code AddressSpace}'s static initialiser;
 * this package is not exported, so users of the library cannot reach it.
 */
public interface CoreAccess {
    /** {@return the space's current publication (acquire load)} */
    PublishedView publication(AddressSpace space);

    /** {@return the view's native tables as Java reads them} */
    DispatchTable dispatch(FlatView view);

    /** {@return the RAM block segment of section {@code s} (RAM, ROM, ROM device), or null} */
    MemorySegment sectionRam(FlatView view, int s);

    /** {@return the RAM block of section {@code s}, or null} */
    RamBlock sectionBlock(FlatView view, int s);

    /** {@return where non-direct accesses to section {@code s} go (its ops, or unassigned)} */
    MmioDispatcher sectionIo(FlatView view, int s);

    /**
     * QEMU's {@code address_space_ld*} on one view (the caller keeps it alive); the result bits
     * accumulate in {@code st}. {@return the value, zero-extended}
     */
    long load(FlatView view, long addr, int size, boolean bigEndian, MemTxAttrs attrs, IoStatus st);

    /**
     * QEMU's {@code address_space_st*} through {@code space} on its view {@code view}; the result
     * bits accumulate in {@code st}, which also says whether the store hit translated code.
     */
    void store(AddressSpace space, FlatView view, long addr, int size, long value, boolean bigEndian, MemTxAttrs attrs,
               IoStatus st);

    /** {@return the RCU domain of the space's system} */
    RcuDomain rcu(AddressSpace space);

    /** {@return an object that stands for the space's system: the same for spaces of one system} */
    Object system(AddressSpace space);

    /** {@return log2 of the target page size of the space's system} */
    int pageBits(AddressSpace space);

    /** {@return whether the space's system runs CPU threads' TLBs in checked mode} */
    boolean checkedAccess(AddressSpace space);

    /** {@return the registry of the live TLBs of the space's system (told about dirty-bit clears)} */
    TlbRegistry tlbs(AddressSpace space);

    /**
     * A store through {@code space} wrote {@code length} bytes at guest physical {@code addr},
     * which is {@code offset} in {@code region}, while the page's CODE bit was clean: tells the
     * system's code-write handler, if any. {@return whether the page still holds translated code
     * (its CODE bit must stay clean)}
     */
    boolean codeWritten(AddressSpace space, long addr, long length, MemoryRegion region, long offset);
}
