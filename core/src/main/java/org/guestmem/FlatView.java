package org.guestmem;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.guestmem.internal.DispatchTable;
import org.guestmem.internal.MmioDispatcher;
import org.guestmem.internal.RamBlock;
import org.guestmem.internal.RamBlockSet;
import org.guestmem.internal.RefCount;
import org.guestmem.layout.SectionLayout;

/**
 * What an address space shows, rendered from its region tree: sorted, disjoint, merged
 * {@link FlatRange}s, QEMU's {@code FlatView}, together with its packed section table and sorted
 * dispatch index in native memory. A published view never changes; everything a reader needs
 * (ranges, native tables, the Java arrays indexed by section number) hangs off this one object,
 * so no reader pairs a new view with old data.
 *
 * <h2 id="root">The root</h2>
 * A view keeps the name of its flatview root for printing ({@link #rootName()}) but no reference
 * to the root region: an alias or container that was a flatview root may be dropped as soon as it
 * is removed from its container (the FlatView-root use-after-free of QEMU's 2025 discussion cannot
 * happen here). It does reference every region its ranges show.
 *
 * <h2 id="lifetime">Lifetime</h2>
 * A view is reference-counted: the memory system holds one reference while the view is current,
 * each address space showing it holds one, and {@link AddressSpace#retainView()} hands out more.
 * When the count drops to zero the view is destroyed after an RCU grace period: its native tables
 * return to the system's table pool and its count on its RAM block set (shared with the views of
 * the same root that map exactly the same blocks; the set holds one count per block) is dropped.
 * Until then the tables and every RAM block the view maps stay valid. A reader inside an RCU read section may use
 * the view it loaded from {@link AddressSpace#currentView()} without touching the count until it
 * leaves the section; {@link #ranges()}, {@link #lookup} and {@link #rootName()} are plain Java
 * data and valid forever.
 */
public final class FlatView {
    /** Page size, table pool, unassigned dispatcher, dirty log and deferred freeing of the system. */
    final ViewContext context;
    private final FlatRange[] ranges;
    private final String rootName;
    private final boolean hasRoot;
    /** One count on every RAM block the view maps, shared with the views that map the same blocks. */
    private final RamBlockSet ramBlocks;
    private final RefCount refs = new RefCount(1);
    private volatile boolean destroyed;

    // ---- dispatch: native tables plus Java arrays indexed by section number ----
    final DispatchTable dispatch;
    /** The region shown by each section; null for the unassigned section 0. */
    final MemoryRegion[] sectionRegion;
    /** The RAM block of RAM, ROM and ROM-device sections; null otherwise. */
    final MemorySegment[] sectionRam;
    /** The same blocks, for dirty tracking. */
    final RamBlock[] sectionBlock;
    /**
     * Where non-direct accesses to each section go (the region's ops, or "unassigned"; IOMMU
     * sections have QEMU's default unassigned ops, reached only if a caller skips translation).
     */
    final MmioDispatcher[] sectionIo;
    /** The FlatRange each section shows ({@code s - 1}); -1 for the unassigned section 0. */
    final int[] sectionRange;
    /** Distinct regions of the view, indexed by the sections' {@code region_index}. */
    private final MemoryRegion[] regions;
    /**
     * The section kind of each range as rendered (it depends on the region's own readonly and
     * romd flags at render time, which a FlatRange does not record).
     */
    private final byte[] rangeKind;
    /**
     * Writer only, during a commit: the view the last {@link ViewPublication#next} compared this one
     * with, and the result (null: too many changes to list), so that the spaces that move from one
     * shared view to another cost one comparison; cleared when the commit ends
     * ({@link #forgetDiff()}), so no view keeps its predecessor reachable.
     */
    FlatView diffedFrom;
    long[] diffFromThere;

    FlatView(ViewContext context, FlatRange[] ranges, MemoryRegion root, RamBlockSet ramBlocks) {
        this(context, ranges, root, ramBlocks, null, null);
    }

