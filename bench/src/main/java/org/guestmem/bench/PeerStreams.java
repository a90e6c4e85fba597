package org.guestmem.bench;

/**
 * The address streams and layouts of the peer workloads ({@code bench/README.md}),
 * computed exactly as the C and Rust harnesses compute them, so guestmem's numbers sit beside the
 * peers' in one table.
 *
 * <p>The suites in the subpackages also run these streams at region counts the peers did not
 * measure (16,384 regions, several MMIO regions). There the generators are generalised, and for
 * every count the peers measured they produce exactly the peers' streams:
 * <ul>
 * <li>hot stream: each region gets {@code h = max(8, 64 KiB / N)} hot bytes and there are
 * {@code max(8192, N)} hot slots, so beyond 8192 regions every region keeps one hot word (the
 * peers' formula would give it none);</li>
 * <li>MMIO stream: the offset in the region is {@code rng % 1024 * 4} as in W4, and the region is
 * {@code (rng >>> 10) % N}, which is region 0 for N = 1.</li>
 * </ul>
 */
public final class PeerStreams {
    /** xorshift64 seed used for every stream. */
    public static final long SEED = 0x9E3779B97F4A7C15L;
    /** Guest physical address of region 0. */
    public static final long BASE = 0x1000_0000L;
    /** Hot and MMIO streams: 1 Mi entries. */
    public static final int HOT_ENTRIES = 1 << 20;
    /** Cold stream: 4 Mi entries (32 MiB of addresses, larger than the L3). */
    public static final int COLD_ENTRIES = 1 << 22;
    /** W1/W2/W5 region size: 64 KiB. */
    public static final long HOT_REGION = 64 << 10;
    /** W1/W2/W5 region stride: 1 MiB. */
    public static final long HOT_STRIDE = 1 << 20;
    /** W3 total RAM: 256 MiB. */
    public static final long COLD_TOTAL = 256L << 20;
    /** W3 gap between regions: 1 MiB. */
    public static final long COLD_GAP = 1 << 20;
    /** W4 MMIO region address. */
    public static final long MMIO_BASE = 0x0800_0000L;
    /** W4 value the MMIO callback returns. */
    public static final long MMIO_VALUE = 0x12345678L;

    private PeerStreams() {
    }

    static long next(long x) {
        x ^= x << 13;
        x ^= x >>> 7;
        x ^= x << 17;
        return x;
    }

    /** W1/W2: guest addresses of the hot stream for {@code regions} regions. */
    public static long[] hotGuest(int regions) {
        return hot(regions, true);
    }

    /** W1/W2 raw baseline: offsets into one buffer holding the regions back to back. */
    public static long[] hotRaw(int regions) {
        return hot(regions, false);
    }

    /** {@return the hot bytes per region: 64 KiB / N, at least one word} */
    public static long hotBytesPerRegion(int regions) {
        return Math.max(8, HOT_REGION / regions);
    }

    private static long[] hot(int regions, boolean guest) {
        if (regions <= 0 || Integer.bitCount(regions) != 1) {
            throw new IllegalArgumentException("the hot stream needs a power-of-two region count, got " + regions);
        }
        long[] out = new long[HOT_ENTRIES];
        long h = hotBytesPerRegion(regions);
        long slotsPerRegion = h / 8;
        long slots = Math.max(8192, regions);
        long x = SEED;
        for (int i = 0; i < out.length; i++) {
            x = next(x);
            long s = Long.remainderUnsigned(x, slots);
            long r = s / slotsPerRegion;
            long in = ((r * h) % HOT_REGION) + (s % slotsPerRegion) * 8;
            out[i] = guest ? BASE + r * HOT_STRIDE + in : r * HOT_REGION + in;
        }
        return out;
    }

    /** W3: guest addresses of the cold stream for {@code regions} regions. */
    public static long[] coldGuest(int regions) {
        return cold(regions, true);
    }

    /** W3 raw baseline: offsets into one 256 MiB buffer. */
    public static long[] coldRaw(int regions) {
        return cold(regions, false);
    }

    private static long[] cold(int regions, boolean guest) {
        long[] out = new long[COLD_ENTRIES];
        long size = COLD_TOTAL / regions;
        long x = SEED;
        for (int i = 0; i < out.length; i++) {
            x = next(x);
            long off = Long.remainderUnsigned(x, COLD_TOTAL / 8) * 8;
            long r = off / size;
            out[i] = guest ? BASE + r * (size + COLD_GAP) + off % size : off;
        }
        return out;
    }

    /** W4: guest addresses of 4-byte reads at random 4-aligned offsets of the 4 KiB MMIO region. */
    public static long[] mmio() {
        return mmio(1);
    }

    /**
     * Generalised W4: 4-byte accesses at random 4-aligned offsets of {@code regions} 4 KiB MMIO
     * regions, region {@code r} at {@link #mmioRegionAddress}; equal to {@link #mmio()} for one region.
     */
    public static long[] mmio(int regions) {
        if (regions <= 0) {
            throw new IllegalArgumentException("regions must be positive, got " + regions);
        }
        long[] out = new long[HOT_ENTRIES];
        long x = SEED;
        for (int i = 0; i < out.length; i++) {
            x = next(x);
            long r = Long.remainderUnsigned(x >>> 10, regions);
            out[i] = mmioRegionAddress(r) + Long.remainderUnsigned(x, 1024) * 4;
        }
        return out;
    }

    /** Size of each MMIO region of the generalised W4 layout: 4 KiB. */
    public static final long MMIO_REGION = 4 << 10;
    /** Stride between the MMIO regions of the generalised W4 layout: 64 KiB. */
    public static final long MMIO_STRIDE = 64 << 10;

    /** {@return the guest address of MMIO region {@code r} of the generalised W4 layout} */
    public static long mmioRegionAddress(long r) {
        return MMIO_BASE + r * MMIO_STRIDE;
    }

    /** W1/W2: guest address of region {@code i}. */
    public static long hotRegionAddress(int i) {
        return BASE + i * HOT_STRIDE;
    }

    /** W3: guest address of region {@code i} of {@code regions}. */
    public static long coldRegionAddress(int regions, int i) {
        return BASE + i * (COLD_TOTAL / regions + COLD_GAP);
    }

    /** W5: the address of the 4 KiB region added and removed: a hole in the middle of the W1 layout. */
    public static long mapUnmapAddress(int regions) {
        return BASE + (regions / 2) * HOT_STRIDE + (512 << 10);
    }

    /** The initial contents of every RAM word: {@code gpa ^ 0xA5A5A5A5A5A5A5A5}. */
    public static long initialWord(long gpa) {
        return gpa ^ 0xA5A5A5A5A5A5A5A5L;
    }
}
