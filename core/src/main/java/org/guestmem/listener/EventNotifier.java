package org.guestmem.listener;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What an ioeventfd signals, QEMU's {@code EventNotifier}: a counter that writers increment
 * ({@link #set()}, QEMU's {@code event_notifier_set}) and the consumer reads and resets
 * ({@link #testAndClear()}, QEMU's {@code event_notifier_test_and_clear}), plus an optional
 * handler run on every signal.
 *
 * <h2 id="threading">Threading</h2>
 * Lock-free and safe from any thread. {@link #set()} is called by the thread whose MMIO write
 * matched an {@link IoEventFd} (a CPU thread inside its RCU read section): it increments the
 * counter, then runs the handler on that thread. A handler must be short and must not block; to
 * hand work to another thread, let that thread poll {@link #testAndClear()}.
 *
 * <h2 id="order">Order</h2>
 * QEMU sorts ioeventfds by, last of all, the notifier's pointer. Java has no pointers, so every
 * notifier gets a serial number at construction ({@link #serial()}, increasing in construction
 * order across the JVM) and ioeventfds sort by it instead. The generator carries no other
 * meaning: notifiers of different memory systems never interfere.
 */
public final class EventNotifier {
    private static final AtomicLong SERIALS = new AtomicLong();

    private final long serial = SERIALS.incrementAndGet();
    private final AtomicLong pending = new AtomicLong();
    private final AtomicLong total = new AtomicLong();
    private final Runnable handler;

    /** A notifier without a handler: signals are only counted. */
    public EventNotifier() {
        this.handler = null;
    }

    /**
     * A notifier that runs {@code handler} on the signalling thread after counting each signal.
     *
     * @param handler what to run on each signal, on the signalling thread
     */
    public EventNotifier(Runnable handler) {
        this.handler = Objects.requireNonNull(handler, "handler");
    }

    /** Signals: counts one event, then runs the handler, if any (QEMU's {@code event_notifier_set}). */
    public void set() {
        pending.incrementAndGet();
        total.incrementAndGet();
        if (handler != null) {
            handler.run();
        }
    }

    /**
     * {@return whether the notifier was signalled since the last call}, resetting the pending
     * count (QEMU's {@code event_notifier_test_and_clear})
     */
    public boolean testAndClear() {
        return pending.getAndSet(0) != 0;
    }

    /** {@return how many times the notifier was signalled since it was created} */
    public long signalCount() {
        return total.get();
    }

    /** {@return the serial number that orders notifiers (construction order)} */
    public long serial() {
        return serial;
    }

    @Override
    public String toString() {
        return "EventNotifier#" + serial;
    }
}