    /**
     * A view whose ranges {@code i} with {@code sources[i] >= 0} are range {@code sources[i]} of
     * {@code previous}, unchanged outside every window a commit rendered again (see
     * {@link RangeSplice#sources()}): their sections are copied from {@code previous}'s tables in
     * runs, with only their region indexes written again; the other ranges are built as usual.
     * {@code previous} and {@code sources} may be null: every range is built.
     */
    FlatView(ViewContext context, FlatRange[] ranges, MemoryRegion root, RamBlockSet ramBlocks, FlatView previous,
             int[] sources) {
        this.context = context;
        this.ranges = ranges;
        this.hasRoot = root != null;
        this.rootName = root == null ? null : root.name();
        this.ramBlocks = ramBlocks;

        long mark = context.nextViewMark();
        ArrayList<MemoryRegion> distinct = new ArrayList<>(ranges.length);
        this.rangeKind = new byte[ranges.length];
        DispatchTable.Builder b = new DispatchTable.Builder(context.tablePool(), context.pageBits, ranges.length);
        int n = ranges.length + 1;
        this.sectionRegion = new MemoryRegion[n];
        this.sectionRam = new MemorySegment[n];
        this.sectionBlock = new RamBlock[n];
        this.sectionIo = new MmioDispatcher[n];
        this.sectionRange = new int[n];
        sectionRange[0] = -1;
        sectionIo[0] = context.unassigned;
        for (int i = 0; i < ranges.length; i++) {
            if (sources != null && sources[i] >= 0) {
                int j = sources[i];
                int len = 1;
                while (i + len < ranges.length && sources[i + len] == j + len) {
                    len++;
                }
                b.copy(previous.dispatch, j + 1, len);
                System.arraycopy(previous.sectionRegion, j + 1, sectionRegion, i + 1, len);
                System.arraycopy(previous.sectionRam, j + 1, sectionRam, i + 1, len);
                System.arraycopy(previous.sectionBlock, j + 1, sectionBlock, i + 1, len);
                System.arraycopy(previous.sectionIo, j + 1, sectionIo, i + 1, len);
                System.arraycopy(previous.rangeKind, j, rangeKind, i, len);
                for (int k = i; k < i + len; k++) {
                    MemoryRegion mr = ranges[k].region();
                    if (mr.viewMark != mark) {
                        mr.viewMark = mark;
                        mr.viewIndex = distinct.size();
                        distinct.add(mr);
                    }
                    b.setRegionIndex(k + 1, mr.viewIndex);
                    sectionRange[k + 1] = k;
                }
                i += len - 1;
                continue;
            }
            FlatRange r = ranges[i];
            MemoryRegion mr = r.region();
            if (mr.viewMark != mark) {
                mr.viewMark = mark;
                mr.viewIndex = distinct.size();
                distinct.add(mr);
            }
            int idx = mr.viewIndex;
            int flags = (r.readonly() ? SectionLayout.FLAG_READONLY : 0)
                    | (r.nonvolatile() ? SectionLayout.FLAG_NONVOLATILE : 0)
                    | (r.romdMode() ? SectionLayout.FLAG_ROMD_MODE : 0)
                    | (mr == root ? SectionLayout.FLAG_ROOT : 0);
            RamBlock block = blockOf(mr);
            MemorySegment ram = block == null ? null : block.segment();
            long addend = ram != null && ram.isNative() ? ram.address() + r.offsetInRegion() - r.start() : 0;
            if (ram != null && !ram.isNative()) {
                flags |= SectionLayout.FLAG_NO_HOST;
            }
            rangeKind[i] = (byte) kindOf(r);
            b.add(r.start(), r.sizeMinusOne(), r.offsetInRegion(), addend, idx, rangeKind[i], flags, r.dirtyLogMask(), block);
            int s = i + 1;
            sectionRange[s] = i;
            sectionRegion[s] = mr;
            sectionRam[s] = ram;
            sectionBlock[s] = block;
            sectionIo[s] = ioOf(mr, context);
        }
        this.dispatch = b.build();
        this.regions = distinct.toArray(MemoryRegion[]::new);
    }

    private static int kindOf(FlatRange r) {
        return switch (r.region()) {
            case RamRegion ram -> ram.isReadonly() ? SectionLayout.KIND_ROM : SectionLayout.KIND_RAM;
            case RomDeviceRegion rd -> r.romdMode() ? SectionLayout.KIND_ROMD : SectionLayout.KIND_MMIO;
            case MmioRegion m -> SectionLayout.KIND_MMIO;
            case ReservationRegion res -> SectionLayout.KIND_MMIO;
            case IommuRegion iommu -> SectionLayout.KIND_IOMMU;
            case ContainerRegion c -> throw new IllegalStateException("a container cannot be a flat range");
            case AliasRegion a -> throw new IllegalStateException("an alias cannot be a flat range");
        };
    }

    static RamBlock blockOf(MemoryRegion mr) {
        return mr instanceof RamBackedRegion r ? r.block : null;
    }

