package org.guestmem.mtree;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.guestmem.AddressSpace;
import org.guestmem.MemoryRegion;
import org.guestmem.MemorySystem;

/**
 * A machine rebuilt from QEMU's {@code info mtree -D} text by {@link MtreeImporter}: its memory
 * system, its address spaces in the order the dump lists them, and the stubs behind its i/o
 * regions. Closing it closes the system.
 */
public final class ImportedMachine implements AutoCloseable {
    private final MemorySystem system;
    private final List<AddressSpace> addressSpaces;
    private final Map<MemoryRegion, MmioStub> stubs;

    ImportedMachine(MemorySystem system, List<AddressSpace> addressSpaces, IdentityHashMap<MemoryRegion, MmioStub> stubs) {
        this.system = system;
        this.addressSpaces = List.copyOf(addressSpaces);
        this.stubs = stubs;
    }

    /** {@return the memory system holding the imported regions} */
    public MemorySystem system() {
        return system;
    }

    /** {@return the address spaces, one per {@code address-space:} line, in dump order} */
    public List<AddressSpace> addressSpaces() {
        return addressSpaces;
    }

    /**
     * {@return the stub behind an imported i/o or romd region, or null for other regions}
     *
     * @param region the region's name in the dump
     */
    public MmioStub stub(MemoryRegion region) {
        return stubs.get(region);
    }

    @Override
    public void close() {
        system.close();
    }
}
