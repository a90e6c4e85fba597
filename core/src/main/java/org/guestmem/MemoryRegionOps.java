package org.guestmem;

import java.util.Objects;

/**
 * The callbacks and access rules of an MMIO region, QEMU's {@code MemoryRegionOps}. Immutable;
 * build one with {@link #builder()}.
 *
 * <h2 id="sizes">Access sizes</h2>
 * {@code valid} says which accesses the guest may make: an access the rules reject answers
 * {@link MemTxResult#DECODE_ERROR} without reaching the device (reads see 0). {@code impl} says
 * which accesses the callbacks implement; guestmem splits or widens other accesses the way QEMU's
 * {@code access_with_adjusted_size} does. Sizes are 1, 2, 4 or 8 bytes. As in QEMU, a
 * {@code valid} maximum of 0 means "no size check at all", an {@code impl} minimum of 0 means 1
 * and an {@code impl} maximum of 0 means 4.
 *
 * <h2 id="values">Values</h2>
 * Callbacks see values in the device's {@link #endianness() byte order}, in the low
 * {@code 8 * size} bits of a {@code long}. A read callback's result is masked to that width.
 *
 * <h2 id="threading">Threading</h2>
 * Callbacks run on the thread that makes the access, inside its RCU read section, and may run
 * concurrently on several CPU threads; a device that needs mutual exclusion provides it. A
 * callback may run for a short while after its region was removed from the map: until the end of
 * the grace period that follows the commit (see {@code docs/concurrency.md}).
 */
public final class MemoryRegionOps {

    /** Reads {@code size} bytes at offset {@code addr} of the region; QEMU's {@code read}. */
    @FunctionalInterface
    public interface ReadFn {
        /**
         * {@return the value read, in the low {@code 8 * size} bits}
         *
         * @param addr the offset within the region
         * @param size the access size in bytes
         */
        long read(long addr, int size);
    }

    /** Writes {@code size} bytes at offset {@code addr} of the region; QEMU's {@code write}. */
    @FunctionalInterface
    public interface WriteFn {
        /**
         * Performs the write of the low {@code 8 * size} bits of {@code value}.
         *
         * @param addr the offset within the region
         * @param value the value written, in the device's byte order
         * @param size the access size in bytes
         */
        void write(long addr, long value, int size);
    }

    /** QEMU's {@code read_with_attrs}: stores the value in {@code data[0]} and returns the result. */
    @FunctionalInterface
    public interface ReadWithAttrsFn {
        /**
         * {@return the result of the read; the value goes to {@code data[0]}}
         *
         * @param addr the offset within the region
         * @param size the access size in bytes
         * @param attrs the transaction attributes
         * @param data where the value read goes ({@code data[0]})
         */
        MemTxResult read(long addr, int size, MemTxAttrs attrs, long[] data);
    }

    /** QEMU's {@code write_with_attrs}. */
    @FunctionalInterface
    public interface WriteWithAttrsFn {
        /**
         * {@return the result of the write}
         *
         * @param addr the offset within the region
         * @param value the value written, in the device's byte order
         * @param size the access size in bytes
         * @param attrs the transaction attributes
         */
        MemTxResult write(long addr, long value, int size, MemTxAttrs attrs);
    }

    /** QEMU's {@code valid.accepts}: a device-specific veto checked before every access. */
    @FunctionalInterface
    public interface AcceptsFn {
        /**
         * {@return whether the device accepts the access}
         *
         * @param addr the offset within the region
         * @param size the access size in bytes
         * @param isWrite whether the access is a write
         * @param attrs the transaction attributes
         */
        boolean accepts(long addr, int size, boolean isWrite, MemTxAttrs attrs);
    }

    /**
     * QEMU's {@code unassigned_mem_ops}: every access is rejected ({@code accepts} answers false),
     * so reads see 0 and everything answers {@link MemTxResult#DECODE_ERROR}. Holes in an address
     * space and reservation regions behave like this.
     */
    public static final MemoryRegionOps UNASSIGNED = builder()
            .accepts((addr, size, isWrite, attrs) -> false)
            .build();

    private final ReadFn read;
    private final WriteFn write;
    private final ReadWithAttrsFn readWithAttrs;
    private final WriteWithAttrsFn writeWithAttrs;
    private final AcceptsFn accepts;
    private final Endianness endianness;
    private final int validMin;
    private final int validMax;
    private final boolean validUnaligned;
    private final int implMin;
    private final int implMax;
    private final boolean implUnaligned;

    private MemoryRegionOps(Builder b) {
        this.read = b.read;
        this.write = b.write;
        this.readWithAttrs = b.readWithAttrs;
        this.writeWithAttrs = b.writeWithAttrs;
        this.accepts = b.accepts;
        this.endianness = b.endianness;
        this.validMin = b.validMin;
        this.validMax = b.validMax;
        this.validUnaligned = b.validUnaligned;
        this.implMin = b.implMin;
        this.implMax = b.implMax;
        this.implUnaligned = b.implUnaligned;
    }

    /** {@return a builder with QEMU's defaults: native endian, no size rules, no callbacks} */
    public static Builder builder() {
        return new Builder();
    }

    /** {@return the plain read callback, or null when the attrs variant (or none) is used} */
    public ReadFn read() {
        return read;
    }

    /** {@return the plain write callback, or null when the attrs variant (or none) is used} */
    public WriteFn write() {
        return write;
    }

    /** {@return the read callback with attributes, or null} */
    public ReadWithAttrsFn readWithAttrs() {
        return readWithAttrs;
    }

