package org.guestmem.tlb;

/**
 * The emulator's page-table walk for one MMU index of a {@link Tlb} (the heart of QEMU's
 * {@code tlb_fill}): maps a guest virtual address to the guest physical page that backs it, with
 * the permissions the guest's page tables grant, or to a fault the emulator defines.
 *
 * <h2 id="result">Result encoding</h2>
 * A {@code long}, so that the slow path allocates nothing:
 * <ul>
 * <li>a mapping, {@link #mapping(long, int)}: the physical address of the page (its low 10 bits are
 * ignored; the TLB keeps the bits above its page size) OR-ed with the permission bits
 * {@link #READ}, {@link #WRITE}, {@link #EXECUTE};</li>
 * <li>a fault, {@link #fault(int)}: bit {@value #FAULT_BIT_VALUE} set, no permission bits, and the
 * emulator's fault code in the upper 32 bits.</li>
 * </ul>
 * The TLB keeps one entry per TLB page (the target page): a mapper must map whole target pages. An
 * access the mapping does not permit (a load from a page without {@code READ}, a store without
 * {@code WRITE}, a fetch without {@code EXECUTE}) is reported as a page fault with code
 * {@link #PERMISSION_FAULT}; a mapper that wants its own code returns {@link #fault(int)} for such
 * accesses itself (it is told the access type).
 *
 * <h2 id="threading">Threading</h2>
 * Called on the TLB's owner thread, from its slow path, inside a read section of the system's RCU
 * domain; it may read guest memory through the TLB's own slow-path methods (a page-table walk that
 * reads guest RAM), but must not change the TLB. When the guest changes its page tables, the
 * emulator calls {@link Tlb#flushPage} or {@link Tlb#flush} (QEMU's {@code tlb_flush_page} /
 * {@code tlb_flush}).
 */
@FunctionalInterface
public interface PageMapper {
    /** Permission bit: loads may read the page. */
    int READ = 1;
    /** Permission bit: stores may write the page. */
    int WRITE = 2;
    /** Permission bit: instructions may be fetched from the page. */
    int EXECUTE = 4;
    /** Every permission. */
    int RWX = READ | WRITE | EXECUTE;
    /** The fault code the TLB reports when a mapping does not permit the access. */
    int PERMISSION_FAULT = -1;
    /** Bit value marking a fault result. */
    int FAULT_BIT_VALUE = 8;

    /**
     * Maps the page of {@code vaddr} for an access of kind {@code access}.
     *
     * @param vaddr  the guest virtual address being accessed
     * @param access what the access does
     * @return {@link #mapping(long, int)} or {@link #fault(int)}
     */
    long map(long vaddr, AccessType access);

    /**
     * {@return a mapping of the page at guest physical {@code physPage} with {@code permissions}}
     *
     * @param physPage    the guest physical address of the page (low bits ignored)
     * @param permissions {@link #READ}, {@link #WRITE}, {@link #EXECUTE}, OR-ed
     * @throws IllegalArgumentException if {@code permissions} has other bits
     */
    static long mapping(long physPage, int permissions) {
        if ((permissions & ~RWX) != 0) {
            throw new IllegalArgumentException("permissions must be a combination of READ, WRITE and EXECUTE (0x7), got 0x"
                    + Integer.toHexString(permissions));
        }
        return (physPage & ~0x3ffL) | permissions;
    }

    /**
     * {@return a fault with the emulator's {@code code}}
     *
     * @param code the emulator's fault code
     */
    static long fault(int code) {
        return ((long) code << 32) | FAULT_BIT_VALUE;
    }

    /**
     * {@return whether {@code result} is a fault}
     *
     * @param result a result of {@link #map}
     */
    static boolean isFault(long result) {
        return (result & (FAULT_BIT_VALUE | RWX)) == FAULT_BIT_VALUE;
    }

    /**
     * {@return the fault code of a fault result}
     *
     * @param result a fault result
     */
    static int faultCode(long result) {
        return (int) (result >> 32);
    }

    /**
     * {@return the permission bits of a mapping result}
     *
     * @param result a mapping result
     */
    static int permissions(long result) {
        return (int) result & RWX;
    }
}
