package org.guestmem;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Objects;
import org.guestmem.internal.DispatchTable;
import org.guestmem.internal.Hex;
import org.guestmem.internal.IoStatus;
import org.guestmem.internal.SegmentAccess;

/**
 * A device's window onto a small guest range it accesses again and again, such as a virtio ring,
 * QEMU's {@code MemoryRegionCache} ({@code address_space_cache_init}, {@code *_cached},
 * {@code address_space_cache_invalidate}, {@code address_space_cache_destroy}). Create one with
 * {@link AddressSpace#cache}; offsets are relative to the cached guest address.
 *
 * <h2 id="validity">Validity across commits: refreshed, not pinned</h2>
 * QEMU's cache pins the view it was created from: after a topology change it keeps reading and
 * writing the old memory until the device re-initialises it. guestmem's cache instead checks, at
 * every access, whether the address space has published a new view since the cache last looked
 * (one acquire load and an identity comparison); if so, it drops its reference on the old view,
 * takes one on the new view and translates the same guest range again before the access. So a
 * cache follows its guest addresses: if the ring's RAM moves elsewhere and other memory appears at
 * the ring's address, the cache reaches the new memory; if nothing is mapped there any more,
 * accesses answer like a hole. The usable {@link #length()} fixed at creation does not change.
 * Between accesses the cache keeps its last view (and the RAM behind it) alive, until the next
 * access or {@link #close()}.
 *
 * <h2 id="paths">Fast and slow paths</h2>
 * When the range is RAM (for a write cache: writable RAM; for a read cache also ROM and ROM
 * devices in romd mode), the cache holds a slice of the RAM block covering the longest prefix of
 * the range that stays contiguous in that region, and accesses inside it go straight to memory.
 * Anything else (MMIO, IOMMU, the part past the slice) is an ordinary access at the guest address
 * through the cache's view, with QEMU's semantics ({@link GuestMemory}), IOMMUs translated each
 * time. Writes on the fast path mark the dirty bitmaps as the access path does (QEMU leaves that
 * to {@link #invalidate}, which is kept for parity and marks again).
 *
 * <h2 id="threading">Threading</h2>
 * Not thread-safe: one thread at a time (QEMU uses a cache under the BQL or from one iothread);
 * handing a cache to another thread needs a happens-before edge. It needs no RCU read section: it
 * holds counted view references. {@link #close()} is idempotent; an access after it throws
 * {@link IllegalStateException}.
 */
public final class MemoryRegionCache implements AutoCloseable {
    private final AddressSpace space;
    private final long addr;
    private final long length;
    private final boolean isWrite;
    private final IoStatus st = new IoStatus();
    // confined to the using thread
    private ViewPublication pub;
    /** The view of {@link #pub}, holding one reference; null once closed. */
    private FlatView view;
    /** The RAM slice for offsets [0, directLen), or null. */
    private MemorySegment direct;
    private long directLen;
    /** The section of {@link #view} the slice belongs to (for dirty marking). */
    private int directSection;
    /** Offset within the RAM block of cache offset 0. */
    private long directBase;
    private int lastBits;
    private long refreshes;

    private MemoryRegionCache(AddressSpace space, long addr, long length, boolean isWrite) {
        this.space = space;
        this.addr = addr;
        this.length = length;
        this.isWrite = isWrite;
    }

    /**
     * QEMU's {@code address_space_cache_init}: translates {@code addr} (not through IOMMUs: an
     * IOMMU section is cached as such and translated at each access) and clamps {@code len} to the
     * section; for direct memory the length is instead the run of contiguous translations of the
     * same region, up to {@code len}.
     */
    static MemoryRegionCache create(AddressSpace space, long addr, long len, boolean isWrite) {
        if (len <= 0) {
            throw new IllegalArgumentException("cache length must be positive, got " + Hex.of(len));
        }
        ViewPublication p = space.retainPublication();
        FlatView v = p.view;
        try {
            long l;
            Run run = directRun(v, addr, len, isWrite);
            if (run != null) {
                l = run.len;
            } else {
                DispatchTable d = v.dispatch;
                int s = d.find(addr);
                long rem1 = d.sizeMinusOne(s) - (addr - d.start(s));
                l = rem1 != -1L && Long.compareUnsigned(len, rem1 + 1) > 0 ? rem1 + 1 : len;
            }
            MemoryRegionCache c = new MemoryRegionCache(space, addr, l, isWrite);
            c.install(p);
            return c;
        } catch (RuntimeException | Error e) {
            v.release();
            throw e;
        }
    }

    /** A direct run: section {@code s}, RAM slice of {@code len} bytes from block offset {@code base}. */
    private record Run(int section, long base, long len, MemorySegment slice) {
    }

