package org.guestmem;

import java.util.ArrayList;
import java.util.LinkedList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One system's DMA bounce buffer (QEMU 7.2's global {@code bounce.in_use}, here per system) and
 * the map clients waiting for it (QEMU's {@code map_client_list}). Lock-free to take and free;
 * the client list is guarded by itself.
 */
final class BounceBuffer {
    private final AtomicBoolean inUse = new AtomicBoolean();
    /** Newest first. */
    private final LinkedList<Runnable> mapClients = new LinkedList<>();

    /** Takes the buffer. {@return false if it is in use} */
    boolean acquire() {
        return inUse.compareAndSet(false, true);
    }

    /**
     * Frees the buffer and runs every registered map client, newest first, on the calling thread,
     * each removed before it runs (QEMU's {@code cpu_notify_map_clients}, which schedules them as
     * bottom halves).
     */
    void release() {
        inUse.set(false);
        runMapClients();
    }

    boolean inUse() {
        return inUse.get();
    }

    void registerMapClient(Runnable client) {
        Objects.requireNonNull(client, "client");
        synchronized (mapClients) {
            mapClients.addFirst(client);
        }
        runMapClients();
    }

    void unregisterMapClient(Runnable client) {
        synchronized (mapClients) {
            mapClients.remove(client);
        }
    }

    private void runMapClients() {
        List<Runnable> ready;
        synchronized (mapClients) {
            if (inUse.get() || mapClients.isEmpty()) {
                return;
            }
            ready = new ArrayList<>(mapClients);
            mapClients.clear();
        }
        RuntimeException first = null;
        for (Runnable r : ready) {
            try {
                r.run();
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
