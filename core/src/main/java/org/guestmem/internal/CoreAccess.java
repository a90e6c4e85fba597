package org.guestmem.internal;

import java.lang.foreign.MemorySegment;
import java.util.Objects;
import org.guestmem.AddressSpace;
import org.guestmem.FlatView;
import org.guestmem.MemTxAttrs;
import org.guestmem.MemoryRegion;
import org.guestmem.MemorySystem;

/**
 * The state of the root package that feature packages (the softmmu TLB of {@code org.guestmem.tlb})
 * need and the public API does not show, in the pattern of the JDK's {@code SharedSecrets}: the
 * root package installs the one implementation from {@code AddressSpace}'s static initialiser, and
 * a feature package fetches it with {@link #get()} once it holds an {@code AddressSpace} (so the
 * class is initialised). This package is not exported: users of the library cannot reach it.
 */
public abstract class CoreAccess {
    private static volatile CoreAccess instance;

    /** For the one implementation. */
    protected CoreAccess() {
    }

    /**
     * Installs the implementation; called once, by {@code AddressSpace}'s static initialiser.
     *
     * @param access the implementation
     */
    public static void install(CoreAccess access) {
        instance = Objects.requireNonNull(access, "access");
    }

    /** {@return the implementation} Callers hold an {@code AddressSpace}, so it is installed. */
    public static CoreAccess get() {
        CoreAccess a = instance;
        if (a == null) {
            throw new IllegalStateException("org.guestmem.AddressSpace is not initialised yet");
        }
        return a;
    }

    /** {@return the space's current publication (acquire load)} */
    public abstract PublishedView publication(AddressSpace space);

    /** {@return the view's native tables as Java reads them} */
    public abstract DispatchTable dispatch(FlatView view);

    /** {@return the RAM block segment of section {@code s} (RAM, ROM, ROM device), or null} */
    public abstract MemorySegment sectionRam(FlatView view, int s);

    /** {@return the RAM block of section {@code s}, or null} */
    public abstract RamBlock sectionBlock(FlatView view, int s);

    /** {@return where non-direct accesses to section {@code s} go (its ops, or unassigned)} */
    public abstract MmioDispatcher sectionIo(FlatView view, int s);

    /**
     * QEMU's {@code address_space_ld*} on one view (the caller keeps it alive); the result bits
     * accumulate in {@code st}. {@return the value, zero-extended}
     */
    public abstract long load(FlatView view, long addr, int size, boolean bigEndian, MemTxAttrs attrs, IoStatus st);

    /** QEMU's {@code address_space_st*} on one view; the result bits accumulate in {@code st}. */
    public abstract void store(FlatView view, long addr, int size, long value, boolean bigEndian, MemTxAttrs attrs,
                               IoStatus st);

    /** {@return the registry of the system's live TLBs (told about dirty-bit clears)} */
    public abstract TlbRegistry tlbs(MemorySystem system);

    /**
     * A store through {@code space} wrote {@code length} bytes at guest physical {@code addr},
     * which is {@code offset} in {@code region}, while the page's CODE bit was clean: tells the
     * system's code-write handler, if any. {@return whether the page still holds translated code
     * (its CODE bit must stay clean)}
     */
    public abstract boolean codeWritten(AddressSpace space, long addr, long length, MemoryRegion region, long offset);
}
