package org.guestmem;

import java.util.List;

/**
 * A structure that cannot be rendered because an alias shows itself: rendering reached the alias
 * again inside its own rendering while something was left to show (its window contains the alias,
 * directly or through other aliases and containers), or the reduction to a flatview root looped
 * (a container whose only child is an alias covering the container). QEMU would recurse or loop;
 * guestmem refuses. Thrown by the commit that would render the structure, after the transaction
 * was rolled back (see {@link MemoryTransaction}), and by {@link MemorySystem#addressSpace} outside
 * a transaction. The message names the regions of the loop and the addresses in hex.
 *
 * <p>{@link #alias()} and {@link #loop()} keep the regions reachable as long as the exception is.
 */
public final class AliasLoopException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** The alias met again. */
    private final transient AliasRegion alias;
    /** The regions from the alias back to it. */
    private final transient List<MemoryRegion> loop;

    AliasLoopException(String message, AliasRegion alias, List<MemoryRegion> loop) {
        super(message);
        this.alias = alias;
        this.loop = List.copyOf(loop);
    }

    /** {@code cause} explained by {@code context} (which address space, what was rolled back). */
    AliasLoopException(String context, AliasLoopException cause) {
        super(context + ": " + cause.getMessage(), cause);
        this.alias = cause.alias;
        this.loop = cause.loop;
    }

    /** {@return the alias that shows itself} Null after deserialisation. */
    public AliasRegion alias() {
        return alias;
    }

    /**
     * {@return the loop: the alias, the regions rendering went through from it, and the alias
     * again at the end} Null after deserialisation.
     */
    public List<MemoryRegion> loop() {
        return loop;
    }
}
