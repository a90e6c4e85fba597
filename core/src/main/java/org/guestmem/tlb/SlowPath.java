package org.guestmem.tlb;

import java.lang.foreign.MemorySegment;
import org.guestmem.MemTxAttrs;
import org.guestmem.RamBackedRegion;
import org.guestmem.dirty.DirtyLogClient;
import org.guestmem.internal.CoreAccess;
import org.guestmem.internal.DispatchTable;
import org.guestmem.internal.IoStatus;
import org.guestmem.internal.SegmentAccess;
import org.guestmem.layout.SectionLayout;
import org.guestmem.layout.TlbEntryLayout;
import org.guestmem.rcu.RcuReader;

/**
 * Everything of a {@link Tlb} that is not inlined into generated code: QEMU's {@code tlb_fill}
 * (page mapper, then the view's tables), MMIO, ROM writes, unassigned addresses, accesses that cross
 * a page, NOTDIRTY stores, checked mode, mapper faults, and {@code protectCode}. Owner thread only;
 * every entry point checks it. An access made outside a protected stretch enters a read section
 * around itself (which revalidates and arms the TLB, and disarms it again on exit).
 */
final class SlowPath {
    private static final int CODE_BIT = DirtyLogClient.CODE.bit();

    private final Tlb tlb;
    private final Revalidation revalidation;
    private final TlbTable t;
    private final MmuIndex[] indexes;
    private final CoreAccess core;
    private final RcuReader reader;
    private final Thread owner;
    private final boolean checked;
    private final long pageSize;
    private final long offsetMask;
    private IoStatus st = new IoStatus();
    private int depth;
    long slowAccesses;
    final TlbFill fill;
    boolean closed;

    SlowPath(Tlb tlb, TlbTable t, MmuIndex[] indexes, CoreAccess core, RcuReader reader, boolean checked,
             Revalidation revalidation) {
        this.tlb = tlb;
        this.revalidation = revalidation;
        this.t = t;
        this.indexes = indexes;
        this.core = core;
        this.reader = reader;
        this.owner = reader.thread();
        this.checked = checked;
        this.pageSize = 1L << t.pageBits;
        this.offsetMask = pageSize - 1;
        this.fill = new TlbFill(t, core, checked);
    }

    // ------------------------------------------------------------------ entry points

    /** A load or fetch that missed the fast path; its result bits are OR-ed into the TLB's status. */
    long load(int k, long addr, int size, boolean bigEndian, MemTxAttrs attrs, AccessType type) {
        check(k);
        boolean entered = enterIfNeeded();
        IoStatus saved = push();
        try {
            slowAccesses++;
            long v = load(follow(k), addr, size, bigEndian, attrs, type);
            tlb.loadStatus |= st.bits;
            return v;
        } finally {
            pop(saved);
            if (entered) {
                reader.exit();
            }
        }
    }

    /** A store that missed the fast path. {@return its result bits, {@link Tlb#CODE_WRITTEN} included} */
    int store(int k, long addr, int size, long value, boolean bigEndian, MemTxAttrs attrs) {
        check(k);
        boolean entered = enterIfNeeded();
        IoStatus saved = push();
        try {
            slowAccesses++;
            int r = store(follow(k), addr, size, value, bigEndian, attrs);
            return r | st.bits | (st.codeWritten ? Tlb.CODE_WRITTEN : 0); // codeWritten: through QEMU's path
        } finally {
            pop(saved);
            if (entered) {
                reader.exit();
            }
        }
    }

    /**
     * A load from a device page whose entry (at {@code slot}, a {@link TlbEntryLayout#DEVICE} entry
     * of the armed table, hence filled by Java from the view the index follows, inside this
     * stretch) the fast path found: the device at {@code offset} in its region, without the general
     * path's search. A nested access (from a device's callback) takes the general path, which gives
     * it a status of its own.
     */
    long deviceLoad(int k, int slot, long addr, long offset, int size, boolean bigEndian, AccessType type) {
        check(k);
        if (depth != 0) {
            return load(k, addr, size, bigEndian, MemTxAttrs.UNSPECIFIED, type);
        }
        IoStatus s = st;
        s.reset();
        depth = 1;
        try {
            slowAccesses++;
            long v = t.info[slot].io.read(offset, size, bigEndian, MemTxAttrs.UNSPECIFIED, s);
            tlb.loadStatus |= s.bits;
            return size == 8 ? v : v & ((1L << (size * 8)) - 1);
        } finally {
            depth = 0;
        }
    }

    /** A store to a device page the fast path found; see {@link #deviceLoad}. {@return its result bits} */
    int deviceStore(int k, int slot, long addr, long offset, int size, long value, boolean bigEndian) {
        check(k);
        if (depth != 0) {
            return store(k, addr, size, value, bigEndian, MemTxAttrs.UNSPECIFIED);
        }
        IoStatus s = st;
        s.reset();
        depth = 1;
        try {
            slowAccesses++;
            t.info[slot].io.write(offset, value, size, bigEndian, MemTxAttrs.UNSPECIFIED, s);
            return s.bits;
        } finally {
            depth = 0;
        }
    }

