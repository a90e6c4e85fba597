/**
 * guestmem: QEMU's guest memory API on the Foreign Function and Memory API.
 *
 * <p>{@code org.guestmem} holds the memory API (regions, address spaces, transactions, flat
 * views, the access path), {@code org.guestmem.rcu} the RCU domain, {@code org.guestmem.tlb} the
 * softmmu TLB a JIT's generated code probes inline, {@code org.guestmem.mtree}
 * QEMU's {@code info mtree} printing and the importer of QEMU's dumps. Everything under
 * {@code org.guestmem.internal} and {@code org.guestmem.cli} is implementation.
 */
module org.guestmem {
    requires transitive org.guestmem.layout;
    requires org.jctools.core;

    exports org.guestmem;
    exports org.guestmem.rcu;
    exports org.guestmem.tlb;
    exports org.guestmem.mtree;
}
