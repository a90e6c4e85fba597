/**
 * guestmem: QEMU's guest memory API on the Foreign Function and Memory API.
 *
 * <p>{@code org.guestmem} holds the core nouns (the memory system, regions, address spaces,
 * transactions, flat views, the access path and DMA), {@code org.guestmem.dirty} dirty-memory
 * tracking, {@code org.guestmem.iommu} the IOMMU model API, {@code org.guestmem.listener} memory
 * listeners, ioeventfds and coalesced MMIO ranges, {@code org.guestmem.rcu} the RCU domain,
 * {@code org.guestmem.tlb} the softmmu TLB a JIT's generated code probes inline, and
 * {@code org.guestmem.mtree} QEMU's {@code info mtree} printing and the importer of QEMU's dumps.
 * Everything under {@code org.guestmem.internal} is implementation and not exported.
 */
module org.guestmem {
    requires transitive org.guestmem.layout;
    requires org.jctools.core;

    exports org.guestmem;
    exports org.guestmem.dirty;
    exports org.guestmem.iommu;
    exports org.guestmem.listener;
    exports org.guestmem.rcu;
    exports org.guestmem.tlb;
    exports org.guestmem.mtree;
}
