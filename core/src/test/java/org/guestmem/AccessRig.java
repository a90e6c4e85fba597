package org.guestmem;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.guestmem.rcu.RcuReader;

/**
 * A small machine for access tests: a 2<sup>64</sup> container, an address space on it, and the
 * {@link GuestMemory} to drive, which is the {@link AddressSpace} itself or an
 * {@link AddressSpaceAccessor} used inside or outside read sections.
 */
final class AccessRig implements AutoCloseable {
    /** Which {@link GuestMemory} the test drives. */
    enum Via {
        /** {@link AddressSpace}'s counted-reference path. */
        ADDRESS_SPACE,
        /** An accessor inside a read section of the test thread (re-entered after every mutation). */
        ACCESSOR_IN_SECTION,
        /** An accessor called outside any read section (it enters one per access). */
        ACCESSOR_OUTSIDE_SECTION
    }

    final Via via;
    final MemorySystem sys;
    final ContainerRegion root;
    AddressSpace as;
    RcuReader reader;
    AddressSpaceAccessor acc;

    AccessRig(Via via) {
        this(via, ByteOrder.LITTLE_ENDIAN);
    }

    AccessRig(Via via, ByteOrder target) {
        this.via = via;
        this.sys = MemorySystem.builder().targetByteOrder(target).build();
        this.root = sys.container("system", MemoryRegion.SIZE_2_64);
    }

    /** Creates the address space (after the regions were added) and the accessor. */
    AccessRig start() {
        as = sys.addressSpace("memory", root);
        if (via != Via.ADDRESS_SPACE) {
            reader = sys.rcu().register();
            acc = as.accessor(reader);
        }
        if (via == Via.ACCESSOR_IN_SECTION) {
            reader.enter();
        }
        return this;
    }

    /** {@return the memory to drive} */
    GuestMemory mem() {
        return via == Via.ADDRESS_SPACE ? as : acc;
    }

    /** Runs a topology change outside the read section, so the next accesses see it. */
    void mutate(Runnable change) {
        if (via == Via.ACCESSOR_IN_SECTION) {
            reader.exit();
        }
        change.run();
        if (via == Via.ACCESSOR_IN_SECTION) {
            reader.enter();
        }
    }

    @Override
    public void close() {
        if (reader != null) {
            while (reader.depth() > 0) {
                reader.exit();
            }
            reader.close();
        }
        sys.close();
    }

    /** A device whose ops record every callback as text. */
    static final class Dev {
        final List<String> log = new ArrayList<>();

        String hex(long v) {
            return "0x" + Long.toHexString(v);
        }

        void read(long addr, int size, long value) {
            log.add("read(" + hex(addr) + ", " + size + ") = " + hex(value));
        }

        void write(long addr, int size, long value) {
            log.add("write(" + hex(addr) + ", " + size + ", " + hex(value) + ")");
        }

        List<String> take() {
            List<String> out = List.copyOf(log);
            log.clear();
            return out;
        }
    }
}
