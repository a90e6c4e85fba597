package org.guestmem.examples.rv32.mem;

import java.lang.classfile.CodeBuilder;
import java.lang.classfile.Label;
import java.lang.classfile.TypeKind;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.MethodTypeDesc;
import java.util.List;
import org.guestmem.AddrRange;
import org.guestmem.AddressSpace;
import org.guestmem.MemoryRegion;
import org.guestmem.examples.rv32.board.GuestmemBoard;
import org.guestmem.examples.rv32.board.VirtMap;
import org.guestmem.rcu.RcuReader;
import org.guestmem.tlb.Tlb;
import org.guestmem.tlb.TlbListener;

/**
 * {@code --memory guestmem}: every fetch, load and store goes through guestmem's softmmu TLB
 * ({@link Tlb}) over the board's {@code cpu-memory-0} space, so RAM, MMIO, holes (DECODE_ERROR)
 * and misaligned accesses behave as QEMU 7.2's memory API says, and a RAM hit costs a tag compare
 * and one access. Everything that touches guestmem's access API is in this one class.
 *
 * <h2>The fast path</h2>
 * The CPU runs in machine mode without paging, so the TLB has one MMU index, {@link #MMU_IDX}: an
 * identity index of {@code cpu-memory-0}. The interpreter calls the static methods of this class;
 * the JIT's {@link AccessEmitter} emits {@code invokestatic Tlb.ld32le(tlb, 0, addr)} and its
 * siblings straight into the generated code, with the {@code Tlb} as a class-data constant, and
 * C2 inlines their fast path there. A failed load returns 0 and sets the TLB's sticky load status,
 * which the emitted code tests after each load ({@link #loadFailed}); a store returns its status.
 *
 * <h2>Threading and RCU</h2>
 * Created on the CPU thread, which it registers with the memory system's RCU domain as a
 * quiescent-state reader and which owns the TLB; the CPU loop calls {@link #quiescentState()}
 * between blocks, never inside one. That is where the TLB revalidates against commits made since
 * (and tells this class which guest ranges changed, see below): generated code keeps no host
 * address across it.
 *
 * <h2>Self-modifying code</h2>
 * The board's memory system tracks code writes. {@link #watchCode} calls
 * {@link Tlb#protectCode} (QEMU's {@code tlb_protect_code}) before the JIT reads instructions from
 * a page: the page's CODE dirty bit is cleared and the TLB's store entries for it are flagged
 * NOTDIRTY, so stores to it leave the fast path while stores to pages without code stay on it. A
 * store into a protected page calls guestmem's {@code CodeWriteHandler} (installed here) with the
 * guest address; it hands the range to the {@link CodeWatcher}, which drops the overlapping
 * translations, and answers whether the page still holds translated code (then the CODE bit
 * stays clean). The store returns {@link Tlb#CODE_WRITTEN}; this class turns that into
 * {@link MemoryBackend#CODE_WRITTEN} only if a translation was dropped, so the running block stops
 * only then. guestmem calls the handler on the writing thread; on this board only the CPU thread
 * writes guest memory. A machine with DMA devices would have to hand writes from their threads to
 * the CPU thread (the code cache is confined to it), as QEMU serialises them under its locks.
 *
 * <h2>Memory-map changes</h2>
 * The TLB's {@link TlbListener} hears, at a quiescent state, which guest ranges commits changed
 * (or that anything may have): the translations of code there are dropped, so a region mapped
 * over translated code runs its own instructions next.
 */
public final class GuestmemMemory implements MemoryBackend {
    /** The one MMU index: machine mode, physical addresses. */
    public static final int MMU_IDX = 0;
    private static final long ADDRESS_MASK = 0xffff_ffffL;

    private final GuestmemBoard board;
    private final AddressSpace space;
    private final RcuReader reader;
    private final Tlb tlb;
    private CodeWatcher watcher;
    /** Set by the code-write handler when it dropped a translation; read when the store returns. */
    private boolean codeDropped;

    /** The CPU's view of {@code board}; call on the CPU thread, which owns it from then on. */
    public GuestmemMemory(GuestmemBoard board) {
        this.board = board;
        this.space = board.cpuMemory();
        this.reader = board.system().rcu().registerQuiescent();
        this.tlb = Tlb.builder(reader).index(space).listener(new MapListener()).build();
        board.system().setCodeWriteHandler(this::codeWritten);
    }

