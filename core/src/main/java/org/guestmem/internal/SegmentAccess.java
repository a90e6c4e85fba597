package org.guestmem.internal;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Loads and stores of 1, 2, 4 or 8 bytes at any alignment in a segment, in either byte order:
 * the one place the access paths (the address space's and the TLB's slow path) turn a size and
 * an endianness into a value layout.
 */
public final class SegmentAccess {
    private static final ValueLayout.OfShort LE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort BE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt LE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt BE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong LE64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong BE64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private SegmentAccess() {
    }

    /** The {@code size}-byte value at {@code off}, zero-extended; any size but 1, 2 or 4 reads 8. */
    public static long read(MemorySegment seg, long off, int size, boolean bigEndian) {
        return switch (size) {
            case 1 -> seg.get(ValueLayout.JAVA_BYTE, off) & 0xffL;
            case 2 -> seg.get(bigEndian ? BE16 : LE16, off) & 0xffffL;
            case 4 -> seg.get(bigEndian ? BE32 : LE32, off) & 0xffff_ffffL;
            default -> seg.get(bigEndian ? BE64 : LE64, off);
        };
    }

    /** Stores the low {@code size} bytes of {@code value} at {@code off}; any size but 1, 2 or 4 writes 8. */
    public static void write(MemorySegment seg, long off, int size, long value, boolean bigEndian) {
        switch (size) {
            case 1 -> seg.set(ValueLayout.JAVA_BYTE, off, (byte) value);
            case 2 -> seg.set(bigEndian ? BE16 : LE16, off, (short) value);
            case 4 -> seg.set(bigEndian ? BE32 : LE32, off, (int) value);
            default -> seg.set(bigEndian ? BE64 : LE64, off, value);
        }
    }
}
