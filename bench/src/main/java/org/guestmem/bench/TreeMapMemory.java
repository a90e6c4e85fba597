package org.guestmem.bench;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.TreeMap;
import org.guestmem.MemoryRegionOps;

/**
 * The hand-written baseline: what an emulator author would write instead of guestmem. Regions
 * live in a {@code TreeMap<Long, Region>} keyed by base address; an access takes
 * {@code floorEntry(addr)}, checks the bound and goes to the region's segment (RAM) or callbacks
 * (MMIO). A change copies the map, edits the copy and publishes it with a volatile store, so
 * readers never lock (vm-memory's design, with the publication it leaves to the caller).
 *
 * <p>It has none of guestmem's semantics (no priorities, aliases, containers, flags or size
 * adaptation), and validates only what a careful author would: no overlap on insert. That is the
 * point: a benchmark divided by this one says what the semantics cost, or save, against the
 * structure a user would otherwise maintain.
 */
public final class TreeMapMemory {
    private static final ValueLayout.OfLong LE64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt LE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * One region: RAM (a segment) or MMIO (callbacks), {@code size} bytes at {@code base}.
     *
     * @param base  guest address of the first byte
     * @param size  length in bytes
     * @param ram   the memory behind a RAM region, or null
     * @param read  the read callback of an MMIO region, or null
     * @param write the write callback of an MMIO region, or null
     */
    public record Region(long base, long size, MemorySegment ram, MemoryRegionOps.ReadFn read, MemoryRegionOps.WriteFn write) {
        /** {@return a RAM region over all of {@code ram}} */
        public static Region ram(long base, MemorySegment ram) {
            return new Region(base, ram.byteSize(), ram, null, null);
        }

        /** {@return an MMIO region} */
        public static Region mmio(long base, long size, MemoryRegionOps.ReadFn read, MemoryRegionOps.WriteFn write) {
            return new Region(base, size, null, read, write);
        }
    }

    private volatile TreeMap<Long, Region> map = new TreeMap<>();

    /** {@return the published map; a reader loads it once and keeps it for a stretch of accesses} */
    public TreeMap<Long, Region> map() {
        return map;
    }

    /** {@return the number of regions} */
    public int size() {
        return map.size();
    }

    /**
     * {@return the region containing {@code addr} in {@code m}, or null}
     */
    public static Region find(TreeMap<Long, Region> m, long addr) {
        Map.Entry<Long, Region> e = m.floorEntry(addr);
        if (e == null) {
            return null;
        }
        Region r = e.getValue();
        return addr - r.base < r.size ? r : null;
    }

    /** {@return the 8-byte little-endian value at {@code addr} of RAM region {@code r}, which contains it} */
    public static long ld64le(Region r, long addr) {
        return r.ram.get(LE64, addr - r.base);
    }

    /** Stores 8 bytes little-endian at {@code addr} of RAM region {@code r}, which contains it. */
    public static void st64le(Region r, long addr, long value) {
        r.ram.set(LE64, addr - r.base, value);
    }

    /** {@return the 4-byte little-endian value at {@code addr} of RAM region {@code r}} */
    public static long ld32le(Region r, long addr) {
        return r.ram.get(LE32, addr - r.base) & 0xffff_ffffL;
    }

    /**
     * Adds {@code r}: copies the map, inserts, publishes.
     *
     * @throws IllegalArgumentException if it overlaps a region already there
     */
    public void add(Region r) {
        TreeMap<Long, Region> m = new TreeMap<>(map);
        insert(m, r);
        map = m;
    }

    /**
     * Removes the region at {@code base}: copies the map, removes, publishes.
     *
     * @throws IllegalArgumentException if no region starts there
     */
    public Region remove(long base) {
        TreeMap<Long, Region> m = new TreeMap<>(map);
        Region r = m.remove(base);
        if (r == null) {
            throw new IllegalArgumentException("no region at 0x" + Long.toHexString(base));
        }
        map = m;
        return r;
    }

    /**
     * Applies a batch in one copy and one publication: removes the regions at {@code removeBases},
     * then inserts {@code add}.
     */
    public void replace(long[] removeBases, Region[] add) {
        TreeMap<Long, Region> m = new TreeMap<>(map);
        for (long b : removeBases) {
            if (m.remove(b) == null) {
                throw new IllegalArgumentException("no region at 0x" + Long.toHexString(b));
            }
        }
        for (Region r : add) {
            insert(m, r);
        }
        map = m;
    }

    private static void insert(TreeMap<Long, Region> m, Region r) {
        Map.Entry<Long, Region> below = m.floorEntry(r.base + r.size - 1);
        if (below != null && below.getValue().base + below.getValue().size > r.base) {
            throw new IllegalArgumentException("region at 0x" + Long.toHexString(r.base) + " overlaps the one at 0x"
                    + Long.toHexString(below.getKey()));
        }
        m.put(r.base, r);
    }
}