    /** {@return the TLB the CPU uses} */
    public Tlb tlb() {
        return tlb;
    }

    @Override
    public String name() {
        return "guestmem";
    }

    // ------------------------------------------------------------------ the access path

    private static long guest(int addr) {
        return addr & ADDRESS_MASK;
    }

    /**
     * {@return whether a load through {@code tlb} failed since the last call} Clears the TLB's sticky
     * load status when it did. Called by compiled code after each load.
     */
    public static boolean loadFailed(Tlb tlb) {
        if (Tlb.loadFault(tlb) == 0) {
            return false;
        }
        Tlb.clearLoadFault(tlb);
        return true;
    }

    /** The load result (see {@link MemoryBackend}) for a load that failed: takes the sticky status. */
    private static long failure(Tlb tlb) {
        int bits = Tlb.loadFault(tlb) & Tlb.MEMTX_BITS;
        Tlb.clearLoadFault(tlb);
        return (long) (bits == 0 ? 1 : bits) << 32;
    }

    private static long load(Tlb tlb, long v) {
        return Tlb.loadFault(tlb) == 0 ? v : failure(tlb);
    }

    /**
     * {@return the {@link MemoryBackend} status for a store's non-zero {@link Tlb} result {@code s}}
     * {@link Tlb#CODE_WRITTEN} only says the page held code; the status says
     * {@link MemoryBackend#CODE_WRITTEN} only if a translation was dropped. Called by compiled code.
     */
    public static int storeStatus(GuestmemMemory m, int s) {
        int status = s & Tlb.MEMTX_BITS;
        if (m.codeDropped) {
            m.codeDropped = false;
            status |= CODE_WRITTEN;
        }
        return status;
    }

    @Override
    public long fetch32(int addr) {
        return load(tlb, Tlb.fetch32le(tlb, MMU_IDX, guest(addr)));
    }

    @Override
    public long ld8(int addr) {
        return load(tlb, Tlb.ld8(tlb, MMU_IDX, guest(addr)));
    }

    @Override
    public long ld16(int addr) {
        return load(tlb, Tlb.ld16le(tlb, MMU_IDX, guest(addr)));
    }

    @Override
    public long ld32(int addr) {
        return load(tlb, Tlb.ld32le(tlb, MMU_IDX, guest(addr)));
    }

    @Override
    public int st8(int addr, int value) {
        int s = Tlb.st8(tlb, MMU_IDX, guest(addr), value);
        return s == 0 ? 0 : storeStatus(this, s);
    }

    @Override
    public int st16(int addr, int value) {
        int s = Tlb.st16le(tlb, MMU_IDX, guest(addr), value);
        return s == 0 ? 0 : storeStatus(this, s);
    }

    @Override
    public int st32(int addr, int value) {
        int s = Tlb.st32le(tlb, MMU_IDX, guest(addr), value);
        return s == 0 ? 0 : storeStatus(this, s);
    }

    @Override
    public void quiescentState() {
        reader.quiescentState();
    }

    // ------------------------------------------------------------------ code tracking

    @Override
    public boolean isRam(int addr, int length) {
        long off = guest(addr) - VirtMap.DRAM;
        return off >= 0 && off <= board.ram().size() - length;
    }

    @Override
    public void watchCode(int page) {
        tlb.protectCode(MMU_IDX, guest(page));
    }

    @Override
    public void unwatchCode(int page) {
        // nothing to do: the next store to the page hears from the handler that no code is left there
    }

    @Override
    public void setCodeWatcher(CodeWatcher w) {
        this.watcher = w;
    }

    /** guestmem's {@code CodeWriteHandler}: runs on the CPU thread, inside the store. */
    private boolean codeWritten(AddressSpace as, long addr, long length, MemoryRegion region, long offset) {
        CodeWatcher w = watcher;
        if (as != space || w == null || addr > ADDRESS_MASK) {
            return false;
        }
        int a = (int) addr;
        int len = (int) Math.min(length, ADDRESS_MASK + 1 - addr);
        codeDropped |= w.codeWritten(a, len);
        return w.pageHasCode(a & ~0xfff) || w.pageHasCode((int) (addr + len - 1) & ~0xfff);
    }

