package org.guestmem;

import java.nio.ByteOrder;
import java.util.Objects;
import org.guestmem.dirty.CodeWriteHandler;

/**
 * Configures a {@link MemorySystem}: name, target byte order and page size, and the options
 * below. Obtained from {@link MemorySystem#builder()}; not thread-safe (configure on one thread,
 * then {@link #build()}).
 */
public final class MemorySystemBuilder {
    String name = "guestmem";
    ByteOrder targetByteOrder = ByteOrder.LITTLE_ENDIAN;
    int pageBits = 12;
    boolean lenientAliasWindows;
    boolean codeDirtyTracking;
    long reclamationBacklog = -1;
    boolean checkedAccess = Boolean.getBoolean("guestmem.checkedAccess");

    MemorySystemBuilder() {
    }

    /**
     * Checked mode for CPU threads' translation caches ({@link org.guestmem.tlb.Tlb} and the
     * accessors built on it): every RAM access of a CPU thread goes through the RAM block's own
     * {@code MemorySegment}, which throws {@link IllegalStateException} instead of touching memory
     * that was freed, and checks the owner thread. Slower than the default fast mode, where the
     * translation cache holds raw host addends that RCU keeps valid ({@code docs/lifetimes.md} says
     * what each mode guarantees). The default is the system property {@code guestmem.checkedAccess}
     * ({@code true} or not).
     *
     * @param value the new value
     * @return this builder
     */
    public MemorySystemBuilder checkedAccess(boolean value) {
        this.checkedAccess = value;
        return this;
    }

    /**
     * Tracks writes to guest code for a JIT, as QEMU does under TCG: every RAM-backed range
     * logs for {@link org.guestmem.dirty.DirtyLogClient#CODE}, and writes to pages whose CODE bit is clean call the
     * {@link CodeWriteHandler}. Off by default: such writes cannot take the accessors' direct
     * path, so RAM writes cost more.
     *
     * @param value the new value
      * @return this builder
     */
    public MemorySystemBuilder codeDirtyTracking(boolean value) {
        this.codeDirtyTracking = value;
        return this;
    }

    /**
     * Lets alias windows reach past the end of their targets, as QEMU does (it never checks);
     * rendering clips them to the target. Off by default: such a window is usually a bug, so
     * {@link RegionFactory#alias} and {@link AliasRegion#setAliasOffset} reject it. The
     * importer of QEMU dumps turns it on, because real machines have such aliases.
     *
     * @param value the new value
      * @return this builder
     */
    public MemorySystemBuilder lenientAliasWindows(boolean value) {
        this.lenientAliasWindows = value;
        return this;
    }

    /**
     * Sets the name (used in thread names and messages).
     *
     * @param value the new value
      * @return this builder
     */
    public MemorySystemBuilder name(String value) {
        this.name = Objects.requireNonNull(value, "value");
        return this;
    }

    /**
     * Sets the target's byte order (what {@link Endianness#NATIVE} devices use).
     *
     * @param value the new value
      * @return this builder
     */
    public MemorySystemBuilder targetByteOrder(ByteOrder value) {
        this.targetByteOrder = Objects.requireNonNull(value, "value");
        return this;
    }

    /**
     * Sets log2 of the target page size, QEMU's {@code TARGET_PAGE_BITS}.
     *
     * @param value the new value
      * @return this builder
     * @throws IllegalArgumentException unless {@code 10 <= value <= 16}
     */
    public MemorySystemBuilder pageBits(int value) {
        if (value < 10 || value > 16) {
            throw new IllegalArgumentException("page bits must be within 10..16 (QEMU's range), got " + value);
        }
        this.pageBits = value;
        return this;
    }

    /**
     * Bounds the memory waiting for reclamation: when a change (a mutator, a transaction's commit,
     * a region's {@link MemoryRegion#destroy() destroy()}) leaves more than {@code bytes} of
     * destroyed RAM blocks not yet returned to the host, the writer waits, after it has released
     * the update lock, until everything released so far is reclaimed (see
     * {@link MemorySystem#awaitReclamation()} and {@code docs/lifetimes.md}). Threads that must not
     * wait never do: inside a read section of the system's domain (an online quiescent-state
     * reader included), on the RCU reclaimer thread, and inside a transaction or a listener (the
     * outermost commit waits instead). 0 waits after every change that leaves anything pending;
     * {@link Long#MAX_VALUE} never waits. The default is the larger of 256 MiB and a quarter of
     * the live guest RAM (RAM blocks guestmem allocated whose regions are not destroyed).
     *
     * @param bytes the bound in bytes, at least 0
     * @return this builder
     * @throws IllegalArgumentException if {@code bytes} is negative
     */
    public MemorySystemBuilder reclamationBacklog(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("the reclamation backlog must be at least 0 bytes, got " + bytes);
        }
        this.reclamationBacklog = bytes;
        return this;
    }

    /** {@return the new system} */
    public MemorySystem build() {
        return new MemorySystem(this);
    }
}
