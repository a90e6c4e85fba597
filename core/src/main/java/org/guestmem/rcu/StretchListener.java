package org.guestmem.rcu;

/**
 * Told, on a reader's own thread, where its protected stretches begin and end: the stretches
 * during which RCU-protected data it loaded stays valid (see {@link RcuReader#sectionEpoch()}). A
 * per-thread cache of such data (a softmmu TLB, for instance) revalidates at the start of a stretch
 * and stops using what it holds at the end, so that it pays nothing per access for the guarantee.
 * Registered with {@link RcuReader#addStretchListener}.
 *
 * <h2 id="points">When</h2>
 * <ul>
 * <li>{@link #stretchStarted} after the reader's slot shows it protected: at the outermost
 * {@link RcuReader#enter()}, at {@link RcuReader#online()}, and at every
 * {@link RcuReader#quiescentState()} (which ends one stretch and starts the next at once: only
 * {@code stretchStarted} is called).</li>
 * <li>{@link #stretchEnded} while the thread is still protected, just before its slot stops
 * protecting it: at the outermost {@link RcuReader#exit()}, at {@link RcuReader#offline()} and when
 * {@link RcuReader#close()} takes an online reader offline.</li>
 * </ul>
 * Nested {@code enter}/{@code exit} pairs, and {@code enter}/{@code exit} while a quiescent-state
 * reader is online, are not stretch boundaries and call nothing.
 *
 * <h2 id="rules">Rules</h2>
 * Callbacks run on the reader's thread with the reader in a consistent state; they must not call
 * the reader's {@code enter}, {@code exit}, {@code quiescentState}, {@code online} or
 * {@code offline}, nor block. If {@code stretchStarted} throws from {@code enter()} or
 * {@code online()}, the reader undoes the transition (the listeners get {@code stretchEnded}, the
 * reader is outside the section or offline again) and the exception propagates: the call either
 * happens completely or not at all. From {@code quiescentState()} the exception propagates after
 * the quiescent state was reported. If {@code stretchEnded} throws, the transition still completes,
 * then the exception propagates.
 */
public interface StretchListener {
    /**
     * A protected stretch began: data loaded before it may have been freed since.
     *
     * @param reader the reader (its thread is the calling thread)
     */
    void stretchStarted(RcuReader reader);

    /**
     * The protected stretch is about to end: stop using RCU-protected data loaded during it.
     *
     * @param reader the reader (its thread is the calling thread)
     */
    void stretchEnded(RcuReader reader);
}
