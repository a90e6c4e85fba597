package org.guestmem.bench.access;

import org.guestmem.bench.PeerStreams;

/**
 * The RAM layouts and streams of the peer workloads, for any region count: {@code hot} is W1/W2
 * (N regions of 64 KiB, 1 MiB apart, a 64 KiB hot set spread over them), {@code cold} is W3
 * (256 MiB of RAM in N regions with 1 MiB holes, uniformly random reads).
 */
final class RamLayout {
    final int regions;
    final boolean hot;

    RamLayout(int regions, String stream) {
        this.regions = regions;
        this.hot = switch (stream) {
            case "hot" -> true;
            case "cold" -> false;
            default -> throw new IllegalArgumentException("stream must be hot or cold, got " + stream);
        };
    }

    /** {@return the guest address of region {@code i}} */
    long base(int i) {
        return hot ? PeerStreams.hotRegionAddress(i) : PeerStreams.coldRegionAddress(regions, i);
    }

    /** {@return the size of every region} */
    long size() {
        return hot ? PeerStreams.HOT_REGION : PeerStreams.COLD_TOTAL / regions;
    }

    /** {@return the guest addresses of the stream} */
    long[] guestStream() {
        return hot ? PeerStreams.hotGuest(regions) : PeerStreams.coldGuest(regions);
    }

    /** {@return the same stream as offsets into one buffer holding the regions back to back} */
    long[] rawStream() {
        return hot ? PeerStreams.hotRaw(regions) : PeerStreams.coldRaw(regions);
    }

    /** {@return the size of that buffer} */
    long rawBytes() {
        return hot ? PeerStreams.HOT_REGION * regions : PeerStreams.COLD_TOTAL;
    }
}
