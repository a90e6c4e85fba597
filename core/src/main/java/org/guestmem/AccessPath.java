package org.guestmem;

import java.lang.foreign.MemorySegment;
import org.guestmem.internal.DispatchTable;
import org.guestmem.internal.IoStatus;
import org.guestmem.internal.SegmentAccess;
import org.guestmem.internal.MmioDispatcher;
import org.guestmem.iommu.IommuPerm;
import org.guestmem.iommu.IommuTlbEntry;
import org.guestmem.layout.SectionLayout;

/**
 * QEMU 7.2's access path over one {@link FlatView}: {@code flatview_translate},
 * {@code flatview_read/write} with their {@code _continue} loops, {@code address_space_ld*} /
 * {@code st*} and {@code address_space_write_rom}. The caller keeps the view alive (RCU read
 * section or counted reference) for the duration of the call. Stateless; per-thread scratch
 * state is the caller's {@link IoStatus}.
 */
final class AccessPath {
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

    /**
     * After a direct RAM write (QEMU's {@code invalidate_and_set_dirty}): {@code len} bytes at
     * {@code offset} of section {@code s}'s RAM block changed, written through {@code as} (whose
     * view {@code v} is); marks them with the mask the view rendered for the section, telling the
     * code-write handler the guest address in {@code as} when the CODE bit was clean (then
     * {@code st.codeWritten} is set, if {@code st} is given). Nothing to do, and nothing loaded
     * beyond the mask, when it is 0.
     */
    static void ramWritten(AddressSpace as, FlatView v, int s, long offset, long len, IoStatus st) {
        int mask = v.dispatch.dirtyLogMask(s);
        if (mask != 0 && len != 0) {
            long addr = offset - v.dispatch.offsetInRegion(s) + v.dispatch.start(s);
            if (v.context.dirtyLog.markWritten(as, addr, v.sectionRegion[s], v.sectionBlock[s], mask, offset, len)
                    && st != null) {
                st.codeWritten = true;
            }
        }
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
        if (kind == SectionLayout.KIND_IOMMU) {
            return loadViaIommu(v, s, addr, size, bigEndian, attrs, st);
        }
        long xlat = xlat(d, s, addr);
        if (directRead(kind) && (!isRam(kind) || Long.compareUnsigned(remainingMinusOne(d, s, addr), size - 1) >= 0)) {
            MemorySegment ram = v.sectionRam[s];
            if (Long.compareUnsigned(xlat, ram.byteSize() - size) <= 0) {
                return SegmentAccess.read(ram, xlat, size, bigEndian);
            }
            // a romd read straddling the end of its block: QEMU overruns the block; guestmem asks the device
        }
        long value = v.sectionIo[s].read(xlat, size, bigEndian, attrs, st);
        return size == 8 ? value : value & ((1L << (size * 8)) - 1);
    }

    /** {@link #load} when the address lands on an IOMMU: translate, then QEMU's {@code l < size || !direct} test. */
    private static long loadViaIommu(FlatView v, int s, long addr, int size, boolean bigEndian, MemTxAttrs attrs,
                                     IoStatus st) {
        IommuWalk w = IommuWalk.walk(v, s, addr, size, false, true, attrs);
        try {
            int ks = w.view.dispatch.kind(w.section);
            if (directRead(ks) && w.len >= size) {
                MemorySegment ram = w.view.sectionRam[w.section];
                if (Long.compareUnsigned(w.xlat, ram.byteSize() - size) <= 0) {
                    return SegmentAccess.read(ram, w.xlat, size, bigEndian);
                }
            }
            long value = w.view.sectionIo[w.section].read(w.xlat, size, bigEndian, attrs, st);
            return size == 8 ? value : value & ((1L << (size * 8)) - 1);
        } finally {
            w.release();
        }
    }

