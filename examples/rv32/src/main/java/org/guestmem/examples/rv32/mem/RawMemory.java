package org.guestmem.examples.rv32.mem;

import java.lang.classfile.CodeBuilder;
import java.lang.classfile.Label;
import java.lang.classfile.TypeKind;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.MethodTypeDesc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;
import org.guestmem.examples.rv32.board.MappedDevice;
import org.guestmem.examples.rv32.board.VirtBoard;
import org.guestmem.examples.rv32.board.VirtMap;

/**
 * {@code --memory raw}: guest RAM is one {@link MemorySegment} at 0x80000000, devices are found by
 * address checks and called through their {@code MemoryRegionOps} after QEMU's {@code valid}
 * checks; no guestmem at all. It exists to show, end to end, what guestmem's semantics cost.
 *
 * <p>Stores check a byte per 4 KiB page ("watched": holds translated code, or HTIF's
 * {@code tohost}); a watched page takes the slow path, which tells the {@link CodeWatcher}. A
 * device mapped over RAM (HTIF) sees every store to it, and the store also goes to the RAM below,
 * which loads read: simpler than QEMU's overlay and the same for a device that reads back what was
 * written. A
 * misaligned access is done (also across pages), like QEMU's TCG does for RAM. The JIT emits the
 * bounds check and the segment access inline.
 */
public final class RawMemory implements MemoryBackend {
    /** Layouts of the accesses, public for compiled code. */
    public static final ValueLayout.OfByte B8 = ValueLayout.JAVA_BYTE;
    /** A little-endian 2-byte access, any alignment. */
    public static final ValueLayout.OfShort LE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** A little-endian 4-byte access, any alignment. */
    public static final ValueLayout.OfInt LE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int RAM_BASE = (int) VirtMap.DRAM;
    private static final byte WATCH_CODE = 1;
    private static final byte WATCH_DEVICE = 2;

    private final MemorySegment ram;
    private final long ramSize;
    private final byte[] watch;
    private final MappedDevice[] devices;
    private CodeWatcher watcher;
    private long slowAccesses;

    /** Raw memory for {@code board}: fresh zeroed RAM, the board's devices. */
    public RawMemory(VirtBoard board) {
        this.ramSize = board.ramBytes();
        this.ram = Arena.ofAuto().allocate(ramSize, 4096);
        this.watch = new byte[(int) (ramSize >>> 12)];
        List<MappedDevice> list = board.devices();
        // highest priority first, so an overlay over RAM (HTIF) is found before RAM
        this.devices = list.stream().sorted((a, b) -> Integer.compare(b.priority(), a.priority())).toArray(MappedDevice[]::new);
        for (MappedDevice d : devices) {
            if (d.base() >= VirtMap.DRAM && d.base() < VirtMap.DRAM + ramSize) {
                for (long p = d.base(); p < d.base() + d.size(); p += 4096) {
                    watch[(int) ((p - VirtMap.DRAM) >>> 12)] |= WATCH_DEVICE;
                }
            }
        }
    }

    /** {@return guest RAM} */
    public MemorySegment ram() {
        return ram;
    }

    @Override
    public String name() {
        return "raw";
    }

    private static long offset(int addr) {
        return Integer.toUnsignedLong(addr - RAM_BASE);
    }

    @Override
    public long fetch32(int addr) {
        return ld32(addr);
    }

    @Override
    public long ld8(int addr) {
        long off = offset(addr);
        return off < ramSize ? ram.get(B8, off) & 0xffL : slowLoad(this, addr, 1);
    }

    @Override
    public long ld16(int addr) {
        long off = offset(addr);
        return off <= ramSize - 2 ? ram.get(LE16, off) & 0xffffL : slowLoad(this, addr, 2);
    }

    @Override
    public long ld32(int addr) {
        long off = offset(addr);
        return off <= ramSize - 4 ? ram.get(LE32, off) & 0xffffffffL : slowLoad(this, addr, 4);
    }

    @Override
    public int st8(int addr, int value) {
        long off = offset(addr);
        if (off < ramSize && watch[(int) (off >>> 12)] == 0) {
            ram.set(B8, off, (byte) value);
            return 0;
        }
        return slowStore(this, addr, value, 1);
    }

    @Override
    public int st16(int addr, int value) {
        long off = offset(addr);
        if (off <= ramSize - 2 && (watch[(int) (off >>> 12)] | watch[(int) ((off + 1) >>> 12)]) == 0) {
            ram.set(LE16, off, (short) value);
            return 0;
        }
        return slowStore(this, addr, value, 2);
    }

