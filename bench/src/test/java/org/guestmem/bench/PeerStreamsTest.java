package org.guestmem.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Cross-checks the streams against the vectors the peer harnesses printed ({@code bench vectors}). */
class PeerStreamsTest {

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
            "hot, 1, 0x10006d68 0x100003b0 0x100009b0 0x100063a0, 0x10007fec33160",
            "hot, 64, 0x11b06d68 0x100003b0 0x102009b0 0x118063a0, 0x11f8403833160",
            "hot, 1024, 0x2b506d68 0x10e003b0 0x126009b0 0x28e063a0, 0x2ff48c0833160",
            "cold, 1, 0x1f9a6d68 0x137303b0 0x1c8309b0 0x146e63a0, 0x5ffde844a32b0",
            "cold, 64, 0x237a6d68 0x144303b0 0x1fa309b0 0x157e63a0, 0x67dd62e3a32b0"})
    void shouldReproduceThePeerVectors(String stream, int regions, String first, String sum) {
        long[] a = stream.equals("hot") ? PeerStreams.hotGuest(regions) : PeerStreams.coldGuest(regions);
        String[] want = first.split(" ");
        long[] expected = new long[want.length];
        for (int i = 0; i < want.length; i++) {
            expected[i] = Long.decode(want[i]);
        }
        long[] got = new long[want.length];
        System.arraycopy(a, 0, got, 0, got.length);
        assertArrayEquals(expected, got);
        long s = 0;
        for (long v : a) {
            s += v;
        }
        assertEquals(Long.parseUnsignedLong(sum.substring(2), 16), s);
    }

    @ParameterizedTest
    @CsvSource({"1", "64", "1024"})
    void shouldPackTheRawBaselineBackToBack(int regions) {
        long[] guest = PeerStreams.hotGuest(regions);
        long[] raw = PeerStreams.hotRaw(regions);
        for (int i = 0; i < 4096; i++) {
            long r = (guest[i] - PeerStreams.BASE) / PeerStreams.HOT_STRIDE;
            long in = (guest[i] - PeerStreams.BASE) % PeerStreams.HOT_STRIDE;
            assertEquals(r * PeerStreams.HOT_REGION + in, raw[i], "entry " + i);
        }
    }

    @ParameterizedTest
    @CsvSource({"1", "64", "1024", "16384"})
    void shouldKeepEveryHotAddressInsideItsRegionAndTouchEveryRegion(int regions) {
        long[] guest = PeerStreams.hotGuest(regions);
        boolean[] touched = new boolean[regions];
        for (long a : guest) {
            long rel = a - PeerStreams.BASE;
            int r = (int) (rel / PeerStreams.HOT_STRIDE);
            long in = rel % PeerStreams.HOT_STRIDE;
            assertTrue(r < regions && in + 8 <= PeerStreams.HOT_REGION && in % 8 == 0, () -> "0x" + Long.toHexString(a));
            touched[r] = true;
        }
        for (int r = 0; r < regions; r++) {
            assertTrue(touched[r], "region " + r + " never touched");
        }
    }

    @Test
    void shouldGiveEachOf16384RegionsOneHotWord() {
        long[] raw = PeerStreams.hotRaw(16384);
        java.util.Set<Long> distinct = new java.util.HashSet<>();
        for (long o : raw) {
            distinct.add(o);
        }
        assertEquals(16384, distinct.size());
        assertEquals(8, PeerStreams.hotBytesPerRegion(16384));
    }

    @Test
    void shouldReproduceW4ForOneMmioRegion() {
        long[] w4 = PeerStreams.mmio(1);
        long x = PeerStreams.SEED;
        for (int i = 0; i < 4096; i++) {
            x = PeerStreams.next(x);
            assertEquals(PeerStreams.MMIO_BASE + Long.remainderUnsigned(x, 1024) * 4, w4[i]);
        }
    }

    @ParameterizedTest
    @CsvSource({"64", "16384"})
    void shouldSpreadMmioAccessesOverEveryRegion(int regions) {
        boolean[] touched = new boolean[regions];
        for (long a : PeerStreams.mmio(regions)) {
            long rel = a - PeerStreams.MMIO_BASE;
            assertTrue(rel % PeerStreams.MMIO_STRIDE < PeerStreams.MMIO_REGION);
            touched[(int) (rel / PeerStreams.MMIO_STRIDE)] = true;
        }
        for (int r = 0; r < regions; r++) {
            assertTrue(touched[r], "region " + r);
        }
    }

    @Test
    void shouldRejectRegionCountsTheHotStreamCannotSplit() {
        assertThrows(IllegalArgumentException.class, () -> PeerStreams.hotGuest(3));
    }
}