    /** {@code address_space_st*_internal} through {@code as}, whose view {@code v} is. */
    static void store(AddressSpace as, FlatView v, long addr, int size, long value, boolean bigEndian, MemTxAttrs attrs,
                      IoStatus st) {
        DispatchTable d = v.dispatch;
        int s = d.find(addr);
        int kind = d.kind(s);
        if (kind == SectionLayout.KIND_IOMMU) {
            storeViaIommu(v, s, addr, size, value, bigEndian, attrs, st);
            return;
        }
        long xlat = xlat(d, s, addr);
        if (directWrite(kind) && Long.compareUnsigned(remainingMinusOne(d, s, addr), size - 1) >= 0) {
            SegmentAccess.write(v.sectionRam[s], xlat, size, value, bigEndian);
            ramWritten(as, v, s, xlat, size, st);
            return;
        }
        v.sectionIo[s].write(xlat, value, size, bigEndian, attrs, st);
    }

    private static void storeViaIommu(FlatView v, int s, long addr, int size, long value, boolean bigEndian,
                                      MemTxAttrs attrs, IoStatus st) {
        IommuWalk w = IommuWalk.walk(v, s, addr, size, true, true, attrs);
        try {
            if (directWrite(w.view.dispatch.kind(w.section)) && w.len >= size) {
                SegmentAccess.write(w.view.sectionRam[w.section], w.xlat, size, value, bigEndian);
                ramWritten(w.target, w.view, w.section, w.xlat, size, st);
                return;
            }
            w.view.sectionIo[w.section].write(w.xlat, value, size, bigEndian, attrs, st);
        } finally {
            w.release();
        }
    }

    // ------------------------------------------------------------------ buffers

    /**
     * {@code flatview_read} + {@code flatview_read_continue}; returns the OR of the results (also
     * accumulated into {@code st.bits}, which the caller resets).
     */
    static int read(FlatView v, long addr, MemTxAttrs attrs, MemorySegment dst, IoStatus st) {
        return loop(null, v, addr, attrs, dst, st, false, AccessPath::readChunk);
    }

    /**
     * {@code flatview_write} + {@code flatview_write_continue} through {@code as}, whose view
     * {@code v} is; returns the OR of the results (also accumulated into {@code st.bits}, which the
     * caller resets).
     */
    static int write(AddressSpace as, FlatView v, long addr, MemTxAttrs attrs, MemorySegment src, IoStatus st) {
        return loop(as, v, addr, attrs, src, st, true, AccessPath::writeChunk);
    }

    /**
     * One piece of a buffer access: section {@code s} of {@code v} (a view of {@code as}) from
     * {@code xlat}; {@return the bytes consumed}
     */
    @FunctionalInterface
    private interface Chunk {
        long access(AddressSpace as, FlatView v, int s, long xlat, long l, MemTxAttrs attrs, MemorySegment buf, long pos,
                    IoStatus st);
    }

    /** QEMU's buffer loop, shared by reads and writes: one chunk per section, IOMMUs followed. */
    private static int loop(AddressSpace as, FlatView v, long addr, MemTxAttrs attrs, MemorySegment buf, IoStatus st,
                            boolean isWrite, Chunk chunk) {
        long len = buf.byteSize();
        if (len == 0) {
            return 0;
        }
        long pos = 0;
        boolean first = true;
        while (true) {
            DispatchTable d = v.dispatch;
            int s = d.find(addr);
            long l;
            if (d.kind(s) == SectionLayout.KIND_IOMMU) {
                IommuWalk w = IommuWalk.walk(v, s, addr, len, isWrite, true, attrs);
                try {
                    if (first && attrs.memory() && !isRam(w.view.dispatch.kind(w.section))) {
                        return ACCESS_ERROR;
                    }
                    l = chunk.access(w.target, w.view, w.section, w.xlat, w.len, attrs, buf, pos, st);
                } finally {
                    w.release();
                }
            } else {
                if (first && attrs.memory() && !isRam(d.kind(s))) {
                    return ACCESS_ERROR;
                }
                l = chunk.access(as, v, s, xlat(d, s, addr), clamp(d, s, addr, len), attrs, buf, pos, st);
            }
            first = false;
            len -= l;
            pos += l;
            addr += l;
            if (len == 0) {
                return st.bits;
            }
        }
    }

