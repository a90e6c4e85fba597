package org.guestmem;

import java.util.List;
import org.guestmem.listener.MemoryListener;
import org.guestmem.rcu.RcuDomain;

/**
 * What an {@link AddressSpace} asks of its system (implemented by the listener hub): listener
 * registration and the space's destruction, which involve every other space and the view cache.
 * The publication layer names the layers above it only through this interface.
 */
interface SpaceHost {
    /** {@return the system's RCU domain} */
    RcuDomain rcu();

    /** QEMU's {@code memory_listener_register} on {@code as}, with the replay. */
    void registerListener(AddressSpace as, MemoryListener listener, int priority);

    /** QEMU's {@code memory_listener_unregister}. */
    void unregisterListener(MemoryListener listener);

    /** {@return the listeners registered on {@code as}, ascending priority} */
    List<MemoryListener> listenersOf(AddressSpace as);

    /** QEMU's {@code address_space_destroy}. */
    void destroy(AddressSpace as);
}