    /** Drops the translations of code whose memory a commit changed; on the CPU thread, at a quiescent state. */
    private final class MapListener implements TlbListener {
        @Override
        public void rangesChanged(int mmuIdx, List<AddrRange> ranges) {
            CodeWatcher w = watcher;
            if (w == null) {
                return;
            }
            for (AddrRange r : ranges) {
                if (r.start() <= ADDRESS_MASK) {
                    w.memoryChanged(r.start(), Math.min(r.last(), ADDRESS_MASK));
                }
            }
        }

        @Override
        public void everythingChanged(int mmuIdx) {
            CodeWatcher w = watcher;
            if (w != null) {
                w.memoryChangedEverywhere();
            }
        }
    }

    // ------------------------------------------------------------------ JIT and stats

    @Override
    public AccessEmitter emitter() {
        return new Emitter();
    }

    @Override
    public String cacheStats(long accesses) {
        long slow = tlb.slowAccessCount();
        double hit = accesses == 0 ? 0 : 100.0 * Math.max(0, accesses - slow) / accesses;
        return String.format("TLB: %.2f%% fast-path hits (%d slow-path accesses of about %d, %d entries filled)",
                hit, slow, accesses, tlb.fillCount());
    }

    @Override
    public void close() {
        board.system().setCodeWriteHandler(null);
        tlb.close();
        reader.close();
    }

    /** Loads and stores as {@code invokestatic} of {@link Tlb}'s fast path, which C2 inlines into the block. */
    private final class Emitter implements AccessEmitter {
        private static final ClassDesc CD_TLB = ClassDesc.of(Tlb.class.getName());
        private static final ClassDesc CD_MEM = ClassDesc.of(GuestmemMemory.class.getName());
        private static final MethodTypeDesc MT_LOAD = MethodTypeDesc.of(ConstantDescs.CD_long, CD_TLB, ConstantDescs.CD_int,
                ConstantDescs.CD_long);
        private static final MethodTypeDesc MT_STORE = MethodTypeDesc.of(ConstantDescs.CD_int, CD_TLB, ConstantDescs.CD_int,
                ConstantDescs.CD_long, ConstantDescs.CD_long);

        /** Pushes the TLB, the MMU index and the zero-extended guest address in int local {@code addr}. */
        private void operands(CodeBuilder cb, AccessEmitter.Context ctx, int addr) {
            cb.ldc(ctx.constant(tlb, Tlb.class)).loadConstant(MMU_IDX)
                    .iload(addr).i2l().loadConstant(ADDRESS_MASK).land();
        }

        @Override
        public void load(CodeBuilder cb, AccessEmitter.Context ctx, int size, boolean signed, int addr, Label fault) {
            int v = cb.allocateLocal(TypeKind.INT);
            operands(cb, ctx, addr);
            cb.invokestatic(CD_TLB, switch (size) {
                case 1 -> "ld8";
                case 2 -> "ld16le";
                default -> "ld32le";
            }, MT_LOAD).l2i().istore(v);
            cb.ldc(ctx.constant(tlb, Tlb.class))
                    .invokestatic(CD_MEM, "loadFailed", MethodTypeDesc.of(ConstantDescs.CD_boolean, CD_TLB))
                    .ifne(fault);
            cb.iload(v);
            if (signed && size == 1) {
                cb.i2b();
            } else if (signed && size == 2) {
                cb.i2s();
            }
        }

        @Override
        public void store(CodeBuilder cb, AccessEmitter.Context ctx, int size, int addr, int value, int status, Label nonZero) {
            Label done = cb.newLabel();
            operands(cb, ctx, addr);
            cb.iload(value).i2l().invokestatic(CD_TLB, switch (size) {
                case 1 -> "st8";
                case 2 -> "st16le";
                default -> "st32le";
            }, MT_STORE).istore(status);
            cb.iload(status).ifeq(done);
            cb.ldc(ctx.constant(GuestmemMemory.this, GuestmemMemory.class)).iload(status)
                    .invokestatic(CD_MEM, "storeStatus", MethodTypeDesc.of(ConstantDescs.CD_int, CD_MEM, ConstantDescs.CD_int))
                    .istore(status);
            cb.iload(status).ifne(nonZero);
            cb.labelBinding(done);
        }
    }
}
