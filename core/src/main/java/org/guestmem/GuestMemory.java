package org.guestmem;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Guest-physical accesses through an address space, QEMU's {@code address_space_rw},
 * {@code address_space_ld*}/{@code st*} and {@code address_space_translate}.
 *
 * <p>Two implementations: {@link AddressSpace} itself (any thread, registered or not: each call
 * holds a counted reference to the current view) and {@link AddressSpaceAccessor} (one per CPU
 * thread, RCU read sections and a per-thread translation cache; the fast path).
 *
 * <h2 id="semantics">Semantics (QEMU 7.2)</h2>
 * <ul>
 * <li>Guest-visible faults are {@link MemTxResult} values, never exceptions: a hole answers
 * {@link MemTxResult#DECODE_ERROR} and reads see 0; results of split accesses are ORed.</li>
 * <li>Buffer accesses ({@link #read}, {@link #write}) cross region boundaries: RAM is copied
 * directly, everything else goes through the region's ops in pieces sized by
 * {@code memory_access_size} (so 8 bytes from a hole are two rejected 4-byte reads). Bytes in the
 * buffer are the device's bytes in its natural memory order. With {@link MemTxAttrs#memory()}
 * set, pieces that are not RAM answer {@link MemTxResult#ACCESS_ERROR} and are skipped.</li>
 * <li>Typed loads and stores of 1, 2, 4 and 8 bytes are direct when the whole access lies in one
 * RAM section (loads also for ROM and romd); otherwise the whole access goes, unsplit, to the
 * first region's ops, as QEMU's {@code ld*}/{@code st*} do: a load straddling the end of RAM
 * answers 0 with DECODE_ERROR.</li>
 * <li>ROM: reads are direct; writes take the MMIO path of a region without ops and answer
 * DECODE_ERROR with the data dropped (QEMU 7.2's {@code address_space_write}); loaders use
 * {@link AddressSpace#writeRom}. ROM devices: romd-mode reads are direct, writes go to their ops.
 * Writes through a readonly alias onto RAM are direct, as in QEMU (only its TCG TLB discards
 * them).</li>
 * <li>Direct-versus-ops decisions follow the published view (a region flag changed by a writer
 * takes effect with the commit that re-renders it).</li>
 * </ul>
 */
public interface GuestMemory {

    /**
     * Reads {@code dst.byteSize()} bytes at {@code addr} into {@code dst}.
     *
     * @param addr the guest address
     * @param attrs the transaction attributes
     * @param dst where the bytes read go
     * @return the OR of the results of every piece
     */
    MemTxResult read(long addr, MemTxAttrs attrs, MemorySegment dst);

    /**
     * Writes all of {@code src} at {@code addr}.
     *
     * @param addr the guest address
     * @param attrs the transaction attributes
     * @param src the bytes to write
     * @return the OR of the results of every piece
     */
    MemTxResult write(long addr, MemTxAttrs attrs, MemorySegment src);

    /**
     * Loads {@code size} bytes (1, 2, 4 or 8) at {@code addr} in byte order {@code order}.
     *
     * @param addr the guest address
     * @param size the access size in bytes: 1, 2, 4 or 8
     * @param order the byte order
     * @param attrs the transaction attributes
     * @param result if not null, {@code result[0]} receives the result
     * @return the value, zero-extended to 64 bits
     * @throws IllegalArgumentException if {@code size} is not 1, 2, 4 or 8
     * @throws NullPointerException     if {@code order} or {@code attrs} is null
     */
    long load(long addr, int size, ByteOrder order, MemTxAttrs attrs, MemTxResult[] result);

    /**
     * Stores the low {@code size} bytes (1, 2, 4 or 8) of {@code value} at {@code addr} in byte
     * order {@code order}.
     *
     * @param addr the guest address
     * @param size the access size in bytes: 1, 2, 4 or 8
     * @param value the value; its low {@code size} bytes are stored
     * @param order the byte order
     * @param attrs the transaction attributes
     * @return the result, QEMU's MemTxResult
     * @throws IllegalArgumentException if {@code size} is not 1, 2, 4 or 8
     * @throws NullPointerException     if {@code order} or {@code attrs} is null
     */
    MemTxResult store(long addr, int size, long value, ByteOrder order, MemTxAttrs attrs);

    /**
     * Translates {@code addr} for an access of {@code length} bytes, QEMU's
     * {@code address_space_translate}.
     *
     * @param addr the guest address
     * @param length the length of the access, unsigned
     * @param isWrite whether the access writes
     * @param attrs the transaction attributes
      * @return the translation
     */
    Translation translate(long addr, long length, boolean isWrite, MemTxAttrs attrs);

    // ------------------------------------------------------------------ conveniences

    /**
     * Reads {@code len} bytes into {@code buf[off..]} with unspecified attributes.
     *
     * @param addr the guest address
     * @param buf the buffer
     * @param off the first index of {@code buf} used
     * @param len the number of bytes
      * @return the result, QEMU's MemTxResult
     */
    default MemTxResult read(long addr, byte[] buf, int off, int len) {
        return read(addr, MemTxAttrs.UNSPECIFIED, MemorySegment.ofArray(buf).asSlice(off, len));
    }

    /**
     * Writes {@code buf[off..off+len)} with unspecified attributes.
     *
     * @param addr the guest address
     * @param buf the buffer
     * @param off the first index of {@code buf} used
     * @param len the number of bytes
      * @return the result, QEMU's MemTxResult
     */
    default MemTxResult write(long addr, byte[] buf, int off, int len) {
        return write(addr, MemTxAttrs.UNSPECIFIED, MemorySegment.ofArray(buf).asSlice(off, len));
    }

    /**
     * {@return the byte at {@code addr}}
     *
     * @param addr the guest address
     */
    default long ld8(long addr) {
        return load(addr, 1, ByteOrder.LITTLE_ENDIAN, MemTxAttrs.UNSPECIFIED, null);
    }

    /**
     * {@return the little-endian 16-bit value at {@code addr}}
     *
     * @param addr the guest address
     */
    default long ld16le(long addr) {
        return load(addr, 2, ByteOrder.LITTLE_ENDIAN, MemTxAttrs.UNSPECIFIED, null);
    }

    /**
     * {@return the big-endian 16-bit value at {@code addr}}
     *
     * @param addr the guest address
     */
    default long ld16be(long addr) {
        return load(addr, 2, ByteOrder.BIG_ENDIAN, MemTxAttrs.UNSPECIFIED, null);
    }

    /**
     * {@return the little-endian 32-bit value at {@code addr}}
     *
     * @param addr the guest address
     */
    default long ld32le(long addr) {
        return load(addr, 4, ByteOrder.LITTLE_ENDIAN, MemTxAttrs.UNSPECIFIED, null);
    }

    /**
     * {@return the big-endian 32-bit value at {@code addr}}
     *
     * @param addr the guest address
     */
    default long ld32be(long addr) {
        return load(addr, 4, ByteOrder.BIG_ENDIAN, MemTxAttrs.UNSPECIFIED, null);
    }

    /**
     * {@return the little-endian 64-bit value at {@code addr}}
     *
     * @param addr the guest address
     */
    default long ld64le(long addr) {
        return load(addr, 8, ByteOrder.LITTLE_ENDIAN, MemTxAttrs.UNSPECIFIED, null);
    }

    /**
     * {@return the big-endian 64-bit value at {@code addr}}
     *
     * @param addr the guest address
     */
    default long ld64be(long addr) {
        return load(addr, 8, ByteOrder.BIG_ENDIAN, MemTxAttrs.UNSPECIFIED, null);
    }

    /**
     * Stores a byte.
     *
     * @param addr the guest address
     * @param value the value; its low {@code size} bytes are stored
      * @return the result, QEMU's MemTxResult
     */
    default MemTxResult st8(long addr, long value) {
        return store(addr, 1, value, ByteOrder.LITTLE_ENDIAN, MemTxAttrs.UNSPECIFIED);
    }

    /**
     * Stores a little-endian 16-bit value.
     *
     * @param addr the guest address
     * @param value the value; its low {@code size} bytes are stored
      * @return the result, QEMU's MemTxResult
     */
    default MemTxResult st16le(long addr, long value) {
        return store(addr, 2, value, ByteOrder.LITTLE_ENDIAN, MemTxAttrs.UNSPECIFIED);
    }

    /**
     * Stores a big-endian 16-bit value.
     *
     * @param addr the guest address
     * @param value the value; its low {@code size} bytes are stored
      * @return the result, QEMU's MemTxResult
     */
    default MemTxResult st16be(long addr, long value) {
        return store(addr, 2, value, ByteOrder.BIG_ENDIAN, MemTxAttrs.UNSPECIFIED);
    }

    /**
     * Stores a little-endian 32-bit value.
     *
     * @param addr the guest address
     * @param value the value; its low {@code size} bytes are stored
      * @return the result, QEMU's MemTxResult
     */
    default MemTxResult st32le(long addr, long value) {
        return store(addr, 4, value, ByteOrder.LITTLE_ENDIAN, MemTxAttrs.UNSPECIFIED);
    }

    /**
     * Stores a big-endian 32-bit value.
     *
     * @param addr the guest address
     * @param value the value; its low {@code size} bytes are stored
      * @return the result, QEMU's MemTxResult
     */
    default MemTxResult st32be(long addr, long value) {
        return store(addr, 4, value, ByteOrder.BIG_ENDIAN, MemTxAttrs.UNSPECIFIED);
    }

    /**
     * Stores a little-endian 64-bit value.
     *
     * @param addr the guest address
     * @param value the value; its low {@code size} bytes are stored
      * @return the result, QEMU's MemTxResult
     */
    default MemTxResult st64le(long addr, long value) {
        return store(addr, 8, value, ByteOrder.LITTLE_ENDIAN, MemTxAttrs.UNSPECIFIED);
    }

    /**
     * Stores a big-endian 64-bit value.
     *
     * @param addr the guest address
     * @param value the value; its low {@code size} bytes are stored
      * @return the result, QEMU's MemTxResult
     */
    default MemTxResult st64be(long addr, long value) {
        return store(addr, 8, value, ByteOrder.BIG_ENDIAN, MemTxAttrs.UNSPECIFIED);
    }

    /**
     * {@return the translation of {@code addr} for an access of {@code length} bytes, unspecified attributes}
     *
     * @param addr the guest address
     * @param length the length of the access, unsigned
     * @param isWrite whether the access writes
     */
    default Translation translate(long addr, long length, boolean isWrite) {
        return translate(addr, length, isWrite, MemTxAttrs.UNSPECIFIED);
    }
}
