package org.guestmem.examples.rv32.mem;

/**
 * How the CPU reaches guest memory: the interpreter calls these methods, the JIT asks
 * {@link #emitter()} for the bytecode of each access. Two implementations: {@link GuestmemMemory}
 * (guestmem's softmmu TLB, with QEMU's semantics for every region) and {@link RawMemory} (one
 * {@code MemorySegment} and address checks, no guestmem), chosen with {@code --memory}.
 *
 * <h2 id="results">Results</h2>
 * Loads return the value zero-extended in the low 32 bits of a {@code long}; a failed load
 * returns its {@code MemTxResult} bits shifted left by 32 ({@link #failed(long)}). Stores return
 * an {@code int} status: 0 when all went well, else the {@code MemTxResult} bits (1, 2, 4) and
 * {@link #CODE_WRITTEN} when the store overwrote translated code (the running block must stop
 * after it). Addresses are 32-bit guest addresses.
 *
 * <p>Confined to the CPU thread.
 */
public interface MemoryBackend extends AutoCloseable {
    /** Store status bit: the store overwrote translated code, which has been invalidated. */
    int CODE_WRITTEN = 8;
    /** Store status bits that are a {@code MemTxResult} error. */
    int ERROR_BITS = 7;

    /** {@return whether load result {@code r} is a failure} */
    static boolean failed(long r) {
        return (r >>> 32) != 0;
    }

    /** {@return the backend's name on the command line: guestmem or raw} */
    String name();

    /** Instruction fetch of 4 bytes at {@code addr}; result as for loads. */
    long fetch32(int addr);

    /** Loads one byte; see <a href="#results">results</a>. */
    long ld8(int addr);

    /** Loads two bytes, little-endian. */
    long ld16(int addr);

    /** Loads four bytes, little-endian. */
    long ld32(int addr);

    /** Stores the low byte of {@code value}; {@return the status} */
    int st8(int addr, int value);

    /** Stores the low two bytes, little-endian; {@return the status} */
    int st16(int addr, int value);

    /** Stores four bytes, little-endian; {@return the status} */
    int st32(int addr, int value);

    /** {@return whether {@code [addr, addr + length)} is RAM, where the JIT may translate code from} */
    boolean isRam(int addr, int length);

    /**
     * Starts watching the 4 KiB page at {@code page} for writes, before the JIT reads instructions
     * from it: a later store into it tells the {@link CodeWatcher}.
     */
    void watchCode(int page);

    /** The page at {@code page} holds no translated code any more. */
    void unwatchCode(int page);

    /** Sets who is told about writes to watched pages (the JIT's code cache). */
    void setCodeWatcher(CodeWatcher watcher);

    /** {@return the code generator the JIT uses for this backend's loads and stores} */
    AccessEmitter emitter();

    /**
     * The CPU thread is between blocks and holds no reference into guest memory's structures: for
     * guestmem, an RCU quiescent state, which lets pending grace periods end and makes the next
     * access see the current memory map.
     */
    void quiescentState();

    /** {@return a line for {@code --stats} about the translation cache, as far as this backend can tell} */
    String cacheStats(long accesses);

    /** Releases what the backend holds (RCU registration, memory system). */
    @Override
    void close();
}
