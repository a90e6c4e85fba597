package org.guestmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.ValueLayout;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.guestmem.dirty.DirtyLogClient;
import org.guestmem.rcu.RcuReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What {@code docs/lifetimes.md} says about reclamation: the public statistics, the backlog bound
 * and who waits for it, and what a RAM block costs to free (a shared arena only when a user asked
 * for its segment). The churn scenario itself is {@link ReclamationChurnTest}.
 */
@Timeout(60)
class ReclamationTest {
    private static final long MIB = 1 << 20;
    private MemorySystem sys = MemorySystem.builder().name("reclamation").reclamationBacklog(Long.MAX_VALUE).build();

    @AfterEach
    void close() {
        sys.close();
    }

    /** A root container with {@code ram} mapped at 0, an address space on it, the space written once. */
    private AddressSpace mapped(MemorySystem s, RamRegion ram) {
        ContainerRegion root = s.container("root", MemoryRegion.SIZE_2_64);
        root.addSubregion(ram, 0);
        AddressSpace as = s.addressSpace("as", root);
        as.st64le(0, 7);
        return as;
    }

    @Test
    void theStatisticsShouldCountWhatWaitsForReclamationAndWhatWasFreed() {
        ReclamationStats before = sys.reclamationStats();
        assertEquals(new ReclamationStats(0, 0, 0, 0, before.gracePeriods(), 0, Long.MAX_VALUE), before);
        RamRegion ram = sys.ram("ram", MIB);
        AddressSpace as = mapped(sys, ram);
        AddressSpace.RetainedView held = as.retainView(); // keeps the block mapped after its destruction
        ContainerRegion root = (ContainerRegion) as.root();
        root.removeSubregion(ram);
        ram.destroy();
        sys.awaitReclamation();
        ReclamationStats pinned = sys.reclamationStats();
        assertEquals(1, pinned.pendingBlocks(), "destroyed, still held by the retained view: " + pinned);
        assertTrue(pinned.pendingBytes() >= MIB, pinned.toString());
        assertEquals(0, pinned.freedBlocks());

        held.close();
        sys.awaitReclamation();
        ReclamationStats after = sys.reclamationStats();
        assertEquals(0, after.pendingBlocks(), after.toString());
        assertEquals(0, after.pendingBytes());
        assertEquals(1, after.freedBlocks());
        assertEquals(pinned.pendingBytes(), after.freedBytes(), "the bytes that waited are the bytes returned");
        assertTrue(after.gracePeriods() > before.gracePeriods(), "reclamation went through grace periods");
        assertEquals(0, after.backpressureWaits(), "no bound: nobody waited");
    }

    @Test
    void theStatisticsShouldCountTheRamStillHeldAtCloseAsFreed() {
        RamRegion ram = sys.ram("kept", 2 * MIB);
        mapped(sys, ram);
        sys.close();
        ReclamationStats s = sys.reclamationStats();
        assertEquals(1, s.freedBlocks(), s.toString());
        assertTrue(s.freedBytes() >= 2 * MIB, s.toString());
        assertEquals(0, s.pendingBlocks(), "it was never destroyed, so it never waited");
    }

