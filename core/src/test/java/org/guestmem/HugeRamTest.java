package org.guestmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.guestmem.dirty.DirtyLogClient;
import org.guestmem.rcu.RcuReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Huge guest RAM costs what the guest touches, not what it declares: a 16 TiB block (its memory
 * reserved with {@code MAP_NORESERVE}, its dirty bitmaps, 1.5 GiB of them, zero-filled and lazy)
 * mapped, written and read through a CPU thread's accessor at pages far apart, adds a few MiB of
 * resident memory; a 1 PiB block the host cannot reserve fails with {@link RamReservationException}
 * and leaves neither a reservation nor resident memory behind. Sizes come from
 * {@code /proc/self/status} (Linux, where CI runs).
 */
class HugeRamTest {
    private static final long MIB = 1L << 20;
    /** What other threads of the JVM may add meanwhile; far below the 1.5 GiB of an eager bitmap. */
    private static final long SLACK = 96 * MIB;
    private MemorySystem sys;

    @AfterEach
    void close() {
        if (sys != null) {
            sys.close();
        }
    }

    @Test
    void sixteenTebibytesOfRamShouldCostNoResidentMemoryUntilTouched() {
        sys = MemorySystem.builder().name("huge").codeDirtyTracking(true).build();
        long size = 1L << 44;
        long rss0 = status("VmRSS");
        long vm0 = status("VmSize");
        RamRegion ram = sys.ram("huge", size);
        ContainerRegion root = sys.container("system", MemoryRegion.SIZE_2_64);
        root.addSubregion(ram, 0);
        AddressSpace as = sys.addressSpace("memory", root);
        assertTrue(status("VmSize") - vm0 >= size, "the whole size is reserved");
        try (RcuReader r = sys.rcu().registerQuiescent()) {
            AddressSpaceAccessor acc = as.accessor(r);
            for (long a = 0x1000; a < size; a = a * 8 + 0x1000) { // a page every factor of 8, to the last one
                assertEquals(MemTxResult.OK, acc.st64le(a, a));
                assertEquals(a, acc.ld64le(a));
                r.quiescentState();
            }
            assertEquals(MemTxResult.OK, acc.st64le(size - 8, 0x5a));
            assertEquals(0x5a, acc.ld64le(size - 8));
        }
        assertTrue(ram.getDirty(size - 8, 8, DirtyLogClient.MIGRATION), "untouched pages start dirty, without a written bit");
        assertTrue(ram.testAndClearDirty(0x1000, 8, DirtyLogClient.MIGRATION), "written, so dirty");
        assertTrue(!ram.getDirty(0x1000, 8, DirtyLogClient.MIGRATION), "cleaned: only now a bitmap page is written");
        assertTrue(ram.getDirty(0x1000, 8, DirtyLogClient.CODE), "CODE bits are their own");
        long grown = status("VmRSS") - rss0;
        assertTrue(grown < SLACK, "resident memory grew by " + grown / MIB + " MiB for 2^44 bytes of RAM");

        root.removeSubregion(ram);
        as.destroy();
        ram.destroy();
        sys.awaitReclamation();
        assertEquals(0, sys.reclamationStats().pendingBlocks());
        assertTrue(status("VmSize") < vm0 + size, "the reservation is returned");
    }

    @Test
    void ramTheHostCannotReserveShouldFailCleanlyLeavingNothingBehind() {
        sys = MemorySystem.builder().name("too-huge").build();
        long rss0 = status("VmRSS");
        long vm0 = status("VmSize");
        long allocations = sys.nativeMemoryStats().liveAllocations();
        for (long size : new long[] {1L << 50, Long.MAX_VALUE}) {
            RamReservationException e = assertThrows(RamReservationException.class, () -> sys.ram("huge", size));
            assertEquals(size, e.size());
            assertTrue(e.getMessage().contains(org.guestmem.internal.Hex.of(size)), e.getMessage());
        }
        assertEquals(allocations, sys.nativeMemoryStats().liveAllocations(), "nothing allocated");
        assertEquals(0, sys.reclamationStats().pendingBlocks());
        assertTrue(status("VmSize") - vm0 < SLACK, "no reservation left behind: " + (status("VmSize") - vm0) / MIB + " MiB");
        assertTrue(status("VmRSS") - rss0 < SLACK, "no resident memory left behind");
        RamRegion after = sys.ram("after", MIB);
        assertEquals(MIB, after.size(), "the system works on");
    }

    /** {@return a size field of /proc/self/status, in bytes} */
    private static long status(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(key + ":")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new IllegalStateException(key + " not in /proc/self/status");
    }
}