    /** A fresh status for this access; a nested access (an MMIO callback using the same TLB) gets its own. */
    private IoStatus push() {
        IoStatus saved = st;
        if (depth++ > 0) {
            st = new IoStatus();
        }
        st.reset();
        return saved;
    }

    private void pop(IoStatus saved) {
        depth--;
        st = saved;
    }

    void check(int k) {
        if (Thread.currentThread() != owner || closed || k < 0 || k >= indexes.length) {
            throw refusal(k); // out of line: keeps the callers small enough to inline
        }
    }

    private RuntimeException refusal(int k) {
        if (Thread.currentThread() != owner) {
            return new WrongThreadException("the TLB of thread '" + owner.getName() + "' used from thread '"
                    + Thread.currentThread().getName() + "'");
        }
        if (closed) {
            return new IllegalStateException("the TLB of thread '" + owner.getName() + "' is closed");
        }
        return new IndexOutOfBoundsException("MMU index " + k + " is outside 0.." + (indexes.length - 1));
    }

    /**
     * {@return index {@code k}, following native code that revalidated it itself} Its old view may
     * be freed once native code reported the quiescent state that preceded the revalidation.
     */
    MmuIndex follow(int k) {
        MmuIndex ix = indexes[k];
        if (ix.pub != null && t.descriptorGeneration(k) != ix.pub.generation()) {
            revalidation.resync(ix);
        }
        return ix;
    }

    boolean enterIfNeeded() {
        if (reader.inReadSection()) {
            return false;
        }
        reader.enter();
        return true;
    }

    // ------------------------------------------------------------------ loads

    private long load(MmuIndex ix, long addr, int size, boolean bigEndian, MemTxAttrs attrs, AccessType type) {
        long page = addr & t.pageMaskHi;
        if (((addr + size - 1) & t.pageMaskHi) != page) {
            return crossingLoad(ix, addr, size, bigEndian, attrs, type);
        }
        long field = type == AccessType.FETCH ? TlbEntryLayout.ADDR_CODE_OFFSET : TlbEntryLayout.ADDR_READ_OFFSET;
        int slot = fill.find(ix, page, field);
        if (slot < 0) {
            long phys = translate(ix, addr, type);
            if (phys == -1L) {
                return 0;
            }
            slot = fill.fill(ix, page, phys, perms);
            if (slot < 0) { // no entry for this page (several sections, IOMMU): QEMU's path every time
                return core.load(ix.pub.view(), phys | (addr & offsetMask), size, bigEndian, attrs, st);
            }
        }
        SectionInfo si = t.info[slot];
        long pa = t.physPage[slot] | (addr & offsetMask);
        return switch (si.kind) {
            case SectionLayout.KIND_RAM, SectionLayout.KIND_ROM, SectionLayout.KIND_ROMD ->
                    SegmentAccess.read(si.ram, pa + si.xlat, size, bigEndian);
            default -> {
                long v = si.io.read(pa + si.xlat, size, bigEndian, attrs, st);
                yield size == 8 ? v : v & ((1L << (size * 8)) - 1);
            }
        };
    }

    /**
     * A load crossing a page. Identity index: QEMU's {@code address_space_ld*} on the address space
     * (what {@code AddressSpace} does). Mapped index: QEMU's {@code load_helper}, two aligned loads
     * of the same size, one per page, combined; a fault on either page is the result.
     */
    private long crossingLoad(MmuIndex ix, long addr, int size, boolean bigEndian, MemTxAttrs attrs, AccessType type) {
        if (ix.identity()) {
            return core.load(ix.pub.view(), addr, size, bigEndian, attrs, st);
        }
        long a1 = addr & -size;
        long r1 = load(ix, a1, size, bigEndian, attrs, type);
        if ((st.bits & Tlb.PAGE_FAULT) != 0) {
            return 0;
        }
        long r2 = load(ix, a1 + size, size, bigEndian, attrs, type);
        if ((st.bits & Tlb.PAGE_FAULT) != 0) {
            return 0;
        }
        int shift = (int) (addr & (size - 1)) * 8;
        long v = bigEndian ? (r1 << shift) | (r2 >>> (size * 8 - shift)) : (r1 >>> shift) | (r2 << (size * 8 - shift));
        return size == 8 ? v : v & ((1L << (size * 8)) - 1);
    }

    // ------------------------------------------------------------------ stores

    private int store(MmuIndex ix, long addr, int size, long value, boolean bigEndian, MemTxAttrs attrs) {
        long page = addr & t.pageMaskHi;
        if (((addr + size - 1) & t.pageMaskHi) != page) {
            return crossingStore(ix, addr, size, value, bigEndian, attrs);
        }
        int slot = fill.find(ix, page, TlbEntryLayout.ADDR_WRITE_OFFSET);
        if (slot < 0) {
            long phys = translate(ix, addr, AccessType.STORE);
            if (phys == -1L) {
                return 0;
            }
            slot = fill.fill(ix, page, phys, perms);
            if (slot < 0) {
                core.store(ix.space, ix.pub.view(), phys | (addr & offsetMask), size, value, bigEndian, attrs, st);
                return 0;
            }
        }
        long off = (long) slot << TlbEntryLayout.SHIFT;
        SectionInfo si = t.info[slot];
        long pa = t.physPage[slot] | (addr & offsetMask);
        if (si.kind == SectionLayout.KIND_RAM) {
            return ramStore(ix, off, page, si, pa, size, value, bigEndian);
        }
        si.io.write(pa + si.xlat, value, size, bigEndian, attrs, st); // ROM, romd, MMIO, unassigned
        return 0;
    }