    /**
     * The direct run of {@code [addr, addr + want)} in {@code v}, or null if the first byte is not
     * direct memory: {@code flatview_extend_translation} (sections of the same region, same kind,
     * contiguous offsets; RAM never lies behind an IOMMU here), cut at the end of the RAM block.
     */
    private static Run directRun(FlatView v, long addr, long want, boolean isWrite) {
        DispatchTable d = v.dispatch;
        int s = d.find(addr);
        int kind = d.kind(s);
        if (!(isWrite ? AccessPath.directWrite(kind) : AccessPath.directRead(kind))) {
            return null;
        }
        long base = addr - d.start(s) + d.offsetInRegion(s);
        MemoryRegion mr = v.sectionRegion[s];
        long rem1 = d.sizeMinusOne(s) - (addr - d.start(s));
        long done = rem1 != -1L && Long.compareUnsigned(want, rem1 + 1) > 0 ? rem1 + 1 : want;
        while (Long.compareUnsigned(done, want) < 0) {
            int t = d.find(addr + done);
            if (v.sectionRegion[t] != mr || d.kind(t) != kind
                    || addr + done - d.start(t) + d.offsetInRegion(t) != base + done) {
                break;
            }
            long r1 = d.sizeMinusOne(t) - (addr + done - d.start(t));
            long left = want - done;
            done += r1 != -1L && Long.compareUnsigned(left, r1 + 1) > 0 ? r1 + 1 : left;
        }
        MemorySegment ram = v.sectionRam[s];
        if (Long.compareUnsigned(done, ram.byteSize() - base) > 0) {
            done = ram.byteSize() - base;
        }
        return new Run(s, base, done, ram.asSlice(base, done));
    }

    /** Adopts publication {@code p} (whose view is already retained) and computes the direct slice. */
    private void install(ViewPublication p) {
        pub = p;
        view = p.view;
        Run run = directRun(p.view, addr, length, isWrite);
        if (run == null) {
            direct = null;
            directLen = 0;
        } else {
            direct = run.slice;
            directLen = run.len;
            directSection = run.section;
            directBase = run.base;
        }
    }

    /** Brings the cache up to date with the space's current publication; {@return the view to use} */
    private FlatView current() {
        if (view == null) {
            throw new IllegalStateException("the cache of " + Hex.of(addr) + " was closed");
        }
        if (space.publication() != pub) {
            ViewPublication p = space.retainPublication();
            FlatView old = view;
            install(p);
            old.release();
            refreshes++;
        }
        return view;
    }

    private void check(long offset, long n) {
        long len = length;
        if (offset < 0 || n < 0 || offset >= len || n > len - offset) {
            throw new IndexOutOfBoundsException("[" + Hex.of(offset) + ", +" + Hex.of(n) + ") is outside the cache of "
                    + Hex.of(len) + " bytes at " + Hex.of(addr));
        }
    }

    /** {@return the guest address of offset 0} */
    public long address() {
        return addr;
    }

    /**
     * {@return the usable length fixed at creation (QEMU's return value of
     * {@code address_space_cache_init}): the requested length clamped to the first section, or for
     * direct memory to the contiguous run of its region}
     */
    public long length() {
        return length;
    }

    /** {@return whether the cache was created for writing} */
    public boolean isWrite() {
        return isWrite;
    }

    /** {@return whether accesses currently take the direct path (QEMU's {@code cache->ptr != NULL})} */
    public boolean isDirect() {
        current();
        return direct != null;
    }

    /** {@return how many times the cache followed a newly published view} */
    public long refreshCount() {
        return refreshes;
    }

    /** {@return the result of the last load (OK on the direct path)} */
    public MemTxResult lastResult() {
        return MemTxResult.ofBits(lastBits);
    }

    /**
     * Reads {@code dst.byteSize()} bytes at {@code offset} (QEMU's {@code address_space_read_cached}).
     *
     * @param offset the offset from the cached guest address
     * @param dst where the bytes read go
      * @return the result, QEMU's MemTxResult
     */
    public MemTxResult read(long offset, MemorySegment dst) {
        check(offset, dst.byteSize());
        FlatView v = current();
        if (direct != null && dst.byteSize() <= directLen - offset) {
            MemorySegment.copy(direct, offset, dst, 0, dst.byteSize());
            return MemTxResult.OK;
        }
        st.reset();
        return MemTxResult.ofBits(AccessPath.read(v, addr + offset, MemTxAttrs.UNSPECIFIED, dst, st));
    }

    /**
     * Writes all of {@code src} at {@code offset} (QEMU's {@code address_space_write_cached}).
     *
     * @param offset the offset from the cached guest address
     * @param src the bytes to write
      * @return the result, QEMU's MemTxResult
     */
    public MemTxResult write(long offset, MemorySegment src) {
        check(offset, src.byteSize());
        FlatView v = current();
        if (direct != null && src.byteSize() <= directLen - offset) {
            MemorySegment.copy(src, 0, direct, offset, src.byteSize());
            AccessPath.ramWritten(space, v, directSection, directBase + offset, src.byteSize(), null);
            return MemTxResult.OK;
        }
        st.reset();
        return MemTxResult.ofBits(AccessPath.write(space, v, addr + offset, MemTxAttrs.UNSPECIFIED, src, st));
    }