    @Test
    void aWriterShouldWaitForReclamationWhenTheBacklogPassesTheBound() throws Exception {
        sys.close();
        sys = MemorySystem.builder().name("bound-0").reclamationBacklog(0).build();
        assertEquals(0, sys.reclamationStats().backlogLimit());
        RamRegion ram = sys.ram("ram", MIB);
        AddressSpace as = mapped(sys, ram);
        CountDownLatch inSection = new CountDownLatch(1);
        CountDownLatch leave = new CountDownLatch(1);
        Thread reader = Thread.ofPlatform().daemon().start(() -> {
            try (RcuReader r = sys.rcu().register()) {
                r.enter(); // holds the grace period that would let the old view go
                inSection.countDown();
                leave.await();
                r.exit();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        CountDownLatch destroyed = new CountDownLatch(1);
        Thread writer;
        try { // a failure must let the reader go: closing the system would wait for it forever
            assertTrue(inSection.await(10, TimeUnit.SECONDS));
            ((ContainerRegion) as.root()).removeSubregion(ram); // the old view, mapping the block, waits for that grace period
            writer = Thread.ofPlatform().daemon().start(() -> {
                ram.destroy();
                destroyed.countDown();
            });
            assertFalse(destroyed.await(300, TimeUnit.MILLISECONDS), "destroy() waits for reclamation to catch up");
            assertEquals(1, sys.reclamationStats().pendingBlocks());
        } finally {
            leave.countDown();
        }
        assertTrue(destroyed.await(10, TimeUnit.SECONDS));
        writer.join();
        reader.join();
        ReclamationStats s = sys.reclamationStats();
        assertEquals(0, s.pendingBlocks(), "destroy() returned after the block was returned: " + s);
        assertEquals(1, s.freedBlocks());
        assertEquals(1, s.backpressureWaits(), s.toString());
        assertThrows(IllegalStateException.class, () -> ram.segment().get(ValueLayout.JAVA_BYTE, 0));
    }

    @Test
    void aTransactionShouldWaitAtItsCommitNotInside() {
        sys.close();
        sys = MemorySystem.builder().name("bound-tx").reclamationBacklog(0).build();
        RamRegion ram = sys.ram("ram", MIB);
        AddressSpace as = mapped(sys, ram);
        try (MemoryTransaction tx = sys.begin()) {
            ((ContainerRegion) as.root()).removeSubregion(ram);
            ram.destroy(); // under the transaction's lock: must not wait (it could deadlock)
            assertEquals(0, sys.reclamationStats().backpressureWaits(), "nothing waited inside the transaction");
            assertEquals(0, sys.reclamationStats().pendingBlocks(), "the block is released when the commit succeeds");
        }
        assertEquals(1, sys.reclamationStats().backpressureWaits(), "the commit waited: " + sys.reclamationStats());
        assertEquals(0, sys.reclamationStats().pendingBlocks(), "the commit waited: " + sys.reclamationStats());
    }

    @Test
    void aWriterInsideAReadSectionShouldNotWait() {
        sys.close();
        sys = MemorySystem.builder().name("bound-section").reclamationBacklog(0).build();
        RamRegion ram = sys.ram("ram", MIB);
        AddressSpace as = mapped(sys, ram);
        try (RcuReader r = sys.rcu().register()) {
            r.enter();
            ((ContainerRegion) as.root()).removeSubregion(ram);
            ram.destroy(); // waiting here would wait for this very section
            ReclamationStats s = sys.reclamationStats();
            assertEquals(1, s.pendingBlocks(), "went ahead without waiting: " + s);
            assertEquals(0, s.backpressureWaits());
            r.exit();
        }
        sys.awaitReclamation();
        assertEquals(0, sys.reclamationStats().pendingBlocks());
    }

    @Test
    void anOnlineQuiescentStateReaderShouldNotWaitEither() {
        sys.close();
        sys = MemorySystem.builder().name("bound-online").reclamationBacklog(0).build();
        RamRegion ram = sys.ram("ram", MIB);
        AddressSpace as = mapped(sys, ram);
        try (RcuReader r = sys.rcu().registerQuiescent()) {
            ((ContainerRegion) as.root()).removeSubregion(ram);
            ram.destroy();
            assertEquals(1, sys.reclamationStats().pendingBlocks(), "an online CPU thread never waits for a grace period");
            r.offline();
        }
        sys.awaitReclamation();
        assertEquals(0, sys.reclamationStats().pendingBlocks());
    }

    @Test
    void aBlockPinnedByAReferenceShouldNotMakeWritersWaitForever() {
        sys.close();
        sys = MemorySystem.builder().name("bound-pinned").reclamationBacklog(0).build();
        RamRegion ram = sys.ram("ram", MIB);
        AddressSpace as = mapped(sys, ram);
        DmaMapping dma = as.map(0, 0x1000, true, MemTxAttrs.UNSPECIFIED);
        ((ContainerRegion) as.root()).removeSubregion(ram);
        ram.destroy(); // waits for what can be reclaimed, not for the mapping
        ContainerRegion other = sys.container("other", 0x1000);
        other.setEnabled(false); // later writers go ahead as well
        assertEquals(1, sys.reclamationStats().pendingBlocks(), "the DMA mapping holds the block");
        assertEquals(7, dma.segment().get(ValueLayout.JAVA_LONG, 0));
        as.unmap(dma, 0);
        sys.awaitReclamation();
        assertEquals(0, sys.reclamationStats().pendingBlocks());
    }

    @Test
    void aNegativeBoundShouldBeRefused() {
        MemorySystemBuilder b = MemorySystem.builder();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.reclamationBacklog(-1));
        assertTrue(e.getMessage().contains("-1"), e.getMessage());
    }

    @Test
    void theDefaultBoundShouldBeAQuarterOfTheLiveRamButAtLeast256MiB() {
        try (MemorySystem s = MemorySystem.create()) {
            assertEquals(256 * MIB, s.reclamationStats().backlogLimit());
            RamRegion big = s.ram("big", 4096 * MIB); // reserved, never touched
            assertEquals(1024 * MIB, s.reclamationStats().backlogLimit());
            big.destroy();
            assertEquals(256 * MIB, s.reclamationStats().backlogLimit(), "destroyed RAM is not live RAM");
        }
    }

    @Test
    void aBlockShouldGetASharedArenaOnlyWhenItsSegmentIsAskedFor() {
        sys.close();
        sys = MemorySystem.builder().name("fast-mode").checkedAccess(false).build();
        RamRegion quiet = sys.ram("quiet", MIB);
        RamRegion loaded = sys.ram("loaded", MIB);
        AddressSpace as = mapped(sys, quiet);
        ((ContainerRegion) as.root()).addSubregion(loaded, 0x1000_0000L);
        as.st64le(0x1000_0000L, 5);
        assertFalse(quiet.block.hasSharedArena(), "readers and the counted path need no arena");
        assertFalse(loaded.block.hasSharedArena());
        assertEquals(5, loaded.segment().get(ValueLayout.JAVA_LONG, 0));
        assertTrue(loaded.block.hasSharedArena(), "a user's segment is checked: it has an arena");
        assertEquals(loaded.segment(), loaded.segment(), "one checked segment per block");
    }

    @Test
    void inCheckedModeEveryBlockShouldHaveItsArenaFromTheStart() {
        sys.close();
        sys = MemorySystem.builder().name("checked-mode").checkedAccess(true).build();
        RamRegion ram = sys.ram("ram", MIB);
        RamRegion wrapped = sys.ramFromSegment("wrapped", java.lang.foreign.Arena.global().allocate(MIB));
        assertTrue(ram.block.hasSharedArena(), "CPU threads read through the checked segment: it exists before any user asks");
        assertTrue(wrapped.block.hasSharedArena(), "caller memory: the dirty bitmaps get an arena of their own");
        var bits = ram.block.dirty().segment();
        var wrappedBits = wrapped.block.dirty().segment();
        var seg = ram.block.segment();
        ram.destroy();
        wrapped.destroy();
        sys.awaitReclamation();
        assertThrows(IllegalStateException.class, () -> seg.get(ValueLayout.JAVA_BYTE, 0), "the readers' segment refuses");
        assertThrows(IllegalStateException.class, () -> bits.get(ValueLayout.JAVA_LONG, 0), "and so do the bitmaps");
        assertThrows(IllegalStateException.class, () -> wrappedBits.get(ValueLayout.JAVA_LONG, 0));
    }

    @Test
    void theSegmentShouldRefuseAccessOnceTheBlockIsFreedEvenIfFirstAskedForAfterwards() {
        RamRegion early = sys.ram("early", MIB);
        RamRegion late = sys.ram("late", MIB);
        var seg = early.segment();
        early.destroy();
        late.destroy();
        sys.awaitReclamation();
        assertThrows(IllegalStateException.class, () -> seg.get(ValueLayout.JAVA_BYTE, 0));
        assertThrows(IllegalStateException.class, () -> late.segment().get(ValueLayout.JAVA_BYTE, 0),
                "never handed out before the block was freed: still refused");
        assertEquals(MIB, late.segment().byteSize());
    }

    @Test
    void dirtyCallsOnAFreedBlockShouldThrowInsteadOfTouchingFreedMemory() {
        RamRegion ram = sys.ram("ram", MIB);
        assertTrue(ram.getDirty(0, 0x1000, DirtyLogClient.MIGRATION), "a new block is dirty");
        ram.destroy();
        sys.awaitReclamation();
        assertThrows(IllegalStateException.class, () -> ram.getDirty(0, 0x1000, DirtyLogClient.MIGRATION));
        assertThrows(IllegalStateException.class, () -> ram.setDirty(0, 0x1000));
        assertThrows(IllegalStateException.class, () -> ram.testAndClearDirty(0, 0x1000, DirtyLogClient.MIGRATION));
        assertThrows(IllegalStateException.class, () -> ram.snapshotAndClearDirty(0, 0x1000, DirtyLogClient.MIGRATION));
    }

    @Test
    void memoryShouldBeReturnedOnAThreadOfItsOwnThatStopsWithTheSystem() throws InterruptedException {
        RamRegion ram = sys.ram("ram", MIB);
        AddressSpace as = mapped(sys, ram);
        ((ContainerRegion) as.root()).removeSubregion(ram);
        ram.destroy();
        sys.awaitReclamation();
        assertTrue(threadAlive("guestmem-free-reclamation-"), "the RAM reclaimer runs beside the RCU reclaimer");
        sys.close();
        assertFalse(threadAlive("guestmem-free-reclamation-"), "and stops with the system");
    }

    @Test
    void awaitReclamationShouldRefuseInsideAReadSection() {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        try (RcuReader r = sys.rcu().register()) {
            r.enter();
            try {
                sys.awaitReclamation();
            } catch (IllegalStateException e) {
                thrown.set(e);
            }
            r.exit();
        }
        assertTrue(thrown.get() != null && thrown.get().getMessage().contains("leave the read section first"),
                String.valueOf(thrown.get()));
        assertNull(sys.rcu().currentReader());
    }

    static boolean threadAlive(String prefix) {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().startsWith(prefix) && t.isAlive());
    }
}