    /** One piece of {@code flatview_read_continue}: section {@code s} of {@code v}; {@return the bytes consumed} */
    private static long readChunk(AddressSpace as, FlatView v, int s, long xlat, long l, MemTxAttrs attrs,
                                  MemorySegment dst, long pos, IoStatus st) {
        int kind = v.dispatch.kind(s);
        if (attrs.memory() && !isRam(kind)) {
            st.bits |= ACCESS_ERROR;
            return l;
        }
        if (!directRead(kind)) {
            MmioDispatcher io = v.sectionIo[s];
            int n = io.accessSize(l, xlat);
            long val = io.read(xlat, n, false, attrs, st);
            SegmentAccess.write(dst, pos, n, val, false);
            return n;
        }
        MemorySegment ram = v.sectionRam[s];
        long avail = ram.byteSize() - xlat; // qemu_ram_ptr_length clamps at the block's end
        if (Long.compareUnsigned(l, avail) > 0) {
            l = avail;
        }
        MemorySegment.copy(ram, xlat, dst, pos, l);
        return l;
    }

    /** One piece of {@code flatview_write_continue}; {@return the bytes consumed} */
    private static long writeChunk(AddressSpace as, FlatView v, int s, long xlat, long l, MemTxAttrs attrs,
                                   MemorySegment src, long pos, IoStatus st) {
        int kind = v.dispatch.kind(s);
        if (attrs.memory() && !isRam(kind)) {
            st.bits |= ACCESS_ERROR;
            return l;
        }
        if (!directWrite(kind)) {
            MmioDispatcher io = v.sectionIo[s];
            int n = io.accessSize(l, xlat);
            long val = SegmentAccess.read(src, pos, n, false);
            io.write(xlat, val, n, false, attrs, st);
            return n;
        }
        MemorySegment ram = v.sectionRam[s];
        long avail = ram.byteSize() - xlat;
        if (Long.compareUnsigned(l, avail) > 0) {
            l = avail;
        }
        MemorySegment.copy(src, pos, ram, xlat, l);
        ramWritten(as, v, s, xlat, l, st);
        return l;
    }

    /**
     * {@code address_space_write_rom}: copies into the RAM block behind RAM, ROM and romd-mode
     * ROM-device sections (found through IOMMUs like any write) and skips everything else in
     * {@code memory_access_size} pieces, exactly as QEMU 7.2's loop does. Always OK, as in QEMU.
     * (QEMU does not clamp a romd piece and can write past the block; guestmem stops at the
     * block's end.) {@code v} is a view of {@code as}.
     */
    static void writeRom(AddressSpace as, FlatView v, long addr, MemorySegment src) {
        long len = src.byteSize();
        long pos = 0;
        DispatchTable d = v.dispatch;
        while (len > 0) {
            int s = d.find(addr);
            IommuWalk w = d.kind(s) == SectionLayout.KIND_IOMMU
                    ? IommuWalk.walk(v, s, addr, len, true, true, MemTxAttrs.UNSPECIFIED)
                    : IommuWalk.plain(v, s, xlat(d, s, addr), clamp(d, s, addr, len));
            long l;
            try {
                FlatView wv = w.view;
                int ws = w.section;
                int kind = wv.dispatch.kind(ws);
                l = w.len;
                if (kind == SectionLayout.KIND_RAM || kind == SectionLayout.KIND_ROM || kind == SectionLayout.KIND_ROMD) {
                    MemorySegment ram = wv.sectionRam[ws];
                    long avail = ram.byteSize() - w.xlat;
                    if (Long.compareUnsigned(l, avail) > 0) {
                        l = avail;
                    }
                    MemorySegment.copy(src, pos, ram, w.xlat, l);
                    ramWritten(w.target != null ? w.target : as, wv, ws, w.xlat, l, null);
                } else {
                    l = wv.sectionIo[ws].accessSize(l, w.xlat);
                }
            } finally {
                w.release();
            }
            len -= l;
            pos += l;
            addr += l;
        }
    }