    @Override
    public int st32(int addr, int value) {
        long off = offset(addr);
        if (off <= ramSize - 4 && (watch[(int) (off >>> 12)] | watch[(int) ((off + 3) >>> 12)]) == 0) {
            ram.set(LE32, off, value);
            return 0;
        }
        return slowStore(this, addr, value, 4);
    }

    private MappedDevice device(int addr) {
        for (MappedDevice d : devices) {
            if (d.contains(addr)) {
                return d;
            }
        }
        return null;
    }

    /**
     * A load the inline path does not handle: a device, an overlay over RAM, the end of RAM or a
     * hole (DECODE_ERROR, as QEMU's unassigned memory). Called by compiled code.
     */
    public static long slowLoad(RawMemory m, int addr, int size) {
        m.slowAccesses++;
        MappedDevice d = m.device(addr);
        if (d != null) {
            long off = Integer.toUnsignedLong(addr) - d.base();
            if (off + size > d.size() || !d.accessValid(off, size, false)) {
                return 2L << 32;
            }
            long v = d.ops().read().read(off, size);
            return v & (size == 4 ? 0xffffffffL : (1L << (8 * size)) - 1);
        }
        long off = offset(addr);
        if (off <= m.ramSize - size) {
            return switch (size) {
                case 1 -> m.ram.get(B8, off) & 0xffL;
                case 2 -> m.ram.get(LE16, off) & 0xffffL;
                default -> m.ram.get(LE32, off) & 0xffffffffL;
            };
        }
        return 2L << 32; // DECODE_ERROR
    }

    /** A store the inline path does not handle (see {@link #slowLoad}); watched code pages tell the watcher. */
    public static int slowStore(RawMemory m, int addr, int value, int size) {
        m.slowAccesses++;
        long ramOff = offset(addr);
        boolean inRam = ramOff <= m.ramSize - size;
        MappedDevice d = inRam && ((m.watch[(int) (ramOff >>> 12)] | m.watch[(int) ((ramOff + size - 1) >>> 12)]) & WATCH_DEVICE) == 0
                ? null : m.device(addr);
        if (d != null) {
            long off = Integer.toUnsignedLong(addr) - d.base();
            if (off + size > d.size() || !d.accessValid(off, size, true)) {
                return 2;
            }
            d.ops().write().write(off, Integer.toUnsignedLong(value) & (size == 4 ? 0xffffffffL : (1L << (8 * size)) - 1), size);
            if (inRam) { // a device over RAM (HTIF): loads read RAM, so mirror the store there
                m.storeRam(ramOff, value, size);
            }
            return 0;
        }
        long off = offset(addr);
        if (off > m.ramSize - size) {
            return 2; // DECODE_ERROR
        }
        int status = 0;
        if (((m.watch[(int) (off >>> 12)] | m.watch[(int) ((off + size - 1) >>> 12)]) & WATCH_CODE) != 0
                && m.watcher != null && m.watcher.codeWritten(addr, size)) {
            status = CODE_WRITTEN;
        }
        m.storeRam(off, value, size);
        return status;
    }

    private void storeRam(long off, int value, int size) {
        switch (size) {
            case 1 -> ram.set(B8, off, (byte) value);
            case 2 -> ram.set(LE16, off, (short) value);
            default -> ram.set(LE32, off, value);
        }
    }

    @Override
    public boolean isRam(int addr, int length) {
        long off = offset(addr);
        return off <= ramSize - length;
    }

    @Override
    public void watchCode(int page) {
        watch[(int) (offset(page) >>> 12)] |= WATCH_CODE;
    }

    @Override
    public void unwatchCode(int page) {
        watch[(int) (offset(page) >>> 12)] &= (byte) ~WATCH_CODE;
    }

    @Override
    public void setCodeWatcher(CodeWatcher w) {
        this.watcher = w;
    }

    @Override
    public AccessEmitter emitter() {
        return new Emitter();
    }

    @Override
    public void quiescentState() {
        // no shared structures
    }

    @Override
    public String cacheStats(long accesses) {
        return "raw memory has no translation cache; " + slowAccesses + " slow-path accesses (devices, watched pages)";
    }

    @Override
    public void close() {
        // the RAM segment belongs to an automatic arena
    }

    /** Inline bounds check and segment access; the slow path is a static call. */
    private final class Emitter implements AccessEmitter {
        private static final ClassDesc CD_RAW = ClassDesc.of(RawMemory.class.getName());
        private static final ClassDesc CD_SEGMENT = ClassDesc.of(MemorySegment.class.getName());