    /**
     * A store to RAM through the slow path, QEMU's {@code notdirty_write} when a bit is clean: tell
     * the JIT if the CODE bit is clean, store, set the clean bits (CODE only if the JIT says the
     * page holds no translated code any more), then re-arm the entry if every bit is now set.
     */
    private int ramStore(MmuIndex ix, long off, long page, SectionInfo si, long pa, int size, long value,
                         boolean bigEndian) {
        long inBlock = pa + si.xlat;
        int clean = si.dirtyMask == 0 ? 0 : si.block.dirty().cleanClients(inBlock, size, si.dirtyMask);
        int result = 0;
        if ((clean & CODE_BIT) != 0) {
            result = Tlb.CODE_WRITTEN;
            if (core.codeWritten(ix.space, pa, size, si.region, inBlock)) {
                clean &= ~CODE_BIT;
            }
        }
        SegmentAccess.write(si.ram, inBlock, size, value, bigEndian);
        if (clean != 0) {
            si.block.dirty().set(inBlock, size, clean);
        }
        if (si.host && (t.tag(off, TlbEntryLayout.ADDR_WRITE_OFFSET) & TlbEntryLayout.NOTDIRTY) != 0) {
            fill.rearm(off, page, si, pa & t.pageMaskHi);
        }
        return result;
    }

    /**
     * A store crossing a page. Identity index: QEMU's {@code address_space_st*}. Mapped index: QEMU's
     * {@code store_helper_unaligned}, both pages translated first (a fault writes nothing), then byte
     * stores in address order.
     */
    private int crossingStore(MmuIndex ix, long addr, int size, long value, boolean bigEndian, MemTxAttrs attrs) {
        if (ix.identity()) {
            core.store(ix.space, ix.pub.view(), addr, size, value, bigEndian, attrs, st);
            return 0;
        }
        if (translate(ix, addr, AccessType.STORE) == -1L || translate(ix, addr + size - 1, AccessType.STORE) == -1L) {
            return 0;
        }
        int result = 0;
        for (int i = 0; i < size; i++) {
            long b = value >>> ((bigEndian ? size - 1 - i : i) * 8);
            result |= store(ix, addr + i, 1, b & 0xff, false, attrs);
        }
        return result;
    }

    // ------------------------------------------------------------------ fill

    /**
     * The guest physical page of {@code addr} for an access of kind {@code type}, with the mapping's
     * permissions remembered in {@link #perms} for the fill; -1 after recording a page fault.
     */
    private long translate(MmuIndex ix, long addr, AccessType type) {
        if (ix.identity()) {
            perms = PageMapper.RWX;
            return addr & t.pageMaskHi;
        }
        long r = ix.mapper.map(addr, type);
        if (PageMapper.isFault(r)) {
            return fault(addr, type, PageMapper.faultCode(r));
        }
        perms = PageMapper.permissions(r);
        if ((perms & type.permission()) == 0) {
            return fault(addr, type, PageMapper.PERMISSION_FAULT);
        }
        return r & t.pageMaskHi;
    }

    /** The permissions of the last {@link #translate}. */
    private int perms;

    private long fault(long addr, AccessType type, int code) {
        tlb.faultAddress = addr;
        tlb.faultAccess = type;
        tlb.faultCode = code;
        st.bits |= Tlb.PAGE_FAULT;
        return -1L;
    }

    // ------------------------------------------------------------------ maintenance

    /**
     * QEMU's {@code tlb_protect_code}: clears the CODE dirty bit of the page of {@code vaddr} (through
     * the region, so listeners hear {@code logClear} and every TLB flags the page's store entries).
     * {@return false if the page is not RAM, ROM or a ROM device, or does not translate}
     */
    boolean protectCode(int k, long vaddr) {
        check(k);
        boolean entered = enterIfNeeded();
        IoStatus saved = push();
        try {
            MmuIndex ix = follow(k);
            long phys = translate(ix, vaddr, AccessType.FETCH);
            if (phys == -1L) {
                return false;
            }
            DispatchTable d = core.dispatch(ix.pub.view());
            long pa = phys | (vaddr & offsetMask);
            int s = d.find(pa);
            if (!(ix.pub.view().sectionRegion(s) instanceof RamBackedRegion region)) {
                return false;
            }
            long lo = Math.max(phys, d.start(s));
            long hi = Math.min(phys + offsetMask, d.start(s) + d.sizeMinusOne(s));
            region.testAndClearDirty(lo - d.start(s) + d.offsetInRegion(s), hi - lo + 1, DirtyLogClient.CODE);
            return true;
        } finally {
            pop(saved);
            if (entered) {
                reader.exit();
            }
        }
    }
}