    /**
     * Loads {@code size} bytes (1, 2, 4, 8) at {@code offset} in {@code order} (QEMU's
     * {@code address_space_ld*_cached}); the result goes to {@link #lastResult()}.
     *
     * @param offset the offset from the cached guest address
     * @param size the access size in bytes: 1, 2, 4 or 8
     * @param order the byte order
     * @return the value, zero-extended to 64 bits
     */
    public long load(long offset, int size, ByteOrder order) {
        AccessPath.checkSize(size);
        Objects.requireNonNull(order, "order");
        check(offset, size);
        FlatView v = current();
        boolean be = order == ByteOrder.BIG_ENDIAN;
        if (direct != null && size <= directLen - offset) {
            lastBits = 0;
            return SegmentAccess.read(direct, offset, size, be);
        }
        st.reset();
        long value = AccessPath.load(v, addr + offset, size, be, MemTxAttrs.UNSPECIFIED, st);
        lastBits = st.bits;
        return value;
    }

    /**
     * Stores the low {@code size} bytes of {@code value} at {@code offset} (QEMU's {@code address_space_st*_cached}).
     *
     * @param offset the offset from the cached guest address
     * @param size the access size in bytes: 1, 2, 4 or 8
     * @param value the value; its low {@code size} bytes are stored
     * @param order the byte order
      * @return the result, QEMU's MemTxResult
     */
    public MemTxResult store(long offset, int size, long value, ByteOrder order) {
        AccessPath.checkSize(size);
        Objects.requireNonNull(order, "order");
        check(offset, size);
        FlatView v = current();
        boolean be = order == ByteOrder.BIG_ENDIAN;
        if (direct != null && size <= directLen - offset) {
            SegmentAccess.write(direct, offset, size, value, be);
            AccessPath.ramWritten(space, v, directSection, directBase + offset, size, null);
            return MemTxResult.OK;
        }
        st.reset();
        AccessPath.store(space, v, addr + offset, size, value, be, MemTxAttrs.UNSPECIFIED, st);
        return MemTxResult.ofBits(st.bits);
    }

    /**
     * {@return the little-endian 16-bit value at {@code offset}}
     *
     * @param offset the offset from the cached guest address
     */
    public long ld16le(long offset) {
        return load(offset, 2, ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * {@return the little-endian 32-bit value at {@code offset}}
     *
     * @param offset the offset from the cached guest address
     */
    public long ld32le(long offset) {
        return load(offset, 4, ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * {@return the little-endian 64-bit value at {@code offset}}
     *
     * @param offset the offset from the cached guest address
     */
    public long ld64le(long offset) {
        return load(offset, 8, ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Stores a little-endian 16-bit value.
     *
     * @param offset the offset from the cached guest address
     * @param value the value; its low {@code size} bytes are stored
      * @return the result, QEMU's MemTxResult
     */
    public MemTxResult st16le(long offset, long value) {
        return store(offset, 2, value, ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Stores a little-endian 32-bit value.
     *
     * @param offset the offset from the cached guest address
     * @param value the value; its low {@code size} bytes are stored
      * @return the result, QEMU's MemTxResult
     */
    public MemTxResult st32le(long offset, long value) {
        return store(offset, 4, value, ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Stores a little-endian 64-bit value.
     *
     * @param offset the offset from the cached guest address
     * @param value the value; its low {@code size} bytes are stored
      * @return the result, QEMU's MemTxResult
     */
    public MemTxResult st64le(long offset, long value) {
        return store(offset, 8, value, ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * QEMU's {@code address_space_cache_invalidate}: marks {@code [offset, offset + len)} dirty when
     * the cache is direct (writes through the cache already did).
     *
     * @param offset the offset from the cached guest address
     * @param len the number of bytes
     * @throws IllegalStateException if the cache was not created for writing (QEMU asserts)
     */
    public void invalidate(long offset, long len) {
        if (!isWrite) {
            throw new IllegalStateException("invalidate on a read cache");
        }
        check(offset, len);
        FlatView v = current();
        if (direct != null) {
            long n = Math.min(len, Math.max(0, directLen - offset));
            if (n > 0) {
                AccessPath.ramWritten(space, v, directSection, directBase + offset, n, null);
            }
        }
    }

    /** Drops the view reference (QEMU's {@code address_space_cache_destroy}). Idempotent. */
    @Override
    public void close() {
        if (view != null) {
            FlatView v = view;
            view = null;
            direct = null;
            pub = null;
            v.release();
        }
    }

    @Override
    public String toString() {
        return "MemoryRegionCache[" + Hex.of(addr) + " +" + Hex.of(length())
                + (isWrite ? " write" : " read") + "]";
    }
}