    /**
     * {@code flatview_translate} (with subpages resolved) as a walk result: follows IOMMUs; the
     * caller must {@link IommuWalk#release()} it.
     */
    static IommuWalk resolve(FlatView v, long addr, long length, boolean isWrite, MemTxAttrs attrs) {
        DispatchTable d = v.dispatch;
        int s = d.find(addr);
        if (d.kind(s) == SectionLayout.KIND_IOMMU) {
            return IommuWalk.walk(v, s, addr, length, isWrite, true, attrs);
        }
        return IommuWalk.plain(v, s, xlat(d, s, addr), clamp(d, s, addr, length));
    }

    /**
     * {@code flatview_translate}: the section serving {@code addr} after following IOMMUs (with
     * {@code isWrite} deciding which permission they must grant), the offset within its region and
     * the length the access may cover. A denied IOMMU access answers the unassigned section (region
     * null) with the IOMMU offset, as QEMU's {@code io_mem_unassigned} section.
     */
    static Translation translate(FlatView v, long addr, long length, boolean isWrite, MemTxAttrs attrs) {
        DispatchTable d = v.dispatch;
        int s = d.find(addr);
        if (d.kind(s) == SectionLayout.KIND_IOMMU) {
            IommuWalk w = IommuWalk.walk(v, s, addr, length, isWrite, true, attrs);
            try {
                if (!w.ok()) {
                    return new Translation(new MemoryRegionSection(null, 0, -1L, 0, false, false), w.xlat, w.len);
                }
                return new Translation(section(w.view, w.section), w.xlat, w.len);
            } finally {
                w.release();
            }
        }
        return new Translation(section(v, s), xlat(d, s, addr), clamp(d, s, addr, length));
    }

    private static MemoryRegionSection section(FlatView v, int s) {
        DispatchTable d = v.dispatch;
        int flags = d.flags(s);
        return new MemoryRegionSection(v.sectionRegion[s], d.start(s), d.sizeMinusOne(s), d.offsetInRegion(s),
                (flags & SectionLayout.FLAG_READONLY) != 0, (flags & SectionLayout.FLAG_NONVOLATILE) != 0);
    }

    /**
     * {@code address_space_get_iotlb_entry}: a hole or a denied IOMMU answers
     * {@link IommuTlbEntry#INVALID} (deviation: QEMU does not resolve sub-page regions here and
     * answers a page shared by several regions with its subpage container; guestmem's tables are
     * byte-granular and answer the region at the address),
     * anything else an entry of the final address space with permission RW whose mask is the AND of
     * the IOMMU pages' masks, or the target page mask when no IOMMU is involved.
     */
    static IommuTlbEntry iotlbEntry(AddressSpace as, FlatView v, long addr, boolean isWrite, MemTxAttrs attrs) {
        DispatchTable d = v.dispatch;
        int s = d.find(addr);
        if (d.kind(s) == SectionLayout.KIND_IOMMU) {
            IommuWalk w = IommuWalk.walk(v, s, addr, -1L, isWrite, false, attrs);
            try {
                if (!w.ok() || w.kind() == SectionLayout.KIND_UNASSIGNED) {
                    return IommuTlbEntry.INVALID;
                }
                DispatchTable td = w.view.dispatch;
                long translated = w.xlat + td.start(w.section) - td.offsetInRegion(w.section);
                return new IommuTlbEntry(w.target, addr & ~w.pageMask, translated & ~w.pageMask, w.pageMask, IommuPerm.RW);
            } finally {
                w.release();
            }
        }
        if (d.kind(s) == SectionLayout.KIND_UNASSIGNED) {
            return IommuTlbEntry.INVALID;
        }
        long pageMask = (1L << v.context.pageBits) - 1;
        return new IommuTlbEntry(as, addr & ~pageMask, addr & ~pageMask, pageMask, IommuPerm.RW);
    }
}
