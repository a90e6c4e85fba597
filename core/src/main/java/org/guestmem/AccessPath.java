package org.guestmem;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.guestmem.internal.DispatchTable;
import org.guestmem.internal.IoStatus;
import org.guestmem.internal.MmioDispatcher;
import org.guestmem.layout.SectionLayout;

/**
 * QEMU 7.2's access path over one {@link FlatView}: {@code flatview_translate},
 * {@code flatview_read/write} with their {@code _continue} loops, {@code address_space_ld*} /
 * {@code st*} and {@code address_space_write_rom}. The caller keeps the view alive (RCU read
 * section or counted reference) for the duration of the call. Stateless; per-thread scratch
 * state is the caller's {@link IoStatus}.
 */
final class AccessPath {
    private static final ValueLayout.OfShort LE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort BE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt LE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt BE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong LE64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong BE64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final int ACCESS_ERROR = MemTxResult.ACCESS_ERROR.bits();

    private AccessPath() {
    }

    static void checkSize(int size) {
        if (size != 1 && size != 2 && size != 4 && size != 8) {
            throw new IllegalArgumentException("access size must be 1, 2, 4 or 8, got " + size);
        }
    }

    /** {@code memory_region_is_ram}: RAM and ROM (not ROM devices). */
    static boolean isRam(int kind) {
        return kind == SectionLayout.KIND_RAM || kind == SectionLayout.KIND_ROM;
    }

    /** {@code memory_access_is_direct(mr, false)}. */
    static boolean directRead(int kind) {
        return kind == SectionLayout.KIND_RAM || kind == SectionLayout.KIND_ROM || kind == SectionLayout.KIND_ROMD;
    }

    /** {@code memory_access_is_direct(mr, true)}. */
    static boolean directWrite(int kind) {
        return kind == SectionLayout.KIND_RAM;
    }

    static long readSegment(MemorySegment seg, long off, int size, boolean bigEndian) {
        return switch (size) {
            case 1 -> seg.get(ValueLayout.JAVA_BYTE, off) & 0xffL;
            case 2 -> seg.get(bigEndian ? BE16 : LE16, off) & 0xffffL;
            case 4 -> seg.get(bigEndian ? BE32 : LE32, off) & 0xffff_ffffL;
            default -> seg.get(bigEndian ? BE64 : LE64, off);
        };
    }

    static void writeSegment(MemorySegment seg, long off, int size, long value, boolean bigEndian) {
        switch (size) {
            case 1 -> seg.set(ValueLayout.JAVA_BYTE, off, (byte) value);
            case 2 -> seg.set(bigEndian ? BE16 : LE16, off, (short) value);
            case 4 -> seg.set(bigEndian ? BE32 : LE32, off, (int) value);
            default -> seg.set(bigEndian ? BE64 : LE64, off, value);
        }
    }

    /** Bytes from {@code addr} to the end of section {@code s}, minus one (unsigned). */
    private static long remainingMinusOne(DispatchTable d, int s, long addr) {
        return d.sizeMinusOne(s) - (addr - d.start(s));
    }

    /** {@code l} clamped to the section for RAM/ROM sections (QEMU's {@code translate_internal}). */
    private static long clamp(DispatchTable d, int s, long addr, long l) {
        if (isRam(d.kind(s))) {
            long rem1 = remainingMinusOne(d, s, addr);
            if (rem1 != -1L && Long.compareUnsigned(l, rem1 + 1) > 0) {
                return rem1 + 1;
            }
        }
        return l;
    }

    private static long xlat(DispatchTable d, int s, long addr) {
        return addr - d.start(s) + d.offsetInRegion(s);
    }

    // ------------------------------------------------------------------ typed loads and stores

    /** {@code address_space_ld*_internal}: QEMU does not check {@code attrs.memory} here. */
    static long load(FlatView v, long addr, int size, boolean bigEndian, MemTxAttrs attrs, IoStatus st) {
        DispatchTable d = v.dispatch;
        int s = d.find(addr);
        int kind = d.kind(s);
        long xlat = xlat(d, s, addr);
        if (directRead(kind) && (!isRam(kind) || Long.compareUnsigned(remainingMinusOne(d, s, addr), size - 1) >= 0)) {
            MemorySegment ram = v.sectionRam[s];
            if (Long.compareUnsigned(xlat, ram.byteSize() - size) <= 0) {
                return readSegment(ram, xlat, size, bigEndian);
            }
            // a romd read straddling the end of its block: QEMU overruns the block; guestmem asks the device
        }
        long value = v.sectionIo[s].read(xlat, size, bigEndian, attrs, st);
        return size == 8 ? value : value & ((1L << (size * 8)) - 1);
    }

    /** {@code address_space_st*_internal}. */
    static void store(FlatView v, long addr, int size, long value, boolean bigEndian, MemTxAttrs attrs, IoStatus st) {
        DispatchTable d = v.dispatch;
        int s = d.find(addr);
        int kind = d.kind(s);
        long xlat = xlat(d, s, addr);
        if (directWrite(kind) && Long.compareUnsigned(remainingMinusOne(d, s, addr), size - 1) >= 0) {
            writeSegment(v.sectionRam[s], xlat, size, value, bigEndian);
            v.system().ramWritten(v, s, xlat, size);
            return;
        }
        v.sectionIo[s].write(xlat, value, size, bigEndian, attrs, st);
    }

