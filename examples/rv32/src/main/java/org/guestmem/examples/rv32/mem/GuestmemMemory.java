package org.guestmem.examples.rv32.mem;

import java.lang.classfile.CodeBuilder;
import java.lang.classfile.Label;
import java.lang.classfile.TypeKind;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.MethodTypeDesc;
import org.guestmem.AddressSpaceAccessor;
import org.guestmem.dirty.DirtyLogClient;
import org.guestmem.MemoryRegion;
import org.guestmem.RamRegion;
import org.guestmem.examples.rv32.board.GuestmemBoard;
import org.guestmem.examples.rv32.board.VirtMap;
import org.guestmem.rcu.RcuReader;

/**
 * {@code --memory guestmem}: every fetch, load and store goes through an
 * {@link AddressSpaceAccessor} of the board's {@code cpu-memory-0} space, so RAM, MMIO, holes
 * (DECODE_ERROR) and misaligned accesses behave as QEMU 7.2's memory API says. Everything that
 * touches guestmem's access API is in this one class.
 *
 * <h2>Threading and RCU</h2>
 * Created on the CPU thread, which it registers with the memory system's RCU domain as a
 * quiescent-state reader; the CPU loop calls {@link #quiescentState()} between blocks.
 *
 * <h2>Self-modifying code</h2>
 * The board's memory system tracks code writes. {@link #watchCode} clears the page's CODE dirty
 * bit ({@link RamRegion#testAndClearDirty}) before the JIT reads instructions from it; a later
 * write to the page calls guestmem's {@code CodeWriteHandler} (installed here), which passes the
 * written range to the {@link CodeWatcher}. guestmem sets the CODE bit again after the handler,
 * so once the store is done this class clears it again for every page that still holds
 * translations, and the store reports {@link MemoryBackend#CODE_WRITTEN} if translations were
 * dropped. guestmem calls the handler on the writing thread; on this board only the CPU thread
 * writes guest memory. A machine with DMA devices would have to hand writes from their threads to
 * the CPU thread (the code cache is confined to it), as QEMU serialises them under its locks.
 */
public final class GuestmemMemory implements MemoryBackend {
    private final GuestmemBoard board;
    private final RamRegion ram;
    private final RcuReader reader;
    private final AddressSpaceAccessor acc;
    private CodeWatcher watcher;
    /** Set by the code-write handler, handled when the store returns. */
    private boolean codeEvent;
    private boolean codeDropped;
    private final int[] rewatch = new int[8];
    private int rewatchCount;
    private boolean rewatchOverflow;
    private int rewatchLo;
    private int rewatchHi;

    /** The CPU's view of {@code board}; call on the CPU thread. */
    public GuestmemMemory(GuestmemBoard board) {
        this.board = board;
        this.ram = board.ram();
        this.reader = board.system().rcu().registerQuiescent();
        this.acc = board.cpuMemory().accessor(reader);
        board.system().setCodeWriteHandler(this::codeWritten);
    }

    /** {@return the accessor the CPU uses} */
    public AddressSpaceAccessor accessor() {
        return acc;
    }

    @Override
    public String name() {
        return "guestmem";
    }

    // ------------------------------------------------------------------ the access path

    private static long result(AddressSpaceAccessor a, long v, long mask) {
        return a.lastLoadOk() ? v & mask : (long) a.lastResult().bits() << 32;
    }

    /** A one-byte load through {@code a}; see {@link MemoryBackend} for the result. Called by compiled code. */
    public static long ld8(AddressSpaceAccessor a, int addr) {
        return result(a, a.ld8(Integer.toUnsignedLong(addr)), 0xffL);
    }

    /** A two-byte little-endian load; called by compiled code. */
    public static long ld16(AddressSpaceAccessor a, int addr) {
        return result(a, a.ld16le(Integer.toUnsignedLong(addr)), 0xffffL);
    }

    /** A four-byte little-endian load; called by compiled code. */
    public static long ld32(AddressSpaceAccessor a, int addr) {
        return result(a, a.ld32le(Integer.toUnsignedLong(addr)), 0xffffffffL);
    }

    /** A one-byte store; {@return the status}; called by compiled code. */
    public static int st8(GuestmemMemory m, int addr, int value) {
        int s = m.acc.st8(Integer.toUnsignedLong(addr), value).bits();
        return m.codeEvent ? s | m.afterCodeWrite() : s;
    }

    /** A two-byte little-endian store; called by compiled code. */
    public static int st16(GuestmemMemory m, int addr, int value) {
        int s = m.acc.st16le(Integer.toUnsignedLong(addr), value).bits();
        return m.codeEvent ? s | m.afterCodeWrite() : s;
    }

    /** A four-byte little-endian store; called by compiled code. */
    public static int st32(GuestmemMemory m, int addr, int value) {
        int s = m.acc.st32le(Integer.toUnsignedLong(addr), Integer.toUnsignedLong(value)).bits();
        return m.codeEvent ? s | m.afterCodeWrite() : s;
    }

    @Override
    public long fetch32(int addr) {
        return ld32(acc, addr);
    }

    @Override
    public long ld8(int addr) {
        return ld8(acc, addr);
    }

