package org.guestmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.guestmem.layout.RcuReaderSlotLayout;
import org.guestmem.rcu.RcuReader;
import org.guestmem.tlb.Tlb;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * RAM blocks without an arena and the softmmu TLB: in fast mode a CPU thread's TLB holds the raw
 * host address of a block that nobody asked a checked segment of, so the RAM reclaimer must not
 * unmap it before the CPU's next quiescent state (the grace period's, which drops the entry); in
 * checked mode every block and its dirty bitmaps have a shared arena from the start, so even a CPU
 * thread that breaks the protocol gets {@link IllegalStateException} instead of the freed memory.
 */
class TlbReclamationTest {
    private static final long PAGE = 0x1000;
    private static final long D = 0x50_0000;
    private MemorySystem sys;
    private ContainerRegion root;
    private AddressSpace as;

    @AfterEach
    void close() {
        sys.close();
    }

    private RamRegion machine(MemorySystemBuilder b) {
        sys = b.reclamationBacklog(Long.MAX_VALUE).build();
        root = sys.container("system", MemoryRegion.SIZE_2_64);
        RamRegion d = sys.ram("d", 2 * PAGE);
        root.addSubregion(d, D);
        as = sys.addressSpace("memory", root);
        return d;
    }

    /** Unmaps and destroys {@code d} on a thread of its own, which then waits for reclamation. */
    private Thread destroyAndAwait(RamRegion d, CountDownLatch destroyed, AtomicBoolean reclaimed, AtomicReference<Throwable> error) {
        return Thread.ofPlatform().daemon().name("writer").start(() -> {
            try {
                root.removeSubregion(d);
                d.destroy();
                destroyed.countDown();
                sys.awaitReclamation();
                reclaimed.set(true);
            } catch (Throwable t) {
                error.set(t);
                destroyed.countDown();
            }
        });
    }

    @Test
    void aBlockWithoutAnArenaShouldStayMappedUntilTheQuiescentStateOfACpuWhoseTlbReachesIt() throws Exception {
        RamRegion d = machine(MemorySystem.builder().name("fast").checkedAccess(false));
        try (RcuReader r = sys.rcu().registerQuiescent(); Tlb tlb = Tlb.builder(r).index(as).build()) {
            assertEquals(0, Tlb.st64le(tlb, 0, D + 8, 0x77));
            assertEquals(0x77, Tlb.ld64le(tlb, 0, D + 8));
            long slow = tlb.slowAccessCount();
            assertEquals(0x77, Tlb.ld64le(tlb, 0, D + 8));
            assertEquals(slow, tlb.slowAccessCount(), "a direct entry: the raw host address of the block");
            assertFalse(d.block.hasSharedArena(), "nobody asked for a checked segment: no arena, freeing is an munmap");
            long freed0 = sys.reclamationStats().freedBlocks();

            CountDownLatch destroyed = new CountDownLatch(1);
            AtomicBoolean reclaimed = new AtomicBoolean();
            AtomicReference<Throwable> error = new AtomicReference<>();
            Thread writer = destroyAndAwait(d, destroyed, reclaimed, error);
            assertTrue(destroyed.await(30, TimeUnit.SECONDS));
            assertNull(error.get());
            long end = System.nanoTime() + 300_000_000L;
            long loads = 0;
            while (System.nanoTime() < end) { // one protected stretch: no quiescent state
                assertEquals(0x77, Tlb.ld64le(tlb, 0, D + 8), "the stretch's entry reaches the block's memory");
                assertEquals(0, Tlb.st64le(tlb, 0, D + 16, loads));
                loads++;
                ReclamationStats s = sys.reclamationStats();
                assertEquals(1, s.pendingBlocks(), "destroyed, waiting for this CPU's quiescent state");
                assertEquals(freed0, s.freedBlocks(), "not unmapped under the CPU's entry");
                assertFalse(reclaimed.get(), "awaitReclamation() waits for the CPU");
            }
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (!reclaimed.get() && System.nanoTime() < deadline) { // a CPU loop: quiescent states from now on
                r.quiescentState(); // the first ends the grace period: the TLB revalidates and drops the entry
                Thread.sleep(1);
            }
            writer.join(30_000);
            assertTrue(reclaimed.get(), "reclaimed after the CPU's quiescent state");
            assertEquals(0, sys.reclamationStats().pendingBlocks());
            assertEquals(freed0 + 1, sys.reclamationStats().freedBlocks());
            assertEquals(0, Tlb.ld64le(tlb, 0, D + 8), "the range is a hole now");
            assertEquals(MemTxResult.DECODE_ERROR.bits(), Tlb.loadFault(tlb));
            assertTrue(loads > 0);
        }
    }

    @Test
    void inCheckedModeACpuThatBreaksTheProtocolShouldBeRefusedInsteadOfReachingFreedRam() throws Exception {
        RamRegion d = machine(MemorySystem.builder().name("checked").checkedAccess(true).codeDirtyTracking(true));
        assertTrue(d.block.hasSharedArena(), "checked mode: an arena from the start, for the memory and the bitmaps");
        try (RcuReader r = sys.rcu().registerQuiescent(); Tlb tlb = Tlb.builder(r).index(as).build()) {
            assertEquals(0, Tlb.st64le(tlb, 0, D + 8, 0x77));
            assertEquals(0x77, Tlb.ld64le(tlb, 0, D + 8));
            // the misuse fast mode cannot survive: "native code" reports the thread quiescent while
            // its TLB still holds the block's entries
            RcuReaderSlotLayout.CTR.setRelease(r.nativeSlot(), 0L, 0L);
            CountDownLatch destroyed = new CountDownLatch(1);
            AtomicBoolean reclaimed = new AtomicBoolean();
            AtomicReference<Throwable> error = new AtomicReference<>();
            Thread writer = destroyAndAwait(d, destroyed, reclaimed, error);
            writer.join(30_000);
            assertNull(error.get());
            assertTrue(reclaimed.get(), "nothing holds the grace period: the block is freed");
            assertEquals(0, sys.reclamationStats().pendingBlocks());
            assertThrows(IllegalStateException.class, () -> Tlb.ld64le(tlb, 0, D + 8), "a load from the freed block");
            assertThrows(IllegalStateException.class, () -> Tlb.st64le(tlb, 0, D + 8, 5),
                    "a store to the freed block (its dirty bitmaps are read first: they refuse too)");
            r.quiescentState(); // back within the protocol
            assertEquals(0, Tlb.ld64le(tlb, 0, D + 8), "a hole");
            assertEquals(MemTxResult.DECODE_ERROR.bits(), Tlb.loadFault(tlb));
        }
    }
}