        private static ClassDesc layoutClass(int size) {
            return ClassDesc.of(switch (size) {
                case 1 -> ValueLayout.OfByte.class.getName();
                case 2 -> ValueLayout.OfShort.class.getName();
                default -> ValueLayout.OfInt.class.getName();
            });
        }

        private static String layoutField(int size) {
            return switch (size) {
                case 1 -> "B8";
                case 2 -> "LE16";
                default -> "LE32";
            };
        }

        private static ClassDesc valueClass(int size) {
            return switch (size) {
                case 1 -> ConstantDescs.CD_byte;
                case 2 -> ConstantDescs.CD_short;
                default -> ConstantDescs.CD_int;
            };
        }

        /** Leaves the unsigned offset of the int local {@code addr} into RAM in a new long local; {@return it} */
        private int offsetLocal(CodeBuilder cb, int addr) {
            int off = cb.allocateLocal(TypeKind.LONG);
            cb.iload(addr).loadConstant(RAM_BASE).isub().i2l().loadConstant(0xffffffffL).land().lstore(off);
            return off;
        }

        /** Emits {@code watch[(int) ((off + delta) >>> 12)]} (or the page flag OR-ed for both ends). */
        private void pageFlag(CodeBuilder cb, AccessEmitter.Context ctx, int off, int delta) {
            cb.ldc(ctx.constant(watch, byte[].class)).lload(off);
            if (delta != 0) {
                cb.loadConstant((long) delta).ladd();
            }
            cb.bipush(12).lushr().l2i().baload();
        }

        @Override
        public void load(CodeBuilder cb, AccessEmitter.Context ctx, int size, boolean signed, int addr, Label fault) {
            int off = offsetLocal(cb, addr);
            Label slow = cb.newLabel();
            Label done = cb.newLabel();
            cb.lload(off).loadConstant(ramSize - size).lcmp().ifgt(slow);
            cb.ldc(ctx.constant(ram, MemorySegment.class))
                    .getstatic(CD_RAW, layoutField(size), layoutClass(size))
                    .lload(off)
                    .invokeinterface(CD_SEGMENT, "get", MethodTypeDesc.of(valueClass(size), layoutClass(size), ConstantDescs.CD_long));
            if (!signed && size == 1) {
                cb.sipush(0xff).iand();
            } else if (!signed && size == 2) {
                cb.ldc(0xffff).iand();
            }
            cb.goto_(done);
            cb.labelBinding(slow);
            int r = cb.allocateLocal(TypeKind.LONG);
            cb.ldc(ctx.constant(RawMemory.this, RawMemory.class)).iload(addr).loadConstant(size)
                    .invokestatic(CD_RAW, "slowLoad", MethodTypeDesc.of(ConstantDescs.CD_long, CD_RAW, ConstantDescs.CD_int, ConstantDescs.CD_int))
                    .lstore(r)
                    .lload(r).bipush(32).lushr().l2i().ifne(fault)
                    .lload(r).l2i();
            if (signed && size == 1) {
                cb.i2b();
            } else if (signed && size == 2) {
                cb.i2s();
            }
            cb.labelBinding(done);
        }

        @Override
        public void store(CodeBuilder cb, AccessEmitter.Context ctx, int size, int addr, int value, int status, Label nonZero) {
            int off = offsetLocal(cb, addr);
            Label slow = cb.newLabel();
            Label done = cb.newLabel();
            cb.lload(off).loadConstant(ramSize - size).lcmp().ifgt(slow);
            pageFlag(cb, ctx, off, 0);
            if (size > 1) {
                pageFlag(cb, ctx, off, size - 1);
                cb.ior();
            }
            cb.ifne(slow);
            cb.ldc(ctx.constant(ram, MemorySegment.class))
                    .getstatic(CD_RAW, layoutField(size), layoutClass(size))
                    .lload(off)
                    .iload(value);
            if (size == 1) {
                cb.i2b();
            } else if (size == 2) {
                cb.i2s();
            }
            cb.invokeinterface(CD_SEGMENT, "set",
                    MethodTypeDesc.of(ConstantDescs.CD_void, layoutClass(size), ConstantDescs.CD_long, valueClass(size)));
            cb.goto_(done);
            cb.labelBinding(slow);
            cb.ldc(ctx.constant(RawMemory.this, RawMemory.class)).iload(addr).iload(value).loadConstant(size)
                    .invokestatic(CD_RAW, "slowStore",
                            MethodTypeDesc.of(ConstantDescs.CD_int, CD_RAW, ConstantDescs.CD_int, ConstantDescs.CD_int, ConstantDescs.CD_int))
                    .istore(status)
                    .iload(status).ifne(nonZero);
            cb.labelBinding(done);
        }
    }
}