    @Override
    public long ld16(int addr) {
        return ld16(acc, addr);
    }

    @Override
    public long ld32(int addr) {
        return ld32(acc, addr);
    }

    @Override
    public int st8(int addr, int value) {
        return st8(this, addr, value);
    }

    @Override
    public int st16(int addr, int value) {
        return st16(this, addr, value);
    }

    @Override
    public int st32(int addr, int value) {
        return st32(this, addr, value);
    }

    @Override
    public void quiescentState() {
        reader.quiescentState();
    }

    // ------------------------------------------------------------------ code tracking

    @Override
    public boolean isRam(int addr, int length) {
        long off = Integer.toUnsignedLong(addr) - VirtMap.DRAM;
        return off >= 0 && off <= ram.size() - length;
    }

    @Override
    public void watchCode(int page) {
        ram.testAndClearDirty(Integer.toUnsignedLong(page) - VirtMap.DRAM, 4096, DirtyLogClient.CODE);
    }

    @Override
    public void unwatchCode(int page) {
        // nothing to do: the next write sets the CODE bit and the handler finds no translation
    }

    @Override
    public void setCodeWatcher(CodeWatcher w) {
        this.watcher = w;
    }

    /** guestmem's {@code CodeWriteHandler}: runs on the CPU thread, inside the store. */
    private void codeWritten(MemoryRegion region, long offset, long length) {
        if (region != ram || watcher == null) {
            return;
        }
        int addr = (int) (VirtMap.DRAM + offset);
        codeDropped |= watcher.codeWritten(addr, (int) length);
        for (long p = (VirtMap.DRAM + offset) & ~0xfffL; p < VirtMap.DRAM + offset + length; p += 4096) {
            if (watcher.pageHasCode((int) p)) {
                if (rewatchCount < rewatch.length) {
                    rewatch[rewatchCount++] = (int) p;
                } else {
                    rewatchOverflow = true;
                    rewatchLo = (int) ((VirtMap.DRAM + offset) & ~0xfffL);
                    rewatchHi = (int) (VirtMap.DRAM + offset + length - 1);
                }
            }
        }
        codeEvent = true;
    }

    /** After a store that called the handler: watch the pages that still hold code again. */
    private int afterCodeWrite() {
        codeEvent = false;
        for (int i = 0; i < rewatchCount; i++) {
            watchCode(rewatch[i]);
        }
        rewatchCount = 0;
        if (rewatchOverflow) {
            rewatchOverflow = false;
            for (long p = Integer.toUnsignedLong(rewatchLo); p <= Integer.toUnsignedLong(rewatchHi); p += 4096) {
                if (watcher.pageHasCode((int) p)) {
                    watchCode((int) p);
                }
            }
        }
        boolean dropped = codeDropped;
        codeDropped = false;
        return dropped ? CODE_WRITTEN : 0;
    }

    // ------------------------------------------------------------------ JIT and stats

    @Override
    public AccessEmitter emitter() {
        return new Emitter();
    }

    @Override
    public String cacheStats(long accesses) {
        long slow = acc.slowAccessCount();
        double hit = accesses == 0 ? 0 : 100.0 * Math.max(0, accesses - slow) / accesses;
        return String.format("accessor translation cache: %.2f%% hits (%d slow-path accesses of about %d, %d entries filled)",
                hit, slow, accesses, acc.fillCount());
    }

    @Override
    public void close() {
        board.system().setCodeWriteHandler(null);
        reader.close();
    }

    /** Loads and stores as static calls into this class, which the JVM inlines. */
    private final class Emitter implements AccessEmitter {
        private static final ClassDesc CD_MEM = ClassDesc.of(GuestmemMemory.class.getName());
        private static final ClassDesc CD_ACC = ClassDesc.of(AddressSpaceAccessor.class.getName());

        @Override
        public void load(CodeBuilder cb, AccessEmitter.Context ctx, int size, boolean signed, int addr, Label fault) {
            int r = cb.allocateLocal(TypeKind.LONG);
            cb.ldc(ctx.constant(acc, AddressSpaceAccessor.class)).iload(addr)
                    .invokestatic(CD_MEM, "ld" + (size * 8), MethodTypeDesc.of(ConstantDescs.CD_long, CD_ACC, ConstantDescs.CD_int))
                    .lstore(r)
                    .lload(r).bipush(32).lushr().l2i().ifne(fault)
                    .lload(r).l2i();
            if (signed && size == 1) {
                cb.i2b();
            } else if (signed && size == 2) {
                cb.i2s();
            }
        }

        @Override
        public void store(CodeBuilder cb, AccessEmitter.Context ctx, int size, int addr, int value, int status, Label nonZero) {
            cb.ldc(ctx.constant(GuestmemMemory.this, GuestmemMemory.class)).iload(addr).iload(value)
                    .invokestatic(CD_MEM, "st" + (size * 8),
                            MethodTypeDesc.of(ConstantDescs.CD_int, CD_MEM, ConstantDescs.CD_int, ConstantDescs.CD_int))
                    .istore(status)
                    .iload(status).ifne(nonZero);
        }
    }
}