    /** {@return the write callback with attributes, or null} */
    public WriteWithAttrsFn writeWithAttrs() {
        return writeWithAttrs;
    }

    /** {@return the {@code valid.accepts} veto, or null when every access is accepted} */
    public AcceptsFn accepts() {
        return accepts;
    }

    /** {@return the byte order of the device's registers} */
    public Endianness endianness() {
        return endianness;
    }

    /** {@return {@code valid.min_access_size}, 0 when unset} */
    public int validMinAccessSize() {
        return validMin;
    }

    /** {@return {@code valid.max_access_size}, 0 when unset (no size check)} */
    public int validMaxAccessSize() {
        return validMax;
    }

    /** {@return {@code valid.unaligned}} */
    public boolean validUnaligned() {
        return validUnaligned;
    }

    /** {@return {@code impl.min_access_size}, 0 when unset (meaning 1)} */
    public int implMinAccessSize() {
        return implMin;
    }

    /** {@return {@code impl.max_access_size}, 0 when unset (meaning 4)} */
    public int implMaxAccessSize() {
        return implMax;
    }

    /** {@return {@code impl.unaligned}} */
    public boolean implUnaligned() {
        return implUnaligned;
    }

    /** Builds {@link MemoryRegionOps}. Not thread-safe. */
    public static final class Builder {
        private ReadFn read;
        private WriteFn write;
        private ReadWithAttrsFn readWithAttrs;
        private WriteWithAttrsFn writeWithAttrs;
        private AcceptsFn accepts;
        private Endianness endianness = Endianness.NATIVE;
        private int validMin;
        private int validMax;
        private boolean validUnaligned;
        private int implMin;
        private int implMax;
        private boolean implUnaligned;

        private Builder() {
        }

        /**
         * Sets the plain read callback (replaces a read-with-attrs callback).
         *
         * @param fn the callback
          * @return this builder
         */
        public Builder read(ReadFn fn) {
            this.read = Objects.requireNonNull(fn, "fn");
            this.readWithAttrs = null;
            return this;
        }

        /**
         * Sets the plain write callback (replaces a write-with-attrs callback).
         *
         * @param fn the callback
          * @return this builder
         */
        public Builder write(WriteFn fn) {
            this.write = Objects.requireNonNull(fn, "fn");
            this.writeWithAttrs = null;
            return this;
        }

        /**
         * Sets the read callback with attributes (replaces a plain read callback).
         *
         * @param fn the callback
          * @return this builder
         */
        public Builder readWithAttrs(ReadWithAttrsFn fn) {
            this.readWithAttrs = Objects.requireNonNull(fn, "fn");
            this.read = null;
            return this;
        }

        /**
         * Sets the write callback with attributes (replaces a plain write callback).
         *
         * @param fn the callback
          * @return this builder
         */
        public Builder writeWithAttrs(WriteWithAttrsFn fn) {
            this.writeWithAttrs = Objects.requireNonNull(fn, "fn");
            this.write = null;
            return this;
        }

        /**
         * Sets the {@code valid.accepts} veto.
         *
         * @param fn the callback
          * @return this builder
         */
        public Builder accepts(AcceptsFn fn) {
            this.accepts = Objects.requireNonNull(fn, "fn");
            return this;
        }

        /**
         * Sets the byte order of the device's registers.
         *
         * @param value the value written, in the device's byte order
          * @return this builder
         */
        public Builder endianness(Endianness value) {
            this.endianness = Objects.requireNonNull(value, "value");
            return this;
        }

        /**
         * Sets {@code valid}: the accesses the guest may make.
         *
         * @param minAccessSize the smallest access size, in bytes
         * @param maxAccessSize the largest access size, in bytes
         * @param unaligned whether unaligned accesses are accepted (valid) or handled by the device (impl)
          * @return this builder
         * @throws IllegalArgumentException if a size is not 0, 1, 2, 4 or 8, or min exceeds a
         *                                  non-zero max
         */
        public Builder valid(int minAccessSize, int maxAccessSize, boolean unaligned) {
            checkSizes("valid", minAccessSize, maxAccessSize);
            this.validMin = minAccessSize;
            this.validMax = maxAccessSize;
            this.validUnaligned = unaligned;
            return this;
        }

        /**
         * Sets {@code impl}: the accesses the callbacks implement.
         *
         * @param minAccessSize the smallest access size, in bytes
         * @param maxAccessSize the largest access size, in bytes
         * @param unaligned whether unaligned accesses are accepted (valid) or handled by the device (impl)
          * @return this builder
         * @throws IllegalArgumentException if a size is not 0, 1, 2, 4 or 8, or min exceeds a
         *                                  non-zero max
         */
        public Builder impl(int minAccessSize, int maxAccessSize, boolean unaligned) {
            checkSizes("impl", minAccessSize, maxAccessSize);
            this.implMin = minAccessSize;
            this.implMax = maxAccessSize;
            this.implUnaligned = unaligned;
            return this;
        }

        /** {@return the immutable ops} */
        public MemoryRegionOps build() {
            return new MemoryRegionOps(this);
        }

        private static void checkSizes(String which, int min, int max) {
            if (!isSize(min) || !isSize(max)) {
                throw new IllegalArgumentException(which + " access sizes must be 0, 1, 2, 4 or 8, got min "
                        + min + " max " + max);
            }
            if (min != 0 && max != 0 && min > max) {
                throw new IllegalArgumentException(which + " min access size " + min + " exceeds max " + max);
            }
        }

        private static boolean isSize(int s) {
            return s == 0 || s == 1 || s == 2 || s == 4 || s == 8;
        }
    }
}