    // ------------------------------------------------------------------ buffers

    /** {@code flatview_read} + {@code flatview_read_continue}; returns the OR of the results. */
    static int read(FlatView v, long addr, MemTxAttrs attrs, MemorySegment dst, IoStatus st) {
        long len = dst.byteSize();
        if (len == 0) {
            return 0;
        }
        DispatchTable d = v.dispatch;
        int s = d.find(addr);
        long l = clamp(d, s, addr, len);
        if (attrs.memory() && !isRam(d.kind(s))) {
            return ACCESS_ERROR;
        }
        long pos = 0;
        int result = 0;
        while (true) {
            int kind = d.kind(s);
            long xlat = xlat(d, s, addr);
            if (attrs.memory() && !isRam(kind)) {
                result |= ACCESS_ERROR;
            } else if (!directRead(kind)) {
                MmioDispatcher io = v.sectionIo[s];
                int n = io.accessSize(l, xlat);
                st.reset();
                long val = io.read(xlat, n, false, attrs, st);
                result |= st.bits;
                writeSegment(dst, pos, n, val, false);
                l = n;
            } else {
                MemorySegment ram = v.sectionRam[s];
                long avail = ram.byteSize() - xlat; // qemu_ram_ptr_length clamps at the block's end
                if (Long.compareUnsigned(l, avail) > 0) {
                    l = avail;
                }
                MemorySegment.copy(ram, xlat, dst, pos, l);
            }
            len -= l;
            pos += l;
            addr += l;
            if (len == 0) {
                return result;
            }
            s = d.find(addr);
            l = clamp(d, s, addr, len);
        }
    }

    /** {@code flatview_write} + {@code flatview_write_continue}; returns the OR of the results. */
    static int write(FlatView v, long addr, MemTxAttrs attrs, MemorySegment src, IoStatus st) {
        long len = src.byteSize();
        if (len == 0) {
            return 0;
        }
        DispatchTable d = v.dispatch;
        int s = d.find(addr);
        long l = clamp(d, s, addr, len);
        if (attrs.memory() && !isRam(d.kind(s))) {
            return ACCESS_ERROR;
        }
        long pos = 0;
        int result = 0;
        while (true) {
            int kind = d.kind(s);
            long xlat = xlat(d, s, addr);
            if (attrs.memory() && !isRam(kind)) {
                result |= ACCESS_ERROR;
            } else if (!directWrite(kind)) {
                MmioDispatcher io = v.sectionIo[s];
                int n = io.accessSize(l, xlat);
                long val = readSegment(src, pos, n, false);
                st.reset();
                io.write(xlat, val, n, false, attrs, st);
                result |= st.bits;
                l = n;
            } else {
                MemorySegment ram = v.sectionRam[s];
                long avail = ram.byteSize() - xlat;
                if (Long.compareUnsigned(l, avail) > 0) {
                    l = avail;
                }
                MemorySegment.copy(src, pos, ram, xlat, l);
                v.system().ramWritten(v, s, xlat, l);
            }
            len -= l;
            pos += l;
            addr += l;
            if (len == 0) {
                return result;
            }
            s = d.find(addr);
            l = clamp(d, s, addr, len);
        }
    }

    /**
     * {@code address_space_write_rom}: copies into the RAM block behind RAM, ROM and romd-mode
     * ROM-device sections and skips everything else in {@code memory_access_size} pieces, exactly
     * as QEMU 7.2's loop does. Always OK, as in QEMU. (QEMU does not clamp a romd piece and can
     * write past the block; guestmem stops at the block's end.)
     */
    static void writeRom(FlatView v, long addr, MemorySegment src) {
        long len = src.byteSize();
        long pos = 0;
        DispatchTable d = v.dispatch;
        while (len > 0) {
            int s = d.find(addr);
            int kind = d.kind(s);
            long xlat = xlat(d, s, addr);
            long l = clamp(d, s, addr, len);
            if (kind == SectionLayout.KIND_RAM || kind == SectionLayout.KIND_ROM || kind == SectionLayout.KIND_ROMD) {
                MemorySegment ram = v.sectionRam[s];
                long avail = ram.byteSize() - xlat;
                if (Long.compareUnsigned(l, avail) > 0) {
                    l = avail;
                }
                MemorySegment.copy(src, pos, ram, xlat, l);
                v.system().ramWritten(v, s, xlat, l);
            } else {
                l = v.sectionIo[s].accessSize(l, xlat);
            }
            len -= l;
            pos += l;
            addr += l;
        }
    }

    /** {@code flatview_translate} (IOMMU-free part). */
    static Translation translate(FlatView v, long addr, long length) {
        DispatchTable d = v.dispatch;
        int s = d.find(addr);
        long l = clamp(d, s, addr, length);
        int flags = d.flags(s);
        MemoryRegionSection section = new MemoryRegionSection(v.sectionRegion[s], d.start(s), d.sizeMinusOne(s),
                d.offsetInRegion(s), (flags & SectionLayout.FLAG_READONLY) != 0,
                (flags & SectionLayout.FLAG_NONVOLATILE) != 0);
        return new Translation(section, xlat(d, s, addr), l);
    }
}