    private static MmioDispatcher ioOf(MemoryRegion mr, ViewContext context) {
        return switch (mr) {
            case MmioRegion m -> m.dispatcher;
            case RomDeviceRegion rd -> rd.dispatcher;
            default -> context.unassigned;
        };
    }

    /** {@return the ranges, sorted by address} */
    public List<FlatRange> ranges() {
        return List.of(ranges);
    }

    /** {@return the section kind range {@code i} was rendered with (SectionLayout.KIND_*)} */
    int rangeKind(int i) {
        return rangeKind[i];
    }

    /** The ranges array itself, for package code that does not modify it. */
    FlatRange[] rangeArray() {
        return ranges;
    }

    /** {@return the number of ranges} */
    public int rangeCount() {
        return ranges.length;
    }

    /**
     * {@return range {@code i}, in address order}
     *
     * @param i the index, in address order
     */
    public FlatRange range(int i) {
        return ranges[i];
    }

    /** {@return the distinct regions the view shows, in address order of first appearance} */
    public List<MemoryRegion> regions() {
        return List.of(regions);
    }

    /** {@return whether the view was rendered from a region (false for the shared empty view)} */
    public boolean hasRoot() {
        return hasRoot;
    }

    /**
     * {@return the name of the flatview root this view was rendered from (possibly null for an
     * anonymous region); meaningful only if {@link #hasRoot()}}
     */
    public String rootName() {
        return rootName;
    }

    /**
     * {@return the range containing {@code address}, or null if nothing is mapped there}
     *
     * @param address an address of the address space, unsigned
     */
    public FlatRange lookup(long address) {
        int lo = 0;
        int hi = ranges.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            FlatRange r = ranges[mid];
            if (Long.compareUnsigned(address, r.start()) < 0) {
                hi = mid - 1;
            } else if (Long.compareUnsigned(address, r.last()) > 0) {
                lo = mid + 1;
            } else {
                return r;
            }
        }
        return null;
    }

    /**
     * {@return the view's native tables: a {@code guestmem_dispatch_header} followed by the section
     * table and the sorted search index (see {@code native-layout} and the generated
     * {@code guestmem_layout.h}, which has the lookup in C)} The segment is valid while the view is
     * alive: inside an RCU read section that loaded the view, or while holding a
     * {@link AddressSpace.RetainedView}.
     */
    public MemorySegment nativeTables() {
        return dispatch.block();
    }

    /**
     * {@return the region section {@code s} of the native table shows, or null for the unassigned
     * section 0} Section {@code s >= 1} shows range {@code s - 1}.
     *
     * @param s the section number
     * @throws IndexOutOfBoundsException if there is no such section
     */
    public MemoryRegion sectionRegion(int s) {
        return sectionRegion[s];
    }

    /**
     * {@return the {@code Dispatch} block QEMU 7.2's {@code info mtree -f -d} prints for this view}
     * The block describes QEMU's own dispatch structure (sections, subpages and radix nodes), which
     * guestmem rebuilds with QEMU's algorithm for the comparison; guestmem itself dispatches with
     * {@link #nativeTables()}. QEMU's {@code [MRU]} marker never appears: a view has no shared
     * most-recently-used section (each {@link AddressSpaceAccessor} keeps its own).
     */
    public String qemuDispatchDump() {
        return QemuDispatchDump.print(this);
    }

    /** {@return whether the view's count reached zero and its destruction ran or is scheduled} */
    public boolean isReleased() {
        return refs.get() == 0;
    }

    /** {@return whether the view's native resources were freed (after its grace period)} */
    public boolean isDestroyed() {
        return destroyed;
    }

    /** {@return the current reference count; for tests and diagnostics} */
    int refCount() {
        return refs.get();
    }

    /** Takes a reference unless the count already reached zero (QEMU's {@code flatview_ref}). */
    boolean tryRetain() {
        return refs.tryRetain();
    }

    /** Drops a reference; the last one schedules destruction after a grace period. */
    void release() {
        if (refs.release()) {
            context.deferFree(this::destroy);
        }
    }

    private void destroy() {
        destroyed = true;
        context.tablePool().free(dispatch.block());
        ramBlocks.release();
    }

    /** Drops the memo of {@link #diffedFrom}. */
    void forgetDiff() {
        diffedFrom = null;
        diffFromThere = null;
    }

    /** {@return the RAM blocks this view holds a count on (through a set it may share)} */
    RamBlockSet ramBlocks() {
        return ramBlocks;
    }

    @Override
    public String toString() {
        return "FlatView[root=" + (hasRoot ? rootName : "(none)") + ", ranges=" + ranges.length + "]";
    }
}
